//! Procedural macros of [axioms](https://docs.rs/axioms).
//!
//! Do not depend on this crate directly: use `axioms`, which re-exports its macros with a
//! version pinned to its own. The `#[protected]` attribute lands with its own issue; until then
//! this crate is an empty shell that keeps the workspace layout stable.
