//! `any_of(…)` and `all_of(…)`, nested.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

#[protected(any_of(roles = "admin", scopes = "read:data"))]
async fn either() {}

#[protected(all_of(roles = "editor", scopes = "write:data"))]
async fn both() {}

#[protected(any_of(
    roles = "admin",
    all_of(scopes = all("read:data", "write:data"), any_of(roles = "editor", permissions = "publish")),
))]
async fn deep() {}

#[protected(scopes = "api", any_of(roles = "a", roles = "b"))]
async fn same_key_in_any_of() {}

#[protected(any_of(roles = "a"), any_of(scopes = "b"))]
async fn two_groups() {}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/1", get(either))
        .route("/2", get(both))
        .route("/3", get(deep))
        .route("/4", get(same_key_in_any_of))
        .route("/5", get(two_groups))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
