//! State and handlers that several test modules mount: the article store of the policy,
//! ownership and safe-method tests (whose fetch functions count their calls), a counter of
//! protected handler runs, and the named admin policies.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axioms::policy::{Owned, PolicyLayer};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims, protected};
use axum::extract::{FromRef, Path, State};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::{Value, json};

use super::issuer_with_verifier;

// ---------------------------------------------------------------------------------------------
// The article store: the verifier plus an in-memory object store that counts its fetches.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
pub struct Article {
    pub id: u64,
    pub user: String,
    pub title: String,
    pub published: bool,
}

#[derive(Clone, Debug)]
pub struct Comment {
    pub id: u64,
    pub created_by: String,
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct Project {
    pub id: u64,
    pub name: String,
    pub owner_email: String,
}

#[derive(Clone, Debug)]
pub struct Ticket {
    pub id: u64,
    pub owner_id: u64,
}

#[derive(Clone, Debug)]
pub struct Draft {
    pub id: u64,
    pub user: Option<String>,
}

#[derive(Clone, Default)]
pub struct Db {
    pub articles: Arc<Mutex<HashMap<u64, Article>>>,
    pub comments: Arc<Mutex<HashMap<u64, Comment>>>,
    pub projects: Arc<Mutex<HashMap<u64, Project>>>,
    pub tickets: Arc<Mutex<HashMap<u64, Ticket>>>,
    pub drafts: Arc<Mutex<HashMap<u64, Draft>>>,
    /// Every call of every fetch function.
    pub fetches: Arc<AtomicUsize>,
}

impl Db {
    pub fn put_article(&self, id: u64, user: &str) {
        self.articles.lock().unwrap().insert(
            id,
            Article {
                id,
                user: user.to_owned(),
                title: format!("article {id}"),
                published: false,
            },
        );
    }
    pub fn put_comment(&self, id: u64, created_by: &str) {
        self.comments.lock().unwrap().insert(
            id,
            Comment {
                id,
                created_by: created_by.to_owned(),
                text: "first!".to_owned(),
            },
        );
    }
    pub fn put_project(&self, id: u64, owner_email: &str) {
        self.projects.lock().unwrap().insert(
            id,
            Project {
                id,
                name: format!("project {id}"),
                owner_email: owner_email.to_owned(),
            },
        );
    }
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
    pub fn reset(&self) {
        self.fetches.store(0, Ordering::SeqCst);
    }
    pub fn counted(&self) {
        self.fetches.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Clone, FromRef)]
pub struct AppState {
    pub axioms: Axioms,
    pub db: Db,
}

// Fetch functions. Each counts its calls.

/// Its own 404 carries a body, so the tests can tell it from any other 404.
pub async fn get_article(
    Path(id): Path<u64>,
    State(db): State<Db>,
) -> Result<Article, (StatusCode, &'static str)> {
    db.counted();
    db.articles
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .ok_or((StatusCode::NOT_FOUND, "Article not found"))
}

/// A bare 404, for comparing with the `mismatch = 404` answer.
pub async fn get_article_bare(
    Path(id): Path<u64>,
    State(db): State<Db>,
) -> Result<Article, StatusCode> {
    db.counted();
    db.articles
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .ok_or(StatusCode::NOT_FOUND)
}

pub async fn get_comment(
    Path(id): Path<u64>,
    State(state): State<AppState>,
) -> Result<Comment, (StatusCode, &'static str)> {
    state.db.counted();
    state
        .db
        .comments
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .ok_or((StatusCode::NOT_FOUND, "Comment not found"))
}

pub async fn get_project(
    Path(id): Path<u64>,
    State(db): State<Db>,
) -> Result<Project, (StatusCode, &'static str)> {
    db.counted();
    db.projects
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .ok_or((StatusCode::NOT_FOUND, "Project not found"))
}

/// Returns `Option`: `None` must answer a plain 404.
pub async fn find_ticket(Path(id): Path<u64>, State(db): State<Db>) -> Option<Ticket> {
    db.counted();
    db.tickets.lock().unwrap().get(&id).cloned()
}

pub async fn get_draft(
    Path(id): Path<u64>,
    State(db): State<Db>,
) -> Result<Draft, (StatusCode, &'static str)> {
    db.counted();
    db.drafts
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .ok_or((StatusCode::NOT_FOUND, "Draft not found"))
}

// ---------------------------------------------------------------------------------------------
// An issuer and a verifier for the API, with the store.
// ---------------------------------------------------------------------------------------------

/// An issuer, a verifier for its audience (`test-api` unless said), and an empty store.
pub struct Env {
    pub issuer: TestIssuer,
    pub audience: String,
    pub state: AppState,
}

impl Env {
    pub async fn new() -> Self {
        Self::with_audience("test-api").await
    }

    pub async fn with_audience(audience: &str) -> Self {
        let (issuer, axioms) = issuer_with_verifier(audience).await;
        Self {
            issuer,
            audience: audience.to_owned(),
            state: AppState {
                axioms,
                db: Db::default(),
            },
        }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// A valid token for this API with `claims` added (or replacing the defaults, e.g. `sub`).
    pub fn token(&self, claims: Value) -> String {
        self.issuer
            .token()
            .audience(&self.audience)
            .claims(claims)
            .sign()
    }

    pub fn token_without_sub(&self, claims: Value) -> String {
        self.issuer
            .token()
            .audience(&self.audience)
            .claims(claims)
            .without("sub")
            .sign()
    }
}

/// Publishes one's own article: ownership and every layer (scope, role, permission).
#[protected(
    owner(fetch = get_article),
    scopes = any("articles:publish"),
    roles = any("editor", "admin"),
    permissions = any("articles:publish")
)]
pub async fn publish_article(
    State(db): State<Db>,
    Owned(mut article): Owned<Article>,
    claims: Claims,
) -> Result<Json<Value>, (StatusCode, &'static str)> {
    if article.published {
        return Err((StatusCode::BAD_REQUEST, "Already published"));
    }
    article.published = true;
    db.articles
        .lock()
        .unwrap()
        .insert(article.id, article.clone());
    Ok(Json(json!({
        "message": "Article published successfully",
        "article_id": article.id,
        "published_by": claims.subject(),
        "owner": article.user,
    })))
}

// ---------------------------------------------------------------------------------------------
// Handlers that count their runs.
// ---------------------------------------------------------------------------------------------

/// How many times a protected handler body ran.
#[derive(Clone, Default)]
pub struct Hits(Arc<AtomicUsize>);

impl Hits {
    pub fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A verifier and a counter of handler runs: the state of routes that count them.
#[derive(Clone, FromRef)]
pub struct Counted {
    pub axioms: Axioms,
    pub hits: Hits,
}

/// Who vouched: the token's issuer.
pub async fn me(claims: Claims) -> String {
    claims.issuer().unwrap_or_default().to_owned()
}

/// An admin's handler, counting its runs.
#[protected(roles = "admin")]
pub async fn admin(State(hits): State<Hits>) -> &'static str {
    hits.hit();
    "admin"
}

axioms::policy!(
    /// The admin role, as a named policy.
    pub Admins: roles = "admin"
);

// ---------------------------------------------------------------------------------------------
// A named policy, on handlers and as a router layer.
// ---------------------------------------------------------------------------------------------

axioms::policy!(pub AdminOnly: roles = any("admin", "superuser"));

#[protected(policy = AdminOnly)]
pub async fn list_users(claims: Claims) -> String {
    format!("users for {}", claims.subject().unwrap_or("-"))
}

#[protected(policy = AdminOnly)]
pub async fn get_user(Path(id): Path<u64>) -> String {
    format!("user {id}")
}

/// `AdminOnly` on two handlers and as a `PolicyLayer` over `/admin`, beside a public route.
pub fn named_app(state: AppState) -> Router {
    let admin: Router<AppState> = Router::new()
        .route(
            "/stats",
            get(|| async { "stats" }).post(|| async { "posted" }),
        )
        .route(
            "/whoami",
            get(|claims: Claims| async move { claims.subject().unwrap_or("-").to_owned() }),
        )
        .layer(PolicyLayer::<AdminOnly>::new(state.axioms.clone()));
    Router::new()
        .route("/users", get(list_users))
        .route("/users/{id}", get(get_user))
        .route("/public", get(|| async { "public" }))
        .nest("/admin", admin)
        .with_state(state)
}
