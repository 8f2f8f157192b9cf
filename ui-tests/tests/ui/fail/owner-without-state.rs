//! `owner(…)` on a handler that neither takes `State<…>` nor says `state = …`.
#![allow(dead_code)]
use axioms::{Axioms, protected};
use axum::{
    Router,
    extract::{FromRef, Path},
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

async fn get_article(Path(_id): Path<u32>) -> Result<Article, StatusCode> {
    Ok(Article {
        user: "alice".into(),
    })
}

#[protected(owner(fetch = get_article))]
async fn handler() {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
