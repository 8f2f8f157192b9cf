//! Unit tests of the macro on `parse_quote!` input: the parser, the validator, and the
//! expansion snapshots. The trybuild suite in `ui-tests/` checks what rustc then reports, and
//! where.
#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test panics"
)]

mod expand;
mod parse;
mod validate;

use crate::errors::Ctxt;

/// Every message `cx` collected, in order.
fn messages(cx: Ctxt) -> Vec<String> {
    match cx.check() {
        Ok(()) => Vec::new(),
        Err(err) => err.into_iter().map(|err| err.to_string()).collect(),
    }
}
