//! Differential oracle: axioms' verdict on a token against jsonwebtoken's, a second JOSE
//! implementation given the equivalent strict validation (the key pinned to its algorithm,
//! `iss`, `aud`, `exp`, `nbf`, `sub` required, no leeway).
//!
//! A case is built from bytes, so the fuzz target (`fuzz_targets/differential.rs`) and the
//! property test (`tests/it/jose/differential.rs`) try the same space: which key signs, the
//! header (`alg`, `kid`, `typ`, one extra member), the payload (each registered claim present,
//! absent, of another value or of the wrong type; a duplicate member; not an object), the
//! signature (valid, altered, empty, cut) and the segments' encoding. Times are relative to
//! now and at least two minutes from any bound, so the two libraries' clocks cannot disagree.
//!
//! The property: whenever axioms accepts, jsonwebtoken accepts too, with the same claims.
//! Where axioms refuses and jsonwebtoken accepts, the reason must be one of
//! [`STRICTER`], each a rule axioms holds on purpose.
//!
//! Uses `std`, `axioms`, `base64`, `serde_json`, `jsonwebtoken` and `aws-lc-rs` only, so both
//! the fuzz crate and the main workspace's tests can include it.

use std::collections::HashMap;
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Axioms, Config, Reason};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value, json};

/// The issuer and audience every case is validated against.
pub const AUDIENCE: &str = "differential-api";
/// The HMAC secret of the self-issuing verifier (32 bytes).
const SECRET: &[u8] = b"a 32-byte secret for HS256 cases";

/// The rules by which axioms refuses what jsonwebtoken, with the equivalent validation,
/// accepts — each on purpose:
pub const STRICTER: &[(Reason, &str)] = &[
    (
        Reason::InvalidType,
        "`typ` must be absent, `JWT` or `at+jwt` (RFC 9068 §4, RFC 8725 §3.11): a token typed \
         as anything else (`JOSE+JSON`, `dpop+jwt`, a number) is not an access token",
    ),
    (
        Reason::CriticalHeader,
        "`crit` names extensions axioms does not implement (RFC 7515 §4.1.11 requires refusing)",
    ),
    (
        Reason::ForbiddenHeader,
        "`jku`, `x5u`, `jwk`, `x5c`, `b64` or `zip` in an access token's header: keys come from \
         the configured key set only, and unencoded or compressed payloads are not access \
         tokens (RFC 8725 §3.10, RFC 7797)",
    ),
    (
        Reason::NestedToken,
        "`cty`, of any value, announces content that is not the claims set (RFC 7519 §5.2: a \
         nested token), which an access token does not carry",
    ),
    (
        Reason::IssuedInFuture,
        "`iat` after now (plus leeway): RFC 9068 §4 asks the resource server to check it",
    ),
    (
        Reason::ClaimType,
        "a registered claim that is not a valid value of its type — a negative `iat` (a \
         NumericDate before 1970) — is refused, not ignored",
    ),
    (
        Reason::NotAccessToken,
        "an ID token (`at_hash`, `nonce`, Cognito's `token_use: id`) or a refresh token is \
         refused where an access token is required",
    ),
    (
        Reason::MissingKid,
        "without `kid`, axioms uses the key set's only key; with several it refuses (OIDC \
         Core §10.1) — the harness hands jsonwebtoken the signing key, as an application that \
         guessed right would",
    ),
];

/// One verifier per key kind, the signing issuer, and each key as jsonwebtoken sees it.
pub struct Oracle {
    issuer: TestIssuer,
    asymmetric: Axioms,
    hmac: Axioms,
    /// kid → the key jsonwebtoken decodes with, and the one algorithm it is pinned to.
    keys: HashMap<String, (jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm)>,
    /// (kid, algorithm) of each signing key, in the order cases pick them.
    signers: Vec<(String, Algorithm)>,
}

/// What the two said.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Both accepted, with the same claims.
    BothAccepted,
    /// Both refused; axioms' reason.
    BothRefused(Reason),
    /// axioms refused what jsonwebtoken accepted, for this reason.
    Stricter(Reason),
}

impl Oracle {
    /// Starts the signing issuer (RS256, PS256, ES256, ES384 and EdDSA keys, served on
    /// 127.0.0.1) and the two verifiers; waits until the keys are loaded.
    pub async fn start() -> Self {
        let algorithms = [
            Algorithm::RS256,
            Algorithm::PS256,
            Algorithm::ES256,
            Algorithm::ES384,
            Algorithm::EdDSA,
        ];
        let issuer = TestIssuer::start_with(&algorithms).await;
        let asymmetric = Axioms::new(
            Config::builder(
                issuer
                    .issuer_config(AUDIENCE)
                    .leeway(Duration::ZERO)
                    .unknown_kid_cooldown(Duration::from_secs(30)),
            )
            .token_cache(0)
            .build()
            .expect("the asymmetric verifier's configuration"),
        )
        .expect("the asymmetric verifier");
        assert!(
            asymmetric.ready(Duration::from_secs(10)).await,
            "keys loaded"
        );
        let hmac = Axioms::new(
            Config::builder(
                axioms::Issuer::builder()
                    .issuer(issuer.issuer())
                    .audience(AUDIENCE)
                    .leeway(Duration::ZERO)
                    .hmac_secret(SECRET, Algorithm::HS256),
            )
            .token_cache(0)
            .build()
            .expect("the HMAC verifier's configuration"),
        )
        .expect("the HMAC verifier");
        let mut keys = HashMap::new();
        let jwks = issuer.public_jwks();
        for jwk in jwks["keys"].as_array().expect("a JWK Set") {
            let parsed: jsonwebtoken::jwk::Jwk =
                serde_json::from_value(jwk.clone()).expect("jsonwebtoken reads the JWK");
            let key = jsonwebtoken::DecodingKey::from_jwk(&parsed).expect("a decoding key");
            let alg: jsonwebtoken::Algorithm = jwk["alg"]
                .as_str()
                .and_then(|a| a.parse().ok())
                .expect("the JWK's alg");
            keys.insert(jwk["kid"].as_str().expect("kid").to_owned(), (key, alg));
        }
        let signers = algorithms
            .iter()
            .enumerate()
            .map(|(i, alg)| (format!("key-{}", i + 1), *alg))
            .collect();
        Self {
            issuer,
            asymmetric,
            hmac,
            keys,
            signers,
        }
    }

    /// The token of `data` (see [`Case`]).
    pub fn token(&self, data: &[u8]) -> Case {
        Case::build(self, data)
    }

    /// Both verdicts on `case`. `Err` says how they contradict the property.
    pub async fn judge(&self, case: &Case) -> Result<Verdict, String> {
        let verifier = if case.hmac {
            &self.hmac
        } else {
            &self.asymmetric
        };
        let ours = verifier.verify(&case.token).await;
        let theirs = self.jsonwebtoken(case);
        match (ours, theirs) {
            (Ok(claims), Ok(payload)) => {
                // A NumericDate may be fractional (RFC 7519 §2); axioms keeps its whole seconds.
                let exp = payload
                    .get("exp")
                    .and_then(Value::as_f64)
                    .map(|exp| exp.floor() as i64);
                let same = claims.subject() == payload.get("sub").and_then(Value::as_str)
                    && claims.issuer() == payload.get("iss").and_then(Value::as_str)
                    && claims.expires_at() == exp;
                if same {
                    Ok(Verdict::BothAccepted)
                } else {
                    Err(format!(
                        "different claims: axioms {:?}/{:?}/{:?}, jsonwebtoken {payload:?}",
                        claims.subject(),
                        claims.issuer(),
                        claims.expires_at()
                    ))
                }
            }
            (Ok(_), Err(theirs)) => Err(format!(
                "axioms accepted what jsonwebtoken refuses ({theirs})"
            )),
            (Err(ours), Ok(_)) => Ok(Verdict::Stricter(ours.reason())),
            (Err(ours), Err(_)) => Ok(Verdict::BothRefused(ours.reason())),
        }
    }

    /// jsonwebtoken's verdict, with the key an application would pick: by `kid`, or the
    /// signing key when the header names none.
    fn jsonwebtoken(&self, case: &Case) -> Result<Map<String, Value>, String> {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        let (key, alg) = if case.hmac {
            (
                jsonwebtoken::DecodingKey::from_secret(SECRET),
                jsonwebtoken::Algorithm::HS256,
            )
        } else {
            let kid = match case.header.get("kid") {
                Some(Value::String(kid)) => kid.clone(),
                None => case.signer.clone(),
                Some(_) => return Err("a kid that is not a string".into()),
            };
            self.keys.get(&kid).cloned().ok_or("no key for the kid")?
        };
        validation.algorithms = vec![alg];
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.set_issuer(&[self.issuer.issuer()]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Map<String, Value>>(&case.token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| e.to_string())
    }
}

/// A token and what it was built from.
#[derive(Debug)]
pub struct Case {
    /// The compact serialization.
    pub token: String,
    /// The header as built (before encoding mutations).
    pub header: Value,
    /// Signed with the HMAC secret (else with `signer`).
    pub hmac: bool,
    /// The kid of the signing key.
    pub signer: String,
}

impl Case {
    /// The header and the decoded payload, for a report.
    pub fn describe(&self) -> String {
        let payload = self
            .token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        format!("header {} payload {payload}", self.header)
    }
}

/// The choices a case is built from: one byte each, 0 when the input is exhausted (the
/// first option of each choice is the well-formed one).
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn pick(&mut self, options: usize) -> usize {
        match self.0.split_first() {
            Some((&byte, rest)) => {
                self.0 = rest;
                usize::from(byte) % options
            }
            None => 0,
        }
    }
}

const ALG_NAMES: &[&str] = &[
    "RS256", "RS384", "PS256", "ES256", "ES384", "EdDSA", "HS256", "none", "XX",
];

impl Case {
    fn build(oracle: &Oracle, data: &[u8]) -> Self {
        let mut c = Choices(data);
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
        .unwrap_or(0);
        // The key: one of the issuer's, or the HMAC secret.
        let which = c.pick(oracle.signers.len() + 1);
        let hmac = which == oracle.signers.len();
        let (signer, key_alg) = if hmac {
            ("hmac".to_owned(), Algorithm::HS256)
        } else {
            oracle.signers[which].clone()
        };
        // The header.
        let mut header = Map::new();
        let alg = match c.pick(6) {
            0..=3 => key_alg.to_string(),
            _ => ALG_NAMES[c.pick(ALG_NAMES.len())].to_owned(),
        };
        header.insert("alg".into(), json!(alg));
        match c.pick(5) {
            0 | 1 => {
                header.insert("kid".into(), json!(signer));
            }
            2 => {}
            3 => {
                header.insert("kid".into(), json!("key-unknown"));
            }
            _ => {
                header.insert("kid".into(), json!(7));
            }
        }
        if hmac && header.get("kid") == Some(&json!("hmac")) {
            header.remove("kid");
        }
        match c.pick(9) {
            0 | 1 => {}
            2 => {
                header.insert("typ".into(), json!("JWT"));
            }
            3 => {
                header.insert("typ".into(), json!("at+jwt"));
            }
            4 => {
                header.insert("typ".into(), json!("application/at+jwt"));
            }
            5 => {
                header.insert("typ".into(), json!("jwt"));
            }
            6 => {
                header.insert("typ".into(), json!("dpop+jwt"));
            }
            7 => {
                header.insert("typ".into(), json!("JOSE+JSON"));
            }
            _ => {
                header.insert("typ".into(), json!(5));
            }
        }
        let extras: [(&str, Value); 9] = [
            ("crit", json!(["exp"])),
            ("b64", json!(false)),
            ("cty", json!("JWT")),
            ("jku", json!("https://attacker.example/jwks")),
            ("x5u", json!("https://attacker.example/cert")),
            ("jwk", json!({"kty": "oct", "k": "AAAA"})),
            ("zip", json!("DEF")),
            ("x5c", json!([])),
            ("cty", json!("text/plain")),
        ];
        // 0 (and half of the choices): no extra member.
        let extra = c.pick(extras.len() * 2 + 1);
        if let Some((name, value)) = extra.checked_sub(1).and_then(|i| extras.get(i)) {
            header.insert((*name).into(), value.clone());
        }
        // The payload.
        let mut payload = Map::new();
        let issuer = oracle.issuer.issuer();
        match c.pick(6) {
            0..=2 => {
                payload.insert("iss".into(), json!(issuer));
            }
            3 => {
                payload.insert("iss".into(), json!("https://other.example/"));
            }
            4 => {}
            _ => {
                payload.insert("iss".into(), json!(5));
            }
        }
        match c.pick(7) {
            0..=2 => {
                payload.insert("aud".into(), json!(AUDIENCE));
            }
            3 => {
                payload.insert("aud".into(), json!([AUDIENCE, "another-api"]));
            }
            4 => {
                payload.insert("aud".into(), json!("another-api"));
            }
            5 => {}
            _ => {
                payload.insert("aud".into(), json!([]));
            }
        }
        match c.pick(7) {
            0..=2 => {
                payload.insert("exp".into(), json!(now + 3600));
            }
            3 => {
                payload.insert("exp".into(), json!(now - 3600));
            }
            4 => {}
            5 => {
                payload.insert("exp".into(), json!((now + 3600).to_string()));
            }
            _ => {
                payload.insert("exp".into(), json!(now as f64 + 3600.5));
            }
        }
        match c.pick(5) {
            0 | 1 => {}
            2 => {
                payload.insert("nbf".into(), json!(now - 3600));
            }
            3 => {
                payload.insert("nbf".into(), json!(now + 3600));
            }
            _ => {
                payload.insert("nbf".into(), json!("yesterday"));
            }
        }
        match c.pick(5) {
            0 | 1 => {
                payload.insert("iat".into(), json!(now - 120));
            }
            2 => {}
            3 => {
                payload.insert("iat".into(), json!(now + 3600));
            }
            _ => {
                payload.insert("iat".into(), json!(-1));
            }
        }
        match c.pick(5) {
            0..=2 => {
                payload.insert("sub".into(), json!("alice"));
            }
            3 => {}
            _ => {
                payload.insert("sub".into(), json!(5));
            }
        }
        match c.pick(8) {
            0..=4 => {}
            5 => {
                payload.insert("at_hash".into(), json!("x8KJZ5pX2fM"));
            }
            6 => {
                payload.insert("scope".into(), json!("read:data write:data"));
            }
            _ => {
                payload.insert("token_use".into(), json!("id"));
            }
        }
        let mut payload_bytes = serde_json::to_vec(&Value::Object(payload)).unwrap_or_default();
        match c.pick(10) {
            0..=6 => {}
            7 => append_member(&mut payload_bytes, r#""sub":"mallory""#),
            8 => append_member(&mut payload_bytes, &format!(r#""exp":{}"#, now - 3600)),
            _ => payload_bytes = b"[]".to_vec(),
        }
        let header = Value::Object(header);
        let mut token = if hmac {
            sign_hmac(&header, &payload_bytes)
        } else {
            oracle
                .issuer
                .sign_raw(&signer, signing_alg(key_alg, &alg), &header, &payload_bytes)
                .unwrap_or_default()
        };
        // The signature.
        match c.pick(10) {
            0..=6 => {}
            7 => {
                let last = token.pop().unwrap_or('A');
                token.push(if last == 'A' { 'B' } else { 'A' });
            }
            8 => {
                if let Some(dot) = token.rfind('.') {
                    token.truncate(dot + 1);
                }
            }
            _ => {
                let keep = token.len().saturating_sub(4);
                token.truncate(keep);
            }
        }
        // The encoding.
        match c.pick(10) {
            0..=7 => {}
            8 => {
                // Padding on the payload segment.
                if let Some(first) = token.find('.') {
                    let second = token[first + 1..].find('.').map(|i| first + 1 + i);
                    if let Some(second) = second {
                        token.insert_str(second, "==");
                    }
                }
            }
            _ => {
                // The payload in the standard alphabet, as a lax encoder would write it.
                let parts: Vec<&str> = token.split('.').collect();
                if let [h, p, s] = parts.as_slice()
                    && let Ok(bytes) = URL_SAFE_NO_PAD.decode(p)
                {
                    token = format!("{h}.{}.{s}", STANDARD_NO_PAD.encode(bytes));
                }
            }
        }
        Self {
            token,
            header,
            hmac,
            signer,
        }
    }
}

/// The algorithm the signer uses: the header's when the key can make it (an RSA key signs
/// RS* or PS*), else the key's own, so that a header naming another algorithm still carries
/// a real signature.
fn signing_alg(key: Algorithm, header_alg: &str) -> Algorithm {
    let rsa = |a: Algorithm| a.to_string().starts_with("RS") || a.to_string().starts_with("PS");
    match header_alg.parse::<Algorithm>() {
        Ok(wanted) if rsa(key) && rsa(wanted) => wanted,
        _ => key,
    }
}

/// Adds `member` to a serialized JSON object, before its closing brace.
fn append_member(object: &mut Vec<u8>, member: &str) {
    if object.last() == Some(&b'}') {
        object.pop();
        if object.len() > 1 {
            object.push(b',');
        }
        object.extend_from_slice(member.as_bytes());
        object.push(b'}');
    }
}

/// An HS256 token over `header` and `payload`, with the secret.
fn sign_hmac(header: &Value, payload: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap_or_default()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, SECRET);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}
