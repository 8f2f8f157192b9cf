#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
use axioms::testing::TestIssuer;
use axioms::{Axioms, policy::Owned, protected};
use axum::{
    Json, Router,
    body::Body,
    extract::{FromRef, Path, State},
    routing::get,
};
use http::{Request, StatusCode};
use tower::ServiceExt;

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

struct Article {
    user: String,
    id: u64,
}

async fn get_article(Path(id): Path<u64>) -> Result<Article, StatusCode> {
    if id < 10 {
        Ok(Article {
            id,
            user: format!("user-{id}"),
        })
    } else {
        Err(StatusCode::NOT_FOUND)
    }
}

#[protected(scopes = any("read:data", "admin"))]
async fn read() -> &'static str {
    "ok"
}

#[protected(any_of(owner(fetch = get_article), roles = any("admin", "moderator")))]
async fn del(State(_s): State<AppState>, Owned(a): Owned<Article>) -> String {
    format!("deleted {}", a.id)
}

#[protected(roles = "editor")]
async fn post(Json(v): Json<serde_json::Value>) -> String {
    v.to_string()
}

#[tokio::test]
async fn works() {
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(issuer.config("test-api").build().unwrap()).unwrap();
    let app = Router::new()
        .route("/read", get(read))
        .route("/a/{id}", get(del).post(post))
        .with_state(AppState { axioms });
    let call = |uri: &str, token: String, method: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from("{bad"))
            .unwrap()
    };
    let t = issuer.token().scope("read:data").sign();
    assert_eq!(
        app.clone()
            .oneshot(call("/read", t, "GET"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let t = issuer.token().scope("write").sign();
    let r = app.clone().oneshot(call("/read", t, "GET")).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    println!("{:?}", r.headers());
    let t = issuer.token().subject("user-3").sign();
    assert_eq!(
        app.clone()
            .oneshot(call("/a/3", t.clone(), "GET"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.clone()
            .oneshot(call("/a/4", t.clone(), "GET"))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.clone()
            .oneshot(call("/a/40", t.clone(), "GET"))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let t2 = issuer
        .token()
        .claim("roles", serde_json::json!(["moderator"]))
        .sign();
    assert_eq!(
        app.clone()
            .oneshot(call("/a/4", t2, "GET"))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // forbidden with bad JSON body -> 403 not 4xx json
    assert_eq!(
        app.clone()
            .oneshot(call("/a/4", t, "POST"))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}
