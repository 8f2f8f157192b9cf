//! A combinator other than `any`/`all`.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = one_of("admin", "editor"))]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
