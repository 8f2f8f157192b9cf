//! A first end-to-end check: a real issuer on 127.0.0.1, a real router, a real token.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims};
use axum::{Router, body::Body, routing::get};
use http::{Request, StatusCode};
use tower::ServiceExt;

#[tokio::test]
async fn valid_token_reaches_the_handler() {
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(issuer.config("test-api").build().unwrap()).unwrap();
    let app = Router::new()
        .route(
            "/me",
            get(|c: Claims| async move { c.subject().unwrap_or("").to_owned() }),
        )
        .with_state(axioms);
    let token = issuer.token().subject("alice").sign();
    let res = app
        .clone()
        .oneshot(
            Request::get("/me")
                .header("authorization", format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"alice");

    let res = app
        .oneshot(Request::get("/me").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], r#"Bearer realm="api""#);
}
