//! `acr` twice.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(acr = "urn:example:mfa", acr = "urn:example:hwk")]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
