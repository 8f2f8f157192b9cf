//! A bare identifier where a string is expected.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = admin)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
