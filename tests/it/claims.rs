//! The claims of a token: `iss` and `aud` (one configured audience, several, or the client id),
//! `exp`, `nbf` and `iat` with the leeway on the verifier's clock, the types of the registered
//! claims, `typ` (the default and the strict RFC 9068 mode), and the kinds of tokens that are
//! not bearer access tokens (sender-constrained, ID and refresh tokens, no `sub`).

use std::sync::Arc;
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Algorithm, AudienceClaim, Claims, Config, ManualClock, Reason, TokenType};
use axum::Router;
use axum::routing::get;
use http::StatusCode;
use serde_json::{Value, json};

use crate::common;
use crate::common::apps::me;
use crate::common::fixture::{AUD, Fixture};
use crate::common::{Want, issuer_with_verifier, req, send, verifier};

// ---------------------------------------------------------------------------------------------
// Issuer and audience

#[tokio::test]
async fn issuer_claim() {
    let fx = Fixture::new().await;
    let iss = fx.issuer.issuer();
    let cases: Vec<(&str, Option<Value>, Reason)> = vec![
        (
            "other issuer",
            Some(json!("https://evil.example")),
            Reason::IssuerMismatch,
        ),
        (
            "trailing slash",
            Some(json!(format!("{iss}/"))),
            Reason::IssuerMismatch,
        ),
        (
            "uppercase",
            Some(json!(iss.to_uppercase())),
            Reason::IssuerMismatch,
        ),
        ("empty", Some(json!("")), Reason::IssuerMismatch),
        ("missing", None, Reason::MissingIssuer),
        ("array", Some(json!([iss.clone()])), Reason::ClaimType),
        ("number", Some(json!(1)), Reason::ClaimType),
        ("null", Some(Value::Null), Reason::ClaimType),
    ];
    for (case, value, reason) in cases {
        let token = match value {
            Some(v) => fx.issuer.token().claim("iss", v).sign(),
            None => fx.issuer.token().without("iss").sign(),
        };
        fx.rejects(&token, reason, &format!("iss {case}")).await;
    }
}

#[tokio::test]
async fn audience_claim() {
    let fx = Fixture::new().await;
    let cases: Vec<(&str, Option<Value>, Reason)> = vec![
        ("missing", None, Reason::MissingAudience),
        ("empty array", Some(json!([])), Reason::MissingAudience),
        (
            "wrong value",
            Some(json!("other-api")),
            Reason::AudienceMismatch,
        ),
        (
            "wrong array",
            Some(json!(["other-api", "third"])),
            Reason::AudienceMismatch,
        ),
        (
            "case differs",
            Some(json!("TEST-API")),
            Reason::AudienceMismatch,
        ),
        ("empty string", Some(json!("")), Reason::AudienceMismatch),
        ("number", Some(json!(5)), Reason::ClaimType),
        (
            "array with number",
            Some(json!([AUD, 5])),
            Reason::ClaimType,
        ),
        ("object", Some(json!({"aud": AUD})), Reason::ClaimType),
    ];
    for (case, value, reason) in cases {
        let token = match value {
            Some(v) => fx.issuer.token().claim("aud", v).sign(),
            None => fx.issuer.token().without("aud").sign(),
        };
        fx.rejects(&token, reason, &format!("aud {case}")).await;
    }
    let token = fx
        .issuer
        .token()
        .claim("aud", json!(["other-api", AUD]))
        .sign();
    fx.accepts(&token, "aud array containing the audience")
        .await;
    let token = fx.issuer.token().claim("aud", json!([AUD])).sign();
    fx.accepts(&token, "aud one-element array").await;
}

#[tokio::test]
async fn several_configured_audiences() {
    let fx = Fixture::with(TestIssuer::start().await, |i| {
        Config::builder(i.audiences(["a", "b"]))
    })
    .await;
    let token = fx.issuer.token().claim("aud", json!("b")).sign();
    fx.accepts(&token, "second configured audience").await;
    let token = fx.issuer.token().claim("aud", json!(AUD)).sign();
    fx.rejects(&token, Reason::AudienceMismatch, "unconfigured audience")
        .await;
}

#[tokio::test]
async fn client_id_audience_still_checks_a_present_aud() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config("my-client")
            .audience_claim(AudienceClaim::ClientId),
    ));
    let ours = issuer
        .token()
        .without("aud")
        .claim("client_id", json!("my-client"))
        .sign();
    assert!(axioms.verify(&ours).await.is_ok());
    let for_another_api = issuer
        .token()
        .audience("https://other-api.example")
        .claim("client_id", json!("my-client"))
        .sign();
    assert_eq!(
        axioms.verify(&for_another_api).await.unwrap_err().reason(),
        Reason::AudienceMismatch
    );
}

// ---------------------------------------------------------------------------------------------
// Time and types

#[tokio::test]
async fn expiry_and_registered_claim_types() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().without("exp").sign();
    fx.rejects(&token, Reason::MissingExpiry, "exp missing")
        .await;
    let cases: Vec<(&str, &str, Value)> = vec![
        ("exp string", "exp", json!((fx.now() + 600).to_string())),
        ("exp negative", "exp", json!(-1)),
        ("exp null", "exp", Value::Null),
        ("exp bool", "exp", json!(true)),
        ("nbf string", "nbf", json!("0")),
        ("iat array", "iat", json!([1])),
        ("sub number", "sub", json!(1)),
        ("jti number", "jti", json!(1)),
        ("client_id object", "client_id", json!({})),
        ("scope number", "scope", json!(7)),
        ("roles with a number", "roles", json!(["a", 1])),
    ];
    for (case, name, value) in cases {
        let token = fx.issuer.token().claim(name, value).sign();
        fx.rejects(&token, Reason::ClaimType, case).await;
    }
    let token = fx.issuer.token().expires_in(-3600).sign();
    fx.rejects(&token, Reason::Expired, "expired an hour ago")
        .await;
}

#[tokio::test]
async fn time_claims_with_a_manual_clock() {
    const NOW: i64 = 1_800_000_000;
    let clock = ManualClock::new(NOW);
    let issuer = TestIssuer::start_with_clock(&[Algorithm::RS256], Arc::new(clock.clone())).await;
    let c2 = clock.clone();
    let fx = Fixture::with(issuer, move |i| {
        Config::builder(i.leeway(Duration::from_secs(60))).clock(c2)
    })
    .await;

    // exp: accepted while now < exp + leeway.
    let token = fx.issuer.token().claim("exp", json!(NOW - 60)).sign();
    fx.rejects(&token, Reason::Expired, "exp = now - leeway")
        .await;
    let token = fx.issuer.token().claim("exp", json!(NOW - 61)).sign();
    fx.rejects(&token, Reason::Expired, "exp = now - leeway - 1")
        .await;
    let token = fx.issuer.token().claim("exp", json!(NOW - 59)).sign();
    fx.accepts(&token, "exp = now - leeway + 1").await;

    // nbf: refused while nbf - leeway > now.
    let token = fx.issuer.token().claim("nbf", json!(NOW + 61)).sign();
    fx.rejects(&token, Reason::NotYetValid, "nbf = now + leeway + 1")
        .await;
    let token = fx.issuer.token().claim("nbf", json!(NOW + 60)).sign();
    fx.accepts(&token, "nbf = now + leeway").await;

    // iat: refused while iat - leeway > now.
    let token = fx.issuer.token().claim("iat", json!(NOW + 61)).sign();
    fx.rejects(&token, Reason::IssuedInFuture, "iat = now + leeway + 1")
        .await;
    let token = fx.issuer.token().claim("iat", json!(NOW + 60)).sign();
    fx.accepts(&token, "iat = now + leeway").await;
    let token = fx.issuer.token().claim("iat", json!(NOW + 86_400)).sign();
    fx.rejects(&token, Reason::IssuedInFuture, "iat a day ahead")
        .await;

    // The verifier reads the shared clock at each request.
    let token = fx.issuer.token().expires_in(100).sign();
    fx.accepts(&token, "fresh token").await;
    clock.advance(159);
    fx.accepts(&token, "exp + leeway - 1").await;
    clock.advance(1);
    fx.rejects(&token, Reason::Expired, "exp + leeway").await;
    clock.set(NOW);
    fx.accepts(&token, "clock set back").await;
}

#[tokio::test]
async fn zero_leeway() {
    const NOW: i64 = 1_800_000_000;
    let clock = ManualClock::new(NOW);
    let issuer = TestIssuer::start_with_clock(&[Algorithm::RS256], Arc::new(clock.clone())).await;
    let c2 = clock.clone();
    let fx = Fixture::with(issuer, move |i| {
        Config::builder(i.leeway(Duration::ZERO)).clock(c2)
    })
    .await;
    let token = fx.issuer.token().claim("exp", json!(NOW)).sign();
    fx.rejects(&token, Reason::Expired, "exp = now").await;
    let token = fx.issuer.token().claim("exp", json!(NOW + 1)).sign();
    fx.accepts(&token, "exp = now + 1").await;
    let token = fx.issuer.token().claim("nbf", json!(NOW + 1)).sign();
    fx.rejects(&token, Reason::NotYetValid, "nbf = now + 1")
        .await;
    let token = fx.issuer.token().claim("nbf", json!(NOW)).sign();
    fx.accepts(&token, "nbf = now").await;
}

// ---------------------------------------------------------------------------------------------
// Kinds of tokens: `typ`, and what is not a bearer access token

#[tokio::test]
async fn typ_default_mode() {
    let fx = Fixture::new().await;
    for typ in [
        "at+jwt",
        "application/at+jwt",
        "AT+JWT",
        "JWT",
        "jwt",
        "application/jwt",
    ] {
        let token = fx.issuer.token().header("typ", json!(typ)).sign();
        fx.accepts(&token, &format!("typ {typ}")).await;
    }
    let token = fx.issuer.token().without_header("typ").sign();
    fx.accepts(&token, "typ absent").await;

    for typ in [
        "JOSE",
        "id+jwt",
        "secevent+jwt",
        "dpop+jwt",
        "",
        "application/",
        "at+jwt ",
    ] {
        let token = fx.issuer.token().header("typ", json!(typ)).sign();
        fx.rejects(&token, Reason::InvalidType, &format!("typ {typ:?}"))
            .await;
    }
    let token = fx.issuer.token().header("typ", json!(1)).sign();
    fx.rejects(&token, Reason::InvalidHeader, "typ number")
        .await;
}

#[tokio::test]
async fn typ_strict_rfc9068_mode() {
    let fx = Fixture::with(TestIssuer::start().await, |i| {
        Config::builder(i.token_type(TokenType::Rfc9068))
    })
    .await;
    for typ in ["at+jwt", "application/at+jwt", "AT+JWT"] {
        let token = fx.issuer.token().header("typ", json!(typ)).sign();
        fx.accepts(&token, &format!("strict typ {typ}")).await;
    }
    for typ in ["JWT", "application/jwt", "JOSE", "id+jwt"] {
        let token = fx.issuer.token().header("typ", json!(typ)).sign();
        fx.rejects(&token, Reason::InvalidType, &format!("strict typ {typ}"))
            .await;
    }
    let token = fx.issuer.token().without_header("typ").sign();
    fx.rejects(&token, Reason::InvalidType, "strict typ absent")
        .await;

    for claim in ["client_id", "jti", "iat"] {
        let token = fx.issuer.token().without(claim).sign();
        fx.rejects(
            &token,
            Reason::MissingRequiredClaim,
            &format!("strict without {claim}"),
        )
        .await;
    }
    // `sub` is required in every mode, and says so precisely.
    let token = fx.issuer.token().without("sub").sign();
    fx.rejects(&token, Reason::MissingSubject, "strict without sub")
        .await;
}

#[tokio::test]
async fn tokens_that_are_not_bearer_access_tokens_are_refused() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let app = Router::new()
        .route("/me", get(me))
        .with_state(axioms.clone());
    let t = || issuer.token().audience("api");
    let refused: Vec<(&str, String, Reason)> = vec![
        (
            "DPoP-bound (cnf.jkt)",
            t().claim(
                "cnf",
                json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
            )
            .sign(),
            Reason::SenderConstrained,
        ),
        (
            "mTLS-bound (cnf.x5t#S256)",
            t().claim(
                "cnf",
                json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
            )
            .sign(),
            Reason::SenderConstrained,
        ),
        (
            "at_hash",
            t().claim("at_hash", json!("77QmUPtjPfzWtF2AnpK9RQ")).sign(),
            Reason::NotAccessToken,
        ),
        (
            "c_hash",
            t().claim("c_hash", json!("LDktKdoQak3Pk0cnXxCltA")).sign(),
            Reason::NotAccessToken,
        ),
        (
            "s_hash",
            t().claim("s_hash", json!("x")).sign(),
            Reason::NotAccessToken,
        ),
        (
            "nonce on an untyped JWT (Auth0, Okta, Entra, Cognito ID tokens)",
            t().header("typ", json!("JWT"))
                .claim("nonce", json!("n-0S6_WzA2Mj"))
                .sign(),
            Reason::NotAccessToken,
        ),
        (
            "nonce without typ",
            t().without_header("typ")
                .claim("nonce", json!("abc"))
                .sign(),
            Reason::NotAccessToken,
        ),
        (
            "Keycloak ID token (typ: ID)",
            t().header("typ", json!("JWT"))
                .claim("typ", json!("ID"))
                .sign(),
            Reason::NotAccessToken,
        ),
        (
            "Keycloak refresh token",
            t().header("typ", json!("JWT"))
                .claim("typ", json!("Refresh"))
                .sign(),
            Reason::NotAccessToken,
        ),
        (
            "Cognito ID token (token_use: id)",
            t().without_header("typ")
                .claim("token_use", json!("id"))
                .sign(),
            Reason::NotAccessToken,
        ),
        ("no sub", t().without("sub").sign(), Reason::MissingSubject),
        ("empty sub", t().subject("").sign(), Reason::MissingSubject),
    ];
    for (case, token, reason) in &refused {
        let r = send(&app, req("GET", "/me").bearer(token)).await;
        common::check(&r, Want::InvalidToken).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(
            axioms.verify(token).await.unwrap_err().reason(),
            *reason,
            "{case}"
        );
    }
    let accepted: Vec<(&str, String)> = vec![
        (
            "Keycloak <= 24 access token (nonce, typ: Bearer)",
            t().header("typ", json!("JWT"))
                .claims(json!({"nonce": "n", "typ": "Bearer", "azp": "web"}))
                .sign(),
        ),
        (
            "nonce on an at+jwt token",
            t().claim("nonce", json!("n")).sign(),
        ),
        (
            "Cognito access token (token_use: access)",
            t().without_header("typ")
                .claim("token_use", json!("access"))
                .sign(),
        ),
    ];
    for (case, token) in &accepted {
        let r = send(&app, req("GET", "/me").bearer(token)).await;
        common::check(&r, Want::Status(200)).unwrap_or_else(|e| panic!("{case}: {e}"));
    }
}

#[tokio::test]
async fn tokens_without_sub_need_the_named_opt_out() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        issuer.issuer_config("api").allow_tokens_without_subject(),
    ));
    let app = Router::new()
        .route(
            "/me",
            get(|c: Claims| async move { format!("{:?}", c.subject()) }),
        )
        .with_state(axioms);
    let r = send(
        &app,
        req("GET", "/me").bearer(&issuer.token().audience("api").without("sub").sign()),
    )
    .await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "None"));
}
