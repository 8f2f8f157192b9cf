//! How a configured claim name finds its value in a claim set.

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

/// The name of a claim, as configured (e.g. in `AXIOMS_ROLES_CLAIMS`).
///
/// Two forms, never confused with each other:
///
/// * A **plain name** is one top-level member, matched exactly, whatever characters it holds:
///   `roles`, `cognito:groups`, `https://example.com/roles`, even `a.b` (a member whose name
///   contains a dot).
/// * A name starting with **`/`** is an RFC 6901 JSON Pointer into nested objects:
///   `/realm_access/roles`, `/resource_access/my-api/roles`. Inside a pointer, `~1` stands
///   for `/` and `~0` for `~`.
///
/// # Example
///
/// ```
/// use axioms::ClaimName;
/// use serde_json::json;
///
/// let claims = json!({
///     "cognito:groups": ["admin"],
///     "realm_access": { "roles": ["editor"] },
///     "a.b": "dotted member",
/// });
/// let map = claims.as_object().unwrap();
///
/// let groups: ClaimName = "cognito:groups".parse().unwrap();
/// assert_eq!(groups.lookup(map), Some(&json!(["admin"])));
///
/// let realm_roles: ClaimName = "/realm_access/roles".parse().unwrap();
/// assert_eq!(realm_roles.lookup(map), Some(&json!(["editor"])));
///
/// let dotted: ClaimName = "a.b".parse().unwrap();
/// assert_eq!(dotted.lookup(map), Some(&json!("dotted member")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClaimName(Repr);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Repr {
    Member(Box<str>),
    Pointer { text: Box<str>, first: Box<str> },
}

impl ClaimName {
    /// Finds the claim's value in a claim set.
    pub fn lookup<'a>(&self, claims: &'a Map<String, Value>) -> Option<&'a Value> {
        match &self.0 {
            Repr::Member(name) => claims.get(&**name),
            Repr::Pointer { text, first } => {
                let head = claims.get(&**first)?;
                // `text` is `/first/rest…`; point into `head` with the rest.
                let rest = text.get(1..).and_then(|t| t.find('/').map(|i| &t[i..]));
                match rest {
                    Some(rest) => head.pointer(rest),
                    None => Some(head),
                }
            }
        }
    }

    /// The name as configured.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Member(name) => name,
            Repr::Pointer { text, .. } => text,
        }
    }
}

impl fmt::Display for ClaimName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of an empty or malformed [`ClaimName`].
///
/// # Example
///
/// ```
/// use axioms::ClaimName;
/// assert!("".parse::<ClaimName>().is_err());
/// assert!("/".parse::<ClaimName>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid claim name `{name}`: {problem}")]
pub struct InvalidClaimName {
    name: String,
    problem: &'static str,
}

impl FromStr for ClaimName {
    type Err = InvalidClaimName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |problem| InvalidClaimName {
            name: s.to_owned(),
            problem,
        };
        if s.is_empty() {
            return Err(err("a claim name cannot be empty"));
        }
        let Some(path) = s.strip_prefix('/') else {
            return Ok(Self(Repr::Member(s.into())));
        };
        let mut first = None;
        for segment in path.split('/') {
            if segment.is_empty() {
                return Err(err(
                    "a JSON Pointer has an empty segment; write `/a/b`, not `/a//b` or `/`",
                ));
            }
            let mut chars = segment.chars();
            while let Some(c) = chars.next() {
                if c == '~' && !matches!(chars.next(), Some('0' | '1')) {
                    return Err(err("in a JSON Pointer `~` must be followed by 0 or 1"));
                }
            }
            if first.is_none() {
                first = Some(segment.replace("~1", "/").replace("~0", "~"));
            }
        }
        let first = first.ok_or_else(|| err("a JSON Pointer needs at least one segment"))?;
        Ok(Self(Repr::Pointer {
            text: s.into(),
            first: first.into(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn plain_names_are_exact_members() {
        let m = map(json!({"https://example.com/roles": ["a"], "x": 1}));
        let n: ClaimName = "https://example.com/roles".parse().unwrap();
        assert_eq!(n.lookup(&m), Some(&json!(["a"])));
        let missing: ClaimName = "X".parse().unwrap();
        assert_eq!(missing.lookup(&m), None);
    }

    #[test]
    fn pointers_descend_and_unescape() {
        let m = map(json!({
            "resource_access": {"my/api": {"roles": ["r"]}},
            "a~b": {"c": 2},
        }));
        let n: ClaimName = "/resource_access/my~1api/roles".parse().unwrap();
        assert_eq!(n.lookup(&m), Some(&json!(["r"])));
        let t: ClaimName = "/a~0b/c".parse().unwrap();
        assert_eq!(t.lookup(&m), Some(&json!(2)));
        let top: ClaimName = "/resource_access".parse().unwrap();
        assert!(top.lookup(&m).is_some());
        let absent: ClaimName = "/resource_access/other/roles".parse().unwrap();
        assert_eq!(absent.lookup(&m), None);
    }

    #[test]
    fn malformed_pointers_are_rejected() {
        for bad in ["", "/", "/a//b", "/a/", "/~2", "/a~"] {
            assert!(
                bad.parse::<ClaimName>().is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
