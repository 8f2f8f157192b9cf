//! What generated code, fuzzers, benches and the crate's own tests name: not public API, no
//! stability guarantee (rustls keeps such hooks in its `internal` module).
//!
//! `#[protected]` and `policy!` expand to constant [`Rule`] data and calls to these
//! functions; every decision is taken in the runtime, never in generated code.

pub use crate::check::Mode;
pub use crate::claims::Claims;
pub use crate::policy::guard::Guard;
pub use crate::policy::registry::{Registered, policy_of};
pub use crate::policy::{Credential, LayerPolicy, Mismatch, Policy, Rule, SafeMethods};
pub use axum::extract::FromRef;
pub use axum::response::Response;
pub use http::request::Parts;
pub use inventory;

/// The whole ownership check of an `owner(…)` clause: state conversion, fetch, comparison,
/// hand-over to `Owned<T>`.
pub use crate::policy::owner::check_owner;

/// `Owned<T>` in a handler whose policy fetches another type is a compile error at the
/// argument.
pub use crate::policy::owner::{FetchesObject, IsFetched, is_fetched, object_of, policy_fetches};

#[cfg(feature = "testing")]
pub use crate::testing::hooks::{bearer_token, verify_jws_signature};
