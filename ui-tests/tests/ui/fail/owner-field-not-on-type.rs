//! `field = "…"` names a field the fetched type does not have: the error is at the string.
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

struct Article {
    created_by: String,
}

async fn get_article(Path(_id): Path<u32>) -> Result<Article, StatusCode> {
    Ok(Article {
        created_by: "alice".into(),
    })
}

#[protected(owner(fetch = get_article, field = "author"))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
