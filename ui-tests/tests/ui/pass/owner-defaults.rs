//! `owner(fetch = …)` with the defaults: field `user`, claim `sub`, 403, state inferred from
//! the handler's `State<AppState>`; the object reaches the handler through `Owned<T>`.
use axioms::{Axioms, policy::Owned, protected};
use axum::{
    Router,
    extract::{FromRef, Path, State},
    http::StatusCode,
    routing::{delete, get},
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
    greeting: &'static str,
}

struct Article {
    id: u64,
    user: String,
}

async fn get_article(
    Path(id): Path<u64>,
    State(_s): State<AppState>,
) -> Result<Article, StatusCode> {
    if id == 1 {
        Ok(Article {
            id,
            user: "alice".into(),
        })
    } else {
        Err(StatusCode::NOT_FOUND)
    }
}

#[protected(owner(fetch = get_article))]
async fn show(State(s): State<AppState>, Owned(article): Owned<Article>) -> String {
    format!("{} {} by {}", s.greeting, article.id, article.user)
}

#[protected(any_of(owner(fetch = get_article), roles = any("admin", "moderator")))]
async fn remove(State(_s): State<AppState>) -> StatusCode {
    StatusCode::NO_CONTENT
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/articles/{id}", get(show))
        .route("/articles/{id}/delete", delete(remove))
        .with_state(state)
}

fn main() {
    let _ = app;
}
