//! The axioms tutorial server: the API of the axioms-fastapi tutorial, in Rust.
//!
//! ```sh
//! cargo run --example tutorial
//! ```
//!
//! With no issuer configured it runs in **development mode**: an embedded token issuer
//! (`axioms::testing::TestIssuer`, real keys and a real JWKS on 127.0.0.1), `POST /dev/token`
//! to mint tokens with any claims, and ready-to-paste `curl` commands printed at startup.
//!
//! Configuration, from the environment or a `.env` file (in the working directory or a parent):
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `AXIOMS_ISS_URL`, `AXIOMS_JWKS_URL`, `AXIOMS_DOMAIN` | unset: development mode | The issuer whose tokens are accepted; setting any one of them turns development mode off. |
//! | `AXIOMS_AUDIENCE` | `tutorial-api` in development mode; required otherwise (unless `AXIOMS_RESOURCE` is set) | The `aud` tokens must carry. |
//! | `AXIOMS_RESOURCE` | the server's own address in development mode; unset otherwise | The resource's canonical URI (RFC 8707, RFC 9728): tokens for it are accepted, `/.well-known/oauth-protected-resource` serves its metadata, and every 401 and 403 points there with `resource_metadata`. |
//! | `AXIOMS_SCOPE_CLAIMS`, `AXIOMS_ROLES_CLAIMS`, `AXIOMS_PERMISSIONS_CLAIMS`, … | see the README | Every `AXIOMS_*` variable of `axioms::Config::from_env`, more trusted issuers with `AXIOMS_TRUST` included. |
//! | `BIND_ADDR` | `127.0.0.1:8000` | Where to listen (`127.0.0.1:0`: any free port). Development mode only listens on loopback. |
//! | `DATABASE_URL` | an in-memory SQLite database, gone at exit | `sqlite://tutorial.db` keeps the data in a file, created if missing. |
//! | `RUST_LOG` | `info,axioms=debug` in development mode, else `info` | Log filter; logs go to stderr. |
//!
//! The API documents itself: `GET /openapi.json` (OpenAPI 3.1, every operation's security
//! written from its `#[protected]` policy) and Swagger UI at `/docs` ("Authorize" takes a
//! token from `/dev/token` in development mode).
//!
//! Once listening, stdout has the line `listening on http://ADDR`. Ctrl-C or SIGTERM stops
//! the server gracefully: in-flight requests finish, the database is closed, the exit status
//! is 0.

mod db;
mod dev_issuer;
mod error;
mod routes;

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;

use axioms::openapi::SecurityDoc;
use axioms::{Axioms, Config, ResourceMetadata};
use axum::Router;

use crate::db::{Db, Location};
use crate::dev_issuer::DevIssuer;
use crate::routes::AppState;

const DEFAULT_BIND_ADDR: &str = "127.0.0.1:8000";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// A variable's value, trimmed; unset and empty are the same (as in `axioms::Config`).
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

async fn run() -> Result<(), Box<dyn Error>> {
    // A `.env` file is optional; a broken one is an error, not silently ignored.
    let dotenv = match dotenvy::dotenv() {
        Ok(path) => Some(path),
        Err(err) if err.not_found() => None,
        Err(err) => return Err(format!(".env: {err}").into()),
    };
    let dev_mode = ["AXIOMS_ISS_URL", "AXIOMS_JWKS_URL", "AXIOMS_DOMAIN"]
        .iter()
        .all(|name| var(name).is_none());
    let default_filter = if dev_mode {
        "info,axioms=debug"
    } else {
        "info"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    if let Some(path) = dotenv {
        tracing::info!(target: "tutorial", "read {}", path.display());
    }

    // Resolved and checked before anything else: development mode never listens beyond
    // loopback, not even for a moment.
    let bind = var("BIND_ADDR").unwrap_or_else(|| DEFAULT_BIND_ADDR.into());
    let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host(&bind)
        .await
        .map_err(|e| format!("BIND_ADDR: `{bind}` is not an address such as 127.0.0.1:8000: {e}"))?
        .collect();
    if dev_mode && addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(format!(
            "BIND_ADDR: development mode mints tokens for anyone who asks, so it only listens on \
             loopback, not {bind}. Fix: use 127.0.0.1:PORT, or configure a real issuer \
             (AXIOMS_ISS_URL)"
        )
        .into());
    }
    let listener = tokio::net::TcpListener::bind(addrs.as_slice())
        .await
        .map_err(|e| format!("BIND_ADDR: cannot listen on {bind}: {e}"))?;
    let addr = listener.local_addr()?;
    let api = format!("http://{addr}");

    // The verifier: the configured issuer, or the embedded development issuer.
    let (axioms, dev) = if dev_mode {
        let audience =
            var("AXIOMS_AUDIENCE").unwrap_or_else(|| dev_issuer::DEFAULT_AUDIENCE.into());
        // Minted tokens name the first audience when several are accepted (`a,b`).
        let first = audience.split(',').map(str::trim).find(|a| !a.is_empty());
        let dev = DevIssuer::start(first.unwrap_or(dev_issuer::DEFAULT_AUDIENCE).to_owned()).await;
        // The resource is this server, unless AXIOMS_RESOURCE says otherwise; tokens for it
        // (RFC 8707) are accepted beside those for the audience.
        let resource = var("AXIOMS_RESOURCE").unwrap_or_else(|| api.clone());
        let audiences = format!("{audience},{resource}");
        // Every other AXIOMS_* variable (claim names, leeway, …) still applies.
        let config = Config::from_vars(|name| match name {
            "AXIOMS_ISS_URL" => Some(dev.url()),
            "AXIOMS_AUDIENCE" => Some(audiences.clone()),
            "AXIOMS_RESOURCE" => Some(resource.clone()),
            _ => std::env::var(name).ok(),
        })?;
        (Axioms::new(config)?, Some(Arc::new(dev)))
    } else {
        // Several issuers too: AXIOMS_TRUST=KEYCLOAK reads AXIOMS_KEYCLOAK_ISS_URL, ….
        (Axioms::from_env()?, None)
    };

    let database_url = var("DATABASE_URL");
    let (db, location) = Db::connect(database_url.as_deref()).await?;
    let database = match &location {
        Location::Memory => {
            "in-memory SQLite, gone at exit (DATABASE_URL=sqlite://tutorial.db keeps it)".to_owned()
        }
        Location::File(path) => format!("SQLite file {path}"),
    };

    let state = AppState {
        axioms: axioms.clone(),
        db: db.clone(),
        dev_mode: dev.is_some(),
    };
    let mut app = routes::router(state);
    // The API documents itself: `GET /openapi.json`, Swagger UI at `/docs`. Each operation's
    // security comes from its handler's policy. In development mode the scheme is a bearer
    // token (paste one from /dev/token into "Authorize"); otherwise the issuer's metadata
    // says which OAuth flows to offer.
    let security = if dev.is_some() {
        SecurityDoc::bearer()
    } else {
        SecurityDoc::from_issuer(&axioms).await
    };
    let mut openapi = <routes::ApiDoc as utoipa::OpenApi>::openapi();
    security.apply(&mut openapi);
    app = app.merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", openapi));
    // With a resource configured, its metadata (RFC 9728) tells clients where to get tokens;
    // every 401 and 403 points there.
    if axioms.config().resource().is_some() {
        app = app.merge(
            ResourceMetadata::of(&axioms)?
                .resource_name("axioms tutorial")
                .router(),
        );
    }
    match &dev {
        Some(dev) => {
            app = app.merge(dev_issuer::routes::<()>(Arc::clone(dev)));
            println!("{}", dev_issuer::walkthrough(dev, &api, &database));
        }
        None => {
            let config = axioms.config();
            let primary = config.primary();
            println!(
                "issuer: {}\naudience: {}",
                primary.issuer().unwrap_or("(any: issuer check disabled)"),
                primary.audiences().join(", "),
            );
            for other in config.issuers().skip(1) {
                println!(
                    "trusted issuer `{}`: {} (audience {})",
                    other.name(),
                    other.issuer().unwrap_or_default(),
                    other.audiences().join(", "),
                );
            }
            println!("database: {database}");
        }
    }
    let app: Router = app.layer(axum::middleware::from_fn(routes::log_request));

    let shutdown = shutdown_signal()?;
    println!("listening on {api}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;

    db.close().await;
    axioms.shutdown();
    println!("stopped");
    Ok(())
}

/// Listens for Ctrl-C (SIGINT) and SIGTERM **now**, before the server announces itself (a
/// signal sent right after `listening on` must not find the default handler, which would kill
/// the process); the returned future resolves at the first of them. A signal that cannot be
/// listened for is reported and never taken as a request to stop.
fn shutdown_signal() -> Result<impl Future<Output = ()>, Box<dyn Error>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())
            .map_err(|e| format!("cannot listen for Ctrl-C: {e}"))?;
        let mut terminate = signal(SignalKind::terminate())
            .map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!(target: "tutorial", "shutting down: finishing in-flight requests");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!(target: "tutorial", "shutting down: finishing in-flight requests");
        })
    }
}
