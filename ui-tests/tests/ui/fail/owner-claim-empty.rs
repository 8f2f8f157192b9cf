//! `claim = ""`.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(owner(fetch = axioms_ui_tests::get_article, claim = ""), state = Axioms)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
