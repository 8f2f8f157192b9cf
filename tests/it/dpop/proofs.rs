//! A DPoP-bound token with a proof of its key (RFC 9449 §4.3, §7, §8): accepted for every
//! algorithm, on the method and URL it names (the origin configured, never taken from the
//! request), once; every check of §4.3 has a failing case, named by the [`Reason`] it must
//! produce and the exact answer the client gets; server nonces; and no answer echoes the token
//! or the proof.
//!
//! [`Reason`]: axioms::Reason

use std::time::Duration;

use axioms::testing::{DpopKey, ProofBuilder};
use axioms::{Algorithm, Clock as _, ManualClock};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::common::{challenge_of, challenges, req, send};

use super::{
    RESOURCE, assert_dpop_error, dpop, dpop_error, fixture, fixture_of, proof_for, reason,
};

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
async fn a_proof_never_fits_a_path_that_a_url_parser_reads_otherwise() {
    let f = fixture(|c| c).await;
    let key = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&key, "read:data");
    let fresh = |path: &str| proof_for(&key, "GET", path, &token);
    // The router sends each of these to `/files/{*rest}`, while a URL parser resolves it to
    // `/orders`: a captured, unused proof for `GET /orders` must not open them.
    for path in [
        "/files/x\\..\\..\\orders",
        "/files/x/%2e%2e/%2E%2E/orders",
        "/files/x\\%2e%2e\\..\\orders",
        "/files/x/.%2e/./../orders",
    ] {
        let r = send(&f.app, dpop("GET", path, &token, &fresh("/orders"))).await;
        assert_dpop_error(&r, "invalid_dpop_proof", "DpopUriMismatch", path);
        // Nor does a proof naming the path as sent: the path is read two ways, so no `htu`
        // can name it unambiguously.
        let r = send(&f.app, dpop("GET", path, &token, &fresh(path))).await;
        assert_dpop_error(&r, "invalid_dpop_proof", "DpopUriMismatch", path);
    }
    // The route itself takes a DPoP request whose path a parser reads as the router does.
    let path = "/files/x%5c..%5corders";
    let r = send(&f.app, dpop("GET", path, &token, &fresh(path))).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body, "x\\..\\orders",
        "the router decodes the parameter, not the path"
    );
    let r = send(&f.app, dpop("GET", "/orders", &token, &fresh("/orders"))).await;
    assert_eq!(r.status, 200, "{r:?}");
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
