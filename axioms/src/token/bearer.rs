//! The bearer token of a request, per RFC 6750 §2.1.
//!
//! ```text
//! credentials = "Bearer" 1*SP b64token
//! b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! The scheme is case-insensitive (RFC 9110 §11.1) and ends at the first character that
//! cannot be part of a token (RFC 9110 §5.6.2): `Bearer<TAB>t` is a bearer credential written
//! wrongly (400), not another scheme. Exactly one `Authorization` field line may be present:
//! a second one is a malformed request, not something to pick from. Tokens are never read from
//! the query string or the body.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::rejection::Reason;

/// Extracts the bearer token from request headers.
///
/// * `Ok(Some(token))`: one well-formed `Authorization: Bearer <b64token>` header;
/// * `Ok(None)`: no `Authorization` header at all;
/// * `Err(Reason::NotBearer)`: another scheme (treated as no credentials, RFC 6750 §3.1);
/// * `Err(Reason::MultipleAuthorizationHeaders | Reason::MalformedAuthorization)`: 400.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, Reason> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Reason::MultipleAuthorizationHeaders);
    }
    parse_credentials(value.as_bytes()).map(Some)
}

/// Parses one `Authorization` field value as bearer credentials.
pub(crate) fn parse_credentials(value: &[u8]) -> Result<&str, Reason> {
    let scheme_len = value
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_len);
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(Reason::NotBearer);
    }
    // `1*SP`: at least one space, then the token; nothing after it.
    let token = rest.trim_ascii_start();
    if token.len() == rest.len() || token.is_empty() {
        return Err(Reason::MalformedAuthorization);
    }
    if rest
        .iter()
        .take(rest.len() - token.len())
        .any(|&b| b != b' ')
    {
        return Err(Reason::MalformedAuthorization);
    }
    if !is_b64token(token) {
        return Err(Reason::MalformedAuthorization);
    }
    // b64token is ASCII, so this cannot fail.
    std::str::from_utf8(token).map_err(|_| Reason::MalformedAuthorization)
}

/// `tchar` of RFC 9110 §5.6.2: the characters of a token such as an auth-scheme.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_b64token(token: &[u8]) -> bool {
    let body_len = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    body_len > 0
        && token.iter().take(body_len).all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn parse(v: &[u8]) -> Result<&str, Reason> {
        parse_credentials(v)
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for v in ["Bearer t", "bearer t", "BEARER t", "bEaReR t"] {
            assert_eq!(parse(v.as_bytes()), Ok("t"), "{v}");
        }
    }

    #[test]
    fn several_spaces_are_allowed() {
        assert_eq!(parse(b"Bearer    a.b.c"), Ok("a.b.c"));
    }

    #[test]
    fn b64token_grammar() {
        assert_eq!(parse(b"Bearer aZ09-._~+/=="), Ok("aZ09-._~+/=="));
        for bad in [
            &b"Bearer"[..],
            b"Bearer ",
            b"Bearer  ",
            b"Bearer a b",
            b"Bearer a,b",
            b"Bearer a\"",
            b"Bearer ===",
            b"Bearer a=b",
            b"Bearer \ta",
            b"Bearer\ta",
            b"bearer\t\ta.b.c",
            b"Bearer,a",
            b"Bearer a\t",
            b"Bearer a ",
            b"Bearer \xc3\xa9",
        ] {
            assert_eq!(parse(bad), Err(Reason::MalformedAuthorization), "{bad:?}");
        }
    }

    #[test]
    fn other_schemes_are_not_bearer() {
        for v in [
            "Basic dXNlcjpwYXNz",
            "Bearerx t",
            "DPoP a.b.c",
            "",
            "Token t",
        ] {
            assert_eq!(parse(v.as_bytes()), Err(Reason::NotBearer), "{v}");
        }
    }

    #[test]
    fn exactly_one_header() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer_token(&h), Ok(None));
        h.append(AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        assert_eq!(bearer_token(&h), Ok(Some("a")));
        h.append(AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        assert_eq!(bearer_token(&h), Err(Reason::MultipleAuthorizationHeaders));
    }
}
