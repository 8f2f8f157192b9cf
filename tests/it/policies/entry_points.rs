//! Every entry point — the `Claims` and `Option<Claims>` extractors, a guard,
//! `AxiomsLayer::require`, a `PolicyLayer`, `AxiomsLayer::record` with `Authentication` — gives
//! the same verdict for the same request; the recording layer never refuses, and the extractors
//! behind it reuse its verdict.

use std::sync::{Arc, Mutex};

use axioms::policy::PolicyLayer;
use axioms::testing::TestIssuer;
use axioms::{Authentication, Axioms, AxiomsLayer, Claims, protected};
use axum::Router;
use axum::routing::{any, get};
use http::{Method, StatusCode, header};
use proptest::prelude::{Just, ProptestConfig, Strategy, prop, prop_assert_eq, prop_oneof};
use serde_json::json;

use crate::common::apps::Admins;
use crate::common::fixture::{
    Fixture, SUB, assert_invalid_request, assert_invalid_token, assert_missing_token,
    assert_no_leak, layered_app, verdict,
};
use crate::common::{Req, ready, req, send};

// ---------------------------------------------------------------------------------------------
// Layers

#[tokio::test]
async fn recording_layer_never_rejects() {
    let fx = Fixture::new().await;
    let app = Router::new()
        .route("/", get(verdict).post(verdict))
        .route(
            "/claims",
            get(|c: Claims| async move { c.subject().unwrap_or("").to_owned() }),
        )
        .with_state(fx.axioms.clone())
        .layer(AxiomsLayer::record(fx.axioms.clone()));
    let good = fx.issuer.token().sign();
    let expired = fx.issuer.token().expires_in(-3600).sign();
    let get = || req("GET", "/");
    let cases: Vec<(&str, Req, &str)> = vec![
        ("no header", get(), "anonymous"),
        (
            "basic",
            get().authorization("Basic dXNlcjpwYXNz"),
            "anonymous",
        ),
        ("valid", get().bearer(&good), "verified:user-1"),
        ("expired", get().bearer(&expired), "rejected:Expired"),
        ("garbage", get().bearer("abc"), "rejected:MalformedToken"),
        (
            "malformed header",
            get().authorization("Bearer a,b"),
            "rejected:MalformedAuthorization",
        ),
        (
            "two headers",
            get().bearer(&good).bearer(&good),
            "rejected:MultipleAuthorizationHeaders",
        ),
    ];
    for (case, request, expected) in cases {
        for method in [Method::GET, Method::POST] {
            let request = Req {
                method: method.clone(),
                ..request.clone()
            };
            let r = send(&app, request).await;
            assert_eq!(r.status, StatusCode::OK, "{case} {method}: {r:?}");
            assert_eq!(r.body, expected, "{case} {method}");
        }
    }

    // The extractor behind the layer reuses its verdict.
    let r = send(&app, req("GET", "/claims").bearer(&good)).await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, SUB));
    let r = send(&app, req("GET", "/claims").bearer(&expired)).await;
    assert_invalid_token(&r, "extractor behind recording layer, expired");
    let r = send(&app, req("GET", "/claims")).await;
    assert_missing_token(&r, "extractor behind recording layer, no token");
    let r = send(&app, req("GET", "/claims").bearer(&good).bearer(&good)).await;
    assert_invalid_request(&r, "extractor behind recording layer, two headers");
}

#[tokio::test]
async fn requiring_layer() {
    let fx = Fixture::new().await;
    let app = layered_app(fx.axioms.clone());
    let good = fx.issuer.token().sign();
    let expired = fx.issuer.token().expires_in(-3600).sign();

    let r = send(&app, req("GET", "/")).await;
    assert_missing_token(&r, "require, GET without token");
    let r = send(&app, req("POST", "/")).await;
    assert_missing_token(&r, "require, POST without token");
    let r = send(&app, req("GET", "/").authorization("Basic dXNlcjpwYXNz")).await;
    assert_missing_token(&r, "require, GET with Basic");
    let r = send(&app, req("GET", "/").bearer(&expired)).await;
    assert_invalid_token(&r, "require, GET expired");
    assert_no_leak(&r, &expired, "require, GET expired");
    let r = send(&app, req("GET", "/").bearer(&good).bearer(&good)).await;
    assert_invalid_request(&r, "require, two headers");
    let r = send(&app, req("GET", "/").bearer(&good)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "verified:user-1")
    );

    // No method is safe by default: OPTIONS needs a token too (CORS preflight is the
    // CorsLayer's job, before routing:
    // `safe_methods::cors_preflight_is_answered_before_routing`).
    let r = send(&app, req("OPTIONS", "/")).await;
    assert_missing_token(&r, "OPTIONS without a token");
}

// ---------------------------------------------------------------------------------------------
// Every entry point returns the same verdict for the same request

/// What a request carries in its `Authorization` field lines.
#[derive(Debug, Clone)]
enum Credential {
    None,
    Basic,
    Admin,
    User,
    Expired,
    OtherAudience,
    OtherIssuer,
    NoSub,
    IdToken,
    Garbage,
    Tab,
    Lowercase,
    Twice,
    TooLarge,
}

fn credential() -> impl Strategy<Value = Credential> {
    prop_oneof![
        Just(Credential::None),
        Just(Credential::Basic),
        Just(Credential::Admin),
        Just(Credential::User),
        Just(Credential::Expired),
        Just(Credential::OtherAudience),
        Just(Credential::OtherIssuer),
        Just(Credential::NoSub),
        Just(Credential::IdToken),
        Just(Credential::Garbage),
        Just(Credential::Tab),
        Just(Credential::Lowercase),
        Just(Credential::Twice),
        Just(Credential::TooLarge),
    ]
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["GET", "HEAD", "POST", "OPTIONS", "DELETE"])
}

struct World {
    issuer: TestIssuer,
    other: TestIssuer,
    axioms: Axioms,
    /// Entry point → router.
    apps: Vec<(&'static str, Router)>,
}

async fn verdict_text(auth: Authentication) -> String {
    match auth {
        Authentication::Verified(c) => format!("verified {}", c.subject().unwrap_or("")),
        Authentication::Anonymous => "anonymous".to_owned(),
        Authentication::Rejected(e) => format!("rejected {:?}", e.reason()),
        _ => "other".to_owned(),
    }
}

#[protected(roles = "admin")]
async fn guarded() -> &'static str {
    "ok"
}

async fn world() -> World {
    let issuer = TestIssuer::start().await;
    let other = TestIssuer::start().await;
    let axioms = ready(issuer.config("api")).await;
    let ok = || async { "ok" };
    let apps = vec![
        (
            "Claims",
            Router::new()
                .route("/", any(|_: Claims| async { "ok" }))
                .with_state(axioms.clone()),
        ),
        (
            "Option<Claims>",
            Router::new()
                .route(
                    "/",
                    any(|c: Option<Claims>| async move { format!("{}", c.is_some()) }),
                )
                .with_state(axioms.clone()),
        ),
        (
            "guard",
            Router::new()
                .route("/", any(guarded))
                .with_state(axioms.clone()),
        ),
        (
            "AxiomsLayer::require",
            Router::new()
                .route("/", any(ok))
                .layer(AxiomsLayer::require(axioms.clone())),
        ),
        (
            "PolicyLayer",
            Router::new()
                .route("/", any(ok))
                .layer(PolicyLayer::<Admins>::new(axioms.clone())),
        ),
        (
            "AxiomsLayer::record + Authentication",
            Router::new()
                .route("/", any(verdict_text))
                .with_state(axioms.clone())
                .layer(AxiomsLayer::record(axioms.clone())),
        ),
    ];
    World {
        issuer,
        other,
        axioms,
        apps,
    }
}

fn lines(w: &World, c: &Credential) -> Vec<String> {
    let t = || w.issuer.token().audience("api");
    let bearer = |t: String| vec![format!("Bearer {t}")];
    match c {
        Credential::None => vec![],
        Credential::Basic => vec!["Basic dXNlcjpwYXNz".to_owned()],
        Credential::Admin => bearer(t().claim("roles", json!(["admin"])).sign()),
        Credential::User => bearer(t().claim("roles", json!(["user"])).sign()),
        Credential::Expired => bearer(t().expires_in(-3600).sign()),
        Credential::OtherAudience => bearer(w.issuer.token().audience("other").sign()),
        Credential::OtherIssuer => bearer(w.other.token().audience("api").sign()),
        Credential::NoSub => bearer(t().without("sub").sign()),
        Credential::IdToken => bearer(t().claim("at_hash", json!("x")).sign()),
        Credential::Garbage => bearer("abc.def".to_owned()),
        Credential::Tab => vec![format!("Bearer\t{}", t().sign())],
        Credential::Lowercase => vec![format!(
            "bearer {}",
            t().claim("roles", json!(["admin"])).sign()
        )],
        Credential::Twice => {
            let one = t().sign();
            vec![format!("Bearer {one}"), format!("Bearer {one}")]
        }
        Credential::TooLarge => bearer(t().claim("pad", json!("x".repeat(40_000))).sign()),
    }
}

/// The status each entry point must answer, from the one verdict and its demand.
fn expected(entry: &str, auth: &Authentication) -> u16 {
    let admin = |c: &Claims| c.has_role("admin");
    match (entry, auth) {
        (_, Authentication::Rejected(e)) if !entry.starts_with("AxiomsLayer::record") => {
            e.status().as_u16()
        }
        ("Option<Claims>" | "AxiomsLayer::record + Authentication", _) => 200,
        ("guard" | "PolicyLayer", Authentication::Verified(c)) if !admin(c) => 403,
        (_, Authentication::Verified(_)) => 200,
        (_, _) => 401,
    }
}

#[test]
fn agree_with_the_pipeline_verdict() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let w = rt.block_on(world());
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    let seen = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    runner
        .run(&(credential(), method()), |(credential, method)| {
            rt.block_on(async {
                let lines = lines(&w, &credential);
                let mut request = req(method, "/");
                for line in &lines {
                    request = request.authorization(line);
                }
                // The verdict, straight from the pipeline's public entry.
                let mut parts = http::Request::builder().method(method).uri("/");
                for line in &lines {
                    parts = parts.header(header::AUTHORIZATION, line);
                }
                let (mut parts, ()) = parts.body(()).unwrap().into_parts();
                let auth = w.axioms.authenticate(&mut parts).await;
                for (entry, app) in &w.apps {
                    let r = send(app, request.clone()).await;
                    let want = expected(entry, &auth);
                    prop_assert_eq!(
                        r.status.as_u16(),
                        want,
                        "{} {:?} {}: {:?} (verdict {:?})",
                        entry,
                        credential,
                        method,
                        r,
                        auth
                    );
                    if *entry == "AxiomsLayer::record + Authentication" && method != "HEAD" {
                        prop_assert_eq!(r.body, verdict_text(auth.clone()).await);
                    }
                }
                seen.lock().unwrap().insert(format!("{credential:?}"));
                Ok(())
            })
        })
        .unwrap();
    // The generator reached every kind of credential.
    assert_eq!(seen.lock().unwrap().len(), 14, "{:?}", seen.lock().unwrap());
}
