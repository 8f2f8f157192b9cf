//! An item that does not start with a key.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected("admin")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
