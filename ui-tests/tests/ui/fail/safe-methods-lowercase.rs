//! A method in lower case.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "admin", safe_methods = ["get"])]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
