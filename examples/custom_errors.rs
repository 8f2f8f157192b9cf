//! Your own error responses: RFC 9457 problem details instead of axioms' default RFC 6750
//! JSON body, with [`Axioms::with_error_renderer`].
//!
//! ```sh
//! AXIOMS_AUDIENCE=my-api AXIOMS_ISS_URL=https://tenant.eu.auth0.com/ cargo run --example custom_errors
//! curl -i http://127.0.0.1:8000/admin
//! ```
//!
//! The renderer receives the [`AuthError`] of every rejection — from the `Claims`
//! extractors, `#[protected]` guards and the layers — with its status, RFC 6750 code, generic
//! description and `WWW-Authenticate` challenge. Keep the challenge: clients and proxies rely
//! on it. The precise reason (`err.reason()`) is for logs, never for the client.
//!
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen.

use axioms::{AuthError, Axioms, Claims, protected};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde_json::json;

/// An `application/problem+json` body, the same status and headers as the default.
fn problem(err: &AuthError) -> Response {
    let code = err.code().map_or("unauthorized", |c| c.as_str());
    let body = json!({
        "type": format!("https://errors.example.com/auth/{code}"),
        "title": err.status().canonical_reason().unwrap_or("Error"),
        "status": err.status().as_u16(),
        "detail": err.description(),
        "required_scopes": err.scopes(),
    });
    let mut response = (err.status(), Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    if let Some(challenge) = err.challenge() {
        headers.insert(header::WWW_AUTHENTICATE, challenge);
    }
    if let Some(after) = err.retry_after() {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(after.as_secs().max(1)),
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn hello(claims: Claims) -> String {
    format!("hello {}\n", claims.subject().unwrap_or("?"))
}

#[protected(roles = "admin")]
async fn admin() -> &'static str {
    "welcome, admin\n"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let axioms = Axioms::from_env()?.with_error_renderer(problem);
    let app = Router::new()
        .route("/hello", get(hello))
        .route("/admin", get(admin))
        .with_state(axioms);
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
