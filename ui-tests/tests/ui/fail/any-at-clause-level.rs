//! `any(…)` (for values) where `any_of(…)` (for clauses) is meant.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(any(roles = "admin", scopes = "write"))]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
