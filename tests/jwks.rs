//! The JWKS cache end to end: single-flight refetches, cooldown, rotation, stale-if-error,
//! timeouts, key admission, discovery, hostile endpoints and `Cache-Control`.
//!
//! Every test talks real HTTP to an in-process [`TestIssuer`] on 127.0.0.1 and counts the
//! requests it serves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(missing_docs)]

mod common;

use std::hash::BuildHasher;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axioms::testing::{Behavior, TestIssuer};
use axioms::{Algorithm, Axioms, Claims, Config, ConfigBuilder, Issuer, IssuerBuilder, Reason};
use axum::{Router, routing::get};
use common::{req, send};
use http::StatusCode;
use serde_json::{Value, json};

const AUD: &str = "test-api";

/// A generous bound proving that something ends rather than hangs.
const NO_HANG: Duration = Duration::from_secs(10);

/// Starts a verifier without waiting for anything.
fn verifier(builder: ConfigBuilder) -> Axioms {
    Axioms::new(builder.build().unwrap()).unwrap()
}

/// Starts a verifier and waits until its first key set is loaded and the refresher's fetch
/// has fully completed (so that later misses never share it).
async fn loaded(issuer: &TestIssuer, builder: ConfigBuilder) -> Axioms {
    let axioms = verifier(builder);
    assert!(
        axioms.ready(NO_HANG).await,
        "the initial key set never loaded"
    );
    // `ready` returns as soon as the keys are published; the refresher releases the fetch
    // lock an instant later. Let it finish so that the fetch counts below are exact.
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

// ---------------------------------------------------------------------------------------
// 1, 2: single flight and cooldown on unknown kids
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_unknown_kid_causes_exactly_one_refetch() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;

    let hidden = issuer.add_unpublished_key(Algorithm::RS256);
    let token = issuer.token().signed_with(&hidden).sign();
    assert!(!token.is_empty());

    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let axioms = axioms.clone();
            let token = token.clone();
            tokio::spawn(async move { verify(&axioms, &token).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(reason(task.await.unwrap()), Reason::UnknownKid);
    }
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "100 misses must share one refetch"
    );

    // The known key still verifies, without any fetch.
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
    assert_eq!(issuer.jwks_fetches(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_unknown_kids_within_cooldown_cause_at_most_one_fetch() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;

    // 100 one after another…
    for i in 0..100 {
        let token = issuer.token().header("kid", json!(random_kid(i))).sign();
        assert_eq!(reason(verify(&axioms, &token).await), Reason::UnknownKid);
    }
    // …and 100 at once.
    let tasks: Vec<_> = (100..200)
        .map(|i| {
            let axioms = axioms.clone();
            let token = issuer.token().header("kid", json!(random_kid(i))).sign();
            tokio::spawn(async move { verify(&axioms, &token).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(reason(task.await.unwrap()), Reason::UnknownKid);
    }
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "200 unknown kids within the cooldown must cause exactly one refetch"
    );
}

// ---------------------------------------------------------------------------------------
// 3, 13: rotation and removal
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn rotated_key_verifies_on_first_use() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    let old = issuer.token().sign();
    assert!(verify(&axioms, &old).await.is_ok());

    let new_kid = issuer.rotate(Algorithm::RS256);
    let token = issuer.token().sign();
    let claims = verify(&axioms, &token)
        .await
        .expect("first token of the new key");
    assert_eq!(claims.subject(), Some("user-1"));
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "exactly one refetch for the new kid"
    );
    assert_eq!(axioms.key_count(), 2);

    // Both keys verify now, without further fetches.
    assert!(verify(&axioms, &old).await.is_ok());
    assert!(
        verify(&axioms, &issuer.token().signed_with(&new_kid).sign())
            .await
            .is_ok()
    );
    assert_eq!(issuer.jwks_fetches(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_uses_of_a_rotated_key_all_verify() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    issuer.rotate(Algorithm::RS256);
    let token = issuer.token().sign();
    // A slightly slow IdP keeps the refetch in flight while the other requests arrive.
    issuer.set_behavior(Behavior::Delay(Duration::from_millis(500)));

    let spawn = |axioms: &Axioms| {
        let axioms = axioms.clone();
        let token = token.clone();
        tokio::spawn(async move { verify(&axioms, &token).await })
    };
    let mut tasks = vec![spawn(&axioms)];
    assert!(
        eventually(NO_HANG, || issuer.jwks_fetches() == 2).await,
        "the first miss must refetch"
    );
    tasks.extend((1..100).map(|_| spawn(&axioms)));
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(reason) = task.await.unwrap() {
            failures.push(reason);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 100 concurrent first uses of a newly published key failed ({:?}): misses \
         arriving while the refetch is in flight must wait for it, not give up",
        failures.len(),
        failures.first(),
    );
    assert_eq!(issuer.jwks_fetches(), 2, "one shared refetch");
}

#[tokio::test]
async fn removed_key_stops_verifying_after_a_refresh() {
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::RS256]).await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    let doomed = issuer.token().signed_with("key-2").sign();
    assert!(verify(&axioms, &doomed).await.is_ok());

    issuer.remove_key("key-2");
    // Cached: still verifies until the next refresh.
    assert!(verify(&axioms, &doomed).await.is_ok());
    assert_eq!(issuer.jwks_fetches(), 1);

    // An unknown kid forces a refresh, which drops key-2.
    let probe = issuer.token().header("kid", json!("nobody")).sign();
    assert_eq!(reason(verify(&axioms, &probe).await), Reason::UnknownKid);
    assert_eq!(issuer.jwks_fetches(), 2);
    assert_eq!(axioms.key_count(), 1);

    assert_eq!(reason(verify(&axioms, &doomed).await), Reason::UnknownKid);
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "within the cooldown: no further fetch"
    );
}

// ---------------------------------------------------------------------------------------
// 4: cold start
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_cold_start_fetches_once() {
    cold_start(50).await;
}

/// The same on one thread, where the schedule is deterministic: the refresher parks on its
/// first (zero) sleep, the first request takes the fetch lock, and the others arrive while
/// its fetch is in flight.
#[tokio::test(flavor = "current_thread")]
async fn concurrent_cold_start_fetches_once_single_thread() {
    cold_start(50).await;
}

async fn cold_start(n: usize) {
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sign();
    let axioms = verifier(issuer.config(AUD));

    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let axioms = axioms.clone();
            let token = token.clone();
            tokio::spawn(async move { verify(&axioms, &token).await })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(claims) => assert_eq!(claims.subject(), Some("user-1")),
            Err(reason) => failures.push(reason),
        }
    }
    // Give a late background refresh the chance to show up in the count.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let fetches = issuer.jwks_fetches();
    assert!(
        failures.is_empty(),
        "{} of {n} cold-start verifications failed ({:?}), {fetches} JWKS fetch(es): requests \
         arriving while the first fetch is in flight must wait for it",
        failures.len(),
        failures.first(),
    );
    assert_eq!(
        fetches, 1,
        "{n} concurrent first verifications plus the start-up refresh must share one fetch"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_cold_start_verification_fetches_once() {
    // No concurrency between requests: only the start-up refresh can race this one.
    let issuer = TestIssuer::start().await;
    let token = issuer.token().sign();
    let axioms = verifier(issuer.config(AUD));
    let claims = verify(&axioms, &token)
        .await
        .expect("cold-start verification");
    assert_eq!(claims.subject(), Some("user-1"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        issuer.jwks_fetches(),
        1,
        "the start-up refresh must share the request's fetch, not repeat it"
    );
}

// ---------------------------------------------------------------------------------------
// 5: stale-if-error
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn cached_keys_survive_an_idp_answering_500() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    let token = issuer.token().sign();

    issuer.set_behavior(Behavior::Status(500));
    assert!(verify(&axioms, &token).await.is_ok());

    // Force a refetch: it fails, and the last good keys stay.
    let probe = issuer.token().header("kid", json!("nobody")).sign();
    assert_eq!(reason(verify(&axioms, &probe).await), Reason::UnknownKid);
    assert_eq!(
        issuer.jwks_fetches(),
        2,
        "the refetch reached the failing IdP"
    );
    assert!(verify(&axioms, &token).await.is_ok());
    assert_eq!(axioms.key_count(), 1);
}

#[tokio::test]
async fn cached_keys_survive_a_stopped_idp_and_refresh_after_it_resumes() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .unknown_kid_cooldown(Duration::ZERO),
        ),
    )
    .await;
    let token = issuer.token().sign();

    issuer.stop();
    assert!(verify(&axioms, &token).await.is_ok());
    let probe = issuer.token().header("kid", json!("nobody")).sign();
    assert_eq!(reason(verify(&axioms, &probe).await), Reason::UnknownKid);
    assert_eq!(issuer.jwks_fetches(), 1, "a stopped IdP serves nothing");
    assert!(verify(&axioms, &token).await.is_ok());

    issuer.resume().await.unwrap();
    issuer.rotate(Algorithm::ES256);
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
    assert_eq!(issuer.jwks_fetches(), 2);
    assert!(verify(&axioms, &token).await.is_ok());
}

#[tokio::test]
async fn stale_keys_are_dropped_after_max_stale() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .max_stale(Duration::from_millis(300)),
        ),
    )
    .await;
    let token = issuer.token().sign();
    issuer.set_behavior(Behavior::Status(500));
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Still served: nothing has failed yet.
    assert!(verify(&axioms, &token).await.is_ok());

    let probe = issuer.token().header("kid", json!("nobody")).sign();
    assert_eq!(
        reason(verify(&axioms, &probe).await),
        Reason::KeysUnavailable
    );
    assert_eq!(axioms.key_count(), 0);
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
}

#[tokio::test]
async fn the_refresher_alone_drops_keys_after_max_stale() {
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("max-age=1"));
    let axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(1))
                .retry_max_backoff(Duration::from_secs(1))
                .max_stale(Duration::from_secs(1)),
        ),
    )
    .await;
    issuer.set_behavior(Behavior::Status(503));
    // No request at all: the refresher's own failed fetches enforce max_stale.
    assert!(
        eventually(Duration::from_secs(8), || axioms.key_count() == 0).await,
        "the stale keys were never dropped"
    );
}

/// The refresher keeps its backoff through an outage, even while requests' own fetches for
/// unknown kids fail beside it (on main before the pipeline, a refresh that found such a fetch
/// in flight skipped, reset its backoff and slept the whole refresh period: 5 minutes without
/// a retry during an outage).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_miss_fetches_during_an_outage_keep_the_refresher_retrying() {
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("max-age=1"));
    let axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(1))
                .retry_max_backoff(Duration::from_secs(2))
                .unknown_kid_cooldown(Duration::ZERO)
                .http_timeouts(Duration::from_secs(1), Duration::from_secs(1)),
        ),
    )
    .await;
    let token = issuer.token().sign();
    // The outage: every fetch takes the whole 1 s timeout, then fails.
    issuer.set_behavior(Behavior::Delay(Duration::from_secs(30)));
    let probe = issuer.token().header("kid", json!("nobody")).sign();
    let until = tokio::time::Instant::now() + Duration::from_secs(5);
    while tokio::time::Instant::now() < until {
        assert_eq!(reason(verify(&axioms, &probe).await), Reason::UnknownKid);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Requests stop. The refresher, on its backoff (at most 2 s), goes on retrying...
    let after_misses = issuer.jwks_fetches();
    assert!(
        eventually(Duration::from_secs(6), || issuer.jwks_fetches()
            >= after_misses + 2)
        .await,
        "the refresher stopped retrying during the outage ({} fetches)",
        issuer.jwks_fetches()
    );
    // ...the last good keys serve meanwhile...
    assert!(verify(&axioms, &token).await.is_ok());
    // ...and once the IdP is back, it picks up a rotation with no request to trigger it.
    issuer.add_key(Algorithm::ES256);
    issuer.set_behavior(Behavior::Normal);
    assert!(
        eventually(Duration::from_secs(8), || axioms.key_count() == 2).await,
        "the refresher did not recover"
    );
}

/// Extreme durations never reach an `Instant` computation: a `max-age` of 2^64 - 1 seconds is
/// clamped and the refresher keeps its schedule; configured bounds beyond a day are refused.
#[tokio::test]
async fn extreme_durations_never_stop_the_refresher() {
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("max-age=18446744073709551615"));
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(1)),
        ),
    )
    .await;
    assert!(
        eventually(Duration::from_secs(6), || issuer.jwks_fetches() >= 3).await,
        "the refresher stopped after an extreme max-age"
    );
    for builder in [
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::MAX),
        ),
        Config::builder(issuer.issuer_config(AUD).refresh_interval(Duration::MAX)),
        Config::builder(issuer.issuer_config(AUD).max_stale(Duration::MAX)),
        Config::builder(
            issuer
                .issuer_config(AUD)
                .http_timeouts(Duration::MAX, Duration::MAX),
        ),
    ] {
        assert!(builder.build().is_err());
    }
}

// ---------------------------------------------------------------------------------------
// 6: slow IdP
// ---------------------------------------------------------------------------------------

fn short_timeouts(issuer: &TestIssuer) -> IssuerBuilder {
    issuer
        .issuer_config(AUD)
        .http_timeouts(Duration::from_secs(1), Duration::from_secs(1))
}

#[tokio::test]
async fn slow_idp_at_start_gives_a_timely_error() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Delay(Duration::from_secs(30)));
    let axioms = verifier(Config::builder(short_timeouts(&issuer)));
    let token = issuer.token().sign();

    let result = tokio::time::timeout(Duration::from_secs(8), axioms.verify(&token))
        .await
        .expect("a 30 s IdP with a 1 s timeout must not hang the request");
    assert_eq!(result.unwrap_err().reason(), Reason::KeysUnavailable);
    assert!(issuer.jwks_fetches() >= 1);
}

#[tokio::test]
async fn slow_idp_on_refetch_gives_a_timely_error() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(&issuer, Config::builder(short_timeouts(&issuer))).await;
    let token = issuer.token().sign();
    issuer.set_behavior(Behavior::Delay(Duration::from_secs(30)));

    let probe = issuer.token().header("kid", json!("nobody")).sign();
    let result = tokio::time::timeout(Duration::from_secs(8), axioms.verify(&probe))
        .await
        .expect("a 30 s IdP with a 1 s timeout must not hang the request");
    assert_eq!(result.unwrap_err().reason(), Reason::UnknownKid);
    assert_eq!(issuer.jwks_fetches(), 2);
    // Known keys are served from the cache, without touching the slow IdP.
    let fast = tokio::time::timeout(Duration::from_secs(2), axioms.verify(&token))
        .await
        .expect("a known kid must not wait for the IdP");
    assert!(fast.is_ok());
}

// ---------------------------------------------------------------------------------------
// 7, 10: key admission and selection
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn unusable_entries_do_not_spoil_the_set() {
    let issuer = TestIssuer::start().await;
    let mut jwks = issuer.public_jwks();
    let good = jwks["keys"][0].clone();
    let mut enc = good.clone();
    enc["kid"] = json!("enc-1");
    enc["alg"] = json!("RSA-OAEP");
    enc["use"] = json!("enc");
    let keys = jwks["keys"].as_array_mut().unwrap();
    keys.insert(0, enc);
    keys.insert(1, json!({"kty": "foo", "kid": "weird-1", "x": "AAAA"}));
    keys.insert(
        2,
        json!({"kty": "oct", "kid": "hmac-1", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "alg": "HS256"}),
    );
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 4);
    issuer.set_jwks(Some(jwks));

    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    assert_eq!(
        axioms.key_count(),
        1,
        "only the RS256 signature key is admitted"
    );
    let claims = verify(&axioms, &issuer.token().sign())
        .await
        .expect("RS256 token");
    assert_eq!(claims.subject(), Some("user-1"));
    // Asking for a skipped key is an unknown kid, never a match.
    let enc = issuer.token().header("kid", json!("enc-1")).sign();
    assert_eq!(reason(verify(&axioms, &enc).await), Reason::UnknownKid);
}

#[tokio::test]
async fn duplicate_kid_with_different_keys_is_ambiguous() {
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::RS256]).await;
    let mut jwks = issuer.public_jwks();
    jwks["keys"][1]["kid"] = json!("key-1");
    issuer.set_jwks(Some(jwks));
    let axioms = loaded(&issuer, issuer.config(AUD)).await;

    let token = issuer.token().signed_with("key-1").sign();
    assert_eq!(reason(verify(&axioms, &token).await), Reason::AmbiguousKid);
    let token = issuer
        .token()
        .signed_with("key-2")
        .header("kid", json!("key-1"))
        .sign();
    assert_eq!(reason(verify(&axioms, &token).await), Reason::AmbiguousKid);
    assert_eq!(
        issuer.jwks_fetches(),
        1,
        "an ambiguous kid is not a reason to refetch"
    );
}

#[tokio::test]
async fn duplicate_kid_with_the_same_key_is_harmless() {
    let issuer = TestIssuer::start().await;
    let mut jwks = issuer.public_jwks();
    let copy = jwks["keys"][0].clone();
    jwks["keys"].as_array_mut().unwrap().push(copy);
    issuer.set_jwks(Some(jwks));
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
}

#[tokio::test]
async fn missing_kid_needs_a_single_key_set() {
    // Two keys: a token without kid is refused, and causes no refetch.
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::RS256]).await;
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    let token = issuer.token().without_header("kid").sign();
    assert_eq!(reason(verify(&axioms, &token).await), Reason::MissingKid);
    assert_eq!(issuer.jwks_fetches(), 1);

    // Exactly one key: a token without kid is verified with it.
    let single = TestIssuer::start().await;
    let axioms = loaded(&single, single.config(AUD)).await;
    let token = single.token().without_header("kid").sign();
    let claims = verify(&axioms, &token)
        .await
        .expect("single-key set, no kid");
    assert_eq!(claims.subject(), Some("user-1"));
    // …but a kid-less token signed by another key still fails on the signature.
    let stranger = single.add_unpublished_key(Algorithm::RS256);
    let token = single
        .token()
        .signed_with(&stranger)
        .without_header("kid")
        .sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::InvalidSignature
    );
}

// ---------------------------------------------------------------------------------------
// 8, 9: never loaded, and recovery
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn no_keys_ever_loaded_is_503_with_retry_after() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Status(500));
    let axioms = verifier(issuer.config(AUD));
    let token = issuer.token().sign();

    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(err.retry_after().is_some());

    let res = tokio::time::timeout(
        NO_HANG,
        send(&app(axioms.clone()), req("GET", "/me").bearer(&token)),
    )
    .await
    .expect("request hung");
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    let retry_after: u64 = res
        .header("retry-after")
        .parse()
        .expect("Retry-After is delay-seconds");
    assert!(
        (1..=30).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    assert!(
        res.www().is_none(),
        "a 503 carries no Bearer challenge: the token may be fine"
    );
    assert_eq!(res.json()["error"], "temporarily_unavailable");
    assert_eq!(axioms.key_count(), 0);
}

#[tokio::test]
async fn service_resumes_after_the_idp_recovers() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Status(500));
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config(AUD)
            .retry_max_backoff(Duration::from_secs(2)),
    ));
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    // Let the background retry fail at least twice more.
    assert!(eventually(NO_HANG, || issuer.jwks_fetches() >= 3).await);
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );

    issuer.set_behavior(Behavior::Normal);
    assert!(
        axioms.ready(Duration::from_secs(30)).await,
        "the refresher must retry and load the keys once the IdP is back"
    );
    let claims = verify(&axioms, &token)
        .await
        .expect("verifies after recovery");
    assert_eq!(claims.subject(), Some("user-1"));
}

// ---------------------------------------------------------------------------------------
// 11: discovery
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_locates_the_jwks_once() {
    let issuer = TestIssuer::start().await;
    let axioms = loaded(
        &issuer,
        Config::builder(issuer.issuer_config(AUD).discovery(true)),
    )
    .await;
    assert_eq!(issuer.discovery_fetches(), 1);
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());

    // A refetch reuses the resolved jwks_uri.
    issuer.rotate(Algorithm::EdDSA);
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
    assert_eq!(issuer.jwks_fetches(), 2);
    assert_eq!(issuer.discovery_fetches(), 1);
}

#[tokio::test]
async fn discovery_issuer_mismatch_loads_no_keys() {
    // The configured issuer has a trailing slash the discovery document's lacks: RFC 8414
    // and OIDC Discovery require an exact match.
    let issuer = TestIssuer::start().await;
    let configured = format!("{}/", issuer.issuer());
    let axioms = verifier(Config::builder(
        Issuer::builder()
            .issuer(&configured)
            .audience(AUD)
            .discovery(true),
    ));
    let token = issuer.token().claim("iss", json!(configured)).sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.discovery_fetches() >= 1);
    assert_eq!(
        issuer.jwks_fetches(),
        0,
        "a mismatched document's jwks_uri is never used"
    );

    // Same with an entirely different issuer in the document.
    let issuer = TestIssuer::start().await;
    let configured = issuer.issuer();
    issuer.set_issuer("https://evil.example");
    let axioms = verifier(Config::builder(
        Issuer::builder()
            .issuer(&configured)
            .audience(AUD)
            .discovery(true),
    ));
    let token = issuer.token().claim("iss", json!(configured)).sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.discovery_fetches() >= 1);
    assert_eq!(issuer.jwks_fetches(), 0);
}

// ---------------------------------------------------------------------------------------
// 12: hostile endpoints
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn cross_origin_redirect_is_not_followed() {
    // The brief's unreachable target.
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Redirect("http://127.0.0.2:1/x".into()));
    let axioms = verifier(issuer.config(AUD));
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.jwks_fetches() >= 1);

    // A reachable target on another origin serving perfectly good keys: following the
    // redirect would load them and accept the token.
    let other = TestIssuer::start().await;
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Redirect(other.jwks_url()));
    let axioms = verifier(issuer.config(AUD));
    let token = other.token().claim("iss", json!(issuer.issuer())).sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.jwks_fetches() >= 1);
    assert_eq!(
        other.jwks_fetches(),
        0,
        "the redirect was followed to another origin"
    );
    assert_eq!(axioms.key_count(), 0);
}

async fn assert_no_keys_in_bounded_time(issuer: &TestIssuer, builder: ConfigBuilder) {
    let axioms = verifier(builder);
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.jwks_fetches() >= 1);
    assert_eq!(axioms.key_count(), 0);
}

#[tokio::test]
async fn huge_body_is_refused() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Body("x".repeat(50 << 20)));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;

    // A perfectly valid JWKS of one key, padded to 50 MB: only the size cap refuses it.
    let issuer = TestIssuer::start().await;
    let keys = issuer.public_jwks()["keys"].to_string();
    let body = format!(
        "{{\"keys\":{keys},\"padding\":\"{}\"}}",
        "x".repeat(50 << 20)
    );
    issuer.set_behavior(Behavior::Body(body));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;

    // The same padding under the cap loads: the refusal above is the cap's doing.
    let issuer = TestIssuer::start().await;
    let keys = issuer.public_jwks()["keys"].to_string();
    let body = format!(
        "{{\"keys\":{keys},\"padding\":\"{}\"}}",
        "x".repeat(100 << 10)
    );
    issuer.set_behavior(Behavior::Body(body));
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
}

#[tokio::test]
async fn non_json_bodies_are_refused() {
    for body in [
        "<html>login</html>",
        "",
        "[]",
        "{\"keys\": 5}",
        "{\"keys\": []}",
        "{\"keys\": [], \"keys\": []}",
    ] {
        let issuer = TestIssuer::start().await;
        issuer.set_behavior(Behavior::Body(body.to_owned()));
        assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;
    }
    // A duplicated `keys` member that hides a valid set is refused too.
    let issuer = TestIssuer::start().await;
    let real = issuer.public_jwks()["keys"].to_string();
    issuer.set_behavior(Behavior::Body(format!(
        "{{\"keys\": [], \"keys\": {real}}}"
    )));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;
}

#[tokio::test]
async fn too_many_keys_are_refused() {
    // 10,000 real keys (distinct kids), with a byte limit high enough to reach the count.
    let issuer = TestIssuer::start().await;
    let jwk = issuer.public_jwks()["keys"][0].clone();
    let keys: Vec<Value> = (0..10_000)
        .map(|i| {
            let mut k = jwk.clone();
            if i > 0 {
                k["kid"] = json!(format!("k{i}"));
            }
            k
        })
        .collect();
    issuer.set_jwks(Some(json!({ "keys": keys })));
    assert_no_keys_in_bounded_time(
        &issuer,
        Config::builder(issuer.issuer_config(AUD).jwks_limits(16 << 20, 100)),
    )
    .await;

    // 10,000 tiny entries under the default limits.
    let issuer = TestIssuer::start().await;
    let mut keys = issuer.public_jwks()["keys"].as_array().unwrap().clone();
    keys.extend((0..9_999).map(|_| json!({"kty": "x"})));
    issuer.set_jwks(Some(json!({ "keys": keys })));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;

    // The boundary: exactly 100 entries are accepted.
    let issuer = TestIssuer::start().await;
    let mut keys = issuer.public_jwks()["keys"].as_array().unwrap().clone();
    keys.extend((0..99).map(|_| json!({"kty": "x"})));
    issuer.set_jwks(Some(json!({ "keys": keys })));
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
}

/// A raw HTTP/1.1 server on 127.0.0.1 that answers every request with `head` and then
/// writes `chunk` forever (every `pause`), until the client hangs up. Counts connections.
async fn endless_server(chunk: &'static [u8], pause: Duration) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // Read the request head (best effort).
                let mut buf = [0u8; 4096];
                if stream.readable().await.is_err() {
                    return;
                }
                let _ = stream.try_read(&mut buf);
                let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             transfer-encoding: chunked\r\n\r\n";
                if write_all(&stream, head).await.is_err() {
                    return;
                }
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(chunk);
                framed.extend_from_slice(b"\r\n");
                loop {
                    if write_all(&stream, &framed).await.is_err() {
                        return;
                    }
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
            });
        }
    });
    (addr, hits)
}

async fn write_all(stream: &tokio::net::TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        stream.writable().await?;
        match stream.try_write(data) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[tokio::test]
async fn endless_chunked_body_is_cut_at_the_size_cap() {
    // No Content-Length: only the streamed cap can stop this.
    static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];
    let (addr, hits) = endless_server(&CHUNK, Duration::ZERO).await;
    let issuer = TestIssuer::start().await;
    // A request timeout longer than NO_HANG: without the cap, verification would hang.
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config(AUD)
            .http_timeouts(Duration::from_secs(5), Duration::from_secs(30))
            .jwks_url(format!("http://{addr}/jwks.json")),
    ));
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(hits.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn trickling_body_hits_the_request_timeout() {
    // One byte every 100 ms, forever: each read makes progress, so only a whole-request
    // timeout ends it.
    let (addr, hits) = endless_server(b" ", Duration::from_millis(100)).await;
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        short_timeouts(&issuer).jwks_url(format!("http://{addr}/jwks.json")),
    ));
    let token = issuer.token().sign();
    let result = tokio::time::timeout(Duration::from_secs(8), axioms.verify(&token))
        .await
        .expect("a trickling body with a 1 s request timeout must not hang the request");
    assert_eq!(result.unwrap_err().reason(), Reason::KeysUnavailable);
    assert!(hits.load(Ordering::SeqCst) >= 1);
}

// ---------------------------------------------------------------------------------------
// 14: Cache-Control
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn max_age_below_the_minimum_is_raised_to_it() {
    // max-age=0 and no-store with the default 60 s minimum: no refresh for a while.
    for cc in ["max-age=0", "no-store", "max-age=1"] {
        let issuer = TestIssuer::start().await;
        issuer.set_cache_control(Some(cc));
        let _axioms = loaded(&issuer, issuer.config(AUD)).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            issuer.jwks_fetches(),
            1,
            "Cache-Control: {cc} refetched too soon"
        );
    }
}

#[tokio::test]
async fn max_age_above_the_maximum_is_lowered_to_it() {
    // max-age=3600 with bounds of 1 s: the refresher comes back every second.
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("public, max-age=3600"));
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(1)),
        ),
    )
    .await;
    assert!(
        eventually(NO_HANG, || issuer.jwks_fetches() >= 3).await,
        "max-age must be clamped to the 1 s maximum"
    );
}

#[tokio::test]
async fn max_age_within_bounds_is_honoured() {
    // max-age=1 within 1 s – 1 h, while the plain interval is 5 min.
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("max-age=1"));
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(3600)),
        ),
    )
    .await;
    assert!(
        eventually(NO_HANG, || issuer.jwks_fetches() >= 2).await,
        "max-age=1 must trigger a refresh well before the 5 min interval"
    );

    // Without Cache-Control the interval (5 min) applies: no refresh.
    let issuer = TestIssuer::start().await;
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(3600)),
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(issuer.jwks_fetches(), 1);
}
