//! Step-up authentication (RFC 9470): a route that needs a strong, recent login says so, and
//! a token that lacks it gets `401 insufficient_user_authentication` with the `acr_values`
//! and `max_age` to ask the authorization server for.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use axioms::testing::TestIssuer;
use axioms::{Axioms, protected};
use axum::Router;
use axum::routing::post;
use common::{Want, challenge, req, send};
use serde_json::{Value, json};

#[protected(roles = any("admin"), acr = any("urn:example:mfa"), max_age = 300)]
async fn rotate_keys() -> (http::StatusCode, &'static str) {
    (http::StatusCode::CREATED, "rotated")
}

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[tokio::test]
async fn acr_and_auth_time_are_checked_and_challenged() {
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(issuer.config("api").build().unwrap()).unwrap();
    let app = Router::new()
        .route("/admin/keys", post(rotate_keys))
        .with_state(axioms);
    let token = |claims: Value| issuer.token().audience("api").claims(claims).sign();
    let admin = |extra: Value| {
        let mut claims = json!({"roles": ["admin"]});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        token(claims)
    };
    let t = now();
    let ok = admin(json!({"acr": "urn:example:mfa", "auth_time": t - 10}));
    let r = send(&app, req("POST", "/admin/keys").bearer(&ok)).await;
    common::expect(&r, Want::Status(201));

    for (case, token) in [
        ("acr missing", admin(json!({"auth_time": t - 10}))),
        (
            "acr of a password login",
            admin(json!({"acr": "urn:example:pwd", "auth_time": t - 10})),
        ),
        (
            "auth_time missing",
            admin(json!({"acr": "urn:example:mfa"})),
        ),
        (
            "login too old",
            admin(json!({"acr": "urn:example:mfa", "auth_time": t - 301})),
        ),
    ] {
        let r = send(&app, req("POST", "/admin/keys").bearer(&token)).await;
        assert_eq!(r.status, 401, "{case}: {r:?}");
        assert_eq!(
            r.error().as_deref(),
            Some("insufficient_user_authentication"),
            "{case}"
        );
        let (scheme, params) = challenge(r.www().unwrap());
        assert!(scheme.eq_ignore_ascii_case("bearer"), "{case}");
        assert_eq!(
            params["error"], "insufficient_user_authentication",
            "{case}"
        );
        assert_eq!(params["acr_values"], "urn:example:mfa", "{case}");
        assert_eq!(params["max_age"], "300", "{case}");
    }
    // Without the role, the step-up is not the problem: 403.
    let user = token(json!({"acr": "urn:example:mfa", "auth_time": t - 10}));
    let r = send(&app, req("POST", "/admin/keys").bearer(&user)).await;
    common::expect(&r, Want::Forbidden(common::Scope::Absent));
    // A mistyped auth_time is a bad token, not a weak login.
    let bad = admin(json!({"acr": "urn:example:mfa", "auth_time": "yesterday"}));
    let r = send(&app, req("POST", "/admin/keys").bearer(&bad)).await;
    common::expect(&r, Want::InvalidToken);
}
