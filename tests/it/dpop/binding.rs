//! Bound tokens: where DPoP is required (the configuration, one route) and the metadata says
//! so; without a resource DPoP is off and bound tokens are refused, as by `Axioms::verify`
//! alone, which sees no request; the replay store fails closed; a certificate-bound token
//! through a trusted proxy's header; unknown or ambiguous confirmations.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axioms::dpop::{ReplayKey, ReplayStore, ReplayStoreError};
use axioms::testing::{DpopKey, TestIssuer};
use axioms::{Algorithm, Axioms, ConfigBuilder, ResourceMetadata};
use base64::Engine as _;
use futures_util::future::BoxFuture;
use serde_json::json;

use crate::common::{challenge_of, challenges, req, send, verifier};

use super::{ALGS, Fixture, RESOURCE, app, dpop, fixture, proof_for, reason};

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
    let axioms = verifier(f.issuer.config(RESOURCE));
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
    let app =
        app(verifier(issuer.config(RESOURCE).resource(RESOURCE))
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
    let g = fixture(|c| c.dpop_replay_entries(2).dpop_replay_entries_per_key(2)).await;
    let token = g.bound_token(&key, "read:data");
    for _ in 0..2 {
        let r = send(&g.app, dpop("GET", "/orders", &token, &proof(&key, &token))).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let r = send(&g.app, dpop("GET", "/orders", &token, &proof(&key, &token))).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(reason(&r), "ReplayStoreFull");
}

/// One token holder sending fresh proofs as fast as it can fills only its own share of the
/// replay store: its proofs get 503 past the share, every other client's still pass.
#[tokio::test]
async fn one_client_key_cannot_fill_the_replay_store_for_the_others() {
    // 40 proofs in the store, a quarter of them (10) per client key by default.
    let f = fixture(|c| c.dpop_replay_entries(40)).await;
    let flooder = DpopKey::generate(Algorithm::ES256);
    let token = f.bound_token(&flooder, "read:data");
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let proof = proof_for(&flooder, "GET", "/orders", &token);
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        statuses.push((r.status.as_u16(), reason(&r).to_owned()));
    }
    let accepted = statuses.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(accepted, 10, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .skip(10)
            .all(|(s, why)| *s == 503 && why == "DpopKeyQuota"),
        "{statuses:?}"
    );
    // Every other client continues, each within its own share.
    for _ in 0..3 {
        let other = DpopKey::generate(Algorithm::ES256);
        let token = f.bound_token(&other, "read:data");
        let proof = proof_for(&other, "GET", "/orders", &token);
        let r = send(&f.app, dpop("GET", "/orders", &token, &proof)).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
}

/// The trusted-proxy mode of RFC 8705: the certificate arrives in an RFC 9440 `Client-Cert`
/// header. The TLS mode: `mtls`.
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
