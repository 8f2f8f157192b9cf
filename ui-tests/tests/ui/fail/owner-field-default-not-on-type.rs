//! Without `field = …` the owner field is `user`; a type without it is reported at `owner`.
use axioms::protected;
use axioms_ui_tests::AppState;
use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    routing::get,
};

struct Comment {
    created_by: String,
}

async fn get_comment(Path(_id): Path<u32>) -> Result<Comment, StatusCode> {
    Ok(Comment {
        created_by: "alice".into(),
    })
}

#[protected(owner(fetch = get_comment))]
async fn handler(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new().route("/{id}", get(handler)).with_state(state)
}

fn main() {
    let _ = app;
}
