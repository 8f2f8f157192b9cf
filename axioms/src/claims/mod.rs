//! Claims: the verified claim set, claim names, and the authorization checks.

pub mod check;
mod model;
mod name;

pub(crate) use model::ClaimNames;
pub use model::Claims;
pub use name::{ClaimName, InvalidClaimName};
