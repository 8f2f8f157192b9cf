//! A bare list: it must say whether one or all values are needed.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = ["admin", "editor"])]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
