//! Items that generated code names. Not public API: no stability guarantee.
//!
//! `#[protected]` and `policy!` expand to constant [`Rule`] data and calls to these
//! functions; every decision is taken in the runtime, never in generated code.

pub use crate::check::Mode;
pub use crate::claims::Claims;
pub use crate::policy::{Guard, LayerPolicy, Policy, Rule};
pub use axum::extract::FromRef;
pub use axum::response::Response;
pub use http::request::Parts;

use crate::policy::{Fetch, OwnerValue};

/// Runs an `owner(fetch = …)` function with its extractors.
pub async fn fetch<F, T, S>(f: F, parts: &mut Parts, state: &S) -> Result<F::Object, Response>
where
    F: Fetch<T, S>,
{
    crate::policy::fetch(f, parts, state).await
}

/// Whether the owner field equals the claim.
pub fn owns<V: OwnerValue + ?Sized>(field: &V, claims: &Claims, claim: &str) -> bool {
    crate::policy::owns(field, claims, claim)
}

/// Leaves the fetched object for the handler's `Owned<T>`.
pub fn hand_over<T: Send + 'static>(parts: &mut Parts, object: T) {
    crate::policy::hand_over(parts, object);
}
