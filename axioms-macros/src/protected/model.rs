//! The model: what a policy means, every value checked and resolved, no token left to re-read.
//! `validate` builds it; `expand` transcribes it.

use std::fmt;

use syn::{Member, Path, Type};

use super::kw;

/// What `#[protected]` enforces.
pub(crate) enum Handler<'a> {
    /// A policy written in the attribute.
    Inline(Policy<'a>),
    /// `policy = Name`, and the handler's `Owned<…>` arguments (the policy must fetch an
    /// object for them).
    Named(&'a Path, Vec<&'a Type>),
}

/// A policy: `#[protected(…)]`'s or `policy!`'s.
pub(crate) struct Policy<'a> {
    pub(crate) rule: Rule,
    /// `None`: the configuration's safe methods apply.
    pub(crate) safe_methods: Option<Vec<SafeMethod>>,
    /// The policy's one `owner(…)`, if its rule names [`Rule::Owner`].
    pub(crate) owner: Option<Owner<'a>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    /// No clause: a valid token is enough.
    Authenticated,
    Claims(ClaimKind, Mode, Vec<String>),
    Owner,
    /// `max_age = N`: seconds since `auth_time`.
    MaxAge(u64),
    /// `dpop = required`: the token is DPoP-bound.
    Dpop,
    /// `actor = none`: the token is not delegated.
    NoActor,
    AllOf(Vec<Rule>),
    AnyOf(Vec<Rule>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimKind {
    Scopes,
    Roles,
    Permissions,
    /// The token's `acr` (one value per token: always `any`).
    Acr,
    /// The kind of credential the request came with (one per request: always `any`).
    Credentials,
    /// The trusted issuer that vouched for the token (one per token: always `any`).
    Issuer,
    /// The current actor of a delegated token (one per token: always `any`).
    Actor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Any,
    All,
}

/// A method that may skip the policy. `HEAD` is part of `GET`: axum answers it with the GET
/// handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SafeMethod {
    Get,
    Options,
    Trace,
}

/// The answer when the caller does not own the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mismatch {
    Forbidden,
    NotFound,
}

/// `owner(…)`, resolved.
pub(crate) struct Owner<'a> {
    /// The fetch function; type errors about it are reported at this path.
    pub(crate) fetch: &'a Path,
    /// The owner field, spanned where the user named it (at `owner` for the default `user`),
    /// so that rustc's errors about it land there.
    pub(crate) field: Member,
    pub(crate) claim: String,
    pub(crate) mismatch: Mismatch,
    /// The state type the fetch function extracts from.
    pub(crate) state: &'a Type,
    /// The `T` of each `Owned<T>` argument of the handler: each must be the fetched object.
    pub(crate) owned: Vec<&'a Type>,
}

/// The rule as one would write it, for the named policy's documentation.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, rules: &[Rule]| {
            rules.iter().enumerate().try_for_each(|(i, rule)| {
                let comma = if i == 0 { "" } else { ", " };
                write!(f, "{comma}{rule}")
            })
        };
        match self {
            Rule::Authenticated => f.write_str("any valid token"),
            Rule::Claims(kind, mode, values) => {
                let key = match kind {
                    ClaimKind::Scopes => kw::scopes::NAME,
                    ClaimKind::Roles => kw::roles::NAME,
                    ClaimKind::Permissions => kw::permissions::NAME,
                    ClaimKind::Acr => kw::acr::NAME,
                    ClaimKind::Credentials => kw::credentials::NAME,
                    ClaimKind::Issuer => kw::issuer::NAME,
                    ClaimKind::Actor => kw::actor::NAME,
                };
                let values: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                match (mode, values.as_slice()) {
                    (Mode::Any, [one]) => write!(f, "{key} = {one}"),
                    (Mode::Any, _) => write!(f, "{key} = {}({})", kw::any::NAME, values.join(", ")),
                    (Mode::All, _) => write!(f, "{key} = {}({})", kw::all::NAME, values.join(", ")),
                }
            }
            Rule::Owner => write!(f, "{}(…)", kw::owner::NAME),
            Rule::MaxAge(secs) => write!(f, "{} = {secs}", kw::max_age::NAME),
            Rule::Dpop => write!(f, "{} = {}", kw::dpop::NAME, kw::required::NAME),
            Rule::NoActor => write!(f, "{} = {}", kw::actor::NAME, kw::none::NAME),
            Rule::AllOf(rules) => {
                write!(f, "{}(", kw::all_of::NAME)?;
                list(f, rules)?;
                f.write_str(")")
            }
            Rule::AnyOf(rules) => {
                write!(f, "{}(", kw::any_of::NAME)?;
                list(f, rules)?;
                f.write_str(")")
            }
        }
    }
}
