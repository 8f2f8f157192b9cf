//! What a refused request gets: the status, the exact challenge and the JSON `error` of RFC 6750
//! (403 `insufficient_scope` naming the scope), the configured realm, an application's own
//! renderer (the layer's refusals too), never a byte of the token — and one log line per
//! refused request, without the token.

use axioms::testing::TestIssuer;
use axioms::{Authentication, AxiomsLayer, Claims, Config, Reason};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::json;

use crate::common::apps::{Counted, Hits, admin, me};
use crate::common::fixture::{
    AUD, Fixture, INSUFFICIENT_SCOPE, app, assert_missing_token, assert_no_leak, b64, segments,
};
use crate::common::{Logs, Scope, Want, expect, issuer_with_verifier, ready, req, send, token};

#[tokio::test]
async fn insufficient_scope_response() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let r = send(&fx.app, req("GET", "/scoped").bearer(&token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    assert_eq!(r.www(), Some(INSUFFICIENT_SCOPE));
    assert_eq!(r.error().as_deref(), Some("insufficient_scope"));
    assert_eq!(
        r.json()["error_description"],
        "the access token does not grant this request: it needs the scope in `scope`"
    );
    assert_no_leak(&r, &token, "403");

    // Without a token the route answers 401 before the handler runs.
    let r = send(&fx.app, req("GET", "/scoped")).await;
    assert_missing_token(&r, "scoped route without token");
}

/// Every rejection path, with a recognisable subject: nothing from the token comes back.
#[tokio::test]
async fn responses_never_echo_the_token() {
    const CANARY: &str = "canary-subject-5f1c0d";
    let fx = Fixture::new().await;
    let t = || fx.issuer.token().subject(CANARY);
    let good = t().sign();
    let s = segments(&good);
    let tokens: Vec<(&str, String)> = vec![
        ("expired", t().expires_in(-3600).sign()),
        ("wrong audience", t().audience("other").sign()),
        (
            "wrong issuer",
            t().claim("iss", json!("https://evil.example")).sign(),
        ),
        ("alg none", t().header("alg", json!("none")).sign()),
        ("bad typ", t().header("typ", json!("JOSE")).sign()),
        ("crit", t().header("crit", json!(["x"])).sign()),
        ("unknown kid", t().header("kid", json!("nope")).sign()),
        (
            "tampered",
            format!(
                "{}.{}.{}",
                s[0],
                b64(json!({"sub": CANARY}).to_string()),
                s[2]
            ),
        ),
        (
            "too large",
            t().claim("pad", json!("x".repeat(40_000))).sign(),
        ),
        ("two segments", format!("{}.{}", s[0], s[1])),
        ("padded signature", format!("{good}==")),
    ];
    let mut replies = Vec::new();
    for (case, token) in &tokens {
        replies.push((
            *case,
            token.clone(),
            send(&fx.app, req("GET", "/").bearer(token)).await,
        ));
        replies.push((
            *case,
            token.clone(),
            send(&fx.app, req("GET", "/optional").bearer(token)).await,
        ));
    }
    replies.push((
        "403",
        good.clone(),
        send(&fx.app, req("GET", "/scoped").bearer(&good)).await,
    ));
    replies.push((
        "two headers",
        good.clone(),
        send(&fx.app, req("GET", "/").bearer(&good).bearer(&good)).await,
    ));
    replies.push((
        "trailing junk",
        good.clone(),
        send(
            &fx.app,
            req("GET", "/").authorization(&format!("Bearer {good} x")),
        )
        .await,
    ));
    for (case, token, r) in &replies {
        assert!(r.status.is_client_error(), "{case}: {r:?}");
        assert_no_leak(r, token, case);
        assert!(
            !r.dump().contains(CANARY),
            "{case}: subject echoed in {r:?}"
        );
        for segment in segments(&good) {
            assert!(!r.dump().contains(segment), "{case}: original token echoed");
        }
    }
}

#[tokio::test]
async fn custom_realm() {
    let fx = Fixture::with(TestIssuer::start().await, |i| {
        Config::builder(i).realm("payments")
    })
    .await;
    let r = send(&fx.app, req("GET", "/")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.www(), Some(r#"Bearer realm="payments""#));
    assert_eq!(r.error().as_deref(), Some("unauthorized"));

    let token = fx.issuer.token().expires_in(-3600).sign();
    let r = send(&fx.app, req("GET", "/").bearer(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.www(),
        Some(
            r#"Bearer realm="payments", error="invalid_token", error_description="the access token is invalid or expired""#
        )
    );
    assert_eq!(r.error().as_deref(), Some("invalid_token"));

    let r = send(&fx.app, req("GET", "/").authorization("Bearer a,b")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.www(),
        Some(
            r#"Bearer realm="payments", error="invalid_request", error_description="the Authorization header is malformed""#
        )
    );

    let realm = fx.axioms.config().realm();
    assert_eq!(realm, "payments");
    assert_eq!(fx.axioms.error(Reason::Expired).realm(), "payments");
}

#[tokio::test]
async fn custom_error_renderer() {
    let issuer = TestIssuer::start().await;
    let axioms = ready(issuer.config(AUD)).await.with_error_renderer(|err| {
        (
            StatusCode::IM_A_TEAPOT,
            Json(json!({
                "denied": format!("{:?}", err.reason()),
                "would_be": err.status().as_u16(),
            })),
        )
            .into_response()
    });
    let app = app(axioms.clone());

    let r = send(&app, req("GET", "/")).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT, "{r:?}");
    assert_eq!(r.www(), None);
    assert_eq!(r.json(), json!({"denied": "MissingToken", "would_be": 401}));

    let token = issuer.token().expires_in(-3600).sign();
    let r = send(&app, req("GET", "/").bearer(&token)).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(r.json(), json!({"denied": "Expired", "would_be": 401}));

    let r = send(&app, req("GET", "/").bearer(&token).bearer(&token)).await;
    assert_eq!(
        r.json(),
        json!({"denied": "MultipleAuthorizationHeaders", "would_be": 400})
    );

    let r = send(&app, req("GET", "/optional").bearer(&token)).await;
    assert_eq!(r.json(), json!({"denied": "Expired", "would_be": 401}));

    // The renderer is used by the layer as well.
    let layered = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(AxiomsLayer::require(axioms));
    let r = send(&layered, req("GET", "/")).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(r.json(), json!({"denied": "MissingToken", "would_be": 401}));
}

#[tokio::test]
async fn a_refused_request_is_logged_once() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    assert!(axioms.ready(std::time::Duration::from_secs(10)).await);
    let hits = Hits::default();
    let app = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route(
            "/both",
            get(|_: Claims, _: Option<Claims>, _: Authentication| async { "ok" }),
        )
        .with_state(Counted {
            axioms: axioms.clone(),
            hits,
        })
        .layer(AxiomsLayer::record(axioms));
    let expired = issuer.token().audience("api").expires_in(-3600).sign();
    for path in ["/me", "/admin", "/both"] {
        let logs = Logs::capture();
        let r = send(&app, req("GET", path).bearer(&expired)).await;
        expect(&r, Want::InvalidToken);
        assert_eq!(
            logs.count("request rejected"),
            1,
            "{path}:\n{}",
            logs.logs.text()
        );
        assert!(!logs.logs.text().contains(&expired));
    }
    let logs = Logs::capture();
    let user = token(&issuer, "api", json!({"roles": ["user"]}));
    let r = send(&app, req("GET", "/admin").bearer(&user)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(logs.count("request rejected"), 1, "{}", logs.logs.text());
}
