//! `issuer` twice.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(issuer = "primary", issuer = "partner")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
