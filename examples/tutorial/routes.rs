//! The routes of the tutorial, each stating its policy with `#[protected(…)]`.
//!
//! | route | policy |
//! |---|---|
//! | `GET /`, `GET /health` | public |
//! | `GET /protected`, `GET /me` | a valid token |
//! | `GET /api/read` | scopes any(`read:data`, `admin`) |
//! | `GET /api/write` | scopes all(`write:data`, `openid`) |
//! | `GET /admin/users` | roles any(`admin`, `superuser`) |
//! | `DELETE /admin/users/{id}` | roles all(`admin`, `superuser`) |
//! | `POST /admin/keys` | role `admin`, a multi-factor login (`acr` `urn:example:mfa`) in the last 5 minutes |
//! | `POST /api/resource` | permissions any(`resource:create`) |
//! | `GET /api/strict` | scopes any(`openid`, `profile`), roles `editor`, permissions `resource:write` |
//! | `GET/HEAD/OPTIONS /public-data` | public; a token personalizes |
//! | `POST /public-data` | a valid token |
//! | `POST /articles` | a valid token; the author is the token's `sub` |
//! | `GET/PATCH/DELETE /articles/{id}` | the author |
//! | `POST /articles/{id}/comments` | a valid token; the commenter is the token's `sub` |
//! | `PATCH /comments/{id}` | the commenter |
//! | `POST /projects` | a valid token; the owner is the token's `email` |
//! | `GET /projects/{id}` | the owner, by `email` |
//! | `PATCH /api/articles/{id}/publish` | the author, and scope, role and permission to publish |
//! | `DELETE /moderation/articles/{id}` | the author, or an admin or moderator |

use axioms::policy::Owned;
use axioms::{Axioms, Claims, protected};
use axum::extract::{FromRef, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::{Article, Comment, Db, Project};
use crate::error::{ApiError, ApiJson, ApiPath, text};

/// The router state: the verifier (found by axioms through `FromRef`) and the database.
#[derive(Clone, FromRef)]
pub(crate) struct AppState {
    pub(crate) axioms: Axioms,
    pub(crate) db: Db,
    /// Whether the embedded development issuer is in use (shown by `GET /`).
    #[from_ref(skip)]
    pub(crate) dev_mode: bool,
}

/// The OpenAPI document of every route. Each operation's `security` is written by
/// `axioms::openapi::SecurityDoc` from the handler's `#[protected]` policy (see `main.rs`):
/// nothing here repeats a policy.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "axioms tutorial API",
        description = "The API of the axioms-fastapi tutorial, in Rust. Every security requirement below comes from the handler's `#[protected]` policy.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")
    ),
    paths(
        index,
        health,
        protected_route,
        me,
        read_data,
        write_data,
        list_users,
        delete_user,
        rotate_keys,
        create_resource,
        strict,
        public_data,
        create_article,
        read_article,
        update_article,
        delete_article,
        publish_article,
        moderate_article,
        create_comment,
        update_comment,
        create_project,
        read_project
    )
)]
pub(crate) struct ApiDoc;

/// Every route of the tutorial.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/health", get(health))
        .route("/protected", get(protected_route))
        .route("/me", get(me))
        .route("/api/read", get(read_data))
        .route("/api/write", get(write_data))
        .route("/admin/users", get(list_users))
        .route("/admin/users/{id}", delete(delete_user))
        .route("/admin/keys", post(rotate_keys))
        .route("/api/resource", post(create_resource))
        .route("/api/strict", get(strict))
        .route(
            "/public-data",
            get(public_data).post(public_data).options(public_data),
        )
        .route("/articles", post(create_article))
        .route(
            "/articles/{id}",
            get(read_article)
                .patch(update_article)
                .delete(delete_article),
        )
        .route("/articles/{id}/comments", post(create_comment))
        .route("/comments/{id}", patch(update_comment))
        .route("/projects", post(create_project))
        .route("/projects/{id}", get(read_project))
        .route("/api/articles/{id}/publish", patch(publish_article))
        .route("/moderation/articles/{id}", delete(moderate_article))
        .fallback(not_found)
        .with_state(state)
}

/// Logs one line per request: method, path and status (never headers, so never tokens).
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(target: "tutorial", "{method} {path} -> {}", response.status().as_u16());
    response
}

async fn not_found() -> ApiError {
    ApiError::not_found("route")
}

// ---------------------------------------------------------------------------------------------
// Public

#[utoipa::path(
    get,
    path = "/",
    summary = "The API and its routes",
    responses((status = 200, description = "Success"))
)]
async fn index(State(state): State<AppState>) -> Json<Value> {
    let config = state.axioms.config();
    Json(json!({
        "message": "Welcome to the axioms tutorial API",
        "mode": if state.dev_mode { "development (embedded issuer)" } else { "issuer" },
        "issuer": config.primary().issuer(),
        "audience": config.primary().audiences(),
        "endpoints": {
            "public": ["/", "/health", "/public-data"],
            "authenticated": ["/protected", "/me", "/articles", "/projects"],
            "scopes": ["/api/read", "/api/write"],
            "roles": ["/admin/users"],
            "permissions": ["/api/resource"],
            "combined": ["/api/strict", "/api/articles/{id}/publish"],
            "ownership": ["/articles/{id}", "/comments/{id}", "/projects/{id}", "/moderation/articles/{id}"],
        },
    }))
}

#[utoipa::path(
    get,
    path = "/health",
    summary = "Health: the database and the signing keys",
    responses((status = 200, description = "Success"))
)]
async fn health(State(state): State<AppState>) -> Response {
    let keys = state.axioms.key_count();
    if state.db.ping().await {
        Json(json!({ "status": "healthy", "signing_keys": keys })).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unhealthy", "signing_keys": keys })),
        )
            .into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Authentication: a valid token is enough

#[protected]
#[utoipa::path(
    get,
    path = "/protected",
    summary = "A valid token is enough",
    responses((status = 200, description = "Success"))
)]
async fn protected_route(claims: Claims) -> Json<Value> {
    Json(json!({
        "message": "You are authenticated!",
        "user_id": claims.subject(),
        "issuer": claims.issuer(),
        "audience": claims.audience(),
    }))
}

#[protected]
#[utoipa::path(
    get,
    path = "/me",
    summary = "The caller, as the token says",
    responses((status = 200, description = "Success"))
)]
async fn me(claims: Claims) -> Json<Value> {
    let text = |name: &str| claims.value(name).and_then(Value::as_str);
    Json(json!({
        "sub": claims.subject(),
        "email": text("email"),
        "name": text("name"),
        "scopes": claims.scopes(),
        "roles": claims.roles(),
        "permissions": claims.permissions(),
    }))
}

// ---------------------------------------------------------------------------------------------
// Scopes, roles, permissions

#[protected(scopes = any("read:data", "admin"))]
#[utoipa::path(
    get,
    path = "/api/read",
    summary = "Read data: scope read:data or admin",
    responses((status = 200, description = "Success"))
)]
async fn read_data(claims: Claims) -> Json<Value> {
    Json(json!({
        "message": "Data retrieved successfully",
        "data": ["item1", "item2", "item3"],
        "user_scopes": claims.scopes(),
    }))
}

#[protected(scopes = all("write:data", "openid"))]
#[utoipa::path(
    get,
    path = "/api/write",
    summary = "Write data: scopes write:data and openid",
    responses((status = 200, description = "Success"))
)]
async fn write_data(claims: Claims) -> Json<Value> {
    Json(json!({
        "message": "Data written successfully",
        "data_id": "data-456",
        "user_scopes": claims.scopes(),
    }))
}

#[protected(roles = any("admin", "superuser"))]
#[utoipa::path(
    get,
    path = "/admin/users",
    summary = "List users: role admin or superuser",
    responses((status = 200, description = "Success"))
)]
async fn list_users(claims: Claims) -> Json<Value> {
    Json(json!({
        "message": "User list retrieved",
        "users": [
            { "id": 1, "name": "User 1", "email": "user1@example.com" },
            { "id": 2, "name": "User 2", "email": "user2@example.com" },
        ],
        "user_roles": claims.roles(),
    }))
}

#[protected(roles = all("admin", "superuser"))]
#[utoipa::path(
    delete,
    path = "/admin/users/{id}",
    summary = "Delete a user: roles admin and superuser",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Success"))
)]
async fn delete_user(claims: Claims, ApiPath(id): ApiPath<i64>) -> Json<Value> {
    Json(json!({
        "message": format!("User {id} deleted successfully"),
        "deleted_by": claims.subject(),
        "user_roles": claims.roles(),
    }))
}

/// Step-up (RFC 9470): an admin, who logged in with a second factor in the last five minutes.
/// Anything less is 401 `insufficient_user_authentication` with `acr_values` and `max_age`.
#[protected(roles = any("admin"), acr = any("urn:example:mfa"), max_age = 300)]
#[utoipa::path(
    post,
    path = "/admin/keys",
    summary = "Rotate the API keys: an admin with a recent multi-factor login",
    responses((status = 201, description = "Rotated"))
)]
async fn rotate_keys(claims: Claims) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({
            "message": "API keys rotated",
            "rotated_by": claims.subject(),
            "acr": claims.acr(),
            "auth_time": claims.auth_time(),
        })),
    )
}

#[protected(permissions = any("resource:create"))]
#[utoipa::path(
    post,
    path = "/api/resource",
    summary = "Create a resource: permission resource:create",
    responses((status = 200, description = "Success"))
)]
async fn create_resource(claims: Claims) -> (StatusCode, Json<Value>) {
    (
        StatusCode::CREATED,
        Json(json!({
            "message": "Resource created successfully",
            "resource_id": "new-resource-123",
            "created_by": claims.subject(),
            "user_permissions": claims.permissions(),
        })),
    )
}

/// Every key is required: (openid OR profile) AND editor AND resource:write.
#[protected(
    scopes = any("openid", "profile"),
    roles = any("editor"),
    permissions = any("resource:write")
)]
#[utoipa::path(
    get,
    path = "/api/strict",
    summary = "Scope, role and permission at once",
    responses((status = 200, description = "Success"))
)]
async fn strict(claims: Claims) -> Json<Value> {
    Json(json!({
        "message": "Access granted to strict endpoint",
        "requirements": {
            "scope": "openid OR profile",
            "role": "editor",
            "permission": "resource:write",
        },
        "user": {
            "sub": claims.subject(),
            "scopes": claims.scopes(),
            "roles": claims.roles(),
            "permissions": claims.permissions(),
        },
    }))
}

/// GET, HEAD and OPTIONS need no token; a valid one personalizes the answer (a *bad* one is
/// still refused). POST needs a valid token.
#[protected(safe_methods = ["GET", "HEAD", "OPTIONS"])]
#[utoipa::path(
    method(get, head, options, post),
    path = "/public-data",
    summary = "Public data: a token personalizes; POST needs one",
    responses((status = 200, description = "Success"))
)]
async fn public_data(method: Method, claims: Option<Claims>) -> Json<Value> {
    let greeting = match claims.as_ref().and_then(Claims::subject) {
        Some(sub) => format!("Hello {sub}, here is the public data"),
        None => "Hello anonymous visitor, here is the public data".to_owned(),
    };
    Json(json!({
        "message": greeting,
        "method": method.as_str(),
        "authenticated": claims.is_some(),
        "data": ["public-1", "public-2"],
    }))
}

// ---------------------------------------------------------------------------------------------
// Ownership: articles (owner field `user` = claim `sub`)

/// The fetch function of the ownership policies: runs after the token is verified, answers
/// 400 for a non-numeric id and 404 for a missing article.
async fn get_article(
    ApiPath(id): ApiPath<i64>,
    State(state): State<AppState>,
) -> Result<Article, ApiError> {
    state
        .db
        .article(id)
        .await?
        .ok_or_else(|| ApiError::not_found("article"))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewArticle {
    title: String,
    content: String,
}

#[protected]
#[utoipa::path(
    post,
    path = "/articles",
    summary = "Write an article; its author is the token's sub",
    request_body = NewArticle,
    responses((status = 200, description = "Success"))
)]
async fn create_article(
    State(state): State<AppState>,
    claims: Claims,
    ApiJson(body): ApiJson<NewArticle>,
) -> Result<Response, ApiError> {
    let user = claims
        .subject()
        .ok_or_else(|| ApiError::missing_claim("sub"))?;
    let title = text("title", &body.title, 200)?;
    let content = text("content", &body.content, 20_000)?;
    let article = state.db.insert_article(&title, &content, user).await?;
    Ok(created(format!("/articles/{}", article.id), article))
}

#[protected(owner(fetch = get_article), state = AppState)]
#[utoipa::path(
    get,
    path = "/articles/{id}",
    summary = "Read an article: its author only",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Success"))
)]
async fn read_article(Owned(article): Owned<Article>) -> Json<Article> {
    Json(article)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ArticlePatch {
    title: Option<String>,
    content: Option<String>,
}

#[protected(owner(fetch = get_article))]
#[utoipa::path(
    patch,
    path = "/articles/{id}",
    summary = "Edit an article: its author only",
    params(("id" = i64, Path, description = "The id")),
    request_body = ArticlePatch,
    responses((status = 200, description = "Success"))
)]
async fn update_article(
    State(state): State<AppState>,
    Owned(article): Owned<Article>,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> Result<Json<Article>, ApiError> {
    let title = patch.title.map(|t| text("title", &t, 200)).transpose()?;
    let content = patch
        .content
        .map(|c| text("content", &c, 20_000))
        .transpose()?;
    state
        .db
        .update_article(article.id, title.as_deref(), content.as_deref())
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("article"))
}

#[protected(owner(fetch = get_article))]
#[utoipa::path(
    delete,
    path = "/articles/{id}",
    summary = "Delete an article: its author only",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Success"))
)]
async fn delete_article(
    State(state): State<AppState>,
    Owned(article): Owned<Article>,
) -> Result<StatusCode, ApiError> {
    if state.db.delete_article(article.id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("article"))
    }
}

/// Ownership AND scope AND role AND permission: even the author needs the privileges, and
/// the privileges are not enough without authorship. The privileges are checked first, so
/// the article is not even read for a caller who lacks them.
#[protected(
    owner(fetch = get_article),
    scopes = any("articles:publish"),
    roles = any("editor", "admin"),
    permissions = any("articles:publish")
)]
#[utoipa::path(
    patch,
    path = "/api/articles/{id}/publish",
    summary = "Publish: the author, with scope, role and permission to publish",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Success"))
)]
async fn publish_article(
    State(state): State<AppState>,
    claims: Claims,
    Owned(article): Owned<Article>,
) -> Result<Json<Value>, ApiError> {
    if article.status == "published" {
        return Err(ApiError::bad_request("the article is already published"));
    }
    let by = claims.subject().unwrap_or_default();
    match state.db.publish_article(article.id, by).await? {
        Some(published) => Ok(Json(json!({
            "message": "Article published successfully",
            "article": published,
        }))),
        // Published (or deleted) by a concurrent request since the fetch.
        None => Err(ApiError::bad_request("the article is already published")),
    }
}

/// The case one decorator per check cannot express: the author, OR a moderator.
#[protected(any_of(owner(fetch = get_article), roles = any("admin", "moderator")))]
#[utoipa::path(
    delete,
    path = "/moderation/articles/{id}",
    summary = "Remove an article: its author, or an admin or moderator",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Success"))
)]
async fn moderate_article(
    State(state): State<AppState>,
    claims: Claims,
    Owned(article): Owned<Article>,
) -> Result<StatusCode, ApiError> {
    if state.db.delete_article(article.id).await? {
        tracing::info!(
            target: "tutorial",
            article = article.id,
            author = %article.user,
            by = claims.subject().unwrap_or("?"),
            "article removed by moderation"
        );
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("article"))
    }
}

// ---------------------------------------------------------------------------------------------
// Ownership with another field: comments (owner field `created_by` = claim `sub`)

async fn get_comment(
    ApiPath(id): ApiPath<i64>,
    State(state): State<AppState>,
) -> Result<Comment, ApiError> {
    state
        .db
        .comment(id)
        .await?
        .ok_or_else(|| ApiError::not_found("comment"))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    text: String,
}

/// Anyone signed in may comment on an existing article.
#[protected]
#[utoipa::path(
    post,
    path = "/articles/{id}/comments",
    summary = "Comment on an article: a valid token",
    params(("id" = i64, Path, description = "The id")),
    request_body = CommentBody,
    responses((status = 200, description = "Success"))
)]
async fn create_comment(
    State(state): State<AppState>,
    claims: Claims,
    ApiPath(article_id): ApiPath<i64>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Response, ApiError> {
    let created_by = claims
        .subject()
        .ok_or_else(|| ApiError::missing_claim("sub"))?;
    let text = text("text", &body.text, 2_000)?;
    let comment = state
        .db
        .insert_comment(article_id, &text, created_by)
        .await?
        .ok_or_else(|| ApiError::not_found("article"))?;
    Ok(created(format!("/comments/{}", comment.id), comment))
}

#[protected(owner(fetch = get_comment, field = "created_by", claim = "sub"))]
#[utoipa::path(
    patch,
    path = "/comments/{id}",
    summary = "Edit a comment: its author only",
    params(("id" = i64, Path, description = "The id")),
    request_body = CommentBody,
    responses((status = 200, description = "Success"))
)]
async fn update_comment(
    State(state): State<AppState>,
    Owned(comment): Owned<Comment>,
    ApiJson(body): ApiJson<CommentBody>,
) -> Result<Json<Comment>, ApiError> {
    let text = text("text", &body.text, 2_000)?;
    state
        .db
        .update_comment(comment.id, &text)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found("comment"))
}

// ---------------------------------------------------------------------------------------------
// Ownership by another claim: projects (owner field `owner_email` = claim `email`)

async fn get_project(
    ApiPath(id): ApiPath<i64>,
    State(state): State<AppState>,
) -> Result<Project, ApiError> {
    state
        .db
        .project(id)
        .await?
        .ok_or_else(|| ApiError::not_found("project"))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewProject {
    name: String,
}

#[protected]
#[utoipa::path(
    post,
    path = "/projects",
    summary = "Create a project; its owner is the token's email",
    request_body = NewProject,
    responses((status = 200, description = "Success"))
)]
async fn create_project(
    State(state): State<AppState>,
    claims: Claims,
    ApiJson(body): ApiJson<NewProject>,
) -> Result<Response, ApiError> {
    let email = claims
        .value("email")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| ApiError::missing_claim("email"))?;
    let name = text("name", &body.name, 200)?;
    let project = state.db.insert_project(&name, email).await?;
    Ok(created(format!("/projects/{}", project.id), project))
}

#[protected(
    owner(fetch = get_project, field = "owner_email", claim = "email"),
    state = AppState
)]
#[utoipa::path(
    get,
    path = "/projects/{id}",
    summary = "Read a project: its owner (by email) only",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Success"))
)]
async fn read_project(Owned(project): Owned<Project>) -> Json<Project> {
    Json(project)
}

/// 201 with a `Location` header and the new object (whose `id` the client needs).
fn created(location: String, object: impl serde::Serialize) -> Response {
    (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(object),
    )
        .into_response()
}
