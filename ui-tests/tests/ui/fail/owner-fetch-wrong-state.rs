//! A fetch function extracting a state the router's state does not provide.
use axioms::{Axioms, protected};
use axum::{
    Router,
    extract::{FromRef, Path, State},
    http::StatusCode,
    routing::get,
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

#[derive(Clone)]
struct Db;

struct Article {
    user: String,
}

async fn get_article(Path(_id): Path<u32>, State(_db): State<Db>) -> Result<Article, StatusCode> {
    Ok(Article {
        user: "alice".into(),
    })
}

#[protected(owner(fetch = get_article))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
