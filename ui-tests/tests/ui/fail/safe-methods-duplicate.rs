//! A method listed twice.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "admin", safe_methods = ["GET", "HEAD", "GET"])]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
