//! A fetch function whose argument is not an extractor: the error is at the fetch path.
use axioms::{Axioms, protected};
use axum::{
    Router,
    extract::{FromRef, State},
    http::StatusCode,
    routing::get,
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

struct Article {
    user: String,
}

async fn get_article(id: String) -> Result<Article, StatusCode> {
    Ok(Article { user: id })
}

#[protected(owner(fetch = get_article))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
