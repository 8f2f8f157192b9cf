//! The methods on which a policy lets requests through without a token.

use std::fmt;

use http::Method;

/// A set of safe methods: requests with one of them need no token (policies and
/// [`AxiomsLayer::require`](crate::AxiomsLayer::require) let them through; a token that is
/// present is still verified).
///
/// Only RFC 9110 safe methods can be members. `GET` includes `HEAD`, because axum answers
/// `HEAD` with the `GET` handler: a `HEAD` that needed a token while `GET` did not (or the
/// reverse) would be a surprise, so the two cannot be separated. The default is
/// [`SafeMethods::NONE`].
///
/// # Example
///
/// ```
/// use axioms::policy::SafeMethods;
/// use http::Method;
///
/// const PUBLIC_READS: SafeMethods = SafeMethods::GET.union(SafeMethods::OPTIONS);
/// assert!(PUBLIC_READS.contains(&Method::HEAD));
/// assert!(!PUBLIC_READS.contains(&Method::POST));
/// assert!(SafeMethods::from_methods(&[Method::HEAD]).is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SafeMethods(u8);

const GET: u8 = 1;
const OPTIONS: u8 = 2;
const TRACE: u8 = 4;

impl SafeMethods {
    /// No method is safe: every request needs a token. The default.
    pub const NONE: Self = Self(0);
    /// `GET` and `HEAD`.
    pub const GET: Self = Self(GET);
    /// `OPTIONS`. For CORS preflight prefer `tower_http::cors::CorsLayer`, which answers the
    /// preflight before routing so that no handler runs.
    pub const OPTIONS: Self = Self(OPTIONS);
    /// `TRACE`.
    pub const TRACE: Self = Self(TRACE);

    /// Both sets.
    #[must_use]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether `method` needs no token.
    pub fn contains(&self, method: &Method) -> bool {
        let bit = match *method {
            Method::GET | Method::HEAD => GET,
            Method::OPTIONS => OPTIONS,
            Method::TRACE => TRACE,
            _ => return false,
        };
        self.0 & bit != 0
    }

    /// Whether no method is safe.
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The set of `methods`, checked: only `GET`, `HEAD`, `OPTIONS` and `TRACE` may be listed,
    /// and `HEAD` only together with `GET`.
    pub fn from_methods(methods: &[Method]) -> Result<Self, UnsafeMethod> {
        let mut set = Self::NONE;
        let mut head = false;
        for method in methods {
            set = set.union(match *method {
                Method::GET => Self::GET,
                Method::HEAD => {
                    head = true;
                    Self::NONE
                }
                Method::OPTIONS => Self::OPTIONS,
                Method::TRACE => Self::TRACE,
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::CONNECT => {
                    return Err(UnsafeMethod::Unsafe(method.clone()));
                }
                _ => return Err(UnsafeMethod::Unknown(method.clone())),
            });
        }
        if head && set.0 & GET == 0 {
            return Err(UnsafeMethod::HeadWithoutGet);
        }
        Ok(set)
    }

    /// The members, for messages and documentation.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        [
            (GET, "GET"),
            (GET, "HEAD"),
            (OPTIONS, "OPTIONS"),
            (TRACE, "TRACE"),
        ]
        .into_iter()
        .filter(|(bit, _)| self.0 & bit != 0)
        .map(|(_, name)| name)
    }
}

impl fmt::Debug for SafeMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// Why a list of methods cannot be safe methods.
///
/// # Example
///
/// ```
/// use axioms::policy::{SafeMethods, UnsafeMethod};
/// let err = SafeMethods::from_methods(&[http::Method::POST]).unwrap_err();
/// assert!(matches!(err, UnsafeMethod::Unsafe(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnsafeMethod {
    /// A method that changes state (`POST`, `PUT`, `PATCH`, `DELETE`, `CONNECT`).
    #[error("{0} changes state, so it can never skip authentication")]
    Unsafe(Method),
    /// A method RFC 9110 does not define as safe (an extension method).
    #[error("{0} is not a safe method (RFC 9110 §9.2.1)")]
    Unknown(Method),
    /// `HEAD` without `GET`.
    #[error(
        "HEAD without GET would run the GET handler (which answers HEAD in axum) for anonymous callers while GET needs a token"
    )]
    HeadWithoutGet,
}

impl UnsafeMethod {
    /// How to fix it.
    pub fn fix(&self) -> &'static str {
        match self {
            Self::Unsafe(_) | Self::Unknown(_) => {
                "list only GET, HEAD, OPTIONS or TRACE; protect state-changing methods with a policy"
            }
            Self::HeadWithoutGet => "list GET (which makes HEAD safe too), or neither",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_implies_head_and_nothing_else() {
        let s = SafeMethods::from_methods(&[Method::GET]).unwrap();
        assert!(s.contains(&Method::GET) && s.contains(&Method::HEAD));
        assert!(!s.contains(&Method::OPTIONS) && !s.contains(&Method::POST));
        assert_eq!(s.names().collect::<Vec<_>>(), ["GET", "HEAD"]);
        let s = SafeMethods::from_methods(&[Method::GET, Method::HEAD, Method::OPTIONS]).unwrap();
        assert!(s.contains(&Method::OPTIONS));
        assert!(!SafeMethods::NONE.contains(&Method::OPTIONS));
    }

    #[test]
    fn unsafe_lists_are_refused() {
        for m in [
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::CONNECT,
        ] {
            assert!(matches!(
                SafeMethods::from_methods(&[Method::GET, m]),
                Err(UnsafeMethod::Unsafe(_))
            ));
        }
        let propfind = Method::from_bytes(b"PROPFIND").unwrap();
        assert!(matches!(
            SafeMethods::from_methods(&[propfind]),
            Err(UnsafeMethod::Unknown(_))
        ));
        assert_eq!(
            SafeMethods::from_methods(&[Method::HEAD, Method::OPTIONS]),
            Err(UnsafeMethod::HeadWithoutGet)
        );
    }
}
