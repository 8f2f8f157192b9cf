//! Who vouches for a token: a verdict never crosses verifiers (a layer of one verifier, or a
//! forged record in the request's extensions, decides nothing for another); self-issued tokens
//! ([`self_issued`]); and the provider profiles ([`providers`]). Several trusted issuers in one
//! verifier, whose policies name issuers, are in a binary of their own:
//! `tests/trusted_issuers.rs`.

use axioms::policy::PolicyLayer;
use axioms::{Authentication, Axioms, AxiomsLayer, Claims};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::json;

use crate::common::apps::{Admins, Counted, Hits, admin, me};
use crate::common::{Want, expect, issuer_with_verifier, req, send, token};

mod providers;
mod self_issued;

/// Routes of verifier B, under a layer of verifier A.
fn routes_of_b(b: &Axioms, hits: &Hits) -> Router {
    Router::new()
        .route("/b/admin", get(admin))
        .route("/b/me", get(me))
        .with_state(Counted {
            axioms: b.clone(),
            hits: hits.clone(),
        })
}

#[tokio::test]
async fn a_verdict_never_crosses_verifiers() {
    let (issuer_a, a) = issuer_with_verifier("api-a").await;
    let (issuer_b, b) = issuer_with_verifier("api-b").await;
    let hits = Hits::default();
    let admin_of_a = token(&issuer_a, "api-a", json!({"roles": ["admin"]}));
    let admin_of_b = token(&issuer_b, "api-b", json!({"roles": ["admin"]}));

    let layers: Vec<(&str, Router)> = vec![
        (
            "AxiomsLayer::record(A)",
            Router::new()
                .merge(routes_of_b(&b, &hits))
                .layer(AxiomsLayer::record(a.clone())),
        ),
        (
            "AxiomsLayer::require(A)",
            Router::new()
                .merge(routes_of_b(&b, &hits))
                .layer(AxiomsLayer::require(a.clone())),
        ),
        (
            "PolicyLayer<Admins>(A)",
            Router::new()
                .merge(routes_of_b(&b, &hits))
                .layer(PolicyLayer::<Admins>::new(a.clone())),
        ),
    ];
    for (layer, app) in &layers {
        // A's token satisfies A's layer, but B's guard and B's `Claims` verify again.
        for path in ["/b/admin", "/b/me"] {
            let r = send(app, req("GET", path).bearer(&admin_of_a)).await;
            expect(&r, Want::InvalidToken);
            assert_eq!(
                hits.count(),
                0,
                "{layer} {path}: B's handler ran for A's token"
            );
        }
    }
    // Under the recording layer, B's own tokens work on B's routes.
    let (_, record) = &layers[0];
    let r = send(record, req("GET", "/b/admin").bearer(&admin_of_b)).await;
    expect(&r, Want::Status(200));
    let r = send(record, req("GET", "/b/me").bearer(&admin_of_b)).await;
    assert_eq!(r.body, issuer_b.issuer());
    assert_eq!(hits.count(), 1);
}

#[tokio::test]
async fn a_forged_verdict_in_the_extensions_is_ignored() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let hits = Hits::default();
    let forged = Claims::from_json_unverified(json!({"sub": "mallory", "roles": ["admin"]}));
    let app = Router::new()
        .route("/admin", get(admin))
        .route("/me", get(me))
        .with_state(Counted {
            axioms,
            hits: hits.clone(),
        })
        // Any middleware can insert a public type; none can forge the pipeline's record.
        .layer(Extension(Authentication::Verified(forged.unwrap())));
    for path in ["/admin", "/me"] {
        let r = send(&app, req("GET", path)).await;
        expect(&r, Want::Anonymous);
    }
    assert_eq!(hits.count(), 0);
    let r = send(
        &app,
        req("GET", "/admin").bearer(&token(&issuer, "api", json!({"roles": ["admin"]}))),
    )
    .await;
    expect(&r, Want::Status(200));
}
