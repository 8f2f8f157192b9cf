//! Token verification: compact serialization, JOSE header, key, signature, claims — in that
//! order, with no claim trusted before the signature verifies (RFC 8725 §3.3).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::json::{JsonError, parse_object};
use crate::algorithm::Algorithm;
use crate::claims::Claims;
use crate::config::validation::{AudienceClaim, TokenType, Validation};
use crate::issuer_id::IssuerId;
use crate::jwks::cache::KeyCache;
use crate::jwks::key::{MAX_KID_BYTES, VerifyingKey};
use crate::jwks::set::escape_kid;
use crate::rejection::Reason;

/// Why verification failed: the reason, and operator-only context for the log line.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) reason: Reason,
    pub(crate) detail: Option<String>,
}

impl From<Reason> for Failure {
    fn from(reason: Reason) -> Self {
        Self {
            reason,
            detail: None,
        }
    }
}

/// What the header says, after strict checks.
#[derive(Clone)]
struct Header {
    alg: Algorithm,
    kid: Option<String>,
    /// `typ` is `at+jwt`: the issuer typed it as an access token (RFC 9068 §2.1).
    typed_access_token: bool,
}

/// A token taken apart, header checked, signature not yet verified.
pub(crate) struct Parts<'a> {
    alg: Algorithm,
    pub(crate) kid: Option<String>,
    typed_access_token: bool,
    header_b64: &'a str,
    /// The header came from the issuer's [`HeaderMemo`] (it need not be remembered again).
    remembered: bool,
    signing_input: &'a str,
    payload_b64: &'a str,
    /// The signature, decoded (strict base64url) before any key lookup.
    signature: Vec<u8>,
}

/// The headers of one issuer's verified tokens, as their checks parsed them: an IdP puts
/// the same header on every token one key signs (`alg`, `kid`, `typ`), so a header seen
/// before is looked up, not decoded and parsed again — the largest part of what axioms adds
/// to a signature check.
///
/// * Keyed by the **whole header segment**, compared byte for byte: a hit is exactly the
///   header parsed before, and the parse is a function of those bytes and the issuer's
///   fixed settings.
/// * **Filled only after a signature verifies** with the issuer's key, so only headers the
///   issuer itself signed take a place; a forged or garbage token never does.
/// * **Bounded** ([`HeaderMemo::CAPACITY`] headers, the oldest out first: a key rotation
///   brings a new `kid`), and read without a lock.
pub(crate) struct HeaderMemo(arc_swap::ArcSwap<Vec<(Box<str>, Header)>>);

impl HeaderMemo {
    /// Headers remembered per issuer: a few keys, each with one header.
    const CAPACITY: usize = 8;

    pub(crate) fn new() -> Self {
        Self(arc_swap::ArcSwap::from_pointee(Vec::new()))
    }

    fn get(&self, header_b64: &str) -> Option<Header> {
        self.0
            .load()
            .iter()
            .find(|(seen, _)| **seen == *header_b64)
            .map(|(_, header)| header.clone())
    }

    /// How many headers are remembered.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.0.load().len()
    }

    /// Remembers the header of a token whose signature verified.
    fn remember(&self, header_b64: &str, header: Header) {
        self.0.rcu(|seen| {
            let mut seen = Vec::clone(seen);
            if !seen.iter().any(|(s, _)| **s == *header_b64) {
                if seen.len() >= Self::CAPACITY {
                    seen.remove(0);
                }
                seen.push((Box::from(header_b64), header.clone()));
            }
            seen
        });
    }
}

/// A verified token's claims, the key that verified it, and whether its header named a `kid`
/// (a token without one stays valid only while the key set holds that one key).
pub(crate) struct Verified {
    pub(crate) claims: Claims,
    pub(crate) key: Arc<VerifyingKey>,
    pub(crate) named_kid: bool,
}

/// Verifies `token` with one issuer's settings and keys, and returns its claims and the key
/// that verified it; `payload` is the payload already decoded when the issuer was chosen by
/// it.
pub(crate) async fn verify_with(
    validation: &Validation,
    algorithms: &[Algorithm],
    keys: &Arc<KeyCache>,
    headers: &HeaderMemo,
    token: &str,
    payload: Option<Map<String, Value>>,
) -> Result<Verified, Failure> {
    let parts = parse(validation, algorithms, Some(headers), token)?;
    let key = keys.lookup(parts.kid.as_deref()).await?;
    check_signature(&parts, &key).map_err(|reason| Failure {
        reason,
        detail: (reason == Reason::AlgorithmKeyMismatch).then(|| mismatch_detail(&parts, &key)),
    })?;
    if !parts.remembered {
        headers.remember(
            parts.header_b64,
            Header {
                alg: parts.alg,
                kid: parts.kid.clone(),
                typed_access_token: parts.typed_access_token,
            },
        );
    }
    let payload = match payload {
        Some(payload) => payload,
        None => decode_json(parts.payload_b64, Reason::InvalidPayload)?,
    };
    let claims = Claims::build(payload, &validation.claim_names).map_err(|_| Reason::ClaimType)?;
    check_claims(validation, &claims, parts.typed_access_token).map_err(|reason| Failure {
        reason,
        detail: (reason == Reason::TenantNotAllowed).then(|| tenant_detail(&claims)),
    })?;
    Ok(Verified {
        claims,
        key,
        named_kid: parts.kid.is_some(),
    })
}

/// Which of several trusted issuers a token names, from its (not yet verified) payload: the
/// first whose issuer matches `iss` exactly (or, for a multi-tenant template, with the
/// token's `tid`). The payload is returned for verification to reuse. Nothing from it is
/// trusted before the signature of the chosen issuer's key verifies; it only decides whose
/// keys are asked, so an unknown `iss` costs no fetch and a `kid` of another issuer is never
/// looked up.
pub(crate) fn choose_issuer<'a, I>(
    issuers: I,
    max_token_bytes: usize,
    token: &str,
) -> Result<(usize, Map<String, Value>), Reason>
where
    I: IntoIterator<Item = Option<&'a IssuerId>>,
{
    if token.len() > max_token_bytes {
        return Err(Reason::TokenTooLarge);
    }
    let (_, payload_b64, _) = split(token)?;
    let payload = decode_json(payload_b64, Reason::InvalidPayload)?;
    let iss = match payload.get("iss") {
        None => return Err(Reason::MissingIssuer),
        Some(Value::String(iss)) => iss.as_str(),
        Some(_) => return Err(Reason::ClaimType),
    };
    let tid = payload.get("tid").and_then(Value::as_str);
    let index = issuers
        .into_iter()
        .position(|configured| configured.is_some_and(|c| c.matches(iss, tid)))
        .ok_or(Reason::IssuerMismatch)?;
    Ok((index, payload))
}

/// Which key refused which algorithm, and the setting that decides it.
fn mismatch_detail(parts: &Parts<'_>, key: &VerifyingKey) -> String {
    let kid = key
        .kid
        .as_deref()
        .map_or_else(|| "(none)".to_owned(), escape_kid);
    let implied = if key.implied_alg {
        " (an RSA key without `alg`: set AXIOMS_RSA_KEY_ALG to the algorithm your IdP signs with)"
    } else {
        " (the key's JWK `alg`)"
    };
    format!(
        "token alg {} but key kid={kid} is pinned to {}{implied}",
        parts.alg, key.alg
    )
}

/// Takes `token` apart and checks its header (with the issuer's memo of the headers it
/// verified before, if given); the signature is not verified yet.
pub(crate) fn parse<'a>(
    validation: &Validation,
    algorithms: &[Algorithm],
    memo: Option<&HeaderMemo>,
    token: &'a str,
) -> Result<Parts<'a>, Reason> {
    if token.len() > validation.max_token_bytes {
        return Err(Reason::TokenTooLarge);
    }
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    let remembered = memo.and_then(|memo| memo.get(header_b64));
    let (header, remembered) = match remembered {
        Some(header) => (header, true),
        None => (
            parse_header(
                validation.token_type,
                algorithms,
                &decode_json(header_b64, Reason::InvalidHeader)?,
            )?,
            false,
        ),
    };
    // Refuse a malformed signature before any key lookup (which could trigger a refetch).
    // Decoded once, strictly (no padding, canonical trailing bits: the same grammar as
    // `is_strict_base64url`, tested).
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| Reason::InvalidBase64)?;
    // The signing input is the first two segments and the dot between them.
    let signing_input = token
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(Reason::MalformedToken)?;
    Ok(Parts {
        alg: header.alg,
        kid: header.kid,
        typed_access_token: header.typed_access_token,
        header_b64,
        remembered,
        signing_input,
        payload_b64,
        signature,
    })
}

/// Checks the key's pinned algorithm and the signature.
pub(crate) fn check_signature(parts: &Parts<'_>, key: &VerifyingKey) -> Result<(), Reason> {
    if key.alg != parts.alg {
        return Err(Reason::AlgorithmKeyMismatch);
    }
    if key.verify(parts.signing_input.as_bytes(), &parts.signature) {
        Ok(())
    } else {
        Err(Reason::InvalidSignature)
    }
}

fn split(token: &str) -> Result<(&str, &str, &str), Reason> {
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(p), Some(s), None) if !h.is_empty() && !s.is_empty() => Ok((h, p, s)),
        (Some(_), Some(_), Some(_), Some(_)) if token.split('.').count() == 5 => {
            Err(Reason::EncryptedToken)
        }
        _ => Err(Reason::MalformedToken),
    }
}

fn decode_json(segment: &str, invalid: Reason) -> Result<Map<String, Value>, Reason> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Reason::InvalidBase64)?;
    parse_object(&bytes).map_err(|e| match e {
        JsonError::Duplicate => Reason::DuplicateMember,
        JsonError::Invalid => invalid,
    })
}

fn parse_header(
    token_type: TokenType,
    algorithms: &[Algorithm],
    header: &Map<String, Value>,
) -> Result<Header, Reason> {
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg,
        _ => return Err(Reason::InvalidHeader),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(Reason::AlgNone);
    }
    let alg = if alg.starts_with("HS") {
        // Only an issuer whose HMAC secret is configured locally lists its one HS algorithm
        // (`IssuerBuilder::hmac_secret`); for every other issuer HS* is refused outright.
        Algorithm::from_hmac_name(alg)
            .filter(|a| algorithms.contains(a))
            .ok_or(Reason::SymmetricAlgorithm)?
    } else {
        Algorithm::from_name(alg)
            .filter(|a| algorithms.contains(a))
            .ok_or(Reason::AlgorithmNotAllowed)?
    };
    let typed_access_token = match header.get("typ") {
        None if token_type == TokenType::AccessOrJwt => false,
        None => return Err(Reason::InvalidType),
        Some(Value::String(typ)) => match typ_kind(typ) {
            Some(Typ::AccessToken) => true,
            Some(Typ::Jwt) if token_type == TokenType::AccessOrJwt => false,
            _ => return Err(Reason::InvalidType),
        },
        Some(_) => return Err(Reason::InvalidHeader),
    };
    if header.contains_key("crit") {
        return Err(Reason::CriticalHeader);
    }
    if header.contains_key("cty") {
        return Err(Reason::NestedToken);
    }
    if ["b64", "enc", "zip"]
        .iter()
        .any(|p| header.contains_key(*p))
    {
        return Err(Reason::ForbiddenHeader);
    }
    // `jku`, `x5u`, `jwk` and `x5c` are deliberately never read: keys come only from the
    // configured key set (RFC 8725 §3.10).
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) if kid.len() <= MAX_KID_BYTES => Some(kid.clone()),
        Some(Value::String(_)) => return Err(Reason::KidTooLong),
        Some(_) => return Err(Reason::InvalidHeader),
    };
    Ok(Header {
        alg,
        kid,
        typed_access_token,
    })
}

/// The `typ` values that may type an access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typ {
    /// `at+jwt` (RFC 9068).
    AccessToken,
    /// `JWT`: untyped; what most IdPs put on access and ID tokens alike.
    Jwt,
}

/// Media types compare case-insensitively and may omit `application/` (RFC 7515 §4.1.9).
fn typ_kind(typ: &str) -> Option<Typ> {
    let bare = if typ.len() > 12
        && typ
            .get(..12)
            .is_some_and(|p| p.eq_ignore_ascii_case("application/"))
    {
        typ.get(12..).unwrap_or("")
    } else {
        typ
    };
    if bare.eq_ignore_ascii_case("at+jwt") {
        Some(Typ::AccessToken)
    } else if bare.eq_ignore_ascii_case("jwt") {
        Some(Typ::Jwt)
    } else {
        None
    }
}

#[cfg(test)]
fn typ_accepted(typ: &str, mode: TokenType) -> bool {
    match typ_kind(typ) {
        Some(Typ::AccessToken) => true,
        Some(Typ::Jwt) => mode == TokenType::AccessOrJwt,
        None => false,
    }
}

/// Keycloak's `typ` claim values of tokens that are not access tokens.
const NOT_ACCESS_TYPES: [&str; 5] = ["ID", "Refresh", "Offline", "Logout", "Serialized-ID"];
/// Keycloak's `typ` claim values of access tokens.
const ACCESS_TYPES: [&str; 2] = ["Bearer", "DPoP"];

/// Refuses what is unambiguously not an access token (see the README's "Token kinds"):
/// * `at_hash`, `c_hash`, `s_hash`: defined only for ID tokens (OIDC Core §3.1.3.6,
///   §3.3.2.11; FAPI 1.0 Part 2);
/// * a Keycloak `typ` claim naming an ID, refresh or logout token;
/// * a Cognito `token_use` other than `access`;
/// * `nonce`, unless the token is typed as an access token (`at+jwt`, or Keycloak's
///   `typ: "Bearer"`, which puts `nonce` into access tokens up to version 24).
fn check_kind(claims: &Claims, typed_access_token: bool) -> Result<(), Reason> {
    let all = claims.as_map();
    if ["at_hash", "c_hash", "s_hash"]
        .iter()
        .any(|c| all.contains_key(*c))
    {
        return Err(Reason::NotAccessToken);
    }
    let typ_claim = all.get("typ").and_then(Value::as_str);
    if typ_claim.is_some_and(|t| NOT_ACCESS_TYPES.iter().any(|n| n.eq_ignore_ascii_case(t))) {
        return Err(Reason::NotAccessToken);
    }
    match all.get("token_use") {
        None => {}
        // Cognito's `access`; ORY Hydra's introspection answers say `access_token`.
        Some(Value::String(t)) if t == "access" || t == "access_token" => {}
        Some(_) => return Err(Reason::NotAccessToken),
    }
    let typed = typed_access_token
        || typ_claim.is_some_and(|t| ACCESS_TYPES.iter().any(|a| a.eq_ignore_ascii_case(t)));
    if all.contains_key("nonce") && !typed {
        return Err(Reason::NotAccessToken);
    }
    // A sender-constrained token (`cnf`) is verified like any other here; the pipeline then
    // checks its proof of possession (`pipeline::bind`), and `Axioms::verify`, which sees no
    // request, refuses it.
    Ok(())
}

fn check_claims(
    config: &Validation,
    claims: &Claims,
    typed_access_token: bool,
) -> Result<(), Reason> {
    if let Some(issuer) = &config.issuer {
        match claims.issuer() {
            None => return Err(Reason::MissingIssuer),
            Some(iss) if !issuer.matches(iss, tid(claims)) => {
                return Err(Reason::IssuerMismatch);
            }
            Some(_) => {}
        }
        if !config.tenants.accepts(tid(claims)) {
            return Err(Reason::TenantNotAllowed);
        }
    }
    check_audience(config, claims)?;
    check_time(config, claims)?;
    check_kind(claims, typed_access_token)?;
    if config.require_subject && claims.subject().is_none_or(str::is_empty) {
        return Err(Reason::MissingSubject);
    }
    if config.token_type == TokenType::Rfc9068
        && (claims.subject().is_none()
            || claims.client_id().is_none()
            || claims.issued_at().is_none()
            || claims.jwt_id().is_none())
    {
        return Err(Reason::MissingRequiredClaim);
    }
    Ok(())
}

/// The checks of an introspection answer (RFC 7662 §2.2), which the issuer's endpoint gave
/// over an authenticated connection: `iss` if present is the issuer, the audience as for a
/// JWT, the times where given (`exp` is optional there: the cache bound applies instead), the
/// token kind (the endpoint knows refresh tokens too; `typed` when its `token_type` says
/// Bearer or DPoP), and `sub`.
pub(crate) fn check_introspected(
    config: &Validation,
    claims: &Claims,
    typed: bool,
) -> Result<(), Reason> {
    if let (Some(issuer), Some(iss)) = (&config.issuer, claims.issuer())
        && !issuer.matches(iss, tid(claims))
    {
        return Err(Reason::IssuerMismatch);
    }
    if !config.tenants.accepts(tid(claims)) {
        return Err(Reason::TenantNotAllowed);
    }
    check_audience(config, claims)?;
    check_times_given(config, claims)?;
    check_kind(claims, typed)?;
    if config.require_subject && claims.subject().is_none_or(str::is_empty) {
        return Err(Reason::MissingSubject);
    }
    Ok(())
}

/// `aud` (or `client_id`, for Cognito) names an accepted audience.
fn check_audience(config: &Validation, claims: &Claims) -> Result<(), Reason> {
    let accepted = |value: &str| config.audiences.iter().any(|c| c == value);
    let aud = claims.audience();
    match config.audience_claim {
        AudienceClaim::Aud => {
            if aud.is_empty() {
                return Err(Reason::MissingAudience);
            }
            if !aud.iter().any(|a| accepted(a)) {
                return Err(Reason::AudienceMismatch);
            }
        }
        AudienceClaim::ClientId => {
            match claims.client_id() {
                None => return Err(Reason::MissingAudience),
                Some(id) if !accepted(id) => return Err(Reason::AudienceMismatch),
                Some(_) => {}
            }
            // A token for another API, issued to our client, is not for us.
            if !aud.is_empty() && !aud.iter().any(|a| accepted(a)) {
                return Err(Reason::AudienceMismatch);
            }
        }
    }
    Ok(())
}

/// The token's `tid` (Entra's tenant), when it is a string.
fn tid(claims: &Claims) -> Option<&str> {
    claims.value("tid").and_then(Value::as_str)
}

/// Which tenant was refused, and the setting that decides it.
fn tenant_detail(claims: &Claims) -> String {
    let tid = tid(claims).map_or_else(|| "(none)".to_owned(), escape_kid);
    format!("tid={tid} is not an accepted tenant (AXIOMS_TENANTS, IssuerBuilder::tenants)")
}

/// The time rules: `now < exp + leeway`, `nbf - leeway <= now`, `iat - leeway <= now`.
pub(crate) fn check_time(config: &Validation, claims: &Claims) -> Result<(), Reason> {
    if claims.expires_at().is_none() {
        return Err(Reason::MissingExpiry);
    }
    check_times_given(config, claims)
}

/// [`check_time`] for the times a claim set has, `exp` included only when present (an
/// introspection answer need not carry it).
pub(crate) fn check_times_given(config: &Validation, claims: &Claims) -> Result<(), Reason> {
    let now = config.clock.now();
    let leeway = config.leeway;
    if claims
        .expires_at()
        .is_some_and(|exp| exp.saturating_add(leeway) <= now)
    {
        return Err(Reason::Expired);
    }
    if claims
        .not_before()
        .is_some_and(|nbf| nbf.saturating_sub(leeway) > now)
    {
        return Err(Reason::NotYetValid);
    }
    if claims
        .issued_at()
        .is_some_and(|iat| iat.saturating_sub(leeway) > now)
    {
        return Err(Reason::IssuedInFuture);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::is_strict_base64url;

    #[test]
    fn the_header_memo_is_bounded_oldest_out() {
        let memo = HeaderMemo::new();
        let header = |kid: usize| Header {
            alg: Algorithm::RS256,
            kid: Some(format!("k{kid}")),
            typed_access_token: false,
        };
        for i in 0..=HeaderMemo::CAPACITY {
            memo.remember(&format!("h{i}"), header(i));
            memo.remember(&format!("h{i}"), header(i));
        }
        assert_eq!(memo.len(), HeaderMemo::CAPACITY);
        assert!(memo.get("h0").is_none());
        for i in 1..=HeaderMemo::CAPACITY {
            let kid = memo.get(&format!("h{i}")).and_then(|h| h.kid);
            assert_eq!(kid, Some(format!("k{i}")));
        }
        // The whole segment, byte for byte.
        assert!(memo.get("h1x").is_none() && memo.get("h").is_none());
    }

    #[test]
    fn segment_counts() {
        assert!(split("a.b.c").is_ok());
        assert!(split("a..c").is_ok());
        assert_eq!(split("a.b").err(), Some(Reason::MalformedToken));
        assert_eq!(split("a.b.c.d").err(), Some(Reason::MalformedToken));
        assert_eq!(split("a.b.c.d.e").err(), Some(Reason::EncryptedToken));
        assert_eq!(split(".b.c").err(), Some(Reason::MalformedToken));
        assert_eq!(split("a.b.").err(), Some(Reason::MalformedToken));
        assert_eq!(split("").err(), Some(Reason::MalformedToken));
    }

    #[test]
    fn strict_base64url() {
        use base64::Engine as _;
        for len in 0..40 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let encoded = URL_SAFE_NO_PAD.encode(&data);
            assert!(is_strict_base64url(&encoded), "{encoded}");
        }
        for bad in ["a", "ab=", "a+b/", "AB", "ABC", "a b", "\u{e9}"] {
            // "AB" and "ABC" have non-zero trailing bits.
            assert!(!is_strict_base64url(bad), "{bad}");
            // The signature is decoded by the base64 crate: the same grammar.
            assert!(URL_SAFE_NO_PAD.decode(bad).is_err(), "{bad}");
        }
        for good in ["", "AA", "AAA", "AAAA", "_-8", "ab-_AA"] {
            assert!(is_strict_base64url(good), "{good}");
            assert!(URL_SAFE_NO_PAD.decode(good).is_ok(), "{good}");
        }
        assert!(is_strict_base64url("AA"));
        assert!(is_strict_base64url("AAA"));
        assert!(is_strict_base64url(""));
    }

    #[test]
    fn typ_values() {
        use TokenType::*;
        for ok in [
            "at+jwt",
            "AT+JWT",
            "application/at+jwt",
            "Application/At+Jwt",
            "JWT",
            "jwt",
            "application/jwt",
        ] {
            assert!(typ_accepted(ok, AccessOrJwt), "{ok}");
        }
        for ok in ["at+jwt", "application/at+JWT"] {
            assert!(typ_accepted(ok, Rfc9068), "{ok}");
        }
        for bad in [
            "JWT",
            "application/jwt",
            "JOSE",
            "id+jwt",
            "",
            "application/",
        ] {
            assert!(!typ_accepted(bad, Rfc9068), "{bad}");
        }
        for bad in [
            "JOSE",
            "secevent+jwt",
            "dpop+jwt",
            "logout+jwt",
            "id_token+jwt",
            "",
            "application/",
        ] {
            assert!(!typ_accepted(bad, AccessOrJwt), "{bad}");
        }
    }
}
