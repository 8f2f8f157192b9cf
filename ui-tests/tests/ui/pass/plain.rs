//! `#[protected]` alone: any valid token.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected]
async fn profile() -> &'static str {
    "profile"
}

#[protected()]
async fn empty_parentheses() -> &'static str {
    "also only a valid token"
}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/profile", get(profile))
        .route("/other", get(empty_parentheses))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
