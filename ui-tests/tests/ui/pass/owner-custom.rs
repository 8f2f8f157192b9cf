//! `owner(…)` with a custom field, claim and `mismatch = 404`; fetch functions returning
//! `Option<T>`, taking several extractors, or none; owner fields of several types.
use std::sync::Arc;

use axioms::{Axioms, policy::Owned, protected};
use axum::{
    Router,
    extract::{FromRef, Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    routing::get,
};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

struct Comment {
    created_by: Option<String>,
}

struct Account {
    number: u64,
}

struct Tenant(Arc<str>);

async fn get_comment(Path(id): Path<u32>) -> Option<Comment> {
    (id == 1).then(|| Comment {
        created_by: Some("alice".into()),
    })
}

async fn get_account(
    Path(id): Path<u64>,
    _method: Method,
    _uri: Uri,
    _headers: HeaderMap,
    State(_s): State<AppState>,
) -> Result<Account, (StatusCode, &'static str)> {
    Ok(Account { number: id })
}

async fn get_tenant() -> Result<Tenant, StatusCode> {
    Ok(Tenant("acme".into()))
}

#[protected(owner(fetch = get_comment, field = "created_by", claim = "email", mismatch = 404))]
async fn comment(State(_s): State<AppState>, Owned(c): Owned<Comment>) -> String {
    c.created_by.unwrap_or_default()
}

#[protected(owner(fetch = get_account, field = "number", mismatch = 403,), scopes = "accounts")]
async fn account(State(_s): State<AppState>, Owned(a): Owned<Account>) -> String {
    a.number.to_string()
}

#[protected(owner(claim = "tenant", field = "0", fetch = get_tenant))]
async fn tenant(State(_s): State<AppState>) {}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/comments/{id}", get(comment))
        .route("/accounts/{id}", get(account))
        .route("/tenant", get(tenant))
        .with_state(state)
}

fn main() {
    let _ = app;
}
