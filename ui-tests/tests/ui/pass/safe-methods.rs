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

#[protected(roles = "admin", safe_methods = ["GET", "HEAD", "OPTIONS", "TRACE",])]
async fn every_safe_method() {}

#[protected(roles = "admin", safe_methods = ["OPTIONS", "TRACE"])]
async fn without_get() {}

// None: not even the configuration's safe methods (default `OPTIONS`) skip the policy.
#[protected(roles = "admin", safe_methods = [])]
async fn none() {}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/articles", get(articles).post(articles))
        .route("/open", get(every_safe_method))
        .route("/options", get(without_get))
        .route("/none", get(none))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
