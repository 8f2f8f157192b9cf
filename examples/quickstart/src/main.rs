//! The README's quick start: a token from your provider for `/profile`, and one of the
//! scopes `read:data` or `admin` for `/data`.
//!
//! ```sh
//! AXIOMS_ISS_URL=https://YOUR_TENANT.eu.auth0.com/ AXIOMS_AUDIENCE=https://api.example.com \
//!   cargo run
//! ```

use axioms::{Axioms, Claims, protected};
use axum::{Router, routing::get};

async fn profile(claims: Claims) -> String {
    format!("hello {}", claims.subject().unwrap_or("?"))
}

#[protected(scopes = any("read:data", "admin"))]
async fn read_data() -> &'static str {
    "data"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // AXIOMS_ISS_URL=https://YOUR_TENANT.eu.auth0.com/ AXIOMS_AUDIENCE=https://api.example.com
    let axioms = Axioms::from_env()?; // a bad configuration fails here, not at the first request
    let app = Router::new()
        .route("/profile", get(profile))
        .route("/data", get(read_data))
        .with_state(axioms);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
