//! A fetch function returning the object itself (it must be able to fail: `Result` or
//! `Option`): the error is at the fetch path.
use axioms::protected;
use axioms_ui_tests::{AppState, Article};
use axum::{
    Router,
    extract::{Path, State},
    routing::get,
};

async fn get_article(Path(id): Path<u32>) -> Article {
    Article {
        id,
        user: "alice".into(),
        tags: Vec::new(),
    }
}

#[protected(owner(fetch = get_article))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
