//! Step 2: where the access token comes from — the `Authorization` header, or (opt-in) a
//! configured header or cookie. A token from a cookie is sent by the browser on its own,
//! cross-site requests included, so on a method that changes state it counts only from an
//! allowed `Origin` (CSRF).

use std::borrow::Cow;

use http::header::{COOKIE, ORIGIN};
use http::{HeaderMap, Method};

use crate::config::TokenSources;
use crate::rejection::{Reason, Scheme};
use crate::token::bearer;

/// An access token and how it was presented.
pub(super) struct Presented<'a> {
    pub(super) scheme: Scheme,
    /// The token's bytes. From `Authorization`, not yet held to the `b64token` grammar: a
    /// token-cache hit proves they match it (the cache compares them with a token that was),
    /// and on a miss the pipeline holds them to it (`bearer::b64token`) before anything
    /// else reads them.
    pub(super) token: Cow<'a, [u8]>,
}

/// The request's access token: `Authorization` first; without one (or with another scheme),
/// the configured header, then the configured cookie.
pub(super) fn token<'a>(
    sources: &TokenSources,
    method: &Method,
    headers: &'a HeaderMap,
    dpop: bool,
) -> Result<Option<Presented<'a>>, Reason> {
    match bearer::credentials(headers, dpop) {
        Ok(Some((scheme, token))) => {
            return Ok(Some(Presented {
                scheme,
                token: Cow::Borrowed(token),
            }));
        }
        Ok(None) | Err(Reason::NotBearer) => {}
        Err(reason) => return Err(reason),
    }
    if let Some(name) = &sources.header {
        let mut values = headers.get_all(name).iter();
        if let Some(value) = values.next() {
            let token = value.to_str().map_err(|_| Reason::MalformedTokenSource)?;
            if values.next().is_some() || !bearer::is_b64token(token.as_bytes()) {
                return Err(Reason::MalformedTokenSource);
            }
            return Ok(Some(Presented {
                scheme: Scheme::Bearer,
                token: Cow::Borrowed(token.as_bytes()),
            }));
        }
    }
    let Some(name) = &sources.cookie else {
        return Ok(None);
    };
    let Some(token) = cookie(headers, name)? else {
        return Ok(None);
    };
    if !method.is_safe() && !allowed_origin(sources, headers) {
        return Err(Reason::CrossSiteRequest);
    }
    Ok(Some(Presented {
        scheme: Scheme::Bearer,
        token: Cow::Owned(token.into_bytes()),
    }))
}

/// The value of cookie `name` over every `Cookie` field line (HTTP/2 sends one per cookie);
/// two cookies of that name are refused, not picked from (a sibling subdomain can set one).
fn cookie(headers: &HeaderMap, name: &str) -> Result<Option<String>, Reason> {
    let mut found = None;
    for line in headers.get_all(COOKIE) {
        // Another cookie may hold UTF-8: read the line as UTF-8, not as visible ASCII.
        let Ok(line) = std::str::from_utf8(line.as_bytes()) else {
            continue;
        };
        for cookie in cookie::Cookie::split_parse(line).flatten() {
            if cookie.name() != name {
                continue;
            }
            if found.is_some() {
                return Err(Reason::MalformedTokenSource);
            }
            let value = cookie.value();
            if !bearer::is_b64token(value.as_bytes()) {
                return Err(Reason::MalformedTokenSource);
            }
            found = Some(value.to_owned());
        }
    }
    Ok(found)
}

/// Whether the request's one `Origin` is one of the allowed origins.
fn allowed_origin(sources: &TokenSources, headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(ORIGIN).iter();
    let (Some(origin), None) = (values.next(), values.next()) else {
        return false;
    };
    let Some(origin) = origin
        .to_str()
        .ok()
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
    else {
        return false;
    };
    sources.origins.contains(&origin)
}
