//! Axum extractors.
//!
//! * [`Claims`](crate::Claims) — requires a valid token;
//! * `Option<Claims>` — `None` without credentials, still 401 on a bad token.

pub(crate) mod claims;
