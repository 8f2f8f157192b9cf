//! The same value twice in one list.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = any("admin", "editor", "admin"))]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
