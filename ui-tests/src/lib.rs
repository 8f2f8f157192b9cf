//! Unpublished crate that holds the trybuild UI tests of `#[protected]`.
