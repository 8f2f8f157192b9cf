//! `safe_methods` with parentheses instead of brackets.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "admin", safe_methods = ("GET", "HEAD"))]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
