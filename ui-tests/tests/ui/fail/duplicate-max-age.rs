//! `max_age` twice: one maximum age, the shortest that applies.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(max_age = 300, max_age = 60)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
