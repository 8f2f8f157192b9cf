//! Who a token speaks for: a subject within a user directory, and the issuer that vouched.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The name of the primary trusted issuer, and of the user directory it (and every issuer
/// declared to share it) vouches for.
pub(crate) const PRIMARY: &str = "primary";

/// Whether `name` can name a trusted issuer (and a user directory): 1 to 64 bytes of
/// lower-case ASCII letters, digits and `_` — what `AXIOMS_TRUST=PARTNER_A` becomes
/// (`partner_a`), and what a policy writes (`issuer = "partner_a"`).
pub(crate) fn is_issuer_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The trusted issuer that vouched for a claim set: its name, its user directory, and what
/// the operator trusts it for. Built once per trusted issuer; every claim set it vouches for
/// shares it.
#[derive(Debug)]
pub(crate) struct Voucher {
    /// Its place in the verifier's list of trusted issuers (the primary's is 0).
    pub(crate) slot: usize,
    /// Its name: `primary`, or the name it is trusted under (`partner`).
    pub(crate) name: Arc<str>,
    /// The user directory its subjects belong to: `primary` for the primary issuer and every
    /// issuer declared to share its directory, the issuer's own name otherwise.
    pub(crate) directory: Arc<str>,
    /// The names of the policies the operator extends to it (a partner's `trusted_for`).
    pub(crate) policies: Box<[Box<str>]>,
    /// `directory` is the primary's: every policy trusts it. Read on every policy decision.
    home: bool,
}

impl Voucher {
    /// The voucher of the trusted issuer `name`, whose users belong to `directory`.
    pub(crate) fn new(
        slot: usize,
        name: &str,
        directory: &str,
        policies: impl IntoIterator<Item = Box<str>>,
    ) -> Self {
        Self {
            slot,
            name: Arc::from(name),
            directory: Arc::from(directory),
            policies: policies.into_iter().collect(),
            home: directory == PRIMARY,
        }
    }

    /// Whether it vouches for the primary directory.
    pub(crate) fn is_home(&self) -> bool {
        self.home
    }

    /// Whether a policy named `policy` trusts this issuer's claims without naming it.
    pub(crate) fn trusted_by(&self, policy: &str) -> bool {
        self.home || self.policies.iter().any(|p| **p == *policy)
    }
}

/// A subject qualified by the user directory it belongs to: what identifies a user across
/// several trusted issuers (`partner:alice` is not `primary:alice`).
///
/// Store it as an object's owner where users of several directories own objects, and
/// `owner(…)` (or [`Claims::owns`](crate::Claims::owns)) matches it only for a token of that
/// directory. Its text form is `<directory>:<subject>`: the directory is a trusted issuer's
/// name (lower-case letters, digits, `_`), so the first `:` ends it and the subject may hold
/// any character. A plain owner value (`String`, an integer, a UUID) belongs to the primary
/// directory.
///
/// # Example
///
/// ```
/// use axioms::Principal;
///
/// let alice: Principal = "partner:auth0|alice".parse()?;
/// assert_eq!(alice.directory(), "partner");
/// assert_eq!(alice.subject(), "auth0|alice");
/// assert_eq!(alice.to_string(), "partner:auth0|alice");
/// assert_ne!(alice, Principal::new("primary", "auth0|alice")?);
/// # Ok::<(), axioms::InvalidPrincipal>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Principal {
    directory: Box<str>,
    subject: Box<str>,
}

/// A principal that is not `<directory>:<subject>` with a valid directory name and a
/// non-empty subject.
///
/// ```
/// assert!("alice".parse::<axioms::Principal>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a principal: expected `<directory>:<subject>`, the directory a trusted issuer's name (lower-case letters, digits, `_`) and the subject not empty"
)]
pub struct InvalidPrincipal;

impl Principal {
    /// The subject `subject` of the directory `directory` (`"primary"`, or a trusted
    /// issuer's name).
    ///
    /// ```
    /// let p = axioms::Principal::new("primary", "user-1")?;
    /// assert_eq!(p.to_string(), "primary:user-1");
    /// # Ok::<(), axioms::InvalidPrincipal>(())
    /// ```
    pub fn new(
        directory: impl Into<String>,
        subject: impl Into<String>,
    ) -> Result<Self, InvalidPrincipal> {
        let (directory, subject) = (directory.into(), subject.into());
        if !is_issuer_name(&directory) || subject.is_empty() {
            return Err(InvalidPrincipal);
        }
        Ok(Self {
            directory: directory.into_boxed_str(),
            subject: subject.into_boxed_str(),
        })
    }

    /// The user directory: `primary`, or the name of the trusted issuer whose users it
    /// holds.
    pub fn directory(&self) -> &str {
        &self.directory
    }

    /// The subject within that directory (the claim an `owner(…)` compares, `sub` by
    /// default).
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.directory, self.subject)
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Principal({self})")
    }
}

impl FromStr for Principal {
    type Err = InvalidPrincipal;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (directory, subject) = s.split_once(':').ok_or(InvalidPrincipal)?;
        Self::new(directory, subject)
    }
}

impl serde::Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Principal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_colon_ends_the_directory() {
        let p: Principal = "partner_a:urn:x:alice".parse().unwrap();
        assert_eq!((p.directory(), p.subject()), ("partner_a", "urn:x:alice"));
        for bad in [
            "alice",
            ":alice",
            "partner:",
            "Partner:alice",
            "par tner:a",
            "",
        ] {
            assert!(bad.parse::<Principal>().is_err(), "{bad}");
        }
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(json, r#""partner_a:urn:x:alice""#);
        assert_eq!(serde_json::from_str::<Principal>(&json).unwrap(), p);
        assert!(serde_json::from_str::<Principal>(r#""alice""#).is_err());
    }

    #[test]
    fn names() {
        assert!(is_issuer_name("primary") && is_issuer_name("partner_2"));
        for bad in ["", "Partner", "a-b", "a b", &"a".repeat(65)] {
            assert!(!is_issuer_name(bad), "{bad}");
        }
    }
}
