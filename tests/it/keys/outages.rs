//! An issuer that fails, stops, is slow or was never reached: cached keys serve on (within
//! their maximum staleness), every wait is bounded, and without keys the answer is a 503 with
//! `Retry-After` until they load.

use std::time::Duration;

use axioms::testing::{Behavior, TestIssuer};
use axioms::{Algorithm, Config, Reason};
use http::StatusCode;
use serde_json::json;

use crate::common::{req, send, verifier};

use super::{AUD, NO_HANG, app, eventually, loaded, reason, short_timeouts, verify};

// ---------------------------------------------------------------------------------------------
// Stale-if-error

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

// ---------------------------------------------------------------------------------------------
// A slow issuer

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

// ---------------------------------------------------------------------------------------------
// Keys never loaded, and recovery

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
