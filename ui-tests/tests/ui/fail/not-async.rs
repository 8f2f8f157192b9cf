//! `#[protected]` on a function that is not `async`.
use axioms::protected;

#[protected(roles = "admin")]
fn handler() -> &'static str {
    "admin"
}

fn main() {
    let _ = handler;
}
