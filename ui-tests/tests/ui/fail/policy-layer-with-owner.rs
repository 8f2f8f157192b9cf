//! A named policy with `owner(…)` used as a `PolicyLayer`: ownership needs a handler's object.
#![allow(dead_code)]
use axioms::{Axioms, policy::PolicyLayer};
use axum::{Router, extract::FromRef, routing::get};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

struct Article {
    user: String,
}

async fn get_article() -> Option<Article> {
    Some(Article {
        user: "alice".into(),
    })
}

axioms::policy!(pub OwnerOnly: owner(fetch = get_article), state = AppState);

fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { "hi" }))
        .layer(PolicyLayer::<OwnerOnly>::new(state.axioms.clone()))
        .with_state(state)
}

fn main() {
    let _ = app;
}
