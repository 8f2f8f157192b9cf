//! The key cache end to end: single-flight refetches and their cooldown, rotation, the cold
//! start, stale-if-error, timeouts, key admission and selection, discovery, hostile endpoints
//! and `Cache-Control`.
//!
//! Every test talks real HTTP to an in-process [`TestIssuer`] on 127.0.0.1 and counts the
//! requests it serves.

use std::hash::BuildHasher;
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims, ConfigBuilder, IssuerBuilder, Reason};
use axum::{Router, routing::get};

use crate::common::ready;

mod admission;
mod endpoints;
mod outages;
mod refetch;

const AUD: &str = "test-api";

/// A generous bound proving that something ends rather than hangs.
const NO_HANG: Duration = Duration::from_secs(10);

/// Starts a verifier and waits until its first key set is loaded and the refresher's fetch
/// has fully completed (so that later misses never share it).
async fn loaded(issuer: &TestIssuer, builder: ConfigBuilder) -> Axioms {
    let axioms = ready(builder).await;
    // `ready` returns as soon as the keys are published; the refresher releases the fetch
    // lock an instant later. Let it finish so that the tests' fetch counts are exact.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        issuer.jwks_fetches(),
        1,
        "the refresher fetches once at start"
    );
    axioms
}

/// Verifies `token`, failing the test if it takes longer than [`NO_HANG`].
async fn verify(axioms: &Axioms, token: &str) -> Result<Claims, Reason> {
    tokio::time::timeout(NO_HANG, axioms.verify(token))
        .await
        .expect("verification hung")
        .map_err(|e| e.reason())
}

fn reason(result: Result<Claims, Reason>) -> Reason {
    match result {
        Ok(_) => panic!("the token was accepted"),
        Err(reason) => reason,
    }
}

fn random_kid(i: usize) -> String {
    let hash = std::collections::hash_map::RandomState::new().hash_one(i);
    format!("rnd-{i}-{hash:016x}")
}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route(
            "/me",
            get(|c: Claims| async move { c.subject().unwrap_or("").to_owned() }),
        )
        .with_state(axioms)
}

/// Waits until `cond` holds, at most `within`; returns whether it did.
async fn eventually(within: Duration, cond: impl Fn() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn short_timeouts(issuer: &TestIssuer) -> IssuerBuilder {
    issuer
        .issuer_config(AUD)
        .http_timeouts(Duration::from_secs(1), Duration::from_secs(1))
}
