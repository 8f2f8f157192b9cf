//! Policies: what `#[protected]` and [`policy!`](crate::policy!) generate, and what the
//! runtime evaluates.
//!
//! Generated code is constant data — a [`Rule`] tree — plus, for ownership, a call that
//! fetches the object. Every decision is taken here, identically in debug and release builds.

// An extractor's natural error is axum's `Response`, large as it is.
#![allow(clippy::result_large_err)]

mod guard;
mod layer;
mod owner;
mod rule;

use std::future::Future;

use axum::response::Response;
use http::request::Parts;

use crate::claims::Claims;

pub use guard::Guard;
pub use layer::{PolicyLayer, PolicyService};
pub use owner::{Fetch, FetchOutput, Owned, OwnerValue};
pub(crate) use owner::{fetch, hand_over, owns};
pub use rule::Rule;

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
    /// The rule, evaluated against verified claims.
    const RULE: Rule;
    /// Methods that pass without a token; `None` uses the configuration's safe methods.
    const SAFE_METHODS: Option<&'static [&'static str]> = None;
    /// Whether the rule needs the object fetched.
    const HAS_OWNER: bool = false;
    /// Answer 404 instead of 403 when an ownership policy denies (hides existence).
    const HIDE_FORBIDDEN: bool = false;
    /// Record the verified claims in the request extensions for later `Claims` extractors.
    /// `#[protected]` turns it off for handlers that take no `Claims`, saving an allocation.
    const RECORD_CLAIMS: bool = true;

    /// Fetches the object and says whether the caller owns it; leaves it for
    /// [`Owned`]. An `Err` is the fetch's own response (e.g. 404).
    fn check_owner(
        parts: &mut Parts,
        state: &S,
        claims: &Claims,
    ) -> impl Future<Output = Result<bool, Response>> + Send {
        let _ = (parts, state, claims);
        async { Ok(false) }
    }
}
