//! Which published keys are admitted and which one verifies a token: unusable entries are
//! skipped, a duplicate kid is ambiguous, a token without kid needs a single key, an RSA key
//! without `alg` follows the configured algorithm; and discovery, which locates the key set
//! once and only for the configured issuer.

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Config, Issuer, Reason};
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::common::apps::me;
use crate::common::{Logs, Want, expect, req, send, verifier};

use super::{AUD, loaded, reason, verify};

// ---------------------------------------------------------------------------------------------
// Key admission and selection

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

// ---------------------------------------------------------------------------------------------
// RSA keys without `alg`

/// The issuer's key set with `alg` removed from every key.
fn without_alg(jwks: Value) -> Value {
    let mut jwks = jwks;
    for key in jwks["keys"].as_array_mut().unwrap() {
        key.as_object_mut().unwrap().remove("alg");
    }
    jwks
}

#[tokio::test]
async fn alg_less_rsa_keys_follow_the_configured_algorithm() {
    let issuer = TestIssuer::start_with(&[Algorithm::PS256]).await;
    issuer.set_jwks(Some(without_alg(issuer.public_jwks())));
    let token = issuer.token().audience("api").sign();
    let logs = Logs::capture();

    let default = verifier(issuer.config("api"));
    let err = default.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AlgorithmKeyMismatch);
    let app = Router::new().route("/me", get(me)).with_state(default);
    expect(
        &send(&app, req("GET", "/me").bearer(&token)).await,
        Want::InvalidToken,
    );
    let line = logs.line_with("request rejected");
    assert!(
        line.contains("alg differs from the algorithm the key is pinned to")
            && line.contains("token alg PS256")
            && line.contains("pinned to RS256")
            && line.contains("AXIOMS_RSA_KEY_ALG"),
        "the log names the mismatch, the key and the setting: {line}"
    );
    assert!(!line.contains(&token), "the token is never logged");

    let configured = verifier(Config::builder(
        issuer.issuer_config("api").rsa_key_alg(Algorithm::PS256),
    ));
    assert!(configured.verify(&token).await.is_ok());
}

// ---------------------------------------------------------------------------------------------
// Discovery

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
