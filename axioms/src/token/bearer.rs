//! The access token of a request: `Bearer` (RFC 6750 §2.1) or `DPoP` (RFC 9449 §7.1), which
//! share one grammar.
//!
//! ```text
//! credentials = ( "Bearer" / "DPoP" ) 1*SP b64token
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

use crate::rejection::{Reason, Scheme};

/// Extracts the access token and its scheme from request headers; `DPoP` is a scheme of
/// its own only where `dpop` (the resource accepts DPoP), another scheme elsewhere.
///
/// The token's bytes are returned **before** the `b64token` grammar is checked: the pipeline
/// first asks the token cache, whose hit compares them byte for byte with a token that
/// passed that check on its way in (only verified tokens are cached), and holds them to
/// [`b64token`] on a miss. The check is the costliest byte loop of a cached request.
///
/// * `Ok(Some((scheme, token)))`: one `Authorization: Bearer|DPoP 1*SP <token>`;
/// * `Ok(None)`: no `Authorization` header at all;
/// * `Err(Reason::NotBearer)`: another scheme (treated as no credentials, RFC 6750 §3.1);
/// * `Err(Reason::MultipleAuthorizationHeaders | Reason::MalformedAuthorization)`: 400.
pub(crate) fn credentials(
    headers: &HeaderMap,
    dpop: bool,
) -> Result<Option<(Scheme, &[u8])>, Reason> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Reason::MultipleAuthorizationHeaders);
    }
    parse_any(value.as_bytes(), dpop).map(Some)
}

/// Parses one `Authorization` field value as `Bearer` or `DPoP` credentials (the token not
/// yet held to its grammar: see [`credentials`]).
fn parse_any(value: &[u8], dpop: bool) -> Result<(Scheme, &[u8]), Reason> {
    // What nearly every request sends: `Bearer`, one space, a token. The general path below
    // gives the same answer (tested), at a few times the cost.
    if let Some((head, token)) = value.split_at_checked(7)
        && let Some((scheme, b' ')) = head.split_last_chunk::<1>().map(|(s, [b])| (s, *b))
        && scheme.eq_ignore_ascii_case(b"bearer")
        && token.first().is_some_and(|b| !b.is_ascii_whitespace())
    {
        return Ok((Scheme::Bearer, token));
    }
    parse_general(value, dpop)
}

/// [`parse_any`] without its fast path.
fn parse_general(value: &[u8], dpop: bool) -> Result<(Scheme, &[u8]), Reason> {
    let scheme_len = value
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(value.len());
    let (scheme, rest) = value.split_at(scheme_len);
    let scheme = if scheme.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else if dpop && scheme.eq_ignore_ascii_case(b"dpop") {
        Scheme::DPoP
    } else {
        return Err(Reason::NotBearer);
    };
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
    Ok((scheme, token))
}

/// `token` held to the `b64token` grammar, as text.
pub(crate) fn b64token(token: &[u8]) -> Result<&str, Reason> {
    if !is_b64token(token) {
        return Err(Reason::MalformedAuthorization);
    }
    // b64token is ASCII, so this cannot fail.
    std::str::from_utf8(token).map_err(|_| Reason::MalformedAuthorization)
}

/// `tchar` of RFC 9110 §5.6.2: the characters of a token such as an auth-scheme.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// Whether `b` may appear in a `b64token` before its trailing `=`s. Branch-free arithmetic,
/// so that the loop below compiles to vector compares: the token is the longest thing a
/// request carries, and every request carries one.
#[inline]
fn b64token_char(b: u8) -> bool {
    let digit = b.wrapping_sub(b'0') < 10;
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let special = (b == b'-') | (b == b'.') | (b == b'_') | (b == b'~') | (b == b'+') | (b == b'/');
    digit | letter | special
}

pub(crate) fn is_b64token(token: &[u8]) -> bool {
    let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
    let Some(body) = token.get(..token.len() - padding) else {
        return false;
    };
    // `&`, not `&&`: no early exit, so the compiler checks many bytes per instruction.
    !body.is_empty() && body.iter().fold(true, |ok, &b| ok & b64token_char(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// What the pipeline makes of a header value on a token-cache miss.
    fn parse_any(v: &[u8], dpop: bool) -> Result<(Scheme, &str), Reason> {
        let (scheme, token) = super::parse_any(v, dpop)?;
        Ok((scheme, b64token(token)?))
    }

    fn parse(v: &[u8]) -> Result<&str, Reason> {
        match parse_any(v, true)? {
            (Scheme::Bearer, token) => Ok(token),
            (Scheme::DPoP, _) => Err(Reason::NotBearer),
        }
    }

    #[test]
    fn the_fast_path_is_the_general_path() {
        let schemes = ["Bearer", "bearer", "BEARER", "Bearerx", "Bear", "DPoP", ""];
        let gaps = ["", " ", "  ", "\t", " \t", "\r\n "];
        let tokens = ["a", "", " a", "\ta", "a b", "a.b.c", "a=", "\u{e9}", "x\t"];
        for scheme in schemes {
            for gap in gaps {
                for token in tokens {
                    let value = format!("{scheme}{gap}{token}");
                    for dpop in [false, true] {
                        assert_eq!(
                            super::parse_any(value.as_bytes(), dpop),
                            parse_general(value.as_bytes(), dpop),
                            "{value:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn tchar_is_the_grammar() {
        for b in 0..=u8::MAX {
            let grammar = b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            assert_eq!(is_tchar(b), grammar, "byte {b:#04x}");
        }
    }

    #[test]
    fn the_branch_free_check_is_the_grammar() {
        for b in 0..=u8::MAX {
            let grammar = b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
            assert_eq!(b64token_char(b), grammar, "byte {b:#04x}");
        }
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
    fn dpop_shares_the_grammar() {
        for v in ["DPoP a.b.c", "dpop a.b.c", "DPOP   a.b.c"] {
            assert_eq!(
                parse_any(v.as_bytes(), true),
                Ok((Scheme::DPoP, "a.b.c")),
                "{v}"
            );
        }
        assert_eq!(
            parse_any(b"DPoP a b", true),
            Err(Reason::MalformedAuthorization)
        );
        assert_eq!(parse_any(b"DPoPx a", true), Err(Reason::NotBearer));
        // Where DPoP is off, it is just another scheme.
        assert_eq!(parse_any(b"DPoP a.b.c", false), Err(Reason::NotBearer));
        assert_eq!(parse_any(b"DPoP a b", false), Err(Reason::NotBearer));
    }

    #[test]
    fn exactly_one_header() {
        let mut h = HeaderMap::new();
        assert_eq!(credentials(&h, true), Ok(None));
        h.append(AUTHORIZATION, HeaderValue::from_static("Bearer a"));
        assert_eq!(credentials(&h, true), Ok(Some((Scheme::Bearer, &b"a"[..]))));
        h.append(AUTHORIZATION, HeaderValue::from_static("DPoP a"));
        assert_eq!(
            credentials(&h, true),
            Err(Reason::MultipleAuthorizationHeaders)
        );
    }
}
