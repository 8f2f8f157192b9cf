//! The verified-token cache: hits, expiry while cached, key removal, a token without `kid`
//! after a second key, capacity, opt-out.

use std::sync::Arc;
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Config, ManualClock, Reason};

use crate::common::verifier;

#[tokio::test]
async fn a_repeated_token_is_verified_once() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(issuer.config("test-api"));
    let token = issuer.token().subject("alice").sign();
    for _ in 0..5 {
        let claims = axioms.verify(&token).await.unwrap();
        assert_eq!(claims.subject(), Some("alice"));
    }
    let stats = axioms.token_cache_stats();
    assert_eq!((stats.misses, stats.hits, stats.entries), (1, 4, 1));
}

#[tokio::test]
async fn a_token_that_differs_by_one_byte_is_not_a_hit() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(issuer.config("test-api"));
    let token = issuer.token().sign();
    axioms.verify(&token).await.unwrap();
    // Same header and payload, signature altered in its last character.
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'Q' } else { 'A' });
    let err = axioms.verify(&forged).await.unwrap_err();
    assert!(
        matches!(
            err.reason(),
            Reason::InvalidSignature | Reason::InvalidBase64
        ),
        "{err:?}"
    );
    assert_eq!(axioms.token_cache_stats().hits, 0);
}

#[tokio::test]
async fn expiry_while_cached_is_enforced() {
    let clock = ManualClock::starting_now();
    let issuer = TestIssuer::start_with_clock(&[Algorithm::RS256], Arc::new(clock.clone())).await;
    let axioms = verifier(
        Config::builder(
            issuer
                .issuer_config("test-api")
                .leeway(Duration::from_secs(0)),
        )
        .clock(clock.clone()),
    );
    let token = issuer.token().expires_in(100).sign();
    axioms.verify(&token).await.unwrap();
    axioms.verify(&token).await.unwrap();
    assert_eq!(axioms.token_cache_stats().hits, 1);
    clock.advance(100);
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::Expired);
    assert_eq!(
        axioms.token_cache_stats().hits,
        1,
        "an expired entry is never a hit"
    );
}

#[tokio::test]
async fn not_yet_valid_while_cached_is_enforced() {
    let clock = ManualClock::starting_now();
    let issuer = TestIssuer::start_with_clock(&[Algorithm::RS256], Arc::new(clock.clone())).await;
    let axioms = verifier(
        Config::builder(
            issuer
                .issuer_config("test-api")
                .leeway(Duration::from_secs(0)),
        )
        .clock(clock.clone()),
    );
    let now = axioms::Clock::now(&clock);
    let token = issuer.token().claim("nbf", serde_json::json!(now)).sign();
    axioms.verify(&token).await.unwrap();
    clock.advance(-10); // the clock is corrected backwards
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::NotYetValid);
}

#[tokio::test]
async fn removing_the_key_invalidates_cached_tokens() {
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256]).await;
    // No cooldown, so that the unknown kid below refetches at once.
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config("test-api")
            .unknown_kid_cooldown(Duration::ZERO),
    ));
    let token = issuer.token().signed_with("key-2").sign();
    axioms.verify(&token).await.unwrap();
    axioms.verify(&token).await.unwrap();
    assert_eq!(axioms.token_cache_stats().hits, 1);

    issuer.remove_key("key-2");
    // A token with an unknown kid forces a refetch of the key set.
    let unknown = issuer
        .token()
        .header("kid", serde_json::json!("nope"))
        .sign();
    assert_eq!(
        axioms.verify(&unknown).await.unwrap_err().reason(),
        Reason::UnknownKid
    );
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKid);
    assert_eq!(axioms.token_cache_stats().hits, 1);
}

#[tokio::test]
async fn cached_tokens_survive_a_refresh_that_keeps_their_key() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config("test-api")
            .unknown_kid_cooldown(Duration::ZERO),
    ));
    let token = issuer.token().sign();
    axioms.verify(&token).await.unwrap();
    issuer.add_key(Algorithm::ES256);
    let unknown = issuer
        .token()
        .header("kid", serde_json::json!("nope"))
        .sign();
    axioms.verify(&unknown).await.unwrap_err();
    assert_eq!(issuer.jwks_fetches(), 2);
    axioms.verify(&token).await.unwrap();
    assert_eq!(axioms.token_cache_stats().hits, 1);
}

/// A token without `kid` is valid only while the key set holds one key (OIDC Core §10.1): once
/// a second key is published, the cached token is refused exactly as a fresh verification
/// refuses it.
#[tokio::test]
async fn a_cached_token_without_kid_is_refused_once_a_second_key_is_published() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config("test-api")
            .unknown_kid_cooldown(Duration::ZERO),
    ));
    let token = issuer.token().without_header("kid").sign();
    axioms.verify(&token).await.unwrap();
    axioms.verify(&token).await.unwrap();
    assert_eq!(axioms.token_cache_stats().hits, 1);
    // A second key, which a token naming it makes the verifier fetch.
    let kid = issuer.add_key(Algorithm::ES256);
    let named = issuer.token().signed_with(&kid).sign();
    axioms.verify(&named).await.unwrap();
    assert_eq!(issuer.jwks_fetches(), 2);
    // The same bytes, fresh or from the cache: no kid among several keys.
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::MissingKid);
    assert_eq!(axioms.token_cache_stats().hits, 1, "not a hit");
    // A fresh token without kid is refused the same way.
    let fresh = issuer.token().without_header("kid").subject("other").sign();
    assert_eq!(
        axioms.verify(&fresh).await.unwrap_err().reason(),
        Reason::MissingKid
    );
}

#[tokio::test]
async fn capacity_is_bounded() {
    let issuer = TestIssuer::start_with(&[Algorithm::EdDSA]).await;
    let axioms = verifier(issuer.config("test-api").token_cache(64));
    for i in 0..500 {
        let token = issuer.token().subject(&format!("user-{i}")).sign();
        axioms.verify(&token).await.unwrap();
    }
    let stats = axioms.token_cache_stats();
    assert!(stats.entries <= 64, "{stats:?}");
    assert!(stats.entries > 0, "{stats:?}");
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(issuer.config("test-api").token_cache(0));
    let token = issuer.token().sign();
    axioms.verify(&token).await.unwrap();
    axioms.verify(&token).await.unwrap();
    assert_eq!(axioms.token_cache_stats(), Default::default());
}
