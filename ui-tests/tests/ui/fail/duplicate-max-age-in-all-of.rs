//! `max_age` twice in `all_of(…)`.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(all_of(roles = "admin", max_age = 300, max_age = 60))]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
