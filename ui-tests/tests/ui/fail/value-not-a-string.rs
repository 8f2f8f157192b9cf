//! A value that is not a string literal.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = any("admin", 42))]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
