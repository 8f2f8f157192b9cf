//! An issuer identifier as configured: exact, or a multi-tenant template parsed once.

use std::fmt;

/// The placeholder of Microsoft Entra ID's multi-tenant issuer template.
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// A sample tenant, to validate a template as a URL.
pub(crate) const SAMPLE_TENANT: &str = "00000000-0000-0000-0000-000000000000";

/// The `iss` a trusted issuer's tokens carry: one exact string, or an Entra multi-tenant
/// template (`https://login.microsoftonline.com/{tenantid}/v2.0`) whose `{tenantid}` is the
/// token's own `tid`.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum IssuerId {
    /// `iss` equals it exactly, trailing slash included.
    Exact(Box<str>),
    /// `iss` is `prefix` + the token's `tid` (a GUID) + `suffix`.
    Template {
        raw: Box<str>,
        prefix: Box<str>,
        suffix: Box<str>,
    },
}

impl IssuerId {
    /// Parses a configured issuer: a template when it holds [`TENANT_PLACEHOLDER`].
    pub(crate) fn parse(raw: &str) -> Self {
        match raw.split_once(TENANT_PLACEHOLDER) {
            Some((prefix, suffix)) => Self::Template {
                raw: raw.into(),
                prefix: prefix.into(),
                suffix: suffix.into(),
            },
            None => Self::Exact(raw.into()),
        }
    }

    /// The issuer as configured.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Exact(iss) => iss,
            Self::Template { raw, .. } => raw,
        }
    }

    /// Whether it is a multi-tenant template.
    pub(crate) fn is_template(&self) -> bool {
        matches!(self, Self::Template { .. })
    }

    /// The exact issuer, for what only a single server can do (discovery, metadata).
    pub(crate) fn exact(&self) -> Option<&str> {
        match self {
            Self::Exact(iss) => Some(iss),
            Self::Template { .. } => None,
        }
    }

    /// Whether a token's `iss` (with its `tid`) is this issuer's: exactly equal; for a
    /// template, the token's `tid` is a GUID and `iss` is the template with it in place.
    pub(crate) fn matches(&self, iss: &str, tid: Option<&str>) -> bool {
        match self {
            Self::Exact(exact) => iss == &**exact,
            Self::Template { prefix, suffix, .. } => tid.is_some_and(|tid| {
                is_guid(tid)
                    && iss.len() == prefix.len() + tid.len() + suffix.len()
                    && iss.starts_with(&**prefix)
                    && iss.ends_with(&**suffix)
                    && iss.get(prefix.len()..prefix.len() + tid.len()) == Some(tid)
            }),
        }
    }

    /// Whether this template could match the exact issuer `other` (for the order of a trust
    /// registry: an exact issuer listed after a template that matches it would never be
    /// chosen).
    pub(crate) fn shadows(&self, other: &IssuerId) -> bool {
        match (self, other) {
            (Self::Template { prefix, suffix, .. }, Self::Exact(exact)) => {
                exact.len() > prefix.len() + suffix.len()
                    && exact.starts_with(&**prefix)
                    && exact.ends_with(&**suffix)
            }
            _ => false,
        }
    }
}

impl fmt::Debug for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub(crate) fn is_guid(s: &str) -> bool {
    let mut groups = s.split('-');
    let ok = [8, 4, 4, 4, 12].iter().all(|&n| {
        groups
            .next()
            .is_some_and(|g| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    ok && groups.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "6e74172b-be56-4843-9ff4-e66a39bb12e3";

    #[test]
    fn a_template_matches_its_tenant_only() {
        let t = IssuerId::parse("https://login.microsoftonline.com/{tenantid}/v2.0");
        assert!(t.is_template());
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert!(t.matches(&iss, Some(TID)));
        assert!(!t.matches(&iss, None));
        assert!(!t.matches(&iss, Some("6e74172b-be56-4843-9ff4-e66a39bb12e4")));
        assert!(!t.matches("https://login.microsoftonline.com/x/v2.0", Some("x")));
        let exact = IssuerId::parse(&iss);
        assert!(t.shadows(&exact) && !exact.shadows(&t));
        assert!(exact.matches(&iss, None) && !exact.matches(&format!("{iss}/"), None));
    }

    #[test]
    fn guids() {
        assert!(is_guid(TID) && is_guid(SAMPLE_TENANT));
        for bad in [
            "",
            "6e74172b",
            "6e74172b-be56-4843-9ff4-e66a39bb12e3-1",
            "g".repeat(36).as_str(),
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }
}
