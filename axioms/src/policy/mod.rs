//! Policies: what `#[protected]` and [`policy!`](crate::policy!) generate, and what the
//! runtime evaluates.
//!
//! Generated code is constant data — a [`Rule`] tree — plus, for ownership, a call that
//! fetches the object. Every decision is taken here, identically in debug and release builds.

// An extractor's natural error is axum's `Response`, large as it is.
#![allow(clippy::result_large_err)]

pub(crate) mod guard;
mod layer;
pub(crate) mod owner;
pub(crate) mod registry;
mod rule;

use std::future::Future;

use axum::response::Response;
use http::request::Parts;

use crate::claims::Claims;

pub use crate::claims::{Credential, OwnerValue};
pub use crate::safe::{SafeMethods, UnsafeMethod};
#[cfg(any(feature = "mcp", feature = "tonic"))]
pub(crate) use guard::Named;
#[cfg(feature = "tonic")]
pub(crate) use guard::admit_named;
pub use layer::{PolicyLayer, PolicyService};
pub use owner::{Fetch, FetchOutput, Owned};
#[cfg(feature = "utoipa")]
pub(crate) use registry::policy_of;
pub(crate) use registry::{is_registered, registered_issuers, registered_scopes};
pub use rule::Rule;
#[cfg(feature = "mcp")]
pub(crate) use rule::{Ctx, Tri};

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
    message = "the policy `{Self}` cannot be enforced by a layer",
    label = "not a named policy without `owner(…)`",
    note = "`PolicyLayer`, `McpPolicies` (tools, prompts, methods; only `McpPolicies::resource` takes ownership) and `GrpcMethods` take a policy defined with `axioms::policy!` that has no `owner(…)` clause: a layer decides before the handler has its object. Put an ownership policy on the handler with `#[protected(policy = …)]`; in a gRPC method, check `Claims::owns`"
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
