//! A protected API called from a browser on another origin: CORS preflight is answered by
//! `tower_http::cors::CorsLayer` **before routing**, so no handler runs for it and no method
//! has to skip authentication.
//!
//! ```sh
//! AXIOMS_AUDIENCE=my-api AXIOMS_ISS_URL=https://tenant.eu.auth0.com/ \
//!   ALLOWED_ORIGIN=https://app.example.com cargo run --example cors
//! ```
//!
//! The Python packages make `OPTIONS` a safe method so that preflights get through; axioms
//! makes no method safe by default. A preflight (`OPTIONS` with `Origin` and
//! `Access-Control-Request-Method`) never carries credentials, and the layer answers it;
//! the real request that follows carries the token and meets the policy. A 401 or 403 still
//! carries `Access-Control-Allow-Origin`, so the browser lets the page read it.
//!
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen; `ALLOWED_ORIGIN` (default
//! `http://localhost:5173`) is the one origin allowed to call.

use axioms::{Axioms, Claims, protected};
use axum::extract::Path;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde_json::{Value, json};
use tower_http::cors::CorsLayer;

async fn items(claims: Claims) -> Json<Value> {
    Json(json!({ "owner": claims.subject(), "items": ["a", "b"] }))
}

#[protected(roles = "admin")]
async fn delete_item(Path(id): Path<u32>) -> StatusCode {
    println!("deleted item {id}");
    StatusCode::NO_CONTENT
}

fn app(axioms: Axioms, origin: HeaderValue) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([Method::GET, Method::DELETE])
        .allow_headers([header::AUTHORIZATION]);
    Router::new()
        .route("/api/items", get(items))
        .route("/api/items/{id}", delete(delete_item))
        .with_state(axioms)
        // Outermost: the preflight is answered here, before any route or extractor.
        .layer(cors)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let axioms = Axioms::from_env()?;
    let origin = std::env::var("ALLOWED_ORIGIN")
        .unwrap_or_else(|_| "http://localhost:5173".to_owned())
        .parse::<HeaderValue>()?;
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(axioms, origin)).await?;
    Ok(())
}
