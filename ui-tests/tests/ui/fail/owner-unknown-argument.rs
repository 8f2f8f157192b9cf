//! A misspelt argument of `owner(…)`.
#![allow(dead_code)]
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

struct Article {
    user: String,
    editor: String,
}

async fn get_article() -> Option<Article> {
    Some(Article {
        user: "alice".into(),
        editor: "bob".into(),
    })
}

#[protected(owner(fetch = get_article, feild = "user"), state = Axioms)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
