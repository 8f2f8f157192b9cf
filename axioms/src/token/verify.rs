//! Token verification: compact serialization, JOSE header, key, signature, claims — in that
//! order, with no claim trusted before the signature verifies (RFC 8725 §3.3).

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::json::{JsonError, parse_object};
use crate::algorithm::Algorithm;
use crate::claims::Claims;
use crate::config::{AudienceClaim, Config, TokenType};
use crate::jwks::cache::KeyCache;
use crate::jwks::key::{MAX_KID_BYTES, VerifyingKey};
use crate::rejection::Reason;

/// What the header says, after strict checks.
struct Header {
    alg: Algorithm,
    kid: Option<String>,
}

/// A token taken apart, header checked, signature not yet verified.
pub(crate) struct Parts<'a> {
    alg: Algorithm,
    pub(crate) kid: Option<String>,
    signing_input: &'a str,
    payload_b64: &'a str,
    signature_b64: &'a str,
}

/// Verifies `token` and returns its claims and the key that verified it.
pub(crate) async fn verify(
    config: &Config,
    keys: &KeyCache,
    token: &str,
) -> Result<(Claims, Arc<VerifyingKey>), Reason> {
    let parts = parse(config, token)?;
    let key = keys.lookup(parts.kid.as_deref()).await?;
    check_signature(&parts, &key)?;
    let payload = decode_json(parts.payload_b64, Reason::InvalidPayload)?;
    let claims = Claims::build(payload, &config.claim_names).map_err(|_| Reason::ClaimType)?;
    check_claims(config, &claims)?;
    Ok((claims, key))
}

/// Size cap, segments, base64url and the strict header checks.
pub(crate) fn parse<'a>(config: &Config, token: &'a str) -> Result<Parts<'a>, Reason> {
    if token.len() > config.max_token_bytes {
        return Err(Reason::TokenTooLarge);
    }
    let (header_b64, payload_b64, signature_b64) = split(token)?;
    let header = parse_header(config, &decode_json(header_b64, Reason::InvalidHeader)?)?;
    // Refuse a malformed signature before any key lookup (which could trigger a refetch).
    if !is_strict_base64url(signature_b64) {
        return Err(Reason::InvalidBase64);
    }
    // The signing input is the first two segments and the dot between them.
    let signing_input = token
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(Reason::MalformedToken)?;
    Ok(Parts {
        alg: header.alg,
        kid: header.kid,
        signing_input,
        payload_b64,
        signature_b64,
    })
}

/// Checks the key's pinned algorithm and the signature.
pub(crate) fn check_signature(parts: &Parts<'_>, key: &VerifyingKey) -> Result<(), Reason> {
    if key.alg != parts.alg {
        return Err(Reason::AlgorithmKeyMismatch);
    }
    match jsonwebtoken::crypto::verify(
        parts.signature_b64,
        parts.signing_input.as_bytes(),
        &key.key,
        parts.alg.to_jwt(),
    ) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(Reason::InvalidSignature),
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

/// Strict unpadded base64url, canonical trailing bits included, without allocating.
fn is_strict_base64url(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.len() % 4 == 1 {
        return false;
    }
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    if !bytes.iter().all(|&b| value(b).is_some()) {
        return false;
    }
    // The unused low bits of the last character must be zero.
    match (bytes.len() % 4, bytes.last().and_then(|&b| value(b))) {
        (2, Some(last)) => last & 0x0f == 0,
        (3, Some(last)) => last & 0x03 == 0,
        _ => true,
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

fn parse_header(config: &Config, header: &Map<String, Value>) -> Result<Header, Reason> {
    let alg = match header.get("alg") {
        Some(Value::String(alg)) => alg,
        _ => return Err(Reason::InvalidHeader),
    };
    if alg.eq_ignore_ascii_case("none") {
        return Err(Reason::AlgNone);
    }
    if alg.starts_with("HS") {
        return Err(Reason::SymmetricAlgorithm);
    }
    let alg = Algorithm::from_name(alg)
        .filter(|a| config.algorithms.contains(a))
        .ok_or(Reason::AlgorithmNotAllowed)?;
    match header.get("typ") {
        None if config.token_type == TokenType::AccessOrJwt => {}
        None => return Err(Reason::InvalidType),
        Some(Value::String(typ)) => {
            if !typ_accepted(typ, config.token_type) {
                return Err(Reason::InvalidType);
            }
        }
        Some(_) => return Err(Reason::InvalidHeader),
    }
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
    Ok(Header { alg, kid })
}

/// Media types compare case-insensitively and may omit `application/` (RFC 7515 §4.1.9).
fn typ_accepted(typ: &str, mode: TokenType) -> bool {
    let bare = if typ.len() > 12
        && typ
            .get(..12)
            .is_some_and(|p| p.eq_ignore_ascii_case("application/"))
    {
        typ.get(12..).unwrap_or("")
    } else {
        typ
    };
    bare.eq_ignore_ascii_case("at+jwt")
        || (mode == TokenType::AccessOrJwt && bare.eq_ignore_ascii_case("jwt"))
}

fn check_claims(config: &Config, claims: &Claims) -> Result<(), Reason> {
    if let Some(issuer) = &config.issuer {
        match claims.issuer() {
            None => return Err(Reason::MissingIssuer),
            Some(iss) if !issuer_matches(issuer, iss, claims) => {
                return Err(Reason::IssuerMismatch);
            }
            Some(_) => {}
        }
    }
    match config.audience_claim {
        AudienceClaim::Aud => {
            let aud = claims.audience();
            if aud.is_empty() {
                return Err(Reason::MissingAudience);
            }
            if !aud
                .iter()
                .any(|a| config.audiences.iter().any(|c| c.as_str() == &**a))
            {
                return Err(Reason::AudienceMismatch);
            }
        }
        AudienceClaim::ClientId => match claims.client_id() {
            None => return Err(Reason::MissingAudience),
            Some(id) if !config.audiences.iter().any(|c| c == id) => {
                return Err(Reason::AudienceMismatch);
            }
            Some(_) => {}
        },
    }
    check_time(config, claims)?;
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

/// The placeholder of Microsoft Entra ID's multi-tenant issuer template.
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// `iss` equals the configured issuer exactly; for a multi-tenant template
/// (`https://login.microsoftonline.com/{tenantid}/v2.0`), `{tenantid}` is the token's own
/// `tid` claim, which must be a GUID, and the rest must match exactly.
fn issuer_matches(configured: &str, iss: &str, claims: &Claims) -> bool {
    let Some((prefix, suffix)) = configured.split_once(TENANT_PLACEHOLDER) else {
        return iss == configured;
    };
    let Some(tid) = claims.value("tid").and_then(serde_json::Value::as_str) else {
        return false;
    };
    is_guid(tid)
        && iss.len() == prefix.len() + tid.len() + suffix.len()
        && iss.starts_with(prefix)
        && iss.ends_with(suffix)
        && iss.get(prefix.len()..prefix.len() + tid.len()) == Some(tid)
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The time rules: `now < exp + leeway`, `nbf - leeway <= now`, `iat - leeway <= now`.
pub(crate) fn check_time(config: &Config, claims: &Claims) -> Result<(), Reason> {
    let now = config.clock.now();
    let leeway = config.leeway;
    let exp = claims.expires_at().ok_or(Reason::MissingExpiry)?;
    if exp.saturating_add(leeway) <= now {
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
        for bad in ["JOSE", "secevent+jwt", "dpop+jwt", "", "application/"] {
            assert!(!typ_accepted(bad, AccessOrJwt), "{bad}");
        }
    }
}
