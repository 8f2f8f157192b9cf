//! `none` is a value of `actor` only.
use axioms::protected;

#[protected(roles = none)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _ = handler;
}
