//! `roles` twice: the error says how to combine the values.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "editor", roles = "admin")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
