//! DPoP at the resource server (RFC 9449 §4.3, §7, §8): a DPoP-bound token is accepted with a
//! proof of its key and refused without one; every check of §4.3 has a failing case here, each
//! named by the [`Reason`] it must produce and by the exact answer the client gets.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axioms::dpop::{ReplayKey, ReplayStore, ReplayStoreError};
use axioms::testing::{DpopKey, ProofBuilder, TestIssuer};
use axioms::{
    Algorithm, AuthError, Axioms, Claims, Clock as _, Config, ConfigBuilder, IssuerBuilder,
    ManualClock, ResourceMetadata, protected,
};
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Req, Resp, challenge_of, challenges, req, send};
use futures_util::future::BoxFuture;
use serde_json::json;

const RESOURCE: &str = "https://api.example.com";

#[protected(scopes = any("read:data"))]
async fn orders() -> &'static str {
    "orders"
}

#[protected(scopes = any("write:data"))]
async fn create_order() -> (http::StatusCode, &'static str) {
    (http::StatusCode::CREATED, "created")
}

/// Only DPoP-bound tokens, on this route alone.
#[protected(dpop = required, scopes = any("read:data"))]
async fn payouts() -> &'static str {
    "payouts"
}

axioms::policy!(Bound: dpop = required);

#[protected(policy = Bound)]
async fn bound_only() -> &'static str {
    "bound"
}

async fn whoami(claims: Claims) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

/// The app under test: the rejection's [`Reason`] is copied into `x-reason`, so that each
/// case asserts why it was refused, not only that it was.
fn app(axioms: Axioms) -> Router {
    let axioms = axioms.with_error_renderer(|err: &AuthError| {
        let mut response = err.clone().into_response();
        response.headers_mut().insert(
            "x-reason",
            http::HeaderValue::from_str(&format!("{:?}", err.reason())).unwrap(),
        );
        response
    });
    let v1 = Router::new().route("/orders", get(orders));
    Router::new()
        .route("/orders", get(orders).post(create_order))
        .route("/me", get(whoami))
        .route("/payouts", get(payouts))
        .route("/bound", get(bound_only))
        .nest("/v1", v1)
        .with_state(axioms)
}

struct Fixture {
    issuer: TestIssuer,
    app: Router,
}

async fn fixture(configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Fixture {
    fixture_of(|issuer| issuer, configure).await
}

/// [`fixture`] with the issuer's settings adjusted too.
async fn fixture_of(
    issuer_config: impl FnOnce(IssuerBuilder) -> IssuerBuilder,
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> Fixture {
    let issuer = TestIssuer::start().await;
    let config = configure(
        Config::builder(issuer_config(issuer.issuer_config(RESOURCE))).resource(RESOURCE),
    )
    .build()
    .unwrap();
    let app = app(Axioms::new(config).unwrap());
    Fixture { issuer, app }
}

impl Fixture {
    fn plain_token(&self, scope: &str) -> String {
        self.issuer.token().audience(RESOURCE).scope(scope).sign()
    }

    fn bound_token(&self, key: &DpopKey, scope: &str) -> String {
        self.issuer
            .token()
            .audience(RESOURCE)
            .scope(scope)
            .bound_to(key)
            .sign()
    }
}

/// A proof of `key` for `method` on `RESOURCE` + `path`, for `token`.
fn proof_for(key: &DpopKey, method: &str, path: &str, token: &str) -> String {
    key.proof(method, &format!("{RESOURCE}{path}"))
        .access_token(token)
        .sign()
}

fn dpop(method: &str, path: &str, token: &str, proof: &str) -> Req {
    req(method, path)
        .authorization(&format!("DPoP {token}"))
        .header("dpop", proof)
}

fn reason(r: &Resp) -> &str {
    r.header("x-reason")
}

/// The default `algs`: every algorithm, EdDSA under both its names (RFC 9864).
const ALGS: &str = "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519";

/// `Ok` if `r` is a 401 for `why` whose `DPoP` challenge carries `error` and the `algs`
/// list, and whose `Bearer` challenge (offered beside it) carries no error.
fn dpop_error(r: &Resp, error: &str, why: &str) -> Result<(), String> {
    let fail = |what: &str| Err(format!("{what}: {r:?}"));
    if r.status != 401 {
        return fail("status is not 401");
    }
    if reason(r) != why {
        return fail(&format!("reason is not {why}"));
    }
    let Some(www) = r.www() else {
        return fail("no challenge");
    };
    let dpop = challenge_of(www, "DPoP");
    if dpop.get("error").map(String::as_str) != Some(error) {
        return fail(&format!("DPoP challenge without error={error}"));
    }
    if dpop.get("algs").map(String::as_str) != Some(ALGS) {
        return fail("DPoP challenge without the algs");
    }
    if challenge_of(www, "Bearer").contains_key("error") {
        return fail("the Bearer challenge carries the error too");
    }
    if r.error().as_deref() != Some(error) {
        return fail("body without the error");
    }
    Ok(())
}

#[track_caller]
fn assert_dpop_error(r: &Resp, error: &str, why: &str, case: &str) {
    if let Err(e) = dpop_error(r, error, why) {
        panic!("{case}: {e}");
    }
}

#[tokio::test]
async fn a_bound_token_with_a_proof_of_its_key_is_accepted_for_every_algorithm() {
    let f = fixture(|c| c).await;
    for alg in [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
        Algorithm::RS256,
        Algorithm::PS256,
    ] {
        let key = DpopKey::generate(alg);
        let token = f.bound_token(&key, "read:data write:data");
        let proof = proof_for(&key, "GET", "/orders", &token);
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        assert_eq!(r.status, 200, "{alg:?}: {r:?}");
        assert_eq!(r.body, "orders");
        // The method and the path are the proof's: a POST needs its own.
        let proof = proof_for(&key, "POST", "/orders", &token);
        let r = send(&f.app, dpop("POST", "/orders", &token, &proof)).await;
        assert_eq!(r.status, 201, "{alg:?}: {r:?}");
    }
    // EdDSA on Ed25519 under its fully-specified name (RFC 9864), as npm `dpop` signs it.
    let key = DpopKey::generate(Algorithm::EdDSA);
    let token = f.bound_token(&key, "read:data");
    let proof = key
        .proof("GET", &format!("{RESOURCE}/orders"))
        .access_token(&token)
        .header("alg", json!("Ed25519"))
        .sign();
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(r.status, 200, "Ed25519: {r:?}");
}

#[tokio::test]
async fn the_scheme_is_case_insensitive_and_htu_ignores_query_fragment_and_default_port() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    for (scheme, htu, uri) in [
        ("dpop", format!("{RESOURCE}/orders"), "/orders"),
        (
            "DPoP",
            "https://API.example.com:443/orders".into(),
            "/orders",
        ),
        (
            "DPoP",
            format!("{RESOURCE}/orders?page=2#top"),
            "/orders?page=3",
        ),
        ("DPoP", format!("{RESOURCE}/v1/orders"), "/v1/orders"),
    ] {
        let proof = key.proof("GET", &htu).access_token(&token).sign();
        let r = send(
            &f.app,
            req("GET", uri)
                .authorization(&format!("{scheme} {token}"))
                .header("dpop", &proof),
        )
        .await;
        assert_eq!(r.status, 200, "{scheme} {htu} → {uri}: {r:?}");
    }
}

/// Every check of RFC 9449 §4.3, one failing proof each.
#[tokio::test]
async fn every_proof_check_has_a_failing_case() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let other_key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let other_token = f.bound_token(&key, "read:data write:data");
    let url = format!("{RESOURCE}/orders");
    let good = || key.proof("GET", &url).access_token(&token);
    let private_jwk = {
        // The proof key with a private member: what a careless client serializes.
        let mut jwk = key.jwk();
        jwk["d"] = json!(URL_SAFE_NO_PAD.encode([7u8; 32]));
        jwk
    };
    let tampered = {
        let proof = good().sign();
        let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
        let payload = URL_SAFE_NO_PAD.decode(&parts[1]).unwrap();
        let mut claims: serde_json::Value = serde_json::from_slice(&payload).unwrap();
        claims["htm"] = json!("GET");
        claims["jti"] = json!("another");
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        parts.join(".")
    };
    let unsigned = {
        let proof = good().header("alg", json!("none")).sign();
        let (input, _) = proof.rsplit_once('.').unwrap();
        format!("{input}.")
    };
    let cases: Vec<(&str, ProofBuilder<'_>, &str)> = vec![
        (
            "htm of another method",
            good().claim("htm", json!("POST")),
            "DpopMethodMismatch",
        ),
        (
            "htm in lower case",
            good().claim("htm", json!("get")),
            "DpopMethodMismatch",
        ),
        (
            "htu with another host",
            good().claim("htu", json!("https://evil.example.com/orders")),
            "DpopUriMismatch",
        ),
        (
            "htu with another port",
            good().claim("htu", json!("https://api.example.com:8443/orders")),
            "DpopUriMismatch",
        ),
        (
            "htu with another path",
            good().claim("htu", json!(format!("{RESOURCE}/orders/1"))),
            "DpopUriMismatch",
        ),
        (
            "htu with http",
            good().claim("htu", json!("http://api.example.com/orders")),
            "DpopUriMismatch",
        ),
        (
            "htu not a URL",
            good().claim("htu", json!("/orders")),
            "DpopUriMismatch",
        ),
        (
            "iat five minutes old",
            good().issued_in(-300),
            "DpopProofStale",
        ),
        (
            "iat five minutes ahead",
            good().issued_in(300),
            "DpopProofStale",
        ),
        (
            "iat a string",
            good().claim("iat", json!("now")),
            "MalformedDpopProof",
        ),
        ("iat missing", good().without("iat"), "MalformedDpopProof"),
        ("jti missing", good().without("jti"), "MalformedDpopProof"),
        (
            "jti empty",
            good().claim("jti", json!("")),
            "MalformedDpopProof",
        ),
        (
            "jti of 300 bytes",
            good().claim("jti", json!("j".repeat(300))),
            "MalformedDpopProof",
        ),
        (
            "ath of another token",
            key.proof("GET", &url).access_token(&other_token),
            "DpopTokenHashMismatch",
        ),
        (
            "ath missing",
            key.proof("GET", &url),
            "DpopTokenHashMismatch",
        ),
        (
            "typ JWT",
            good().header("typ", json!("JWT")),
            "DpopProofType",
        ),
        ("typ missing", good().without_header("typ"), "DpopProofType"),
        (
            "alg HS256",
            good().header("alg", json!("HS256")),
            "DpopProofAlgorithm",
        ),
        (
            "alg of another key type",
            good().header("alg", json!("RS256")),
            "DpopProofKey",
        ),
        (
            "jwk with a private key",
            good().header("jwk", private_jwk),
            "DpopProofKey",
        ),
        ("jwk missing", good().without_header("jwk"), "DpopProofKey"),
        (
            "jwk a string",
            good().header("jwk", json!("key")),
            "DpopProofKey",
        ),
        (
            "jwk of another key than the signature's",
            good().header("jwk", other_key.jwk()),
            "DpopProofSignature",
        ),
        (
            "proof of another key than the token's cnf.jkt",
            other_key.proof("GET", &url).access_token(&token),
            "DpopKeyMismatch",
        ),
    ];
    let mut failures = Vec::new();
    for (case, proof, why) in cases {
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof.sign())).await;
        let error = if why == "DpopKeyMismatch" {
            "invalid_token"
        } else {
            "invalid_dpop_proof"
        };
        if let Err(e) = dpop_error(&r, error, why) {
            failures.push(format!("{case}: {e}"));
        }
    }
    for (case, proof, why) in [
        ("alg none, no signature", unsigned, "MalformedDpopProof"),
        (
            "a claim changed after signing",
            tampered,
            "DpopProofSignature",
        ),
        ("not a JWS", "not.a.jws".to_owned(), "MalformedDpopProof"),
        (
            "two segments",
            "eyJhbGciOiJFUzI1NiJ9.e30".to_owned(),
            "MalformedDpopProof",
        ),
        ("9 KiB", "a".repeat(9 * 1024), "MalformedDpopProof"),
    ] {
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        if let Err(e) = dpop_error(&r, "invalid_dpop_proof", why) {
            failures.push(format!("{case}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // None of the refusals cost the good proof its place: it still works once.
    let r = send(&f.app, dpop("GET", "/orders", &token, &good().sign())).await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn the_proof_header_must_be_there_exactly_once() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let proof = || {
        key.proof("GET", &format!("{RESOURCE}/orders"))
            .access_token(&token)
            .sign()
    };
    let r = send(
        &f.app,
        req("GET", "/orders").authorization(&format!("DPoP {token}")),
    )
    .await;
    assert_dpop_error(
        &r,
        "invalid_dpop_proof",
        "MissingDpopProof",
        "no DPoP header",
    );
    let r = send(
        &f.app,
        dpop("GET", "/orders", &token, &proof()).header("dpop", proof()),
    )
    .await;
    assert_dpop_error(
        &r,
        "invalid_dpop_proof",
        "MultipleDpopProofs",
        "two DPoP headers",
    );
}

#[tokio::test]
async fn a_replayed_proof_is_refused() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::EdDSA);
    let token = f.bound_token(&key, "read:data");
    let proof = proof_for(&key, "GET", "/orders", &token);
    let first = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(first.status, 200, "{first:?}");
    let again = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_dpop_error(
        &again,
        "invalid_dpop_proof",
        "DpopProofReplayed",
        "replayed",
    );
    // The same jti from another key is another proof (the store keys on both).
    let other = DpopKey::generate(Algorithm::EdDSA);
    let other_token = f.bound_token(&other, "read:data");
    let jti: serde_json::Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(proof.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let proof = other
        .proof("GET", &format!("{RESOURCE}/orders"))
        .access_token(&other_token)
        .claim("jti", jti["jti"].clone())
        .sign();
    let r = send(&f.app, dpop("GET", "/orders", &other_token, &proof)).await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn presenting_the_token_under_the_wrong_scheme_is_refused() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let bound = f.bound_token(&key, "read:data");
    let proof = proof_for(&key, "GET", "/orders", &bound);

    // A stolen DPoP-bound token used as a bearer token (RFC 9449 §7.2), even with a proof.
    for request in [
        req("GET", "/orders").bearer(&bound),
        req("GET", "/orders").bearer(&bound).header("dpop", &proof),
    ] {
        let r = send(&f.app, request).await;
        assert_eq!(r.status, 401, "{r:?}");
        assert_eq!(reason(&r), "BoundTokenAsBearer");
        let www = r.www().unwrap();
        let bearer = challenge_of(www, "Bearer");
        assert_eq!(bearer["error"], "invalid_token", "{www}");
        assert!(bearer["error_description"].contains("DPoP-bound"), "{www}");
        assert!(!challenge_of(www, "DPoP").contains_key("error"), "{www}");
    }

    // A bearer token under the DPoP scheme, with a proof of some key.
    let plain = f.plain_token("read:data");
    let proof = proof_for(&key, "GET", "/orders", &plain);
    let r = send(&f.app, dpop("GET", "/orders", &plain, &proof)).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(reason(&r), "TokenNotDpopBound");
    assert_eq!(
        challenge_of(r.www().unwrap(), "DPoP")["error"],
        "invalid_token"
    );
    // The same token as Bearer is fine: DPoP is offered, not required.
    let r = send(&f.app, req("GET", "/orders").bearer(&plain)).await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn challenges_offer_dpop_beside_bearer_and_403_answers_on_the_scheme_used() {
    let f = fixture(|c| c.dpop_algorithms([Algorithm::ES256, Algorithm::EdDSA])).await;
    let r = send(&f.app, req("GET", "/orders")).await;
    assert_eq!(r.status, 401);
    let all = challenges(r.www().unwrap());
    let schemes: Vec<&str> = all.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(schemes, ["Bearer", "DPoP"], "{:?}", r.www());
    assert_eq!(all[1].1["algs"], "ES256 EdDSA Ed25519");
    assert!(
        r.header("dpop-nonce").is_empty(),
        "no nonce without a nonce secret"
    );
    assert!(all.iter().all(|(_, p)| !p.contains_key("error")));

    // An RS256 proof is now outside the allow-list.
    let key = DpopKey::generate(Algorithm::RS256);
    let token = f.bound_token(&key, "read:data");
    let proof = proof_for(&key, "GET", "/orders", &token);
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(r.status, 401);
    assert_eq!(reason(&r), "DpopProofAlgorithm");

    // A valid DPoP request without the privilege: 403 on the DPoP scheme (RFC 9449 §7.1).
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let proof = proof_for(&key, "POST", "/orders", &token);
    let r = send(&f.app, dpop("POST", "/orders", &token, &proof)).await;
    assert_eq!(r.status, 403, "{r:?}");
    let www = r.www().unwrap();
    assert!(!challenge_of(www, "Bearer").contains_key("error"), "{www}");
    let params = challenge_of(www, "DPoP");
    assert_eq!(params["error"], "insufficient_scope");
    assert_eq!(params["scope"], "write:data");
    assert_eq!(params["algs"], "ES256 EdDSA Ed25519");
}

#[tokio::test]
async fn the_claims_extractor_takes_the_same_way() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "");
    let r = send(&f.app, req("GET", "/me").bearer(&token)).await;
    assert_eq!(reason(&r), "BoundTokenAsBearer", "{r:?}");
    let proof = proof_for(&key, "GET", "/me", &token);
    let r = send(&f.app, dpop("GET", "/me", &token, &proof)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, "user-1");
}

#[tokio::test]
async fn nested_routes_check_htu_against_the_path_as_received() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    // `nest("/v1", …)` strips the prefix before the handler; the proof names the full path.
    let stripped = proof_for(&key, "GET", "/orders", &token);
    let r = send(&f.app, dpop("GET", "/v1/orders", &token, &stripped)).await;
    assert_eq!(reason(&r), "DpopUriMismatch", "{r:?}");
}

#[tokio::test]
async fn the_htu_origin_is_configured_never_taken_from_the_request() {
    let f = fixture(|c| c.dpop_origin("https://public.example.com")).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let proof = |htu: &str| key.proof("GET", htu).access_token(&token).sign();
    // Host and X-Forwarded-* name the attacker's host: they are not read.
    let r = send(
        &f.app,
        dpop(
            "GET",
            "/orders",
            &token,
            &proof("https://evil.example.com/orders"),
        )
        .header("host", "evil.example.com")
        .header("x-forwarded-host", "evil.example.com"),
    )
    .await;
    assert_eq!(reason(&r), "DpopUriMismatch", "{r:?}");
    let r = send(
        &f.app,
        dpop(
            "GET",
            "/orders",
            &token,
            &proof("https://public.example.com/orders"),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
}

#[tokio::test]
async fn server_nonces_are_asked_for_and_then_accepted() {
    // One clock for the server and the proofs, at the start of a 60-second nonce step, so
    // that no step passes mid-test.
    let clock = ManualClock::starting_now();
    clock.set(clock.now() - clock.now().rem_euclid(60));
    let f = fixture(|c| c.dpop_nonce_secret([42; 32]).clock(clock.clone())).await;
    let key = DpopKey::generate(Algorithm::ES256).with_clock(clock.clone());
    let token = f.bound_token(&key, "read:data");
    let url = format!("{RESOURCE}/orders");
    let r = send(
        &f.app,
        dpop(
            "GET",
            "/orders",
            &token,
            &key.proof("GET", &url).access_token(&token).sign(),
        ),
    )
    .await;
    assert_dpop_error(&r, "use_dpop_nonce", "DpopNonceRequired", "no nonce");
    let nonce = r.header("dpop-nonce").to_owned();
    assert!(nonce.len() >= 16, "{r:?}");
    for (case, bad) in [
        ("another nonce", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        ("empty", ""),
    ] {
        let proof = key
            .proof("GET", &url)
            .access_token(&token)
            .nonce(bad)
            .sign();
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        assert_dpop_error(&r, "use_dpop_nonce", "DpopNonceRequired", case);
        assert_eq!(r.header("dpop-nonce"), nonce, "{case}");
    }
    let proof = key
        .proof("GET", &url)
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(r.status, 200, "{r:?}");

    // A server with another secret does not take this server's nonces.
    let g = fixture(|c| c.dpop_nonce_secret([43; 32]).clock(clock.clone())).await;
    let token = g.bound_token(&key, "read:data");
    let proof = key
        .proof("GET", &url)
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    let r = send(&g.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(reason(&r), "DpopNonceRequired", "{r:?}");

    // A nonce lasts three 60-second steps, then the server asks for a new one.
    let token = f.bound_token(&key, "read:data");
    clock.advance(179);
    let proof = key
        .proof("GET", &url)
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(r.status, 200, "a nonce of the step before last: {r:?}");
    clock.advance(1);
    let proof = key
        .proof("GET", &url)
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_dpop_error(
        &r,
        "use_dpop_nonce",
        "DpopNonceRequired",
        "a nonce three steps old",
    );
    assert_ne!(r.header("dpop-nonce"), nonce);
}

#[tokio::test]
async fn iat_is_accepted_for_the_lifetime_plus_the_leeway_on_each_side() {
    let clock = ManualClock::starting_now();
    let f = fixture_of(
        |i| i.leeway(Duration::from_secs(5)),
        |c| {
            c.clock(clock.clone())
                .dpop_proof_lifetime(Duration::from_secs(30))
        },
    )
    .await;
    let key = DpopKey::generate(Algorithm::ES256).with_clock(clock.clone());
    let token = f.bound_token(&key, "read:data");
    let url = format!("{RESOURCE}/orders");
    for (iat, accepted) in [(-35, true), (-36, false), (5, true), (6, false), (0, true)] {
        let proof = key
            .proof("GET", &url)
            .access_token(&token)
            .issued_in(iat)
            .sign();
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        if accepted {
            assert_eq!(r.status, 200, "iat {iat}: {r:?}");
        } else {
            assert_dpop_error(
                &r,
                "invalid_dpop_proof",
                "DpopProofStale",
                &format!("iat {iat}"),
            );
        }
    }
}

#[tokio::test]
async fn required_dpop_refuses_bearer_tokens_and_says_so_in_the_metadata() {
    let f = fixture(ConfigBuilder::require_dpop).await;
    let plain = f.plain_token("read:data");
    let r = send(&f.app, req("GET", "/orders").bearer(&plain)).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(reason(&r), "DpopRequired");
    let all = challenges(r.www().unwrap());
    assert_eq!(all.len(), 1, "only DPoP is offered: {:?}", r.www());
    assert_eq!(all[0].0, "DPoP");
    assert_eq!(all[0].1["error"], "invalid_token");
    let r = send(&f.app, req("GET", "/orders")).await;
    assert_eq!(challenges(r.www().unwrap())[0].0, "DPoP", "{r:?}");

    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let proof = proof_for(&key, "GET", "/orders", &token);
    assert_eq!(
        send(&f.app, dpop("GET", "/orders", &token, &proof))
            .await
            .status,
        200
    );

    let config = f
        .issuer
        .config(RESOURCE)
        .resource(RESOURCE)
        .require_dpop()
        .build()
        .unwrap();
    let document = ResourceMetadata::new(&config).unwrap().document().clone();
    assert_eq!(document["dpop_bound_access_tokens_required"], true);
    assert_eq!(
        document["dpop_signing_alg_values_supported"],
        json!(ALGS.split(' ').collect::<Vec<_>>())
    );
    let config = f
        .issuer
        .config(RESOURCE)
        .resource(RESOURCE)
        .build()
        .unwrap();
    let document = ResourceMetadata::new(&config).unwrap().document().clone();
    assert_eq!(document["dpop_bound_access_tokens_required"], false);
}

#[tokio::test]
async fn a_route_can_require_dpop_on_its_own() {
    let f = fixture(|c| c).await;
    let plain = f.plain_token("read:data");
    let key = DpopKey::generate(Algorithm::ES256);
    let bound = f.bound_token(&key, "read:data");
    for path in ["/payouts", "/bound"] {
        let r = send(&f.app, req("GET", path).bearer(&plain)).await;
        assert_eq!(r.status, 401, "{path}: {r:?}");
        assert_eq!(reason(&r), "DpopRequired", "{path}");
        let www = r.www().unwrap();
        assert_eq!(challenge_of(www, "DPoP")["error"], "invalid_token", "{www}");
        assert!(!challenge_of(www, "Bearer").contains_key("error"), "{www}");
        assert!(
            r.body.contains("requires a DPoP-bound access token"),
            "{}",
            r.body
        );
        let proof = proof_for(&key, "GET", path, &bound);
        let r = send(&f.app, dpop("GET", path, &bound, &proof)).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
    }
    // Other routes still take bearer tokens.
    assert_eq!(
        send(&f.app, req("GET", "/orders").bearer(&plain))
            .await
            .status,
        200
    );
    // The scope is still checked for a DPoP-bound token.
    let unscoped = f.bound_token(&key, "");
    let proof = proof_for(&key, "GET", "/payouts", &unscoped);
    let r = send(&f.app, dpop("GET", "/payouts", &unscoped, &proof)).await;
    assert_eq!(r.status, 403, "{r:?}");
}

#[tokio::test]
async fn without_a_resource_dpop_is_off_and_bound_tokens_are_refused() {
    let issuer = TestIssuer::start().await;
    let config = issuer.config("api").build().unwrap();
    assert_eq!(config.dpop_origin(), None);
    let f = Fixture {
        app: app(Axioms::new(config).unwrap()),
        issuer,
    };
    let r = send(&f.app, req("GET", "/orders")).await;
    assert_eq!(
        challenges(r.www().unwrap()).len(),
        1,
        "no DPoP offered: {r:?}"
    );
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f
        .issuer
        .token()
        .audience("api")
        .scope("read:data")
        .bound_to(&key)
        .sign();
    let proof = key
        .proof("GET", "https://api.example.com/orders")
        .access_token(&token)
        .sign();
    // `DPoP` is just another scheme here: no credentials (RFC 6750 §3.1).
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert!(!r.www().unwrap().contains("error="), "{r:?}");
    assert_eq!(r.error().as_deref(), Some("unauthorized"));
    // As Bearer, it is refused; the log tells the operator what to configure.
    let r = send(&f.app, req("GET", "/orders").bearer(&token)).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(reason(&r), "DpopNotConfigured");
    assert_eq!(
        challenge_of(r.www().unwrap(), "Bearer")["error"],
        "invalid_token"
    );
}

#[tokio::test]
async fn axioms_verify_alone_refuses_bound_tokens() {
    let f = fixture(|c| c).await;
    let axioms = Axioms::new(f.issuer.config(RESOURCE).build().unwrap()).unwrap();
    let key = DpopKey::generate(Algorithm::ES256);
    for token in [
        f.bound_token(&key, "read:data"),
        f.issuer
            .token()
            .audience(RESOURCE)
            .bound_to_certificate(b"cert")
            .sign(),
    ] {
        // `verify` sees no request, so it cannot check a binding: it refuses, never ignores.
        let err = axioms.verify(&token).await.unwrap_err();
        assert_eq!(err.reason(), axioms::Reason::SenderConstrained);
    }
}

/// A replay store whose backend is down.
#[derive(Debug)]
struct Down(AtomicUsize);

impl ReplayStore for Down {
    fn first_use(
        &self,
        _key: ReplayKey,
        _ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, ReplayStoreError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(ReplayStoreError::Unavailable("connection refused".into())) })
    }
}

#[tokio::test]
async fn an_unavailable_or_full_replay_store_fails_closed() {
    let issuer = TestIssuer::start().await;
    let down = Arc::new(Down(AtomicUsize::new(0)));
    let config = issuer.config(RESOURCE).resource(RESOURCE).build().unwrap();
    let app = app(Axioms::new(config)
        .unwrap()
        .with_replay_store(Arc::clone(&down)));
    let f = Fixture { issuer, app };
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let proof = |k: &DpopKey, t: &str| {
        k.proof("GET", &format!("{RESOURCE}/orders"))
            .access_token(t)
            .sign()
    };
    let r = send(&f.app, dpop("GET", "/orders", &token, &proof(&key, &token))).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(reason(&r), "ReplayStoreUnavailable");
    assert_eq!(r.header("retry-after"), "1");
    assert!(!r.dump().contains("connection refused"), "{r:?}");
    assert_eq!(down.0.load(Ordering::SeqCst), 1);
    // A bad proof is refused before the store is asked.
    let bad = key.proof("GET", &format!("{RESOURCE}/orders")).sign();
    let r = send(&f.app, dpop("GET", "/orders", &token, &bad)).await;
    assert_eq!(reason(&r), "DpopTokenHashMismatch");
    assert_eq!(down.0.load(Ordering::SeqCst), 1);
    // Bearer requests do not need the store.
    let plain = f.plain_token("read:data");
    assert_eq!(
        send(&f.app, req("GET", "/orders").bearer(&plain))
            .await
            .status,
        200
    );

    // The memory store, full of unexpired proofs, refuses rather than forgets.
    let g = fixture(|c| c.dpop_replay_entries(2)).await;
    let token = g.bound_token(&key, "read:data");
    for _ in 0..2 {
        let r = send(&g.app, dpop("GET", "/orders", &token, &proof(&key, &token))).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let r = send(&g.app, dpop("GET", "/orders", &token, &proof(&key, &token))).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(reason(&r), "ReplayStoreFull");
}

#[tokio::test]
async fn no_answer_echoes_the_token_or_the_proof() {
    let f = fixture(|c| c.dpop_nonce_secret([1; 32])).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let url = format!("{RESOURCE}/orders");
    for proof in [
        key.proof("GET", &url).access_token(&token).sign(),
        key.proof("POST", &url).access_token(&token).sign(),
        key.proof("GET", &url).header("typ", json!("JWT")).sign(),
    ] {
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        assert_eq!(r.status, 401, "{r:?}");
        let dump = r.dump();
        for secret in [&token, &proof, &key.thumbprint()] {
            for part in secret.split('.') {
                assert!(!dump.contains(part), "answer contains {part}: {dump}");
            }
        }
    }
}

/// The trusted-proxy mode of RFC 8705: the certificate arrives in an RFC 9440 `Client-Cert`
/// header. The TLS mode is in tests/mtls.rs.
#[tokio::test]
async fn certificate_bound_tokens_through_a_trusted_header() {
    let cert = b"a DER certificate, as far as the thumbprint is concerned".as_slice();
    let other = b"another certificate".as_slice();
    let header = |der: &[u8]| {
        format!(
            ":{}:",
            base64::engine::general_purpose::STANDARD.encode(der)
        )
    };
    let f = fixture(|c| c.trust_client_cert_header("client-cert")).await;
    let token = f
        .issuer
        .token()
        .audience(RESOURCE)
        .scope("read:data")
        .bound_to_certificate(cert)
        .sign();
    let with = |value: &str| {
        req("GET", "/orders")
            .bearer(&token)
            .header("client-cert", value)
    };
    assert_eq!(send(&f.app, with(&header(cert))).await.status, 200);
    for (case, request, status, why) in [
        (
            "no header",
            req("GET", "/orders").bearer(&token),
            401,
            "MissingClientCertificate",
        ),
        (
            "another certificate",
            with(&header(other)),
            401,
            "ClientCertificateMismatch",
        ),
        (
            "not RFC 9440",
            with("MIIBcert"),
            400,
            "MalformedClientCertificate",
        ),
        (
            "two headers",
            with(&header(cert)).header("client-cert", header(cert)),
            400,
            "MalformedClientCertificate",
        ),
    ] {
        let r = send(&f.app, request).await;
        assert_eq!(r.status, status, "{case}: {r:?}");
        assert_eq!(reason(&r), why, "{case}");
        if status == 401 {
            let bearer = challenge_of(r.www().unwrap(), "Bearer");
            assert_eq!(bearer["error"], "invalid_token", "{case}");
        }
    }
    // A certificate-bound token is not DPoP-bound.
    let key = DpopKey::generate(Algorithm::ES256);
    let proof = proof_for(&key, "GET", "/orders", &token);
    let r = send(
        &f.app,
        dpop("GET", "/orders", &token, &proof).header("client-cert", header(cert)),
    )
    .await;
    assert_eq!(reason(&r), "TokenNotDpopBound", "{r:?}");

    // Off by default: without the setting, the header is not trusted.
    let g = fixture(|c| c).await;
    let token = g
        .issuer
        .token()
        .audience(RESOURCE)
        .bound_to_certificate(cert)
        .scope("read:data")
        .sign();
    let r = send(
        &g.app,
        req("GET", "/orders")
            .bearer(&token)
            .header("client-cert", header(cert)),
    )
    .await;
    assert_eq!(reason(&r), "MissingClientCertificate", "{r:?}");
}

#[tokio::test]
async fn unknown_or_ambiguous_confirmations_are_refused() {
    let f = fixture(|c| c).await;
    for cnf in [
        json!({"x5t": "sha1-thumbprint"}),
        json!({"jwk": {"kty": "EC"}}),
        json!({"jkt": "a", "x5t#S256": "b"}),
        json!({"jkt": ""}),
        json!({"jkt": 7}),
        json!("jkt"),
        json!({}),
    ] {
        let token = f
            .issuer
            .token()
            .audience(RESOURCE)
            .scope("read:data")
            .claim("cnf", cnf.clone())
            .sign();
        let r = send(&f.app, req("GET", "/orders").bearer(&token)).await;
        assert_eq!(r.status, 401, "{cnf}: {r:?}");
        assert_eq!(reason(&r), "SenderConstrained", "{cnf}");
    }
}

#[tokio::test]
async fn dpop_tokens_share_the_bearer_grammar() {
    let f = fixture(|c| c).await;
    for value in [
        "DPoP",
        "DPoP ",
        "DPoP\ttoken",
        "DPoP a b",
        "DPoP t\"",
        "DPoP ,t",
    ] {
        let r = send(&f.app, req("GET", "/orders").authorization(value)).await;
        assert_eq!(r.status, 400, "{value:?}: {r:?}");
        assert_eq!(r.error().as_deref(), Some("invalid_request"), "{value:?}");
    }
}
