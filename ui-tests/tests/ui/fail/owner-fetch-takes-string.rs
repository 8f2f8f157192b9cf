//! A fetch function whose argument is not an extractor: the error is at the fetch path.
use axioms::protected;
use axioms_ui_tests::{AppState, Article};
use axum::{Router, extract::State, http::StatusCode, routing::get};

async fn get_article(_id: String) -> Result<Article, StatusCode> {
    Err(StatusCode::NOT_FOUND)
}

#[protected(owner(fetch = get_article))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
