//! Safe methods: a route's `safe_methods` — or the configuration's list — skip its policy,
//! ownership included, and a present token is still verified; GET brings HEAD and nothing
//! else, and a method that changes state is never safe. An anonymous OPTIONS or HEAD never runs
//! a protected handler, however it is mounted, and a CORS preflight is answered before routing.

use axioms::testing::TestIssuer;
use axioms::{AxiomsLayer, Claims, Config, protected};
use axum::Router;
use axum::extract::State;
use axum::handler::Handler as _;
use axum::routing::{any, delete, get};
use http::{HeaderValue, Method, StatusCode, header};
use serde_json::json;
use tower_http::cors::CorsLayer;

use crate::common::apps::{AppState, Counted, Db, Env, Hits, get_article, named_app};
use crate::common::fixture::{Fixture, assert_invalid_token, assert_missing_token, layered_app};
use crate::common::{
    Scope, Transport, Want, expect, issuer_with_verifier, no_failures, req, row, send, token,
    verifier,
};

// ---------------------------------------------------------------------------------------------
// `safe_methods` on a handler, and the configured list

#[protected(scopes = "guestbook:write", safe_methods = ["GET", "HEAD", "OPTIONS"])]
async fn guestbook(method: Method, claims: Option<Claims>) -> String {
    match claims {
        Some(c) => format!("{method} by {}", c.subject().unwrap_or("?")),
        None => format!("{method} by anonymous"),
    }
}

#[protected(roles = "admin")]
async fn default_safe(method: Method, claims: Option<Claims>) -> String {
    format!("{method} {}", claims.is_some())
}

#[protected(roles = "admin", safe_methods = ["GET"])]
async fn only_get_safe(method: Method) -> String {
    method.to_string()
}

fn safe_app(state: AppState) -> Router {
    Router::new()
        .route(
            "/guestbook",
            get(guestbook).post(guestbook).options(guestbook),
        )
        .route(
            "/default",
            get(default_safe).options(default_safe).delete(default_safe),
        )
        .route("/only-get", get(only_get_safe).options(only_get_safe))
        .with_state(state)
}

async fn safe_methods_on(env: &Env, t: &Transport) {
    let mut failures = Vec::new();
    let writer = env.token(json!({"sub": "ada", "scope": "guestbook:write"}));
    let reader = env.token(json!({"sub": "bob", "scope": "openid"}));

    // safe_methods = ["GET", "HEAD", "OPTIONS"]: those skip the policy entirely.
    let r = t.send(req("GET", "/guestbook")).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "GET by anonymous", "Option<Claims> is None");
    let r = t.send(req("GET", "/guestbook").bearer(&reader)).await;
    expect(&r, Want::Status(200));
    assert_eq!(
        r.body, "GET by bob",
        "a token lacking the scope still passes a safe method"
    );
    row(
        t,
        "HEAD anon",
        req("HEAD", "/guestbook"),
        Want::Status(200),
        &mut failures,
    )
    .await;
    let r = t.send(req("OPTIONS", "/guestbook")).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "OPTIONS by anonymous");
    // Unsafe methods are protected.
    row(
        t,
        "POST anon",
        req("POST", "/guestbook"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    row(
        t,
        "POST reader",
        req("POST", "/guestbook").bearer(&reader),
        Want::Forbidden(Scope::Named("guestbook:write")),
        &mut failures,
    )
    .await;
    let r = t.send(req("POST", "/guestbook").bearer(&writer)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "POST by ada");
    // A safe method with a broken token: the policy is skipped, but the handler's
    // `Option<Claims>` refuses a present-but-invalid token (documented on Option<Claims>).
    let r = t.send(req("GET", "/guestbook").bearer("not.a.token")).await;
    expect(&r, Want::InvalidToken);

    // Default (no safe_methods): the configuration's safe methods, none by default.
    row(
        t,
        "default OPTIONS anon",
        req("OPTIONS", "/default"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    row(
        t,
        "default GET anon",
        req("GET", "/default"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    row(
        t,
        "default HEAD anon",
        req("HEAD", "/default"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    row(
        t,
        "default DELETE anon",
        req("DELETE", "/default"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    row(
        t,
        "default GET non-admin",
        req("GET", "/default").bearer(&reader),
        Want::Forbidden(Scope::Absent),
        &mut failures,
    )
    .await;
    let admin = env.token(json!({"roles": ["admin"]}));
    let r = t.send(req("GET", "/default").bearer(&admin)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "GET true");

    // An explicit list replaces the configured one; "GET" makes HEAD safe too (axum answers
    // HEAD with the GET handler), and nothing else.
    row(
        t,
        "only-get GET anon",
        req("GET", "/only-get"),
        Want::Status(200),
        &mut failures,
    )
    .await;
    row(
        t,
        "only-get HEAD anon",
        req("HEAD", "/only-get"),
        Want::Status(200),
        &mut failures,
    )
    .await;
    row(
        t,
        "only-get OPTIONS anon",
        req("OPTIONS", "/only-get"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    no_failures(&failures);
}

/// `safe_methods` skips the policy entirely, ownership included: nothing is fetched.
#[protected(owner(fetch = get_article), safe_methods = ["GET"], state = AppState)]
async fn owner_with_safe_get(method: Method, claims: Option<Claims>) -> String {
    format!("{method} {}", claims.is_some())
}

#[tokio::test]
async fn safe_methods_skip_ownership_too() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    let app = Router::new()
        .route(
            "/articles/{id}",
            get(owner_with_safe_get).put(owner_with_safe_get),
        )
        .with_state(env.state.clone());
    let t = Transport::oneshot(app);
    let r = t.send(req("GET", "/articles/1")).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "GET false");
    let r = t.send(req("GET", "/articles/99")).await;
    expect(&r, Want::Status(200));
    assert_eq!(env.db().fetches(), 0);
    let r = t.send(req("PUT", "/articles/1")).await;
    expect(&r, Want::Anonymous);
    let r = t
        .send(req("PUT", "/articles/1").bearer(&env.token(json!({"sub": "bob"}))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
    let r = t
        .send(req("PUT", "/articles/1").bearer(&env.token(json!({"sub": "alice"}))))
        .await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "PUT true");
    assert_eq!(env.db().fetches(), 2);
}

/// Without `safe_methods`, the configuration's list applies (here GET and HEAD, not OPTIONS),
/// on handlers and on a `PolicyLayer` alike.
#[tokio::test]
async fn configured_safe_methods_apply_by_default() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(
        issuer
            .config("test-api")
            .safe_methods([Method::GET, Method::HEAD]),
    );
    let state = AppState {
        axioms,
        db: Db::default(),
    };
    let app = safe_app(state.clone()).merge(named_app(state));
    let t = Transport::oneshot(app);
    let mut failures = Vec::new();
    for (method, uri, want) in [
        ("GET", "/default", Want::Status(200)),
        ("HEAD", "/default", Want::Status(200)),
        ("OPTIONS", "/default", Want::Anonymous),
        ("DELETE", "/default", Want::Anonymous),
        // An explicit `safe_methods` still wins over the configuration.
        ("GET", "/only-get", Want::Status(200)),
        ("OPTIONS", "/only-get", Want::Anonymous),
        // Named policy on a handler, and as a layer.
        ("GET", "/users/3", Want::Status(200)),
        // … though a handler's own `Claims` argument still requires a token.
        ("GET", "/users", Want::Anonymous),
        ("GET", "/admin/stats", Want::Status(200)),
        ("POST", "/admin/stats", Want::Anonymous),
    ] {
        row(&t, "configured", req(method, uri), want, &mut failures).await;
    }
    no_failures(&failures);
}

#[tokio::test]
async fn safe_methods_oneshot() {
    let env = Env::new().await;
    let t = Transport::oneshot(safe_app(env.state.clone()));
    safe_methods_on(&env, &t).await;
}

#[tokio::test]
async fn safe_methods_over_http() {
    let env = Env::new().await;
    let t = Transport::http(safe_app(env.state.clone())).await;
    safe_methods_on(&env, &t).await;
}

#[tokio::test]
async fn requiring_layer_with_safe_methods() {
    let issuer = TestIssuer::start().await;
    let fx = Fixture::with(issuer, |i| {
        Config::builder(i).safe_methods([Method::OPTIONS])
    })
    .await;
    let app = layered_app(fx.axioms.clone());
    let good = fx.issuer.token().sign();
    let expired = fx.issuer.token().expires_in(-3600).sign();
    let r = send(&app, req("OPTIONS", "/")).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "anonymous"),
        "OPTIONS"
    );
    let r = send(
        &app,
        req("OPTIONS", "/").authorization("Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "anonymous"),
        "OPTIONS basic"
    );
    let r = send(&app, req("OPTIONS", "/").bearer(&good)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "verified:user-1")
    );
    // A token that is present is still verified on a safe method.
    let r = send(&app, req("OPTIONS", "/").bearer(&expired)).await;
    assert_invalid_token(&r, "OPTIONS with an expired token");
    // Other methods still need one.
    let r = send(&app, req("POST", "/")).await;
    assert_missing_token(&r, "POST with OPTIONS safe");
}

// ---------------------------------------------------------------------------------------------
// Never a surprise: no protected handler runs for an anonymous OPTIONS or HEAD, however it is
// mounted; GET brings HEAD and nothing else; a token present on a safe method is verified

#[protected(roles = "admin")]
async fn purge(State(hits): State<Hits>) -> &'static str {
    hits.hit();
    "purged"
}

#[tokio::test]
async fn anonymous_options_and_head_never_run_a_protected_handler() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let hits = Hits::default();
    let state = Counted {
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
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let hits = Hits::default();
    let origin = "http://app.example";
    let cors = CorsLayer::new()
        .allow_origin(HeaderValue::from_static(origin))
        .allow_methods([Method::GET, Method::DELETE])
        .allow_headers([header::AUTHORIZATION]);
    let app = Router::new()
        .route("/purge", delete(purge))
        .with_state(Counted {
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
    let (_issuer, axioms) = issuer_with_verifier("api").await;
    let hits = Hits::default();
    let app = Router::new()
        .route("/reads", any(public_reads))
        .with_state(Counted {
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
    let axioms = verifier(issuer.config("api").safe_methods([Method::GET]));
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
    let (_issuer, axioms) = issuer_with_verifier("api").await;
    let app = Router::new()
        .route("/reads", any(public_reads))
        .with_state(Counted {
            axioms,
            hits: Hits::default(),
        });
    // Whatever the handler takes: the guard itself refuses it, like `Option<Claims>` does.
    let r = send(&app, req("GET", "/reads").bearer("not.a.token")).await;
    expect(&r, Want::InvalidToken);
}
