//! The parsed policy: what the attribute says, with the spans of every token that matters.

use proc_macro2::Span;
use syn::{Ident, LitInt, LitStr, Path, Type};

/// A whole `#[protected(...)]` (or `policy!`) argument list.
#[derive(Default)]
pub(crate) struct PolicyAst {
    /// Clauses, AND-ed.
    pub(crate) clauses: Vec<Clause>,
    pub(crate) safe_methods: Option<(Ident, Vec<LitStr>)>,
    pub(crate) state: Option<(Ident, Type)>,
    pub(crate) policy: Option<(Ident, Path)>,
}

/// One clause.
pub(crate) enum Clause {
    /// `scopes = …`, `roles = …`, `permissions = …`.
    Claim { kind: ClaimKind, values: Values },
    /// `owner(…)`.
    Owner(Owner),
    /// `any_of(…)` / `all_of(…)` over clauses.
    Group { any: bool, clauses: Vec<Clause> },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClaimKind {
    Scopes,
    Roles,
    Permissions,
}

impl ClaimKind {
    pub(crate) fn variant(self) -> &'static str {
        match self {
            Self::Scopes => "Scopes",
            Self::Roles => "Roles",
            Self::Permissions => "Permissions",
        }
    }
}

/// `"a"`, `any("a", "b")` or `all("a", "b")`.
pub(crate) struct Values {
    pub(crate) any: bool,
    pub(crate) list: Vec<LitStr>,
}

/// `owner(fetch = …, field = "…", claim = "…", mismatch = 404)`.
pub(crate) struct Owner {
    pub(crate) kw: Ident,
    pub(crate) fetch: Option<Path>,
    pub(crate) field: Option<LitStr>,
    pub(crate) claim: Option<LitStr>,
    pub(crate) mismatch: Option<LitInt>,
}

impl Owner {
    pub(crate) fn span(&self) -> Span {
        self.kw.span()
    }
}

impl Clause {
    pub(crate) fn owners<'a>(&'a self, out: &mut Vec<&'a Owner>) {
        match self {
            Clause::Owner(owner) => out.push(owner),
            Clause::Group { clauses, .. } => clauses.iter().for_each(|c| c.owners(out)),
            Clause::Claim { .. } => {}
        }
    }
}
