//! `owner(…)` on a handler that neither takes `State<…>` nor says `state = …`.
use axioms::protected;
use axioms_ui_tests::AppState;
use axum::{Router, routing::get};

#[protected(owner(fetch = axioms_ui_tests::get_article))]
async fn handler() {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
