//! `state = ` followed by something that is not a type.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(scopes = "read", state = "AppState")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
