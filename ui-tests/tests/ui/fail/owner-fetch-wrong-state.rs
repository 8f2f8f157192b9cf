//! A fetch function extracting a state the router's state does not provide.
use axioms::protected;
use axioms_ui_tests::{AppState, Article};
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};

#[derive(Clone)]
struct Db;

async fn get_article(Path(_id): Path<u32>, State(_db): State<Db>) -> Result<Article, StatusCode> {
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
