//! Methods that change state can never skip authentication: each is reported.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "admin", safe_methods = ["GET", "POST", "DELETE"])]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
