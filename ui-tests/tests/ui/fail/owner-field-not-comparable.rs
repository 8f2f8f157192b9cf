//! An owner field of a type that cannot be compared with a claim.
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
    owner_key: Vec<u8>,
}

async fn get_article(Path(_id): Path<u32>) -> Result<Article, StatusCode> {
    Ok(Article {
        owner_key: vec![1, 2, 3],
    })
}

#[protected(owner(fetch = get_article, field = "owner_key"))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
