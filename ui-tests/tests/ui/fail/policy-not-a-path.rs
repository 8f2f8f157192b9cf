//! `policy = ` followed by something that is not a name.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

axioms::policy!(AdminOnly: roles = "admin");

#[protected(policy = "AdminOnly")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
