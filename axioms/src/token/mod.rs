//! Bearer extraction and token verification.

pub(crate) mod bearer;
pub(crate) mod cache;
pub(crate) mod introspect;
pub(crate) mod json;
pub(crate) mod verify;
