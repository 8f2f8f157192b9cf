//! Axum extractors, one per file, each an adapter over the pipeline:
//!
//! * [`Claims`](crate::Claims) — requires a valid token;
//! * `Option<Claims>` — `None` without credentials, still 401 on a bad token;
//! * [`Authentication`](crate::Authentication) — the verdict itself, never rejects.

mod authentication;
mod claims;
