//! The syntax tree: what the attribute says, as written, with every keyword token kept for its
//! span. No value has been checked yet; `validate` turns this into the model.

use proc_macro2::Span;
use syn::{Attribute, Ident, LitInt, LitStr, Path, Type, Visibility};

use super::kw::{self, ClaimKey, Combinator, GroupKey, OwnerKey};

/// A comma-separated list as written: the items that parsed (the others were reported).
pub(crate) struct List<T> {
    pub(crate) items: Vec<T>,
    /// The span of the delimiters, `(…)` or `[…]`.
    pub(crate) span: Span,
    /// Whether every item parsed; checks of the whole list (is it empty? is `"GET"` in it?)
    /// only hold for a complete list.
    pub(crate) complete: bool,
}

/// `#[protected(…)]`'s arguments, or the clauses of a `policy!`.
pub(crate) type Args = List<Item>;

/// A top-level item.
pub(crate) enum Item {
    Clause(Clause),
    /// `safe_methods = ["GET", …]`.
    SafeMethods(kw::safe_methods, List<LitStr>),
    /// `state = AppState`.
    State(kw::state, Type),
    /// `policy = Name`.
    Policy(kw::policy, Path),
}

pub(crate) enum Clause {
    /// `roles = "a"`, `roles = any("a", "b")`, …
    Claim(ClaimKey, Values),
    /// `owner(fetch = …, …)`.
    Owner(kw::owner, List<OwnerArg>),
    /// `max_age = 300` (RFC 9470 step-up: seconds since the user authenticated).
    MaxAge(kw::max_age, LitInt),
    /// `dpop = required` (RFC 9449: the token must be DPoP-bound).
    Dpop(kw::dpop),
    /// `any_of(…)` / `all_of(…)`.
    Group(GroupKey, List<Clause>),
}

pub(crate) enum Values {
    /// `"a"`.
    One(LitStr),
    /// `any("a", "b")` / `all("a", "b")`.
    List(Combinator, List<LitStr>),
    /// `none` (`actor = none`: no delegated token).
    None(kw::none),
}

/// One argument of `owner(…)`.
pub(crate) struct OwnerArg {
    pub(crate) key: OwnerKey,
    /// `None` if the value did not parse (that was reported): the argument still counts as
    /// given, so no "missing `fetch`" follows a misspelt fetch path.
    pub(crate) value: Option<OwnerValue>,
}

pub(crate) enum OwnerValue {
    Fetch(Path),
    Field(LitStr),
    Claim(LitStr),
    Mismatch(LitInt),
}

/// `policy!(#[attrs] vis Name: args)`.
pub(crate) struct Named {
    pub(crate) attrs: Vec<Attribute>,
    pub(crate) vis: Visibility,
    pub(crate) name: Ident,
    pub(crate) args: Args,
}
