//! `safe_methods = [...]`: listed methods skip the policy; `Option<Claims>` personalizes.
use axioms::{Axioms, Claims, protected};
use axum::{Router, routing::get};

#[protected(scopes = "write:data", safe_methods = ["GET", "HEAD", "OPTIONS"])]
async fn articles(claims: Option<Claims>) -> String {
    match claims {
        Some(c) => format!("hello {}", c.subject().unwrap_or("?")),
        None => "hello stranger".to_owned(),
    }
}

#[protected(safe_methods = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT",])]
async fn everything_safe() {}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/articles", get(articles).post(articles))
        .route("/open", get(everything_safe))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
