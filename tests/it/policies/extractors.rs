//! The guard runs before every other extractor (a body, a path), so a caller without access
//! never learns how a request would have failed; and a handler that also takes `Claims` gets
//! the guard's verdict, not a second verification.

use std::convert::Infallible;

use axioms::policy::Owned;
use axioms::{Claims, protected};
use axum::extract::{FromRequestParts, Path};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use http::request::Parts;
use http::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::apps::{AppState, Article, Env, get_article};
use crate::common::{Req, Scope, Transport, Want, expect, no_failures, req, row};

// ---------------------------------------------------------------------------------------------
// Order: the guard runs before every other extractor

#[protected(roles = "editor")]
async fn create_post(Json(post): Json<Value>) -> (StatusCode, Json<Value>) {
    (StatusCode::CREATED, Json(post))
}

#[protected(owner(fetch = get_article), state = AppState)]
async fn patch_article(Owned(article): Owned<Article>, Json(patch): Json<Value>) -> String {
    format!("{} <- {patch}", article.id)
}

#[protected(roles = "editor")]
async fn item_by_id(Path(id): Path<u64>) -> String {
    format!("item {id}")
}

fn order_app(state: AppState) -> Router {
    Router::new()
        .route("/posts", post(create_post))
        .route("/articles/{id}", patch(patch_article))
        .route("/items/{id}", get(item_by_id))
        .with_state(state)
}

async fn order_on(env: &Env, t: &Transport) {
    let mut failures = Vec::new();
    let editor = env.token(json!({"sub": "alice", "roles": ["editor"]}));
    let viewer = env.token(json!({"sub": "bob", "roles": ["viewer"]}));
    let db = env.db();
    let cases: Vec<(&str, Req, Want)> = vec![
        // Forbidden with a broken body: 403, never 400/415/422.
        (
            "viewer bad json",
            req("POST", "/posts").bearer(&viewer).json("{bad"),
            Want::Forbidden(Scope::Absent),
        ),
        (
            "viewer no content-type",
            req("POST", "/posts").bearer(&viewer).raw_body("{bad"),
            Want::Forbidden(Scope::Absent),
        ),
        (
            "viewer wrong shape",
            req("POST", "/posts").bearer(&viewer).json("[1"),
            Want::Forbidden(Scope::Absent),
        ),
        // Anonymous with a broken body: 401.
        (
            "anonymous bad json",
            req("POST", "/posts").json("{bad"),
            Want::Anonymous,
        ),
        (
            "anonymous no content-type",
            req("POST", "/posts").raw_body("{bad"),
            Want::Anonymous,
        ),
        // Allowed: now the body extractor speaks.
        (
            "editor bad json",
            req("POST", "/posts").bearer(&editor).json("{bad"),
            Want::Status(400),
        ),
        (
            "editor no content-type",
            req("POST", "/posts").bearer(&editor).raw_body("{}"),
            Want::Status(415),
        ),
        (
            "editor good json",
            req("POST", "/posts")
                .bearer(&editor)
                .json(r#"{"title":"hi"}"#),
            Want::Status(201),
        ),
        // Ownership: the stranger gets 403 with a broken body, the owner gets the body error.
        (
            "stranger bad json",
            req("PATCH", "/articles/1").bearer(&viewer).json("{bad"),
            Want::Forbidden(Scope::Absent),
        ),
        (
            "anonymous bad json (owner)",
            req("PATCH", "/articles/1").json("{bad"),
            Want::Anonymous,
        ),
        (
            "owner bad json",
            req("PATCH", "/articles/1").bearer(&editor).json("{bad"),
            Want::Status(400),
        ),
        (
            "owner good json",
            req("PATCH", "/articles/1")
                .bearer(&editor)
                .json(r#"{"t":1}"#),
            Want::Status(200),
        ),
        // Path extractor: the guard comes first there too.
        (
            "anonymous bad path",
            req("GET", "/items/abc"),
            Want::Anonymous,
        ),
        (
            "viewer bad path",
            req("GET", "/items/abc").bearer(&viewer),
            Want::Forbidden(Scope::Absent),
        ),
        (
            "editor bad path",
            req("GET", "/items/abc").bearer(&editor),
            Want::Status(400),
        ),
        (
            "editor good path",
            req("GET", "/items/7").bearer(&editor),
            Want::Status(200),
        ),
    ];
    db.reset();
    for (label, r, want) in cases {
        row(t, label, r, want, &mut failures).await;
    }
    no_failures(&failures);
    // stranger + owner bad + owner good fetch; anonymous does not.
    assert_eq!(db.fetches(), 3);
    let r = t
        .send(
            req("POST", "/posts")
                .bearer(&editor)
                .json(r#"{"title":"hi"}"#),
        )
        .await;
    assert_eq!(r.json(), json!({"title": "hi"}));
}

#[tokio::test]
async fn guard_runs_before_other_extractors_oneshot() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    let t = Transport::oneshot(order_app(env.state.clone()));
    order_on(&env, &t).await;
}

#[tokio::test]
async fn guard_runs_before_other_extractors_over_http() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    let t = Transport::http(order_app(env.state.clone())).await;
    order_on(&env, &t).await;
}

// ---------------------------------------------------------------------------------------------
// The handler may also take `Claims`: the guard's verdict is reused

/// An extractor that deletes the `Authorization` header. Placed after the guard and before
/// `Claims`, it proves that `Claims` reuses the guard's verification: verifying again would
/// find no token and answer 401.
struct StripAuthorization;

impl<S: Send + Sync> FromRequestParts<S> for StripAuthorization {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        parts.headers.remove(header::AUTHORIZATION);
        Ok(Self)
    }
}

#[protected(scopes = "profile")]
async fn whoami(claims: Claims) -> String {
    claims.subject().unwrap_or("-").to_owned()
}

#[protected(scopes = "profile")]
async fn whoami_stripped(_strip: StripAuthorization, claims: Claims) -> String {
    claims.subject().unwrap_or("-").to_owned()
}

async fn unguarded_stripped(_strip: StripAuthorization, claims: Claims) -> String {
    claims.subject().unwrap_or("-").to_owned()
}

#[protected(owner(fetch = get_article), state = AppState)]
async fn owner_and_claims(
    _strip: StripAuthorization,
    claims: Claims,
    Owned(article): Owned<Article>,
) -> String {
    format!("{} owns {}", claims.subject().unwrap_or("-"), article.id)
}

#[tokio::test]
async fn handler_takes_claims_without_second_verification() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    let app = Router::new()
        .route("/whoami", get(whoami))
        .route("/whoami-stripped", get(whoami_stripped))
        .route("/unguarded-stripped", get(unguarded_stripped))
        .route("/articles/{id}", get(owner_and_claims))
        .with_state(env.state.clone());
    let t = Transport::oneshot(app);
    let token = env.token(json!({"sub": "ada", "scope": "profile"}));

    let r = t.send(req("GET", "/whoami").bearer(&token)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "ada");

    // Control: without the guard, stripping the header makes `Claims` fail.
    let r = t
        .send(req("GET", "/unguarded-stripped").bearer(&token))
        .await;
    expect(&r, Want::Anonymous);

    // With the guard, `Claims` reuses the verified claims.
    let r = t.send(req("GET", "/whoami-stripped").bearer(&token)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "ada");

    let alice = env.token(json!({"sub": "alice"}));
    let r = t.send(req("GET", "/articles/1").bearer(&alice)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "alice owns 1");
    assert_eq!(env.db().fetches(), 1);
}
