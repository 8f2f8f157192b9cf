//! `state = AppState` when the handler takes no `State<…>`, and overriding an inferred one.
use axioms::{Axioms, policy::Owned, protected};
use axum::{
    Router,
    extract::{FromRef, Path, State},
    http::StatusCode,
    routing::get,
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
    db: Db,
}

#[derive(Clone)]
struct Db;

struct Doc {
    user: String,
}

async fn get_doc(Path(_id): Path<u32>, State(_db): State<Db>) -> Result<Doc, StatusCode> {
    Ok(Doc {
        user: "alice".into(),
    })
}

#[protected(owner(fetch = get_doc), state = Db)]
async fn doc(Owned(d): Owned<Doc>) -> String {
    d.user
}

#[protected(state = Db, owner(fetch = get_doc))]
async fn doc_with_app_state(State(_s): State<AppState>) {}

#[protected(scopes = "read", state = AppState)]
async fn state_without_owner() {}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/docs/{id}", get(doc))
        .route("/docs/{id}/other", get(doc_with_app_state))
        .route("/x", get(state_without_owner))
        .with_state(state)
}

fn main() {
    let _ = app;
}
