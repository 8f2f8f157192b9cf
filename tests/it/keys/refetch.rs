//! Unknown kids: many misses share one refetch, a cooldown bounds the refetches, a rotated-in
//! key verifies on its first use and a removed one stops verifying; the cold start fetches once.

use std::time::Duration;

use axioms::testing::{Behavior, TestIssuer};
use axioms::{Algorithm, Axioms, Reason};
use serde_json::json;

use crate::common::verifier;

use super::{AUD, NO_HANG, eventually, loaded, random_kid, reason, verify};

// ---------------------------------------------------------------------------------------------
// Single flight and cooldown on unknown kids

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

// ---------------------------------------------------------------------------------------------
// Rotation and removal

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

// ---------------------------------------------------------------------------------------------
// Cold start

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
