//! Tokens from a cookie (a backend-for-frontend) or a gateway's header, opt-in; and the CSRF
//! rule that comes with a cookie: a state-changing request counts only from an allowed
//! `Origin`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use axioms::testing::TestIssuer;
use axioms::{Axioms, ConfigBuilder, protected};
use axum::Router;
use axum::routing::get;
use common::{Req, Resp, req, send};

const RESOURCE: &str = "https://api.example.com";
const COOKIE: &str = "__Host-access_token";

#[protected(scopes = any("read:data"))]
async fn read() -> &'static str {
    "orders"
}

#[protected(scopes = any("write:data"))]
async fn write() -> (http::StatusCode, &'static str) {
    (http::StatusCode::CREATED, "created")
}

async fn fixture(
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> (TestIssuer, Router, String) {
    let issuer = TestIssuer::start().await;
    let config = configure(issuer.config(RESOURCE).resource(RESOURCE))
        .build()
        .unwrap();
    let app = Router::new()
        .route("/orders", get(read).post(write))
        .with_state(Axioms::new(config).unwrap());
    let token = issuer
        .token()
        .audience(RESOURCE)
        .scope("read:data write:data")
        .sign();
    (issuer, app, token)
}

#[track_caller]
fn refused(r: &Resp, what: &str) {
    assert_eq!(r.status, 400, "{what}: {r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_request"), "{what}");
}

#[tokio::test]
async fn a_token_cookie_reads_like_a_header_and_guards_against_csrf() {
    let (_issuer, app, token) = fixture(|c| c.token_cookie(COOKIE)).await;
    let cookie = |r: Req| r.header("cookie", format!("theme=dark; {COOKIE}={token}; lang=en"));

    let r = send(&app, cookie(req("GET", "/orders"))).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (200, "orders"),
        "{r:?}"
    );
    // Another cookie with UTF-8 in it does not hide the token cookie.
    let r = send(
        &app,
        req("GET", "/orders").header(
            "cookie",
            [
                b"name=J\xc3\xa9r\xc3\xb4me; ".as_slice(),
                format!("{COOKIE}={token}").as_bytes(),
            ]
            .concat(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    // HTTP/2 sends one field line per cookie.
    let r = send(
        &app,
        req("GET", "/orders")
            .header("cookie", "theme=dark")
            .header("cookie", format!("{COOKIE}={token}")),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");

    // State-changing requests: only from the allowed origin (default: the resource's).
    let post = || cookie(req("POST", "/orders"));
    refused(&send(&app, post()).await, "no Origin");
    for origin in [
        "https://evil.example",
        "http://api.example.com",
        "null",
        "https://api.example.com.evil.example",
    ] {
        refused(&send(&app, post().header("origin", origin)).await, origin);
    }
    refused(
        &send(
            &app,
            post()
                .header("origin", RESOURCE)
                .header("origin", "https://evil.example"),
        )
        .await,
        "two Origins",
    );
    let r = send(&app, post().header("origin", RESOURCE)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = send(&app, post().header("origin", "https://API.example.com:443")).await;
    assert_eq!(r.status, 201, "the same origin, spelt otherwise: {r:?}");
    let r = send(&app, post().header("origin", RESOURCE)).await;
    assert!(r.body.contains("created"));
    let refusal = send(&app, post()).await;
    assert!(
        refusal.body.contains("allowed Origin"),
        "the description says why: {}",
        refusal.body
    );

    // A header token is not sent by the browser on its own: no Origin needed.
    let r = send(&app, req("POST", "/orders").bearer(&token)).await;
    assert_eq!(r.status, 201, "{r:?}");
    // `Authorization` comes first; the cookie is then not read at all.
    let r = send(
        &app,
        req("GET", "/orders")
            .bearer(&token)
            .header("cookie", format!("{COOKIE}=not a token")),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    // Two cookies of that name (a sibling subdomain can set one): refused, not picked from.
    let r = send(
        &app,
        req("GET", "/orders").header("cookie", format!("{COOKIE}={token}; {COOKIE}=other")),
    )
    .await;
    refused(&r, "two token cookies");
    let r = send(
        &app,
        req("GET", "/orders").header("cookie", format!("{COOKIE}=a b")),
    )
    .await;
    refused(&r, "not a token");
    // A broken token in the cookie is a broken token.
    let r = send(
        &app,
        req("GET", "/orders").header("cookie", format!("{COOKIE}=a.b.c")),
    )
    .await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn cookie_origins_are_configured_and_checked_at_startup() {
    let (_issuer, app, token) = fixture(|c| {
        c.token_cookie(COOKIE)
            .cookie_origins(["https://app.example.com", "http://127.0.0.1:5173"])
    })
    .await;
    let post = |origin: &str| {
        req("POST", "/orders")
            .header("cookie", format!("{COOKIE}={token}"))
            .header("origin", origin)
    };
    assert_eq!(
        send(&app, post("https://app.example.com")).await.status,
        201
    );
    assert_eq!(send(&app, post("http://127.0.0.1:5173")).await.status, 201);
    refused(
        &send(&app, post(RESOURCE)).await,
        "the resource is not listed now",
    );

    let issuer = TestIssuer::start().await;
    for (what, builder, setting) in [
        (
            "a cookie without origins or resource",
            issuer.config("api").token_cookie(COOKIE),
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
        ),
        (
            "origins without a cookie",
            issuer
                .config("api")
                .cookie_origins(["https://app.example.com"]),
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
        ),
        (
            "a cookie name with a space",
            issuer
                .config("api")
                .token_cookie("access token")
                .cookie_origins(["https://a.example"]),
            "AXIOMS_TOKEN_COOKIE",
        ),
        (
            "an http origin",
            issuer
                .config("api")
                .token_cookie(COOKIE)
                .cookie_origins(["http://app.example.com"]),
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
        ),
        (
            "the Authorization header as the token header",
            issuer.config("api").token_header("Authorization"),
            "AXIOMS_TOKEN_HEADER",
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert_eq!(err.setting(), setting, "{what}: {err}");
    }
}

#[tokio::test]
async fn a_gateway_header_carries_the_bare_token() {
    let (_issuer, app, token) = fixture(|c| c.token_header("X-Access-Token")).await;
    let r = send(
        &app,
        req("POST", "/orders").header("x-access-token", &token),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    for (what, request) in [
        (
            "twice",
            req("GET", "/orders")
                .header("x-access-token", &token)
                .header("x-access-token", &token),
        ),
        (
            "with a scheme",
            req("GET", "/orders").header("x-access-token", format!("Bearer {token}")),
        ),
    ] {
        refused(&send(&app, request).await, what);
    }
}

#[tokio::test]
async fn without_configuration_cookies_and_other_headers_are_not_read() {
    let (_issuer, app, token) = fixture(|c| c).await;
    for request in [
        req("GET", "/orders").header("cookie", format!("{COOKIE}={token}")),
        req("GET", "/orders").header("x-access-token", &token),
    ] {
        let r = send(&app, request).await;
        assert_eq!(r.status, 401, "{r:?}");
        assert!(
            !r.www().unwrap().contains("error="),
            "no credentials: {r:?}"
        );
    }
}
