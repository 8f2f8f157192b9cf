//! The one authentication pipeline: every extractor, guard and layer decides alike, and no
//! verdict crosses verifiers. Each test pins a defect that main had before the pipeline
//! existed (see the issue note), over real axum routers.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axioms::__private::Guard;
use axioms::check::Mode;
use axioms::policy::{Owned, Policy, PolicyLayer, Rule};
use axioms::testing::TestIssuer;
use axioms::{
    Algorithm, AudienceClaim, AuthErrorKind, Authentication, Axioms, AxiomsLayer, Claims, Config,
    Reason, protected,
};
use axum::extract::{FromRef, Path, State};
use axum::handler::Handler as _;
use axum::response::IntoResponse;
use axum::routing::{any, delete, get};
use axum::{Extension, Router};
use common::{Logs, Scope, Want, expect, req, send};
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::{Value, json};
use tower_http::cors::CorsLayer;

/// How many times a protected handler body ran.
#[derive(Clone, Default)]
struct Hits(Arc<AtomicUsize>);

impl Hits {
    fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
    hits: Hits,
}

/// An issuer, and a verifier for audience `aud` that trusts it.
async fn verifier(aud: &str) -> (TestIssuer, Axioms) {
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(issuer.config(aud).build().unwrap()).unwrap();
    (issuer, axioms)
}

fn token(issuer: &TestIssuer, aud: &str, claims: Value) -> String {
    issuer.token().audience(aud).claims(claims).sign()
}

// ---------------------------------------------------------------------------------------------
// 1. A verdict never crosses verifiers.
// ---------------------------------------------------------------------------------------------

#[protected(roles = "admin")]
async fn admin(State(hits): State<Hits>) -> &'static str {
    hits.hit();
    "admin"
}

async fn me(claims: Claims) -> String {
    claims.issuer().unwrap_or_default().to_owned()
}

axioms::policy!(Admins: roles = "admin");

/// Routes of verifier B, under a layer of verifier A.
fn routes_of_b(b: &Axioms, hits: &Hits) -> Router {
    Router::new()
        .route("/b/admin", get(admin))
        .route("/b/me", get(me))
        .with_state(AppState {
            axioms: b.clone(),
            hits: hits.clone(),
        })
}

#[tokio::test]
async fn a_verdict_never_crosses_verifiers() {
    let (issuer_a, a) = verifier("api-a").await;
    let (issuer_b, b) = verifier("api-b").await;
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
    let (issuer, axioms) = verifier("api").await;
    let hits = Hits::default();
    let forged = Claims::from_json_unverified(json!({"sub": "mallory", "roles": ["admin"]}));
    let app = Router::new()
        .route("/admin", get(admin))
        .route("/me", get(me))
        .with_state(AppState {
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

// ---------------------------------------------------------------------------------------------
// 2. Safe methods never surprise: anonymous OPTIONS/HEAD never run a protected handler.
// ---------------------------------------------------------------------------------------------

#[protected(roles = "admin")]
async fn purge(State(hits): State<Hits>) -> &'static str {
    hits.hit();
    "purged"
}

#[tokio::test]
async fn anonymous_options_and_head_never_run_a_protected_handler() {
    let (issuer, axioms) = verifier("api").await;
    let hits = Hits::default();
    let state = AppState {
        axioms,
        hits: hits.clone(),
    };
    let app = Router::new()
        .route("/any", any(purge))
        .route("/options", get(|| async { "get" }).options(purge))
        .route_service("/service", purge.with_state(state.clone()))
        .fallback(purge)
        .with_state(state);
    for path in ["/any", "/options", "/service", "/fallback/anything"] {
        for method in ["OPTIONS", "HEAD", "GET", "POST", "DELETE"] {
            if path == "/options" && method != "OPTIONS" {
                continue; // a public GET handler; other methods are 405
            }
            let r = send(&app, req(method, path)).await;
            expect(&r, Want::Anonymous);
        }
    }
    assert_eq!(
        hits.count(),
        0,
        "a protected handler ran for an anonymous request"
    );
    // A real admin still gets through every way of mounting.
    let admin = token(&issuer, "api", json!({"roles": ["admin"]}));
    for path in ["/any", "/service", "/fallback/anything"] {
        let r = send(&app, req("DELETE", path).bearer(&admin)).await;
        expect(&r, Want::Status(200));
    }
    assert_eq!(hits.count(), 3);
}

#[tokio::test]
async fn cors_preflight_is_answered_before_routing() {
    let (issuer, axioms) = verifier("api").await;
    let hits = Hits::default();
    let origin = "http://app.example";
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(origin))
        .allow_methods([Method::GET, Method::DELETE])
        .allow_headers([header::AUTHORIZATION]);
    let app = Router::new()
        .route("/purge", delete(purge))
        .with_state(AppState {
            axioms,
            hits: hits.clone(),
        })
        .layer(cors);

    let preflight = send(
        &app,
        req("OPTIONS", "/purge")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "DELETE")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization"),
    )
    .await;
    assert_eq!(preflight.status, StatusCode::OK, "{preflight:?}");
    assert_eq!(
        preflight.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        origin
    );
    assert!(
        preflight.headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
            .to_str()
            .unwrap()
            .contains("authorization"),
        "{preflight:?}"
    );
    assert_eq!(preflight.www(), None, "a preflight is never challenged");
    assert_eq!(hits.count(), 0, "the handler ran for a preflight");

    // The real request without a token: 401, with CORS headers so the browser can read it.
    let r = send(&app, req("DELETE", "/purge").header(header::ORIGIN, origin)).await;
    expect(&r, Want::Anonymous);
    assert_eq!(r.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], origin);
    assert_eq!(hits.count(), 0);

    let admin = token(&issuer, "api", json!({"roles": ["admin"]}));
    let r = send(
        &app,
        req("DELETE", "/purge")
            .header(header::ORIGIN, origin)
            .bearer(&admin),
    )
    .await;
    expect(&r, Want::Status(200));
    assert_eq!(hits.count(), 1);
}

#[protected(roles = "admin", safe_methods = ["GET"])]
async fn public_reads(method: Method, State(hits): State<Hits>) -> String {
    hits.hit();
    method.to_string()
}

#[tokio::test]
async fn get_makes_head_safe_and_nothing_else() {
    let (_issuer, axioms) = verifier("api").await;
    let hits = Hits::default();
    let app = Router::new()
        .route("/reads", any(public_reads))
        .with_state(AppState {
            axioms: axioms.clone(),
            hits: hits.clone(),
        });
    for method in ["GET", "HEAD"] {
        let r = send(&app, req(method, "/reads")).await;
        expect(&r, Want::Status(200));
    }
    for method in ["OPTIONS", "POST", "PUT", "DELETE", "PATCH"] {
        let r = send(&app, req(method, "/reads")).await;
        expect(&r, Want::Anonymous);
    }
    assert_eq!(hits.count(), 2);

    // The configuration says the same: GET brings HEAD, and HEAD alone is refused.
    let issuer = TestIssuer::start().await;
    let err = issuer
        .config("api")
        .safe_methods([Method::HEAD])
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_SAFE_METHODS");
    for unsafe_method in [
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::CONNECT,
    ] {
        let err = issuer
            .config("api")
            .safe_methods([Method::GET, unsafe_method.clone()])
            .build()
            .unwrap_err();
        assert!(
            err.to_string().contains("changes state"),
            "{unsafe_method}: {err}"
        );
    }
    let axioms = Axioms::new(
        issuer
            .config("api")
            .safe_methods([Method::GET])
            .build()
            .unwrap(),
    )
    .unwrap();
    let app = Router::new()
        .route("/", any(|| async { "ok" }))
        .layer(AxiomsLayer::require(axioms));
    for method in ["GET", "HEAD"] {
        expect(&send(&app, req(method, "/")).await, Want::Status(200));
    }
    for method in ["OPTIONS", "POST"] {
        expect(&send(&app, req(method, "/")).await, Want::Anonymous);
    }
}

#[tokio::test]
async fn a_safe_method_still_refuses_a_broken_token() {
    let (_issuer, axioms) = verifier("api").await;
    let app = Router::new()
        .route("/reads", any(public_reads))
        .with_state(AppState {
            axioms,
            hits: Hits::default(),
        });
    // Whatever the handler takes: the guard itself refuses it, like `Option<Claims>` does.
    let r = send(&app, req("GET", "/reads").bearer("not.a.token")).await;
    expect(&r, Want::InvalidToken);
}

// ---------------------------------------------------------------------------------------------
// 3. Ownership that cannot be fooled.
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Project {
    owner_email: String,
}

async fn get_project(Path(id): Path<u64>) -> Option<Project> {
    match id {
        1 => Some(Project {
            owner_email: String::new(),
        }),
        2 => Some(Project {
            owner_email: "ada@example.com".to_owned(),
        }),
        _ => None,
    }
}

#[protected(owner(fetch = get_project, field = "owner_email", claim = "email"), state = AppState)]
async fn read_project(Owned(project): Owned<Project>) -> String {
    project.owner_email
}

#[derive(Clone)]
struct Ticket {
    owner_id: u64,
}

async fn get_ticket(Path(id): Path<u64>) -> Option<Ticket> {
    Some(Ticket { owner_id: id })
}

#[protected(owner(fetch = get_ticket, field = "owner_id", claim = "preferred_username"), state = AppState)]
async fn read_ticket(Owned(ticket): Owned<Ticket>) -> String {
    ticket.owner_id.to_string()
}

fn ownership_app(axioms: Axioms) -> Router {
    Router::new()
        .route("/projects/{id}", get(read_project))
        .route("/tickets/{id}", get(read_ticket))
        .with_state(AppState {
            axioms,
            hits: Hits::default(),
        })
}

#[tokio::test]
async fn empty_null_and_missing_claims_own_nothing() {
    let (issuer, axioms) = verifier("api").await;
    let app = ownership_app(axioms);
    let cases: &[(&str, Value, u64, Want)] = &[
        (
            "empty owns empty",
            json!({"email": ""}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "null owns empty",
            json!({"email": null}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "missing owns empty",
            json!({}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "empty array",
            json!({"email": []}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "false",
            json!({"email": false}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "owner",
            json!({"email": "ada@example.com"}),
            2,
            Want::Status(200),
        ),
        (
            "owner, other",
            json!({"email": "ada@example.com"}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "empty vs owner",
            json!({"email": ""}),
            2,
            Want::Forbidden(Scope::Absent),
        ),
    ];
    for (case, claims, id, want) in cases {
        let r = send(
            &app,
            req("GET", &format!("/projects/{id}")).bearer(&token(&issuer, "api", claims.clone())),
        )
        .await;
        common::check(&r, *want).unwrap_or_else(|e| panic!("{case}: {e}"));
    }
}

#[tokio::test]
async fn integer_owner_fields_match_only_canonical_decimals() {
    let (issuer, axioms) = verifier("api").await;
    let app = ownership_app(axioms);
    let cases: &[(Value, u64, bool)] = &[
        (json!("42"), 42, true),
        (json!(42), 42, true),
        (json!("042"), 42, false),
        (json!("+42"), 42, false),
        (json!(" 42"), 42, false),
        (json!("42 "), 42, false),
        (json!("42.0"), 42, false),
        (json!(42.0), 42, false),
        (json!("4.2e1"), 42, false),
        (json!("0x2a"), 42, false),
        (json!("-42"), 42, false),
        (json!("0"), 0, true),
        (json!("00"), 0, false),
        (json!(""), 0, false),
        (json!("18446744073709551615"), u64::MAX, true),
        (json!("18446744073709551616"), u64::MAX, false),
        (json!(true), 1, false),
    ];
    for (username, id, owns) in cases {
        let t = token(&issuer, "api", json!({"preferred_username": username}));
        let r = send(&app, req("GET", &format!("/tickets/{id}")).bearer(&t)).await;
        let want = if *owns {
            Want::Status(200)
        } else {
            Want::Forbidden(Scope::Absent)
        };
        common::check(&r, want).unwrap_or_else(|e| panic!("{username} vs {id}: {e}"));
    }
}

#[test]
fn claims_owns_has_the_rules_of_the_policy() {
    let claims = Claims::from_json_unverified(json!({
        "sub": "user-7", "email": "", "uid": "42", "n": 42, "nothing": null,
    }))
    .unwrap();
    assert!(claims.owns("user-7", "sub"));
    assert!(!claims.owns("user-8", "sub"));
    assert!(!claims.owns("", "email"));
    assert!(!claims.owns("", "missing"));
    assert!(!claims.owns("", "nothing"));
    assert!(claims.owns(&42u32, "uid"));
    assert!(claims.owns(&42i64, "n"));
    assert!(!claims.owns(&None::<String>, "sub"));
    assert!(claims.owns(&Some("user-7".to_owned()), "sub"));
}

/// A `Policy` written by hand whose rule names ownership but which never fetches.
struct OwnerOnly;
impl<S: Send + Sync> Policy<S> for OwnerOnly {
    const RULE: Rule = Rule::Owner;
}

struct OwnerOrAdmin;
impl<S: Send + Sync> Policy<S> for OwnerOrAdmin {
    const RULE: Rule = Rule::AnyOf(&[Rule::Owner, Rule::Roles(Mode::Any, &["admin"])]);
}

#[tokio::test]
async fn a_hand_written_policy_cannot_fail_open() {
    let (issuer, axioms) = verifier("api").await;
    let app = Router::new()
        .route("/owner", get(|_: Guard<OwnerOnly>| async { "owned" }))
        .route("/either", get(|_: Guard<OwnerOrAdmin>| async { "either" }))
        .with_state(axioms);
    let user = token(&issuer, "api", json!({"roles": ["user"]}));
    let admin = token(&issuer, "api", json!({"roles": ["admin"]}));
    expect(
        &send(&app, req("GET", "/owner").bearer(&user)).await,
        Want::Forbidden(Scope::Absent),
    );
    expect(
        &send(&app, req("GET", "/either").bearer(&user)).await,
        Want::Forbidden(Scope::Absent),
    );
    expect(
        &send(&app, req("GET", "/either").bearer(&admin)).await,
        Want::Status(200),
    );
}

#[derive(Clone)]
struct Article {
    user: String,
}

async fn get_article(Path(id): Path<u64>) -> Option<Article> {
    (id == 1).then(|| Article {
        user: "alice".to_owned(),
    })
}

#[protected(owner(fetch = get_article, mismatch = 404), state = Axioms)]
async fn hidden_article(Owned(article): Owned<Article>) -> String {
    article.user
}

#[tokio::test]
async fn a_hidden_denial_goes_through_the_error_renderer() {
    let (issuer, axioms) = verifier("api").await;
    let bob = token(&issuer, "api", json!({"sub": "bob"}));
    let app = |axioms: Axioms| {
        Router::new()
            .route("/articles/{id}", get(hidden_article))
            .with_state(axioms)
    };
    // Default rendering: exactly the fetch function's `None`, so the two cannot be told apart.
    let plain = app(axioms.clone());
    let stranger = send(&plain, req("GET", "/articles/1").bearer(&bob)).await;
    let missing = send(&plain, req("GET", "/articles/2").bearer(&bob)).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (&stranger.headers, &stranger.body),
        (&missing.headers, &missing.body)
    );
    // With a renderer, the application renders it (as its own not-found, here).
    let rendered = app(axioms.with_error_renderer(|err| {
        if err.kind() == AuthErrorKind::NotFound {
            (StatusCode::NOT_FOUND, "{\"message\":\"no such article\"}").into_response()
        } else {
            (err.status(), err.description()).into_response()
        }
    }));
    let r = send(&rendered, req("GET", "/articles/1").bearer(&bob)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::NOT_FOUND, "{\"message\":\"no such article\"}")
    );
    assert_eq!(r.www(), None, "a hidden denial carries no challenge");
}

// ---------------------------------------------------------------------------------------------
// 4. Token kinds: sender-constrained tokens, ID tokens, tokens without a principal.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tokens_that_are_not_bearer_access_tokens_are_refused() {
    let (issuer, axioms) = verifier("api").await;
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
    let axioms = Axioms::new(
        Config::builder(issuer.issuer_config("api").allow_tokens_without_subject())
            .build()
            .unwrap(),
    )
    .unwrap();
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

#[tokio::test]
async fn client_id_audience_still_checks_a_present_aud() {
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(
        Config::builder(
            issuer
                .issuer_config("my-client")
                .audience_claim(AudienceClaim::ClientId),
        )
        .build()
        .unwrap(),
    )
    .unwrap();
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
// 5. Keys and reasons: alg-less RSA keys that sign PS256.
// ---------------------------------------------------------------------------------------------

/// The issuer's key set with `alg` removed from every key.
fn without_alg(jwks: Value) -> Value {
    let mut jwks = jwks;
    for key in jwks["keys"].as_array_mut().unwrap() {
        key.as_object_mut().unwrap().remove("alg");
    }
    jwks
}

#[tokio::test]
async fn alg_less_rsa_keys_follow_the_configured_algorithm() {
    let issuer = TestIssuer::start_with(&[Algorithm::PS256]).await;
    issuer.set_jwks(Some(without_alg(issuer.public_jwks())));
    let token = issuer.token().audience("api").sign();
    let logs = Logs::capture();

    let default = Axioms::new(issuer.config("api").build().unwrap()).unwrap();
    let err = default.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AlgorithmKeyMismatch);
    let app = Router::new().route("/me", get(me)).with_state(default);
    expect(
        &send(&app, req("GET", "/me").bearer(&token)).await,
        Want::InvalidToken,
    );
    let line = logs.line_with("request rejected");
    assert!(
        line.contains("alg differs from the algorithm the key is pinned to")
            && line.contains("token alg PS256")
            && line.contains("pinned to RS256")
            && line.contains("AXIOMS_RSA_KEY_ALG"),
        "the log names the mismatch, the key and the setting: {line}"
    );
    assert!(!line.contains(&token), "the token is never logged");

    let configured = Axioms::new(
        Config::builder(issuer.issuer_config("api").rsa_key_alg(Algorithm::PS256))
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(configured.verify(&token).await.is_ok());
}

// ---------------------------------------------------------------------------------------------
// 6. Requests: `Bearer<TAB>`, logging once.
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn bearer_with_a_tab_is_a_malformed_request() {
    let (issuer, axioms) = verifier("api").await;
    let good = token(&issuer, "api", json!({}));
    let app = Router::new().route("/me", get(me)).with_state(axioms);
    for value in [
        format!("Bearer\t{good}"),
        format!("bearer\t\t{good}"),
        format!("Bearer \t{good}"),
        format!("Bearer,{good}"),
    ] {
        let r = send(&app, req("GET", "/me").authorization(&value)).await;
        expect(&r, Want::InvalidRequest);
    }
    // Another scheme is still "no credentials".
    let r = send(&app, req("GET", "/me").authorization("Basic dXNlcjpwYXNz")).await;
    expect(&r, Want::Anonymous);
}

#[tokio::test]
async fn a_refused_request_is_logged_once() {
    let (issuer, axioms) = verifier("api").await;
    assert!(axioms.ready(std::time::Duration::from_secs(10)).await);
    let hits = Hits::default();
    let app = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route(
            "/both",
            get(|_: Claims, _: Option<Claims>, _: Authentication| async { "ok" }),
        )
        .with_state(AppState {
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

// ---------------------------------------------------------------------------------------------
// 7. Every entry point returns the same verdict for the same request.
// ---------------------------------------------------------------------------------------------

mod every_entry_point {
    use super::*;
    use proptest::prelude::{Just, ProptestConfig, Strategy, prop, prop_assert_eq, prop_oneof};

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
        let axioms = Axioms::new(issuer.config("api").build().unwrap()).unwrap();
        assert!(axioms.ready(std::time::Duration::from_secs(10)).await);
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
}
