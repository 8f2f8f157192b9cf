//! An owner field whose type cannot be compared with a claim (`Vec<String>`): the error is at
//! the string.
use axioms::protected;
use axioms_ui_tests::{AppState, get_article};
use axum::{Router, extract::State, routing::get};

#[protected(owner(fetch = get_article, field = "tags"))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
