//! Claims: the verified claim set, claim names, owner values, and the authorization checks.

mod actor;
pub mod check;
mod credential;
mod model;
mod name;
mod owner;
mod principal;

pub use actor::Actor;
pub use credential::Credential;
pub use model::Claims;
pub(crate) use model::{ClaimNames, Granted};
pub use name::{ClaimName, InvalidClaimName};
pub use owner::OwnerValue;
pub use principal::{InvalidPrincipal, Principal};
pub(crate) use principal::{PRIMARY, Voucher, is_issuer_name};
