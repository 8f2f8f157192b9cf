//! The smallest protected API: one route that requires a valid access token.
//!
//! ```sh
//! AXIOMS_AUDIENCE=my-api AXIOMS_ISS_URL=https://tenant.eu.auth0.com/ cargo run --example minimal
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/hello
//! ```
//!
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen.

use axioms::{Axioms, Claims};
use axum::{Router, routing::get};

async fn hello(claims: Claims) -> String {
    format!("hello {}\n", claims.subject().unwrap_or("?"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let axioms = Axioms::from_env()?;
    let app = Router::new().route("/hello", get(hello)).with_state(axioms);
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
