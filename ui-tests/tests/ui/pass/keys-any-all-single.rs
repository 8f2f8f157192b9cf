//! Each claim key with `any(…)`, `all(…)` and a single string; trailing commas.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(scopes = "read:data")]
async fn scopes_single() {}

#[protected(scopes = any("read:data", "admin"))]
async fn scopes_any() {}

#[protected(scopes = all("read:data", "write:data",))]
async fn scopes_all() {}

#[protected(roles = "editor")]
async fn roles_single() {}

#[protected(roles = any("editor", "admin"))]
async fn roles_any() {}

#[protected(roles = all("editor", "reviewer"))]
async fn roles_all() {}

#[protected(permissions = "articles:delete")]
async fn permissions_single() {}

#[protected(permissions = any("articles:delete", "articles:*"))]
async fn permissions_any() {}

#[protected(permissions = all("articles:read", "articles:write"))]
async fn permissions_all() {}

#[protected(scopes = "a", roles = any("b", "c"), permissions = all("d", "e"),)]
async fn every_key() {}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/1", get(scopes_single))
        .route("/2", get(scopes_any))
        .route("/3", get(scopes_all))
        .route("/4", get(roles_single))
        .route("/5", get(roles_any))
        .route("/6", get(roles_all))
        .route("/7", get(permissions_single))
        .route("/8", get(permissions_any))
        .route("/9", get(permissions_all))
        .route("/10", get(every_key))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
