//! `#[axum::debug_handler]` under `#[protected]`: it then checks the guard argument too.
//! (Above `#[protected]` it cannot work: it checks the function before the guard argument
//! is added, so its generated call has one argument too few.)
use axioms::{Axioms, protected};
use axum::{
    Json, Router,
    extract::{FromRef, Path, State},
    routing::post,
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

#[protected(scopes = "write:data")]
#[axum::debug_handler]
async fn create(
    State(_s): State<AppState>,
    Path(id): Path<u32>,
    Json(body): Json<String>,
) -> String {
    format!("{id}: {body}")
}

#[protected(roles = "admin")]
#[axum::debug_handler(state = AppState)]
async fn without_state_argument(Json(body): Json<String>) -> String {
    body
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/items/{id}", post(create))
        .route("/admin", post(without_state_argument))
        .with_state(state)
}

fn main() {
    let _ = app;
}
