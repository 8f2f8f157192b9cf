//! `Claims` and `Option<Claims>` in a protected handler.
use axioms::{Axioms, Claims, protected};
use axum::{Router, routing::get};

#[protected(scopes = "read:data")]
async fn maybe(claims: Option<Claims>) -> String {
    claims
        .and_then(|c| c.subject().map(str::to_owned))
        .unwrap_or_default()
}

#[protected]
async fn surely(claims: Claims) -> String {
    claims.subject().unwrap_or("?").to_owned()
}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/maybe", get(maybe))
        .route("/surely", get(surely))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
