//! `State`, `Path`, `Json`, `Claims` and `Owned` together in protected handlers.
use axioms::{Axioms, Claims, policy::Owned, protected};
use axum::{
    Json, Router,
    extract::{FromRef, Path, State},
    http::StatusCode,
    routing::{get, put},
};
use serde::{Deserialize, Serialize};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
    name: String,
}

#[derive(Deserialize)]
struct NewTitle {
    title: String,
}

#[derive(Serialize)]
struct Article {
    id: u64,
    title: String,
    user: String,
}

async fn get_article(Path((_section, id)): Path<(String, u64)>) -> Result<Article, StatusCode> {
    Ok(Article {
        id,
        title: "t".into(),
        user: "alice".into(),
    })
}

#[protected(scopes = "write:articles", owner(fetch = get_article))]
async fn rename(
    State(state): State<AppState>,
    Path((section, _id)): Path<(String, u64)>,
    claims: Claims,
    Owned(mut article): Owned<Article>,
    Json(body): Json<NewTitle>,
) -> Result<Json<Article>, StatusCode> {
    let _ = (state.name, section, claims.subject());
    article.title = body.title;
    Ok(Json(article))
}

#[protected(scopes = "read:articles")]
async fn list(State(state): State<AppState>, Path(section): Path<String>) -> Json<Vec<String>> {
    Json(vec![state.name, section])
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/{section}/{id}", put(rename))
        .route("/{section}", get(list))
        .with_state(state)
}

fn main() {
    let _ = app;
}
