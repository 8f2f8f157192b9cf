//! Claims: the verified claim set, claim names, and the authorization checks.

pub mod check;
mod model;
mod name;

pub use model::Claims;
pub(crate) use model::{ClaimNames, Granted};
pub use name::{ClaimName, InvalidClaimName};
