//! Items that generated code names. Not public API: no stability guarantee.
//!
//! `#[protected]` and `policy!` expand to constant [`Rule`] data and calls to these
//! functions; every decision is taken in the runtime, never in generated code.

pub use crate::check::Mode;
pub use crate::claims::Claims;
pub use crate::policy::{
    Credential, Guard, LayerPolicy, Mismatch, Policy, Registered, Rule, SafeMethods,
};
pub use axum::extract::FromRef;
pub use axum::response::Response;
pub use http::request::Parts;
pub use inventory;

/// The whole ownership check of an `owner(…)` clause: state conversion, fetch, comparison,
/// hand-over to `Owned<T>`.
pub use crate::policy::owner::check_owner;
