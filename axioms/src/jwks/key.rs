//! Admission of one JWK into the key store (RFC 7517, 7518, 8037, 8725).
//!
//! A key is admitted only if it is a public signature key of a supported type, its
//! parameters are well formed and strong enough, and it names (or implies) exactly one
//! algorithm that the configuration allows. Everything else is skipped with a logged reason —
//! one odd key never fails the whole set.

use std::fmt;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::signature::ParsedPublicKey;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;

/// Longest `kid` accepted, in bytes.
pub(crate) const MAX_KID_BYTES: usize = 256;

/// A public key admitted for verification, pinned to one algorithm.
pub(crate) struct VerifyingKey {
    pub(crate) kid: Option<Box<str>>,
    pub(crate) alg: Algorithm,
    /// `alg` was not in the JWK: the key type implied it (for RSA, the configured
    /// `rsa_key_alg`).
    pub(crate) implied_alg: bool,
    pub(crate) key: PublicKey,
    /// An injective encoding of the key material, to tell true duplicates from conflicting
    /// kids.
    pub(crate) material: Vec<u8>,
}

/// The verifier of a key.
pub(crate) enum PublicKey {
    /// A public key parsed once by aws-lc-rs, for the key's one algorithm: from a JWK (RSA
    /// `n`/`e`, an EC point, an Ed25519 key) or a PEM key. Parsing it again for every
    /// signature (what a `DecodingKey` does) cost more than everything else axioms adds to
    /// an RSA verification: aws-lc builds the modulus's Montgomery context once per key
    /// object, so a reused one is the signature check alone.
    Parsed(Box<ParsedPublicKey>),
    /// A locally configured HMAC secret ([`IssuerBuilder::hmac_secret`]): never from a JWKS.
    ///
    /// [`IssuerBuilder::hmac_secret`]: crate::IssuerBuilder::hmac_secret
    Hmac(Box<aws_lc_rs::hmac::Key>),
}

impl PublicKey {
    /// `bytes` (an RSA SubjectPublicKeyInfo, an uncompressed EC point, a raw Ed25519 key)
    /// parsed for `alg`, or `None` if aws-lc-rs refuses them.
    pub(crate) fn parse(alg: Algorithm, bytes: &[u8]) -> Option<Self> {
        let key = ParsedPublicKey::new(alg.verification()?, bytes).ok()?;
        Some(Self::Parsed(Box::new(key)))
    }
}

impl VerifyingKey {
    /// Whether `signature` (decoded from its strict base64url) is a valid signature of
    /// `message` under this key and its pinned algorithm.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.key {
            // Parsed for the key's one algorithm: the token's `alg` was already required to
            // be that one.
            PublicKey::Parsed(key) => key.verify_sig(message, signature).is_ok(),
            // The key was made for the issuer's one pinned HMAC algorithm; the tag is
            // compared in constant time.
            PublicKey::Hmac(key) => {
                self.alg.is_hmac() && aws_lc_rs::hmac::verify(key, message, signature).is_ok()
            }
        }
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Why a JWK was not admitted. Logged; never fatal to the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    NotAnObject,
    SymmetricKey,
    UnsupportedKeyType,
    PrivateKeyMaterial,
    NotForSignatures,
    BadKid,
    UnsupportedAlgorithm,
    AlgorithmNotAllowed,
    AlgorithmKeyMismatch,
    UnsupportedCurve,
    BadParameter,
    WeakKey,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotAnObject => "not a JSON object",
            Self::SymmetricKey => "symmetric (oct) key: never used, an IdP must not publish one",
            Self::UnsupportedKeyType => "kty missing or not RSA, EC or OKP",
            Self::PrivateKeyMaterial => {
                "carries private key members: the IdP is leaking a private key"
            }
            Self::NotForSignatures => "use/key_ops say it is not a signature-verification key",
            Self::BadKid => "kid is not a string of at most 256 bytes",
            Self::UnsupportedAlgorithm => "alg is not a supported signature algorithm",
            Self::AlgorithmNotAllowed => "alg is not in the configured allow-list",
            Self::AlgorithmKeyMismatch => "alg does not fit the key type or curve",
            Self::UnsupportedCurve => "crv is not P-256, P-384, P-521 or Ed25519",
            Self::BadParameter => "a key parameter is missing or not strict base64url",
            Self::WeakKey => "RSA modulus under 2048 bits or bad exponent",
        })
    }
}

const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const ENCRYPTION_OPS: [&str; 6] = [
    "encrypt",
    "decrypt",
    "wrapKey",
    "unwrapKey",
    "deriveKey",
    "deriveBits",
];

/// Admits one JWK, or says why not. RSA keys without `alg` are pinned to `rsa_alg`.
pub(crate) fn admit(
    jwk: &Value,
    allowed: &[Algorithm],
    rsa_alg: Algorithm,
) -> Result<VerifyingKey, Skip> {
    let jwk = jwk.as_object().ok_or(Skip::NotAnObject)?;
    let kty = jwk.get("kty").and_then(Value::as_str);
    match kty {
        Some("oct") => return Err(Skip::SymmetricKey),
        Some("RSA" | "EC" | "OKP") => {}
        _ => return Err(Skip::UnsupportedKeyType),
    }
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(Skip::PrivateKeyMaterial);
    }
    check_use(jwk)?;
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(s)) if s.len() <= MAX_KID_BYTES => Some(Box::from(s.as_str())),
        Some(_) => return Err(Skip::BadKid),
    };
    let declared = match jwk.get("alg") {
        None => None,
        Some(Value::String(s)) => Some(Algorithm::from_name(s).ok_or(Skip::UnsupportedAlgorithm)?),
        Some(_) => return Err(Skip::UnsupportedAlgorithm),
    };
    let (alg, key, material) = match kty {
        Some("RSA") => rsa(jwk, declared.unwrap_or(rsa_alg))?,
        Some("EC") => ec(jwk, declared)?,
        _ => okp(jwk, declared)?,
    };
    if !allowed.contains(&alg) {
        return Err(Skip::AlgorithmNotAllowed);
    }
    Ok(VerifyingKey {
        kid,
        alg,
        implied_alg: declared.is_none(),
        key,
        material,
    })
}

fn check_use(jwk: &Map<String, Value>) -> Result<(), Skip> {
    match jwk.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(Skip::NotForSignatures),
    }
    match jwk.get("key_ops") {
        None => Ok(()),
        Some(Value::Array(ops)) => {
            let ops: Option<Vec<&str>> = ops.iter().map(Value::as_str).collect();
            let ops = ops.ok_or(Skip::NotForSignatures)?;
            if ops.contains(&"verify") && !ops.iter().any(|op| ENCRYPTION_OPS.contains(op)) {
                Ok(())
            } else {
                Err(Skip::NotForSignatures)
            }
        }
        Some(_) => Err(Skip::NotForSignatures),
    }
}

fn b64(jwk: &Map<String, Value>, member: &str) -> Result<Vec<u8>, Skip> {
    let s = jwk
        .get(member)
        .and_then(Value::as_str)
        .ok_or(Skip::BadParameter)?;
    URL_SAFE_NO_PAD.decode(s).map_err(|_| Skip::BadParameter)
}

type Admitted = (Algorithm, PublicKey, Vec<u8>);

/// An RSA key for `alg`: the JWK's own, or (without one) the configured `rsa_key_alg`,
/// RS256 by default — the algorithm every IdP that omits `alg` (Entra ID, for one) signs
/// with unless configured for PSS.
fn rsa(jwk: &Map<String, Value>, alg: Algorithm) -> Result<Admitted, Skip> {
    if !alg.is_rsa() {
        return Err(Skip::AlgorithmKeyMismatch);
    }
    let n = b64(jwk, "n")?;
    let e = b64(jwk, "e")?;
    // Measure the integer, not the encoding: some IdPs emit a leading zero octet.
    let n_trimmed: &[u8] = {
        let zeros = n.iter().take_while(|&&b| b == 0).count();
        n.get(zeros..).unwrap_or(&[])
    };
    let e_trimmed: &[u8] = {
        let zeros = e.iter().take_while(|&&b| b == 0).count();
        e.get(zeros..).unwrap_or(&[])
    };
    // An all-zero modulus trims to nothing: zero bits.
    let bits = n_trimmed.first().map_or(0, |b| {
        (n_trimmed.len() * 8).saturating_sub(b.leading_zeros() as usize)
    });
    if !(2048..=8192).contains(&bits) {
        return Err(Skip::WeakKey);
    }
    // e odd, at least 3, at most 64 bits.
    let e_odd = e_trimmed.last().is_some_and(|b| b & 1 == 1);
    if e_trimmed.is_empty() || e_trimmed.len() > 8 || !e_odd || e_trimmed == [1] {
        return Err(Skip::WeakKey);
    }
    let spki = aws_lc_rs::rsa::PublicKeyComponents {
        n: n_trimmed,
        e: e_trimmed,
    }
    .as_der()
    .map_err(|_| Skip::BadParameter)?;
    let key = PublicKey::parse(alg, spki.as_ref()).ok_or(Skip::BadParameter)?;
    // Length-prefixed, so that no two (n, e) pairs share an encoding.
    let n_len = u16::try_from(n_trimmed.len()).map_err(|_| Skip::WeakKey)?;
    let mut material = Vec::with_capacity(2 + n_trimmed.len() + e_trimmed.len());
    material.extend_from_slice(&n_len.to_be_bytes());
    material.extend_from_slice(n_trimmed);
    material.extend_from_slice(e_trimmed);
    Ok((alg, key, material))
}

fn ec(jwk: &Map<String, Value>, declared: Option<Algorithm>) -> Result<Admitted, Skip> {
    let (alg, len) = match jwk.get("crv").and_then(Value::as_str) {
        Some("P-256") => (Algorithm::ES256, 32),
        Some("P-384") => (Algorithm::ES384, 48),
        Some("P-521") => (Algorithm::ES512, 66),
        _ => return Err(Skip::UnsupportedCurve),
    };
    if declared.is_some_and(|d| d != alg) {
        return Err(Skip::AlgorithmKeyMismatch);
    }
    let x = b64(jwk, "x")?;
    let y = b64(jwk, "y")?;
    if x.len() != len || y.len() != len {
        return Err(Skip::BadParameter);
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(&x);
    point.extend_from_slice(&y);
    // aws-lc-rs checks that the point is on the curve.
    let key = PublicKey::parse(alg, &point).ok_or(Skip::BadParameter)?;
    Ok((alg, key, point))
}

fn okp(jwk: &Map<String, Value>, declared: Option<Algorithm>) -> Result<Admitted, Skip> {
    if jwk.get("crv").and_then(Value::as_str) != Some("Ed25519") {
        return Err(Skip::UnsupportedCurve);
    }
    if declared.is_some_and(|d| d != Algorithm::EdDSA) {
        return Err(Skip::AlgorithmKeyMismatch);
    }
    let x = b64(jwk, "x")?;
    if x.len() != 32 {
        return Err(Skip::BadParameter);
    }
    let key = PublicKey::parse(Algorithm::EdDSA, &x).ok_or(Skip::BadParameter)?;
    Ok((Algorithm::EdDSA, key, x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn n2048() -> String {
        let mut n = vec![0xc5u8; 256];
        n[255] = 0x01;
        URL_SAFE_NO_PAD.encode(n)
    }

    #[test]
    fn admits_rsa_with_default_alg() {
        let k = admit(
            &json!({"kty":"RSA","n":n2048(),"e":"AQAB","kid":"a"}),
            &Algorithm::ALL,
            Algorithm::RS256,
        )
        .unwrap();
        assert_eq!(k.alg, Algorithm::RS256);
        assert!(k.implied_alg);
        assert_eq!(k.kid.as_deref(), Some("a"));
        let k = admit(
            &json!({"kty":"RSA","n":n2048(),"e":"AQAB"}),
            &Algorithm::ALL,
            Algorithm::PS256,
        )
        .unwrap();
        assert_eq!(k.alg, Algorithm::PS256);
        let k = admit(
            &json!({"kty":"RSA","n":n2048(),"e":"AQAB","alg":"RS384"}),
            &Algorithm::ALL,
            Algorithm::PS256,
        )
        .unwrap();
        assert_eq!(k.alg, Algorithm::RS384);
        assert!(!k.implied_alg);
    }

    #[test]
    fn leading_zero_in_modulus_is_tolerated() {
        let mut n = vec![0u8];
        n.extend(vec![0xc5u8; 256]);
        let n = URL_SAFE_NO_PAD.encode(n);
        assert!(
            admit(
                &json!({"kty":"RSA","n":n,"e":"AQAB"}),
                &Algorithm::ALL,
                Algorithm::RS256
            )
            .is_ok()
        );
    }

    #[test]
    fn skips() {
        let small = URL_SAFE_NO_PAD.encode(vec![0xc5u8; 128]);
        let cases = [
            (json!("x"), Skip::NotAnObject),
            (json!({"kty":"oct","k":"AAAA"}), Skip::SymmetricKey),
            (json!({"kty":"foo"}), Skip::UnsupportedKeyType),
            (json!({"n":n2048(),"e":"AQAB"}), Skip::UnsupportedKeyType),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","d":"AA"}),
                Skip::PrivateKeyMaterial,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","use":"enc"}),
                Skip::NotForSignatures,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","key_ops":["encrypt"]}),
                Skip::NotForSignatures,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","key_ops":["verify","decrypt"]}),
                Skip::NotForSignatures,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","alg":"RSA-OAEP"}),
                Skip::UnsupportedAlgorithm,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","alg":"ES256"}),
                Skip::AlgorithmKeyMismatch,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","kid":5}),
                Skip::BadKid,
            ),
            (
                json!({"kty":"RSA","n":n2048(),"e":"AQAB","kid":"k".repeat(257)}),
                Skip::BadKid,
            ),
            (json!({"kty":"RSA","n":small,"e":"AQAB"}), Skip::WeakKey),
            (json!({"kty":"RSA","n":n2048(),"e":"AQ"}), Skip::WeakKey),
            (json!({"kty":"RSA","n":"AAAA","e":"AQAB"}), Skip::WeakKey),
            (json!({"kty":"RSA","n":"","e":"AQAB"}), Skip::WeakKey),
            (json!({"kty":"RSA","n":n2048(),"e":"Ag"}), Skip::WeakKey),
            (
                json!({"kty":"RSA","n":n2048()+"=","e":"AQAB"}),
                Skip::BadParameter,
            ),
            (
                json!({"kty":"EC","crv":"P-521","x":"AA","y":"AA"}),
                Skip::BadParameter,
            ),
            (
                json!({"kty":"EC","crv":"secp256k1","x":"AA","y":"AA"}),
                Skip::UnsupportedCurve,
            ),
            (
                json!({"kty":"EC","crv":"P-256","x":"AA","y":"AA"}),
                Skip::BadParameter,
            ),
            (
                json!({"kty":"OKP","crv":"X25519","x":"AA"}),
                Skip::UnsupportedCurve,
            ),
            (
                json!({"kty":"OKP","crv":"Ed448","x":"AA"}),
                Skip::UnsupportedCurve,
            ),
        ];
        for (jwk, want) in cases {
            assert_eq!(
                admit(&jwk, &Algorithm::ALL, Algorithm::RS256).err(),
                Some(want),
                "{jwk}"
            );
        }
    }

    /// The `x` and `y` of a fresh key on the curve of `alg`, base64url.
    fn ec_point(alg: &'static aws_lc_rs::signature::EcdsaSigningAlgorithm) -> (String, String) {
        use aws_lc_rs::signature::KeyPair as _;
        let key = aws_lc_rs::signature::EcdsaKeyPair::generate(alg).unwrap();
        let point = key.public_key().as_ref();
        let (x, y) = point[1..].split_at((point.len() - 1) / 2);
        (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y))
    }

    #[test]
    fn rfc8037_ed25519_known_answer() {
        // RFC 8037 Appendix A.2 (the key) and A.4 (the signature), through the verifier
        // the pipeline uses.
        let key = admit(
            &json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
            &Algorithm::ALL,
            Algorithm::RS256,
        )
        .unwrap();
        let input = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
        let mut signature = URL_SAFE_NO_PAD
            .decode("hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
            .unwrap();
        assert!(key.verify(input, &signature));
        signature[63] ^= 1;
        assert!(!key.verify(input, &signature));
    }

    #[test]
    fn ec_points_off_the_curve_are_refused() {
        let c32 = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let off = json!({"kty":"EC","crv":"P-256","x":c32,"y":c32,"alg":"ES256"});
        assert_eq!(
            admit(&off, &Algorithm::ALL, Algorithm::RS256).err(),
            Some(Skip::BadParameter)
        );
    }

    #[test]
    fn ec_curve_and_alg_must_agree() {
        let (x, y) = ec_point(&aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING);
        let ok = json!({"kty":"EC","crv":"P-256","x":x,"y":y,"alg":"ES256"});
        let rs = Algorithm::RS256;
        assert_eq!(
            admit(&ok, &Algorithm::ALL, rs).unwrap().alg,
            Algorithm::ES256
        );
        let bad = json!({"kty":"EC","crv":"P-256","x":x,"y":y,"alg":"ES384"});
        assert_eq!(
            admit(&bad, &Algorithm::ALL, rs).err(),
            Some(Skip::AlgorithmKeyMismatch)
        );
        assert_eq!(
            admit(&ok, &[Algorithm::RS256], rs).err(),
            Some(Skip::AlgorithmNotAllowed)
        );
        let (x, y) = ec_point(&aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED_SIGNING);
        let p521 = json!({"kty":"EC","crv":"P-521","x":x,"y":y});
        assert_eq!(
            admit(&p521, &Algorithm::ALL, rs).unwrap().alg,
            Algorithm::ES512
        );
    }

    #[test]
    fn rsa_fingerprints_are_injective() {
        // (n, e) = (N || 0x01, 0x0001) and (N, 0x01 0x00 0x01) concatenate alike.
        let mut n1 = vec![0xc5u8; 256];
        n1.push(0x01);
        let n2 = vec![0xc5u8; 256];
        let a = admit(
            &json!({"kty":"RSA","n":URL_SAFE_NO_PAD.encode(&n1),"e":URL_SAFE_NO_PAD.encode([0x01, 0x00, 0x01])}),
            &Algorithm::ALL,
            Algorithm::RS256,
        )
        .unwrap();
        let b = admit(
            &json!({"kty":"RSA","n":URL_SAFE_NO_PAD.encode(&n2),"e":URL_SAFE_NO_PAD.encode([0x01, 0x01, 0x00, 0x01])}),
            &Algorithm::ALL,
            Algorithm::RS256,
        )
        .unwrap();
        assert_ne!(a.material, b.material);
    }
}
