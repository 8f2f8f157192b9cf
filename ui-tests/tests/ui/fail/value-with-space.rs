//! A value with a space (a space separates scopes in a token).
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(scopes = "read write")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
