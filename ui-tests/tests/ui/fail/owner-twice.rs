//! Two `owner(…)` clauses.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(
    any_of(
        owner(fetch = axioms_ui_tests::get_article),
        owner(fetch = axioms_ui_tests::get_article, claim = "email"),
    ),
    state = Axioms
)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
