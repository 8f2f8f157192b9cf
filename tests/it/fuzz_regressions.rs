//! What the fuzz targets in `fuzz/` found, as ordinary tests.
//!
//! * Named tests describe each finding and check the behaviour it should have had.
//! * `replay_*` tests run every committed input under `fuzz/regressions/<target>/` through the
//!   same entry points and oracles as the fuzz target, decoded by the targets' own code
//!   (`fuzz/src/lib.rs`, included below). To keep a new crash, minimise it
//!   (`cargo fuzz tmin <target> <crash>`) and copy it into that directory.

use std::path::PathBuf;
use std::time::Duration;

use axioms::__private::{bearer_token, verify_jws_signature};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims, Config, Issuer, ManualClock, Reason};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fuzz_input::{AUDIENCE, ISSUER, VERIFY_AT};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::common::verifier;

/// The fuzz targets' input decoding, fixtures and oracles.
#[allow(unreachable_pub, dead_code)]
#[path = "../../fuzz/src/lib.rs"]
mod fuzz_input;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<(PathBuf, Vec<u8>)> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

// ---- findings

/// A JWK whose RSA modulus is empty once leading zero octets are dropped.
fn empty_modulus_key(n: &str) -> Value {
    json!({"kty": "RSA", "kid": "bad", "n": n, "e": "AQAB"})
}

/// Fuzz target `jwks` (found in under 400 executions once the target encoded raw key
/// material; minimised input `fuzz/regressions/jwks/rsa-empty-modulus-structured`, one `0x00`
/// byte: `{"keys":[{"kty":"RSA","n":"","e":""}]}`).
///
/// `jwks/key.rs` computes the modulus size as
/// `n_trimmed.len() * 8 - n_trimmed.first().map_or(8, …)`: for an empty modulus that is
/// `0 - 8`, which panics with "attempt to subtract with overflow" wherever overflow checks
/// are on (debug builds, tests, `overflow-checks = true`), and only wraps to a huge size —
/// hence `WeakKey` by luck — in a default release build. Such a key must simply be skipped.
#[test]
fn jwks_rsa_key_with_empty_modulus_is_skipped() {
    for n in ["", "AA", "AAAA", "AAAAAA"] {
        let doc = json!({ "keys": [empty_modulus_key(n)] });
        // No usable key: `verify_jws_signature` reports a refused set as an unknown kid.
        assert_eq!(
            verify_jws_signature(&doc, "a.b.c"),
            Err(Reason::UnknownKid),
            "n = {n:?}"
        );
    }
}

/// The same key next to good ones: one odd key never fails the whole set (RFC 7517 §5).
#[test]
fn jwks_empty_modulus_does_not_spoil_the_other_keys() {
    let mut doc = fuzz_input::jwks();
    doc["keys"]
        .as_array_mut()
        .unwrap()
        .insert(0, empty_modulus_key("AA"));
    let basic = fuzz_input::signed_tokens()
        .into_iter()
        .find(|t| t.kid == "key-1" && t.label == "basic")
        .unwrap();
    assert_eq!(verify_jws_signature(&doc, basic.token), Ok(()));
}

/// End to end: an IdP publishing such a key next to its real one. With overflow checks on,
/// the panic happens in the JWKS fetch, in the background refresher and in the request that
/// waits for a refetch.
#[tokio::test]
async fn jwks_endpoint_with_an_empty_rsa_modulus_still_verifies() {
    let issuer = TestIssuer::start().await;
    let mut jwks = issuer.public_jwks();
    jwks["keys"]
        .as_array_mut()
        .unwrap()
        .insert(0, empty_modulus_key(""));
    issuer.set_jwks(Some(jwks));
    let axioms = verifier(issuer.config("test-api"));
    let token = issuer.token().sign();
    let verified = tokio::time::timeout(Duration::from_secs(10), axioms.verify(&token))
        .await
        .expect("verification ends");
    assert!(verified.is_ok(), "{:?}", verified.err());
    assert_eq!(axioms.key_count(), 1);
}

// ---- replays

fn bearer_entry(data: &[u8]) {
    let Some(values) = fuzz_input::bearer_values(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for v in &values {
        let Ok(value) = HeaderValue::from_bytes(v) else {
            return;
        };
        headers.append(AUTHORIZATION, value);
    }
    assert_eq!(
        bearer_token(&headers),
        fuzz_input::bearer_reference(&values)
    );
}

fn jwks_entry(data: &[u8]) {
    let Some(doc) = fuzz_input::jwks_from_input(data) else {
        return;
    };
    let _ = verify_jws_signature(&doc, "a.b.c");
    for t in fuzz_input::signed_tokens() {
        if verify_jws_signature(&doc, t.token).is_ok() {
            assert!(fuzz_input::holds_fixed_key(&doc, t.kid), "{}", t.label);
        }
    }
}

#[test]
fn replay_bearer_inputs() {
    for (path, data) in inputs("bearer") {
        eprintln!("replaying {}", path.display());
        bearer_entry(&data);
    }
}

#[test]
fn replay_jwks_inputs() {
    for (path, data) in inputs("jwks") {
        eprintln!("replaying {}", path.display());
        jwks_entry(&data);
    }
}

#[tokio::test]
async fn replay_verify_inputs() {
    let files = inputs("verify");
    if files.is_empty() {
        return;
    }
    let issuer = TestIssuer::start().await;
    issuer.set_jwks(Some(fuzz_input::jwks()));
    let config = Config::builder(
        Issuer::builder()
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .jwks_url(issuer.jwks_url()),
    )
    .clock(ManualClock::new(VERIFY_AT))
    .token_cache(0)
    .build()
    .unwrap();
    let axioms = Axioms::new(config).unwrap();
    let known = fuzz_input::known_signing_inputs();
    for (path, data) in files {
        eprintln!("replaying {}", path.display());
        let Some(token) = fuzz_input::token_from_input(&data) else {
            continue;
        };
        let signature = verify_jws_signature(&fuzz_input::jwks(), &token);
        if signature.is_ok() {
            assert!(known.contains(fuzz_input::signing_input(&token)));
        }
        let verified = axioms.verify(&token).await;
        if verified.is_ok() {
            assert!(signature.is_ok());
        }
        let _ = token
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
            .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
            .and_then(Claims::from_json_unverified);
    }
}
