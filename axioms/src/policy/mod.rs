//! Policies: what `#[protected]` and [`policy!`](crate::policy!) generate, and what the
//! runtime evaluates.
//!
//! Generated code is constant data — a [`Rule`] tree — plus, for ownership, a call that
//! fetches the object. Every decision is taken here, identically in debug and release builds.

// An extractor's natural error is axum's `Response`, large as it is.
#![allow(clippy::result_large_err)]

mod guard;
mod layer;
pub(crate) mod owner;
mod rule;

use std::future::Future;

use axum::response::Response;
use http::request::Parts;

use crate::claims::Claims;

pub use crate::claims::{Credential, OwnerValue};
pub use crate::safe::{SafeMethods, UnsafeMethod};
pub use guard::Guard;
#[cfg(feature = "mcp")]
pub(crate) use guard::context;
pub use layer::{PolicyLayer, PolicyService};
pub use owner::{Fetch, FetchOutput, Owned};
pub use rule::Rule;
#[cfg(feature = "mcp")]
pub(crate) use rule::{Ctx, Tri};

/// A policy linked into the binary: `#[protected]` and [`policy!`](crate::policy!) register
/// each of theirs, so that the resource metadata can list every scope the application's
/// policies name (`scopes_supported`) and the OpenAPI document can state each handler's
/// requirement, without the user writing either twice.
///
/// ```
/// use axioms::policy::{Registered, Rule};
/// use axioms::check::Mode;
///
/// const RULE: Rule = Rule::Scopes(Mode::Any, &["notes:read"]);
/// static REGISTERED: Registered = Registered::handler("list_notes", &RULE, None);
/// assert_eq!(REGISTERED.name(), "list_notes");
/// assert_eq!(REGISTERED.rule(), Some(&RULE));
/// ```
#[derive(Debug)]
pub struct Registered {
    name: &'static str,
    kind: Registration,
}

/// What was registered under a name.
#[derive(Debug, Clone, Copy)]
enum Registration {
    /// A handler's own policy (`#[protected(…)]`).
    Handler(&'static Rule, Option<SafeMethods>),
    /// A named policy (`policy!`).
    Named(&'static Rule, Option<SafeMethods>),
    /// A handler that uses a named policy (`#[protected(policy = Name)]`).
    Uses(&'static str),
}

impl Registered {
    /// The policy of the handler `name`.
    pub const fn handler(
        name: &'static str,
        rule: &'static Rule,
        safe: Option<SafeMethods>,
    ) -> Self {
        Self {
            name,
            kind: Registration::Handler(rule, safe),
        }
    }

    /// The named policy `name`.
    pub const fn named(name: &'static str, rule: &'static Rule, safe: Option<SafeMethods>) -> Self {
        Self {
            name,
            kind: Registration::Named(rule, safe),
        }
    }

    /// The handler `name` uses the named policy `policy`.
    pub const fn uses(name: &'static str, policy: &'static str) -> Self {
        Self {
            name,
            kind: Registration::Uses(policy),
        }
    }

    /// The handler's or named policy's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its rule (`None` for a handler that uses a named policy: see
    /// [`policy_of`]).
    pub fn rule(&self) -> Option<&'static Rule> {
        match self.kind {
            Registration::Handler(rule, _) | Registration::Named(rule, _) => Some(rule),
            Registration::Uses(_) => None,
        }
    }
}

inventory::collect!(Registered);

/// Every policy registered in the binary.
pub fn registered() -> impl Iterator<Item = &'static Registered> {
    inventory::iter::<Registered>.into_iter()
}

/// The policy of the `#[protected]` handler `name` — its rule and its own safe methods —
/// following `policy = Name` to the named policy. `Err` lists the candidates when several
/// handlers share the name (different modules); `Ok(None)` when no handler has that name.
pub fn policy_of(
    name: &str,
) -> Result<Option<(&'static Rule, Option<SafeMethods>)>, Vec<&'static Rule>> {
    let resolve = |kind: Registration| match kind {
        Registration::Handler(rule, safe) => Some((rule, safe)),
        Registration::Uses(policy) => registered().find_map(|r| match r.kind {
            Registration::Named(rule, safe) if r.name == policy => Some((rule, safe)),
            _ => None,
        }),
        Registration::Named(..) => None,
    };
    let mut found: Vec<(&'static Rule, Option<SafeMethods>)> = registered()
        .filter(|r| r.name == name)
        .filter_map(|r| resolve(r.kind))
        .collect();
    found.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        several => Err(several.iter().map(|(rule, _)| *rule).collect()),
    }
}

/// Every `(policy, issuer)` pair where a registered policy names a trusted issuer
/// (`issuer = …`), for the startup check that each is configured.
pub(crate) fn registered_issuers() -> impl Iterator<Item = (&'static str, &'static str)> {
    registered().flat_map(|r| {
        r.rule()
            .map(Rule::issuers)
            .unwrap_or_default()
            .into_iter()
            .map(move |issuer| (r.name, issuer))
    })
}

/// Whether a handler or named policy called `name` is registered.
pub(crate) fn is_registered(name: &str) -> bool {
    registered().any(|r| r.name == name)
}

/// Every scope the registered policies name, sorted, once each.
pub(crate) fn registered_scopes() -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = registered()
        .filter_map(Registered::rule)
        .flat_map(Rule::scopes)
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}

/// What an ownership policy answers when the caller does not own the object.
///
/// # Example
///
/// ```
/// use axioms::policy::Mismatch;
/// assert_ne!(Mismatch::Forbidden, Mismatch::NotFound);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mismatch {
    /// `403 insufficient_scope` (the default).
    #[default]
    Forbidden,
    /// `404`, rendered by the application's error renderer like every rejection, so that the
    /// response does not reveal that the object exists (`mismatch = 404`).
    NotFound,
}

/// A named policy that can protect a whole router: [`policy!`](crate::policy!) implements it
/// for every policy without `owner(…)` (ownership needs a handler's object).
///
/// # Example
///
/// ```
/// axioms::policy!(pub Staff: roles = any("staff", "admin"));
/// fn assert_layer<P: axioms::policy::LayerPolicy>() {}
/// assert_layer::<Staff>();
/// ```
#[diagnostic::on_unimplemented(
    message = "the policy `{Self}` cannot protect a router as a layer",
    label = "not a named policy without `owner(…)`",
    note = "`PolicyLayer` takes a policy defined with `axioms::policy!` that has no `owner(…)` clause: ownership needs the handler's object, so put such a policy on the handler with `#[protected(policy = …)]`"
)]
pub trait LayerPolicy: Policy<()> {}

/// A policy: a rule, the methods that skip it, and (for ownership) how to fetch the object.
///
/// Enforced through the one authentication pipeline (see the crate's "One pipeline"): the
/// guard and [`PolicyLayer`] admit the request, then evaluate [`Policy::RULE`].
///
/// Implemented by `#[protected]` for each handler and by [`policy!`](crate::policy!) for
/// named policies; you do not implement it by hand.
///
/// # Example
///
/// ```
/// use axioms::policy::{Policy, Rule};
///
/// axioms::policy!(pub Editors: roles = any("editor", "admin"));
///
/// assert!(matches!(<Editors as Policy<()>>::RULE, Rule::AllOf(_)));
/// ```
pub trait Policy<S>: Send + Sync + 'static {
    /// The policy's name: the handler's (`#[protected]`) or the named policy's
    /// (`policy!`), as the operator extends it to a partner issuer
    /// (`AXIOMS_<NAME>_TRUSTED_FOR`).
    const NAME: &'static str = "";
    /// The rule, evaluated against verified claims. Whether the object must be fetched
    /// follows from it ([`Rule::has_owner`]).
    const RULE: Rule;
    /// Methods that pass without a token; `None` uses the configuration's safe methods.
    const SAFE_METHODS: Option<SafeMethods> = None;
    /// The answer when an ownership clause denies.
    const MISMATCH: Mismatch = Mismatch::Forbidden;

    /// Fetches the object and says whether the caller owns it; leaves it for
    /// [`Owned`]. An `Err` is the fetch's own response (e.g. 404). A policy whose rule
    /// names [`Rule::Owner`] without implementing this owns nothing: it fails closed.
    fn check_owner(
        parts: &mut Parts,
        state: &S,
        claims: &Claims,
    ) -> impl Future<Output = Result<bool, Response>> + Send {
        let _ = (parts, state, claims);
        async { Ok(false) }
    }
}
