//! `"HEAD"` without `"GET"`: axum answers HEAD with the GET handler, so it would run for
//! anonymous callers while GET needs a token.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(roles = "admin", safe_methods = ["HEAD", "OPTIONS"])]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
