//! A fetch function returning the object itself (it must be able to fail: `Result` or
//! `Option`): the error is at the fetch path.
use axioms::{Axioms, protected};
use axum::{
    Router,
    extract::{FromRef, Path, State},
    routing::get,
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

struct Article {
    user: String,
}

async fn get_article(Path(_id): Path<u32>) -> Article {
    Article {
        user: "alice".into(),
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
