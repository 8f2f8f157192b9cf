//! Instruction counts of one request through an axum `Router`, for
//! `valgrind --tool=callgrind`: a token-cache hit on a `#[protected]` route against the same
//! router without authentication, and the cost of the `metrics` feature.
//!
//! `REQUEST_MODE` picks the route: `unprotected` (a plain handler), `protected` (three
//! clauses, token-cache hit), or `scopes_10` / `scopes_1000`: a policy naming 10 scopes
//! (`all(…)`) and a token granting those 10, or 1,000 with those 10 last. Built with `--features metrics`, `RECORDER=prometheus`
//! installs `metrics-exporter-prometheus`'s recorder first (without it, the facade's no-op
//! recorder answers). `REQUEST_N` requests (default 1000) are counted; divide by it:
//!
//! ```sh
//! cargo bench -p axioms-benches --bench request_instructions --no-run
//! for mode in unprotected protected; do
//!   REQUEST_MODE=$mode REQUEST_N=2000 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*measured*' target/release/deps/request_instructions-* 2>&1 | grep Collected
//! done
//! # the metrics feature: rebuild with it, then run `protected` without and with a recorder
//! cargo bench -p axioms-benches --features metrics --bench request_instructions --no-run
//! ```
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Axioms, protected};
use axum::Router;
use axum::routing::get;
use serde_json::json;
use tower::ServiceExt as _;

#[protected(
    scopes = any("openid", "profile"),
    roles = any("editor"),
    permissions = any("resource:write")
)]
async fn strict() -> &'static str {
    "ok"
}

async fn plain() -> &'static str {
    "ok"
}

#[protected(scopes = all(
    "s:990", "s:991", "s:992", "s:993", "s:994", "s:995", "s:996", "s:997", "s:998", "s:999"
))]
async fn ten_scopes() -> &'static str {
    "ok"
}

fn main() {
    let mode = std::env::var("REQUEST_MODE").unwrap_or_else(|_| "protected".to_owned());
    let n: usize = std::env::var("REQUEST_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    #[cfg(feature = "metrics")]
    if std::env::var("RECORDER").is_ok_and(|r| r == "prometheus") {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .unwrap();
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start());
    let axioms = rt.block_on(async {
        let config = issuer.config("test-api").max_token_bytes(64 * 1024);
        let axioms = Axioms::new(config.build().unwrap()).unwrap();
        assert!(axioms.ready(Duration::from_secs(10)).await);
        axioms
    });
    let router = match mode.as_str() {
        "unprotected" => Router::new().route("/", get(plain)).with_state(axioms),
        "protected" => Router::new().route("/", get(strict)).with_state(axioms),
        "scopes_10" | "scopes_1000" => Router::new().route("/", get(ten_scopes)).with_state(axioms),
        other => panic!("REQUEST_MODE={other}: use unprotected, protected, scopes_10, scopes_1000"),
    };
    let first = if mode == "scopes_1000" { 0 } else { 990 };
    let scopes: Vec<String> = (first..1000).map(|i| format!("s:{i}")).collect();
    let token = if mode.starts_with("scopes") {
        issuer.token().scope(&scopes.join(" ")).sign()
    } else {
        issuer
            .token()
            .scope("openid profile")
            .claim("roles", json!(["editor"]))
            .claim("permissions", json!(["resource:write"]))
            .sign()
    };
    let request = || {
        http::Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let send = |req: http::Request<axum::body::Body>| {
        rt.block_on(router.clone().oneshot(req)).unwrap().status()
    };
    // Warm the token cache before counting.
    assert_eq!(send(request()), 200);
    let requests: Vec<_> = (0..n).map(|_| request()).collect();
    measured(requests, &send);
}

/// The counted part: run callgrind with `--toggle-collect='*measured*'` to count only it.
#[inline(never)]
fn measured(
    requests: Vec<http::Request<axum::body::Body>>,
    send: &dyn Fn(http::Request<axum::body::Body>) -> http::StatusCode,
) {
    for req in requests {
        assert_eq!(send(req), 200);
    }
}
