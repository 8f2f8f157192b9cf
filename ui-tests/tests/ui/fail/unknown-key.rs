//! A key that resembles none: the error lists the keys.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(audience = "api")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
