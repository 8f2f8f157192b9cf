//! The axioms-fastapi tutorial, route for route and token for token, as `#[protected]` handlers
//! in process: over `oneshot` and over real HTTP.

use std::collections::HashMap;

use axioms::policy::Owned;
use axioms::{Claims, protected};
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use http::StatusCode;
use serde_json::{Value, json};

use crate::common::apps::{
    AppState, Article, Comment, Db, Env, Project, get_article, get_comment, get_project,
    publish_article,
};
use crate::common::{Scope, Transport, Want, expect, no_failures, req, row};

const TUTORIAL_AUDIENCE: &str = "https://api.example.com";

#[protected]
async fn t_protected(claims: Claims) -> Json<Value> {
    Json(json!({"message": "You are authenticated!", "user_id": claims.subject()}))
}

#[protected(scopes = any("read:data", "admin"))]
async fn t_read_data(claims: Claims) -> Json<Value> {
    Json(json!({
        "message": "Data retrieved successfully",
        "data": ["item1", "item2", "item3"],
        "user_scope": claims.value("scope"),
    }))
}

#[protected(scopes = all("write:data", "openid"))]
async fn t_write_data() -> Json<Value> {
    Json(json!({"message": "Data written successfully", "data_id": "data-456"}))
}

#[protected(roles = any("admin", "superuser"))]
async fn t_list_users(claims: Claims) -> Json<Value> {
    Json(json!({"message": "User list retrieved", "user_roles": claims.value("roles")}))
}

#[protected(roles = all("admin", "superuser"))]
async fn t_delete_user(Path(user_id): Path<u64>, claims: Claims) -> Json<Value> {
    Json(json!({
        "message": format!("User {user_id} deleted successfully"),
        "deleted_by": claims.subject(),
    }))
}

#[protected(permissions = any("resource:create"))]
async fn t_create_resource(claims: Claims) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({
            "message": "Resource created successfully",
            "resource_id": "new-resource-123",
            "created_by": claims.subject(),
        })),
    )
}

#[protected(
    scopes = any("openid", "profile"),
    roles = any("editor"),
    permissions = any("resource:write")
)]
async fn t_strict(claims: Claims) -> Json<Value> {
    Json(json!({"message": "Access granted to strict endpoint", "user": {"sub": claims.subject()}}))
}

#[protected(owner(fetch = get_article), state = AppState)]
async fn t_read_article(Owned(article): Owned<Article>) -> Json<Value> {
    Json(json!({"id": article.id, "title": article.title, "user": article.user}))
}

#[protected(owner(fetch = get_article))]
async fn t_update_article(
    State(db): State<Db>,
    Query(q): Query<HashMap<String, String>>,
    Owned(mut article): Owned<Article>,
) -> Json<Value> {
    if let Some(title) = q.get("title") {
        article.title.clone_from(title);
    }
    db.articles
        .lock()
        .unwrap()
        .insert(article.id, article.clone());
    Json(
        json!({"message": "Article updated successfully", "article": {"id": article.id, "title": article.title, "user": article.user}}),
    )
}

#[protected(owner(fetch = get_article))]
async fn t_delete_article(State(db): State<Db>, Owned(article): Owned<Article>) -> StatusCode {
    db.articles.lock().unwrap().remove(&article.id);
    StatusCode::NO_CONTENT
}

#[protected(owner(fetch = get_comment, field = "created_by"), state = AppState)]
async fn t_update_comment(
    Query(q): Query<HashMap<String, String>>,
    Owned(comment): Owned<Comment>,
) -> Json<Value> {
    Json(
        json!({"message": "Comment updated successfully", "comment": {"id": comment.id, "text": q.get("text"), "created_by": comment.created_by}}),
    )
}

#[protected(owner(fetch = get_project, field = "owner_email", claim = "email"), state = AppState)]
async fn t_read_project(Owned(project): Owned<Project>) -> Json<Value> {
    Json(json!({"id": project.id, "name": project.name, "owner_email": project.owner_email}))
}

fn tutorial_app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { Json(json!({"message": "Welcome"})) }))
        .route(
            "/health",
            get(|| async { Json(json!({"status": "healthy"})) }),
        )
        .route("/protected", get(t_protected))
        .route("/api/read", get(t_read_data))
        .route("/api/write", get(t_write_data))
        .route("/admin/users", get(t_list_users))
        .route("/admin/users/{user_id}", delete(t_delete_user))
        .route("/api/resource", post(t_create_resource))
        .route("/api/strict", get(t_strict))
        .route(
            "/articles/{id}",
            get(t_read_article)
                .patch(t_update_article)
                .delete(t_delete_article),
        )
        .route("/comments/{id}", patch(t_update_comment))
        .route("/projects/{id}", get(t_read_project))
        .route("/api/articles/{id}/publish", patch(publish_article))
        .with_state(state)
}

/// How a row authenticates.
enum Cred {
    NoAuth,
    /// A valid token with these claims (iss/aud/exp from the issuer; `sub` user123 unless set).
    Token(Value),
    Expired,
    WrongAudience,
    /// A raw `Authorization` header value.
    Header(&'static str),
}

async fn tutorial_matrix(env: &Env, t: &Transport) {
    use Cred::{Expired, Header, NoAuth, Token, WrongAudience};
    use Scope::{Absent, Named, Unchecked};
    use Want::{Forbidden, InvalidRequest, InvalidToken, Status};
    let u123 = |extra: Value| {
        let mut claims = json!({"sub": "user123"});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        Token(claims)
    };
    // The tutorial's Postman pre-request token.
    let postman = || {
        u123(json!({"scope": "read:data", "roles": ["admin"], "permissions": ["resource:create"]}))
    };
    let publisher = |sub: &str| {
        Token(json!({
            "sub": sub, "scope": "articles:publish", "roles": ["editor"], "permissions": ["articles:publish"],
        }))
    };
    let rows: Vec<(&str, &str, &str, Cred, Want)> = vec![
        // Step 2: public endpoints.
        ("public root", "GET", "/", NoAuth, Status(200)),
        ("health", "GET", "/health", NoAuth, Status(200)),
        // Step 3: authentication.
        (
            "sub user123",
            "GET",
            "/protected",
            u123(json!({})),
            Status(200),
        ),
        ("no token", "GET", "/protected", NoAuth, Want::Anonymous),
        (
            "expired token → 401",
            "GET",
            "/protected",
            Expired,
            InvalidToken,
        ),
        (
            "token for another API",
            "GET",
            "/protected",
            WrongAudience,
            InvalidToken,
        ),
        (
            "garbage token",
            "GET",
            "/protected",
            Header("Bearer abc.def.ghi"),
            InvalidToken,
        ),
        // Another scheme is no credentials at all (RFC 6750 §3.1).
        (
            "Basic auth",
            "GET",
            "/protected",
            Header("Basic dXNlcjpwYXNz"),
            Want::Anonymous,
        ),
        // Deliberately stricter than the tutorial (which answers 401 for any unusable
        // header): a malformed `Authorization: Bearer …` is a malformed *request*, 400
        // `invalid_request` (RFC 6750 §3.1).
        (
            "Bearer without token",
            "GET",
            "/protected",
            Header("Bearer"),
            InvalidRequest,
        ),
        (
            "Bearer with two tokens",
            "GET",
            "/protected",
            Header("Bearer a b"),
            InvalidRequest,
        ),
        (
            "Bearer with bad chars",
            "GET",
            "/protected",
            Header("Bearer a,b"),
            InvalidRequest,
        ),
        // Step 4: scopes, OR.
        (
            "scope read:data",
            "GET",
            "/api/read",
            u123(json!({"scope": "read:data"})),
            Status(200),
        ),
        (
            "scope admin",
            "GET",
            "/api/read",
            u123(json!({"scope": "admin"})),
            Status(200),
        ),
        (
            "scope read:data profile email",
            "GET",
            "/api/read",
            u123(json!({"scope": "read:data profile email"})),
            Status(200),
        ),
        (
            "scope write:data",
            "GET",
            "/api/read",
            u123(json!({"scope": "write:data"})),
            Forbidden(Named("read:data admin")),
        ),
        (
            "no scope claim",
            "GET",
            "/api/read",
            u123(json!({})),
            Forbidden(Named("read:data admin")),
        ),
        ("no token", "GET", "/api/read", NoAuth, Want::Anonymous),
        // Step 4: scopes, AND.
        (
            "write:data openid profile",
            "GET",
            "/api/write",
            u123(json!({"scope": "write:data openid profile"})),
            Status(200),
        ),
        (
            "write:data only",
            "GET",
            "/api/write",
            u123(json!({"scope": "write:data"})),
            Forbidden(Named("write:data openid")),
        ),
        // Step 5: roles, OR.
        (
            "roles admin",
            "GET",
            "/admin/users",
            u123(json!({"roles": ["admin"]})),
            Status(200),
        ),
        (
            "roles superuser",
            "GET",
            "/admin/users",
            u123(json!({"roles": ["superuser"]})),
            Status(200),
        ),
        (
            "roles editor",
            "GET",
            "/admin/users",
            u123(json!({"roles": ["editor"]})),
            Forbidden(Absent),
        ),
        (
            "roles editor+admin",
            "GET",
            "/admin/users",
            u123(json!({"roles": ["editor", "admin"]})),
            Status(200),
        ),
        // Step 5: roles, AND (the tutorial chains two require_roles; here roles = all(…)).
        (
            "roles admin+superuser",
            "DELETE",
            "/admin/users/1",
            u123(json!({"roles": ["admin", "superuser"]})),
            Status(200),
        ),
        (
            "roles admin only",
            "DELETE",
            "/admin/users/1",
            u123(json!({"roles": ["admin"]})),
            Forbidden(Absent),
        ),
        (
            "roles superuser only",
            "DELETE",
            "/admin/users/1",
            u123(json!({"roles": ["superuser"]})),
            Forbidden(Absent),
        ),
        // Step 6: permissions.
        (
            "permissions create+read",
            "POST",
            "/api/resource",
            u123(json!({"permissions": ["resource:create", "resource:read"]})),
            Status(201),
        ),
        (
            "permissions read",
            "POST",
            "/api/resource",
            u123(json!({"permissions": ["resource:read"]})),
            Forbidden(Absent),
        ),
        (
            "no permissions claim",
            "POST",
            "/api/resource",
            u123(json!({})),
            Forbidden(Absent),
        ),
        // The Postman collection's token.
        ("postman token", "GET", "/api/read", postman(), Status(200)),
        (
            "postman token",
            "GET",
            "/admin/users",
            postman(),
            Status(200),
        ),
        (
            "postman token",
            "POST",
            "/api/resource",
            postman(),
            Status(201),
        ),
        (
            "postman token",
            "GET",
            "/api/write",
            postman(),
            Forbidden(Named("write:data openid")),
        ),
        (
            "postman token",
            "DELETE",
            "/admin/users/1",
            postman(),
            Forbidden(Absent),
        ),
        // Step 8: strict (scopes AND roles AND permissions).
        (
            "strict valid",
            "GET",
            "/api/strict",
            u123(
                json!({"scope": "openid profile email", "roles": ["editor", "user"], "permissions": ["resource:write"]}),
            ),
            Status(200),
        ),
        (
            "strict missing scope",
            "GET",
            "/api/strict",
            u123(json!({"scope": "email", "roles": ["editor"], "permissions": ["resource:write"]})),
            Forbidden(Named("openid profile")),
        ),
        (
            "strict wrong role",
            "GET",
            "/api/strict",
            u123(
                json!({"scope": "openid", "roles": ["viewer"], "permissions": ["resource:write"]}),
            ),
            Forbidden(Absent),
        ),
        (
            "strict missing permission",
            "GET",
            "/api/strict",
            u123(
                json!({"scope": "profile", "roles": ["editor"], "permissions": ["resource:read"]}),
            ),
            Forbidden(Absent),
        ),
        // Step 7: ownership. The tutorial's body says `insufficient_permission`; axioms answers
        // the same 403 with RFC 6750's only code, `insufficient_scope`.
        (
            "owner user123",
            "GET",
            "/articles/1",
            u123(json!({})),
            Status(200),
        ),
        (
            "non-owner user456",
            "GET",
            "/articles/1",
            Token(json!({"sub": "user456"})),
            Forbidden(Absent),
        ),
        (
            "missing article",
            "GET",
            "/articles/99",
            u123(json!({})),
            Status(404),
        ),
        // Stricter than the tutorial's flow (which fetches, then validates the token): the
        // token is checked first, so an anonymous caller learns nothing about existence.
        (
            "anonymous, missing article",
            "GET",
            "/articles/99",
            NoAuth,
            Want::Anonymous,
        ),
        (
            "owner updates",
            "PATCH",
            "/articles/1?title=New",
            u123(json!({})),
            Status(200),
        ),
        (
            "non-owner updates",
            "PATCH",
            "/articles/1?title=Pwned",
            Token(json!({"sub": "user456"})),
            Forbidden(Absent),
        ),
        (
            "non-owner deletes",
            "DELETE",
            "/articles/2",
            Token(json!({"sub": "user456"})),
            Forbidden(Absent),
        ),
        (
            "owner deletes",
            "DELETE",
            "/articles/2",
            u123(json!({})),
            Status(204),
        ),
        (
            "deleted is gone",
            "DELETE",
            "/articles/2",
            u123(json!({})),
            Status(404),
        ),
        // Custom owner field.
        (
            "comment creator",
            "PATCH",
            "/comments/1?text=edited",
            u123(json!({})),
            Status(200),
        ),
        (
            "comment non-creator",
            "PATCH",
            "/comments/1?text=edited",
            Token(json!({"sub": "user456"})),
            Forbidden(Absent),
        ),
        // Custom claim field.
        (
            "project owner email",
            "GET",
            "/projects/1",
            u123(json!({"email": "john@example.com"})),
            Status(200),
        ),
        (
            "project other email",
            "GET",
            "/projects/1",
            u123(json!({"email": "jane@example.com"})),
            Forbidden(Absent),
        ),
        (
            "project no email",
            "GET",
            "/projects/1",
            u123(json!({})),
            Forbidden(Absent),
        ),
        // Step 8: publish = ownership AND scope AND role AND permission.
        (
            "publish non-owner",
            "PATCH",
            "/api/articles/1/publish",
            publisher("user456"),
            Forbidden(Absent),
        ),
        // The missing scope's challenge is asserted by
        // `publish_denial_for_a_missing_scope_names_the_scope`.
        (
            "publish owner without scope",
            "PATCH",
            "/api/articles/1/publish",
            u123(json!({"roles": ["editor"], "permissions": ["articles:publish"]})),
            Forbidden(Unchecked),
        ),
        (
            "publish owner viewer",
            "PATCH",
            "/api/articles/1/publish",
            u123(
                json!({"scope": "articles:publish", "roles": ["viewer"], "permissions": ["articles:publish"]}),
            ),
            Forbidden(Absent),
        ),
        (
            "publish owner without permission",
            "PATCH",
            "/api/articles/1/publish",
            u123(json!({"scope": "articles:publish", "roles": ["editor"]})),
            Forbidden(Absent),
        ),
        (
            "publish owner",
            "PATCH",
            "/api/articles/1/publish",
            publisher("user123"),
            Status(200),
        ),
        (
            "publish again",
            "PATCH",
            "/api/articles/1/publish",
            publisher("user123"),
            Status(400),
        ),
        (
            "publish anonymous",
            "PATCH",
            "/api/articles/1/publish",
            NoAuth,
            Want::Anonymous,
        ),
    ];
    let mut failures = Vec::new();
    for (label, method, uri, cred, want) in rows {
        let r = req(method, uri);
        let r = match cred {
            NoAuth => r,
            Token(claims) => r.bearer(&env.token(claims)),
            Expired => r.bearer(
                &env.issuer
                    .token()
                    .audience(TUTORIAL_AUDIENCE)
                    .subject("user123")
                    .expires_in(-3600)
                    .sign(),
            ),
            WrongAudience => r.bearer(
                &env.issuer
                    .token()
                    .audience("https://other-api.example.com")
                    .subject("user123")
                    .sign(),
            ),
            Header(value) => r.authorization(value),
        };
        row(t, label, r, want, &mut failures).await;
    }
    no_failures(&failures);

    // A few bodies, as the tutorial shows them.
    let token = env.token(json!({"sub": "user123", "scope": "openid", "roles": ["editor"], "permissions": ["resource:write"]}));
    let r = t.send(req("GET", "/api/strict").bearer(&token)).await;
    assert_eq!(r.json()["user"]["sub"], "user123");
    let r = t
        .send(req("GET", "/articles/1").bearer(&env.token(json!({"sub": "user123"}))))
        .await;
    assert_eq!(
        r.json(),
        json!({"id": 1, "title": "New", "user": "user123"})
    );
    let token = env.token(json!({"sub": "user456", "roles": ["admin", "superuser"]}));
    let r = t.send(req("DELETE", "/admin/users/7").bearer(&token)).await;
    assert_eq!(r.json()["message"], "User 7 deleted successfully");
    assert_eq!(r.json()["deleted_by"], "user456");
    let token = env.token(json!({"sub": "user123"}));
    let r = t
        .send(req("GET", "/articles/1").bearer(&token.replace('.', "!")))
        .await;
    expect(&r, InvalidRequest);
}

async fn tutorial_env() -> Env {
    let env = Env::with_audience(TUTORIAL_AUDIENCE).await;
    let db = env.db();
    db.put_article(1, "user123");
    db.put_article(2, "user123");
    db.put_article(3, "user456");
    db.put_comment(1, "user123");
    db.put_project(1, "john@example.com");
    env
}

#[tokio::test]
async fn tutorial_matrix_oneshot() {
    let env = tutorial_env().await;
    let t = Transport::oneshot(tutorial_app(env.state.clone()));
    tutorial_matrix(&env, &t).await;
}

#[tokio::test]
async fn tutorial_matrix_over_http() {
    let env = tutorial_env().await;
    let t = Transport::http(tutorial_app(env.state.clone())).await;
    tutorial_matrix(&env, &t).await;
}
