//! Step-up authentication (RFC 9470): a route that needs a strong, recent login says so, and
//! a token that lacks it gets `401 insufficient_user_authentication` with the `acr_values`
//! and `max_age` to ask the authorization server for.

use std::sync::Arc;

use axioms::mcp::{McpLayer, McpPolicies};
use axioms::testing::TestIssuer;
use axioms::{Algorithm, ManualClock, protected};
use axum::Router;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::common;
use crate::common::verifier;
use crate::common::{Want, challenge, req, send};

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
    let axioms = verifier(issuer.config("api"));
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

axioms::policy!(pub Fresh: max_age = 60);

#[protected(policy = Fresh)]
async fn fresh_handler() -> &'static str {
    "fresh"
}

/// A `max_age` policy on the verifier's clock (here a `ManualClock`), whichever entry point
/// enforces it: a handler, an MCP tool call, and the MCP `tools/list` filter decide alike.
#[tokio::test]
async fn max_age_decides_on_the_verifier_s_clock_for_handlers_and_mcp_tools() {
    const LOGIN: i64 = 1_700_000_000;
    let clock = ManualClock::new(LOGIN + 30);
    let issuer = TestIssuer::start_with_clock(&[Algorithm::ES256], Arc::new(clock.clone())).await;
    let config = issuer.config("api").clock(clock.clone()).token_cache(0);
    let axioms = verifier(config);
    let layer = McpLayer::new(axioms.clone(), McpPolicies::new().tool::<Fresh>("purge")).unwrap();
    let mcp: Router = Router::new()
        .route(
            "/mcp",
            post(|body: String| async move {
                use axum::response::IntoResponse;
                if body.contains("tools/list") {
                    axum::Json(json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "purge"}]}}))
                        .into_response()
                } else {
                    "the tool ran".into_response()
                }
            }),
        )
        .layer(layer);
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    let listed = |r: &common::Resp| r.json()["result"]["tools"].as_array().unwrap().len();
    let app = Router::new()
        .route("/fresh", get(fresh_handler))
        .with_state(axioms.clone());
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"purge"}}"#;
    let token = issuer
        .token()
        .audience("api")
        .claim("auth_time", json!(LOGIN))
        .expires_in(24 * 3600)
        .sign();
    // 30 s after the login (the manual clock; the system clock is years later): both allow.
    let r = send(&app, req("GET", "/fresh").bearer(&token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&mcp, req("POST", "/mcp").bearer(&token).json(call)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "the tool ran"));
    let r = send(&mcp, req("POST", "/mcp").bearer(&token).json(list)).await;
    assert_eq!(listed(&r), 1, "{r:?}");
    // 90 s after: both refuse, as step-up.
    clock.advance(60);
    let r = send(&app, req("GET", "/fresh").bearer(&token)).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(
        r.error().as_deref(),
        Some("insufficient_user_authentication")
    );
    let r = send(&mcp, req("POST", "/mcp").bearer(&token).json(call)).await;
    assert_eq!(
        r.error().as_deref(),
        Some("insufficient_user_authentication"),
        "{r:?}"
    );
    let r = send(&mcp, req("POST", "/mcp").bearer(&token).json(list)).await;
    assert_eq!(listed(&r), 0, "{r:?}");
}
