//! Router-level protection: a whole prefix under one policy, handlers untouched.
//!
//! ```sh
//! AXIOMS_AUDIENCE=my-api AXIOMS_ISS_URL=https://tenant.eu.auth0.com/ cargo run --example router_layer
//! ```
//!
//! * `GET /` is public.
//! * Everything under `/api` needs a valid token: [`AxiomsLayer::require`].
//! * Everything under `/admin` needs the `admin` or `superuser` role: a named policy
//!   ([`axioms::policy!`]) applied with [`PolicyLayer`]. The same policy can guard single
//!   handlers with `#[protected(policy = AdminOnly)]`.
//!
//! A layer wraps the routes of its router and that router's fallback: give each protected
//! router a fallback, as here, so that its unknown paths (`/admin/anything`) answer 401 or 403,
//! not 404, to a caller who may not look under the prefix. Handlers behind a layer can still take
//! [`Claims`]: the token is verified once, by the layer, and the verdict reused.
//!
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen.

use axioms::policy::PolicyLayer;
use axioms::{Axioms, AxiomsLayer, Claims};
use axum::http::StatusCode;
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

axioms::policy!(pub(crate) AdminOnly: roles = any("admin", "superuser"));

async fn index() -> &'static str {
    "public: try /api/items (any valid token) and /admin/users (admin or superuser)\n"
}

async fn items(claims: Claims) -> Json<Value> {
    Json(json!({ "owner": claims.subject(), "items": ["a", "b"] }))
}

async fn users(claims: Claims) -> Json<Value> {
    Json(json!({ "users": ["alice", "bob"], "listed_by": claims.subject() }))
}

async fn stats() -> Json<Value> {
    Json(json!({ "users": 2 }))
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

fn app(axioms: Axioms) -> Router {
    let api = Router::new()
        .route("/items", get(items))
        .fallback(not_found)
        .layer(AxiomsLayer::require(axioms.clone()));
    let admin = Router::new()
        .route("/users", get(users))
        .route("/stats", get(stats))
        .fallback(not_found)
        .layer(PolicyLayer::<AdminOnly>::new(axioms.clone()));
    Router::new()
        .route("/", get(index))
        .nest("/api", api)
        .nest("/admin", admin)
        .with_state(axioms)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let axioms = Axioms::from_env()?;
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(axioms)).await?;
    Ok(())
}
