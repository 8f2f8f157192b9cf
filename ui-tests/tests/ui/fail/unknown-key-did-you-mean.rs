//! A misspelt key: the error suggests the right one.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(role = "admin")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
