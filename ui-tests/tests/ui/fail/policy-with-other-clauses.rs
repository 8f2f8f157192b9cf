//! `policy = X` combined with other clauses.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

axioms::policy!(AdminOnly: roles = "admin");

#[protected(policy = AdminOnly, scopes = "write")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
