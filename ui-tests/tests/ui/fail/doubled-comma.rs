//! Two commas in a row.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "admin",, scopes = "write")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
