//! Calling other APIs for the user (`axioms::exchange`): an axioms-protected API exchanges
//! its caller's token at a real RFC 8693 server (authgent-server, from PyPI, on 127.0.0.1)
//! for a token of a second axioms-protected API, which accepts it and refuses the caller's
//! own; the cache (one exchange for 100 concurrent requests, another per user and per scope,
//! never past the subject token's expiry); and Microsoft Entra's on-behalf-of request,
//! checked field by field against Microsoft's documented form by a local endpoint.

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axioms::exchange::{
    ClientAuth, ClientKey, Downstream, ExchangeError, SubjectToken, TokenExchange,
};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims, Config, Issuer, ManualClock, protected};
use axum::extract::{Form, FromRef, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use http::StatusCode;
use serde_json::{Value, json};

use crate::common::process::python_venv;
use crate::common::serve;

// ---------------------------------------------------------------------------------------------
// authgent-server: a real token-exchange server

/// authgent-server on 127.0.0.1, killed when dropped.
struct Authgent {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Authgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn authgent(python: &std::path::Path) -> Authgent {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let server = python.with_file_name("authgent-server");
    let log = std::fs::File::create(dir.path().join("log")).unwrap();
    let child = Command::new(server)
        .args(["run", "--host", "127.0.0.1", "--port", &port.to_string()])
        .current_dir(dir.path())
        .env("AUTHGENT_SECRET_KEY", "0123456789abcdef0123456789abcdef")
        .env(
            "AUTHGENT_DATABASE_URL",
            format!("sqlite+aiosqlite:///{}/ag.db", dir.path().display()),
        )
        .env("AUTHGENT_SERVER_URL", &url)
        .env("AUTHGENT_TOKEN_RATE_LIMIT", "100000")
        .env("DO_NOT_TRACK", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Authgent {
        child,
        url,
        _dir: dir,
    };
    let client = reqwest::Client::new();
    for _ in 0..150 {
        if client
            .get(format!("{}/health", server.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let log = std::fs::read_to_string(server._dir.path().join("log")).unwrap_or_default();
    panic!("authgent-server did not start:\n{log}");
}

/// Registers a client (open dynamic registration): its id and secret.
async fn register(server: &Authgent, name: &str, grant: &str, scope: &str) -> (String, String) {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/register", server.url))
        .json(&json!({"client_name": name, "grant_types": [grant], "scope": scope}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        answer["client_id"].as_str().unwrap().to_owned(),
        answer["client_secret"].as_str().unwrap().to_owned(),
    )
}

/// A token of the front end's client for the orders API (`aud` = its resource URI).
async fn front_end_token(server: &Authgent, client: &(String, String), scope: &str) -> String {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/token", server.url))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &client.0),
            ("client_secret", &client.1),
            ("scope", scope),
            ("resource", ORDERS),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_owned()
}

const ORDERS: &str = "https://orders.example";
const BILLING: &str = "https://billing.example";

/// A verifier of authgent's tokens for `audience` (ES256, `typ: JWT`, keys by discovery).
fn verifier_of(server: &Authgent, audience: &str) -> Axioms {
    let issuer = Issuer::builder()
        .issuer(&server.url)
        .audience(audience)
        .discovery(true);
    crate::common::verifier(Config::builder(issuer))
}

// The billing API: it says who it served, and for whom.
#[protected(scopes = "billing:read")]
async fn billing_whoami(claims: Claims) -> Json<Value> {
    Json(json!({
        "subject": claims.subject(),
        "actor": claims.actor().map(|actor| actor.subject().to_owned()),
    }))
}

#[derive(Clone, FromRef)]
struct Orders {
    axioms: Axioms,
    billing: TokenExchange,
    http: reqwest::Client,
    billing_url: BillingUrl,
}

#[derive(Clone)]
struct BillingUrl(String);

// The orders API calls billing for its caller, with a token of billing's audience.
#[protected(scopes = "orders:read")]
async fn invoices(
    State(orders): State<Orders>,
    State(BillingUrl(url)): State<BillingUrl>,
    subject: SubjectToken,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Result<impl IntoResponse, ExchangeError> {
    let scopes: Vec<&str> = query
        .get("scope")
        .map_or(vec!["billing:read"], |s| s.split(' ').collect());
    let billing = Downstream::audience(BILLING).scopes(scopes);
    let response = orders
        .billing
        .authorize(&subject, &billing, orders.http.get(format!("{url}/whoami")))
        .await?
        .send()
        .await
        .map_err(ExchangeError::downstream)?;
    let status = response.status().as_u16();
    Ok((
        StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        response.text().await.unwrap_or_default(),
    ))
}

/// A proxy in front of authgent's token endpoint that counts the requests it forwards.
async fn counting_proxy(target: String, count: Arc<AtomicUsize>) -> String {
    let client = reqwest::Client::new();
    let app = Router::new().route(
        "/token",
        post(move |headers: http::HeaderMap, body: String| {
            let (client, target, count) = (client.clone(), target.clone(), Arc::clone(&count));
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                let mut request = client.post(format!("{target}/token")).body(body);
                for name in [http::header::CONTENT_TYPE, http::header::AUTHORIZATION] {
                    if let Some(value) = headers.get(&name) {
                        request = request.header(name, value);
                    }
                }
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (
                    StatusCode::from_u16(status).unwrap(),
                    [(http::header::CONTENT_TYPE, "application/json")],
                    response.text().await.unwrap(),
                )
            }
        }),
    );
    serve(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_exchange_server_gives_the_downstream_a_token_of_its_own() {
    let test = "a_real_exchange_server_gives_the_downstream_a_token_of_its_own";
    let Some(python) = python_venv("exchange", test) else {
        return;
    };
    let server = authgent(&python).await;
    let front_end = register(
        &server,
        "front-end",
        "client_credentials",
        "orders:read billing:read billing:admin",
    )
    .await;
    let orders_client = register(
        &server,
        "orders",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "billing:read billing:admin",
    )
    .await;

    let billing_url = serve(
        Router::new()
            .route("/whoami", get(billing_whoami))
            .with_state(verifier_of(&server, BILLING)),
    )
    .await;
    let exchanges = Arc::new(AtomicUsize::new(0));
    let proxy = counting_proxy(server.url.clone(), Arc::clone(&exchanges)).await;
    let orders_axioms = verifier_of(&server, ORDERS);
    let billing = TokenExchange::builder(
        &orders_axioms,
        ClientAuth::secret_basic(&orders_client.0, &orders_client.1),
    )
    .token_endpoint(&format!("{proxy}/token"))
    .build()
    .unwrap();
    let orders = Orders {
        axioms: orders_axioms,
        billing: billing.clone(),
        http: reqwest::Client::new(),
        billing_url: BillingUrl(billing_url.clone()),
    };
    let orders_url = serve(
        Router::new()
            .route("/invoices", get(invoices))
            .with_state(orders),
    )
    .await;
    let http = reqwest::Client::new();
    let alice = front_end_token(
        &server,
        &front_end,
        "orders:read billing:read billing:admin",
    )
    .await;

    // The caller's own token is for orders: billing refuses it.
    let direct = http
        .get(format!("{billing_url}/whoami"))
        .bearer_auth(&alice)
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 401);
    assert!(
        direct.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );

    // Through orders, billing gets a token of its own audience, for the same subject, with
    // orders as the actor.
    let call = |token: String, scope: Option<&'static str>| {
        let (http, url) = (http.clone(), orders_url.clone());
        async move {
            let mut request = http.get(format!("{url}/invoices")).bearer_auth(token);
            if let Some(scope) = scope {
                request = request.query(&[("scope", scope)]);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, body) = call(alice.clone(), None).await;
    assert_eq!(status, 200, "{body}");
    let seen: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(seen["subject"], format!("client:{}", front_end.0));
    assert_eq!(seen["actor"], format!("client:{}", orders_client.0));
    assert_eq!(exchanges.load(Ordering::SeqCst), 1);

    // 100 concurrent requests of that caller: no further exchange (cached).
    let calls: Vec<_> = (0..100)
        .map(|_| tokio::spawn(call(alice.clone(), None)))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().0, 200);
    }
    assert_eq!(exchanges.load(Ordering::SeqCst), 1);

    // Another scope: another exchange; then cached too.
    for _ in 0..3 {
        assert_eq!(
            call(alice.clone(), Some("billing:read billing:admin"))
                .await
                .0,
            200
        );
    }
    assert_eq!(exchanges.load(Ordering::SeqCst), 2);

    // Another caller's token, 100 times at once from nothing cached: one exchange.
    let bob = front_end_token(&server, &front_end, "orders:read billing:read").await;
    let calls: Vec<_> = (0..100)
        .map(|_| tokio::spawn(call(bob.clone(), None)))
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().0, 200);
    }
    assert_eq!(exchanges.load(Ordering::SeqCst), 3);
    assert_eq!(billing.calls(), 3);

    // A scope the server will not grant: its refusal is the caller's 403, and nothing is
    // cached.
    for _ in 0..2 {
        let (status, body) = call(bob.clone(), Some("billing:delete")).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["error"],
            "access_denied"
        );
    }
    assert_eq!(exchanges.load(Ordering::SeqCst), 5);

    // The token service down: 503 with Retry-After, for an exchange not cached yet.
    drop(server);
    let carol_refused = http
        .get(format!("{orders_url}/invoices"))
        .bearer_auth(&alice)
        .query(&[("scope", "billing:admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(carol_refused.status(), 503);
    assert_eq!(carol_refused.headers()["retry-after"], "1");
}

// ---------------------------------------------------------------------------------------------
// Entra on-behalf-of, against Microsoft's documented request

/// What the local "Entra" endpoint saw.
#[derive(Default)]
struct EntraSeen {
    forms: Mutex<Vec<HashMap<String, String>>>,
}

const TENANT_TOKEN_PATH: &str = "/contoso/oauth2/v2.0/token";
const APP_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
const THUMBPRINT: &str = "ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVmZGVhZGJlZWY";

/// A token endpoint that checks each request against the on-behalf-of form Microsoft
/// documents (learn.microsoft.com/entra/identity-platform/v2-oauth2-on-behalf-of-flow), with a
/// certificate credential: the client assertion's header and claims, verified with the app's
/// public key.
async fn entra(
    public_pem: String,
    subject: String,
    seen: Arc<EntraSeen>,
    endpoint: Arc<Mutex<String>>,
) -> String {
    let app = Router::new().route(
        TENANT_TOKEN_PATH,
        post(move |headers: http::HeaderMap, Form(form): Form<HashMap<String, String>>| {
            let (public_pem, subject, seen, endpoint) =
                (public_pem.clone(), subject.clone(), Arc::clone(&seen), Arc::clone(&endpoint));
            async move {
                seen.forms.lock().unwrap().push(form.clone());
                let fail = |why: &str| {
                    (
                        StatusCode::BAD_REQUEST,
                        Json(json!({"error": "invalid_request", "error_description": why})),
                    )
                };
                if headers.get("content-type").map(|v| v.to_str().unwrap())
                    != Some("application/x-www-form-urlencoded")
                {
                    return fail("content type");
                }
                let field = |name: &str| form.get(name).map(String::as_str);
                let expected = [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("client_id", APP_ID),
                    ("requested_token_use", "on_behalf_of"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                ];
                for (name, value) in expected {
                    if field(name) != Some(value) {
                        return fail(name);
                    }
                }
                if field("assertion") != Some(subject.as_str()) {
                    return fail("assertion");
                }
                if headers.contains_key("authorization") || form.contains_key("client_secret") {
                    return fail("a certificate credential carries no secret");
                }
                // The client assertion: PS256 (or RS256), `x5t#S256`, and aud = this endpoint.
                let Some(assertion) = field("client_assertion") else {
                    return fail("client_assertion");
                };
                let header = jsonwebtoken::decode_header(assertion).unwrap();
                if header.alg != jsonwebtoken::Algorithm::PS256
                    || header.x5t_s256.as_deref() != Some(THUMBPRINT)
                    || header.typ.as_deref() != Some("JWT")
                {
                    return fail("client_assertion header");
                }
                let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap();
                let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
                validation.set_audience(&[endpoint.lock().unwrap().clone()]);
                validation.set_issuer(&[APP_ID]);
                validation.set_required_spec_claims(&["exp", "nbf", "iat", "aud", "iss", "sub", "jti"]);
                validation.validate_nbf = true;
                let Ok(claims) = jsonwebtoken::decode::<Value>(assertion, &key, &validation) else {
                    return fail("client_assertion signature or claims");
                };
                let claims = claims.claims;
                let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
                if claims["sub"] != APP_ID || !(1..=600).contains(&lifetime) || claims["jti"].as_str().is_none_or(str::is_empty) {
                    return fail("client_assertion claims");
                }
                match field("scope") {
                    Some("https://graph.microsoft.com/user.read offline_access") => (
                        StatusCode::OK,
                        Json(json!({
                            "token_type": "Bearer",
                            "scope": "https://graph.microsoft.com/user.read",
                            "expires_in": 3269,
                            "ext_expires_in": 0,
                            "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl",
                        })),
                    ),
                    // A conditional-access policy wants multi-factor authentication.
                    _ => (
                        StatusCode::BAD_REQUEST,
                        Json(json!({
                            "error": "interaction_required",
                            "error_description": "AADSTS50079: Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multifactor authentication.",
                            "error_codes": [50079],
                            "claims": "{\"access_token\":{\"polids\":{\"essential\":true,\"values\":[\"9ab03e19-ed42-4168-b6b7-7001fb3e933a\"]}}}",
                        })),
                    ),
                }
            }
        }),
    );
    serve(app).await
}

#[derive(Clone, FromRef)]
struct Graph {
    axioms: Axioms,
    graph: TokenExchange,
}

#[protected]
async fn graph_me(
    State(graph): State<TokenExchange>,
    subject: SubjectToken,
    axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
) -> Result<String, ExchangeError> {
    let scopes = query.get("scope").cloned().unwrap_or_default();
    let target = Downstream::scopes_only(scopes.split(' '));
    let token = graph.token_for(&subject, &target).await?;
    Ok(format!(
        "{} until {}",
        token.secret().len(),
        token.expires_at()
    ))
}

#[tokio::test]
async fn entra_on_behalf_of_sends_microsoft_s_documented_request() {
    let key = rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
        .unwrap();
    let issuer = TestIssuer::start().await;
    let incoming = issuer
        .token()
        .audience("api://orders")
        .scope("access_as_user")
        .sign();
    let seen = Arc::new(EntraSeen::default());
    let endpoint = Arc::new(Mutex::new(String::new()));
    let base = entra(
        key.public_key_pem(),
        incoming.clone(),
        Arc::clone(&seen),
        Arc::clone(&endpoint),
    )
    .await;
    let token_endpoint = format!("{base}{TENANT_TOKEN_PATH}");
    *endpoint.lock().unwrap() = token_endpoint.clone();

    let axioms = crate::common::verifier(issuer.config("api://orders"));
    let client_key = ClientKey::from_pem(axioms::Algorithm::PS256, key.serialize_pem().as_bytes())
        .unwrap()
        .x5t_s256(THUMBPRINT);
    let graph = TokenExchange::builder(&axioms, ClientAuth::private_key_jwt(APP_ID, client_key))
        .entra_on_behalf_of()
        .token_endpoint(&token_endpoint)
        .build()
        .unwrap();
    let app = Router::new().route("/me", get(graph_me)).with_state(Graph {
        axioms,
        graph: graph.clone(),
    });
    let t = crate::common::Transport::oneshot(app);

    let r = t
        .send(
            crate::common::req(
                "GET",
                "/me?scope=https://graph.microsoft.com/user.read%20offline_access",
            )
            .bearer(&incoming),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?} {:?}", seen.forms.lock().unwrap());
    assert!(r.body.starts_with("53 until "), "{}", r.body);
    // Exactly the documented members, nothing else (no secret, no RFC 8693 members).
    let form = seen.forms.lock().unwrap()[0].clone();
    let mut names: Vec<&str> = form.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "assertion",
            "client_assertion",
            "client_assertion_type",
            "client_id",
            "grant_type",
            "requested_token_use",
            "scope"
        ]
    );

    // Entra's refusal (multi-factor authentication needed): 403 for the caller, no detail of
    // Entra's answer in it, and nothing cached.
    for _ in 0..2 {
        let r = t
            .send(
                crate::common::req("GET", "/me?scope=https://graph.microsoft.com/mail.read")
                    .bearer(&incoming),
            )
            .await;
        assert_eq!(r.status, 403, "{r:?}");
        assert!(!r.body.contains("AADSTS") && !r.body.contains(&incoming));
    }
    assert_eq!(graph.calls(), 3);
}

/// Keeps the subject token a handler received, to use it after the request.
#[derive(Clone, Default)]
struct SubjectHolder(Arc<Mutex<Option<SubjectToken>>>);

#[derive(Clone, FromRef)]
struct Holding {
    axioms: Axioms,
    held: SubjectHolder,
}

#[protected]
async fn hold(State(held): State<SubjectHolder>, subject: SubjectToken) -> &'static str {
    *held.0.lock().unwrap() = Some(subject);
    "held"
}

/// The `SubjectToken` an API verified by `axioms` takes from a request with `token`: what a
/// handler would exchange, kept for use after the request.
async fn subject_of(axioms: Axioms, token: &str) -> SubjectToken {
    let held = SubjectHolder::default();
    let app = Router::new().route("/hold", get(hold)).with_state(Holding {
        axioms,
        held: held.clone(),
    });
    let r = crate::common::send(&app, crate::common::req("GET", "/hold").bearer(token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    held.0.lock().unwrap().clone().unwrap()
}

/// An RFC 8693 endpoint that answers every request with a token valid for an hour.
async fn hour_long_tokens(count: Arc<AtomicUsize>) -> String {
    let app = Router::new().route(
        "/token",
        post(move |Form(form): Form<HashMap<String, String>>| {
            let count = Arc::clone(&count);
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                assert_eq!(
                    form["grant_type"],
                    "urn:ietf:params:oauth:grant-type:token-exchange"
                );
                Json(json!({
                    "access_token": format!("downstream-{}", count.load(Ordering::SeqCst)),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                }))
            }
        }),
    );
    serve(app).await
}

#[tokio::test]
async fn an_exchanged_token_never_outlives_its_subject_token() {
    let clock = ManualClock::new(2_000_000_000);
    let issuer =
        TestIssuer::start_with_clock(&[axioms::Algorithm::RS256], Arc::new(clock.clone())).await;
    let axioms = crate::common::verifier(issuer.config("api").clock(clock.clone()));
    let count = Arc::new(AtomicUsize::new(0));
    let endpoint = hour_long_tokens(Arc::clone(&count)).await;
    let exchange = TokenExchange::builder(&axioms, ClientAuth::secret_post("orders", "secret"))
        .token_endpoint(&format!("{endpoint}/token"))
        .build()
        .unwrap();
    // The caller's token expires in 100 s; the exchanged one would last an hour.
    let incoming = issuer.token().audience("api").expires_in(100).sign();
    let subject = subject_of(axioms, &incoming).await;
    let billing = Downstream::audience("billing");

    let first = exchange.token_for(&subject, &billing).await.unwrap();
    clock.advance(99);
    let again = exchange.token_for(&subject, &billing).await.unwrap();
    assert_eq!(
        (first.secret(), again.secret()),
        ("downstream-1", "downstream-1")
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // Past the subject token's `exp`: not served from the cache.
    clock.advance(2);
    let later = exchange.token_for(&subject, &billing).await.unwrap();
    assert_eq!(later.secret(), "downstream-2");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn only_the_issuer_s_own_bearer_tokens_are_exchanged() {
    let issuer = TestIssuer::start().await;
    let axioms = crate::common::verifier(
        issuer
            .config("https://api.example.com")
            .resource("https://api.example.com"),
    );
    let count = Arc::new(AtomicUsize::new(0));
    let endpoint = hour_long_tokens(Arc::clone(&count)).await;
    let exchange = TokenExchange::builder(&axioms, ClientAuth::secret_post("orders", "secret"))
        .token_endpoint(&format!("{endpoint}/token"))
        .build()
        .unwrap();
    let app = Router::new().route("/me", get(graph_me)).with_state(Graph {
        axioms,
        graph: exchange,
    });
    // A DPoP-bound token is bound to its client's key: this API cannot present it.
    let key = axioms::testing::DpopKey::generate(axioms::Algorithm::ES256);
    let bound = issuer
        .token()
        .audience("https://api.example.com")
        .bound_to(&key)
        .sign();
    let proof = key
        .proof("GET", "https://api.example.com/me")
        .access_token(&bound)
        .sign();
    let r = crate::common::send(
        &app,
        crate::common::req("GET", "/me")
            .authorization(&format!("DPoP {bound}"))
            .header("dpop", proof),
    )
    .await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(count.load(Ordering::SeqCst), 0);
    // No token at all: 401, no exchange.
    let r = crate::common::send(&app, crate::common::req("GET", "/me")).await;
    assert_eq!(r.status, 401);
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

// ---------------------------------------------------------------------------------------------
// DPoP: tokens bound to the API's own key, for a downstream that requires DPoP

/// Checks a DPoP proof made for `method` on `url` (signature by its own `jwk`, `typ`,
/// `htm`, `htu`, `nonce`): the key's thumbprint, or why not.
fn check_proof(
    proof: &str,
    method: &str,
    url: &str,
    nonce: Option<&str>,
) -> Result<String, String> {
    let header = jsonwebtoken::decode_header(proof).map_err(|e| e.to_string())?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err("typ".into());
    }
    let jwk = header.jwk.ok_or("no jwk")?;
    let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_required_spec_claims::<&str>(&[]);
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(proof, &key, &validation)
        .map_err(|e| e.to_string())?
        .claims;
    if claims["htm"] != method || claims["htu"] != url || claims["jti"].as_str().is_none() {
        return Err(format!("claims {claims}"));
    }
    if claims.get("nonce").and_then(Value::as_str) != nonce {
        return Err("nonce".into());
    }
    jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_dpop_bound_token_reaches_a_downstream_that_requires_dpop() {
    let issuer = Arc::new(TestIssuer::start().await);
    // The downstream, which takes DPoP-bound tokens only; its origin is known once it binds.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let downstream = format!("http://{}", listener.local_addr().unwrap());
    let downstream_axioms = crate::common::verifier(
        Config::builder(issuer.issuer_config(&downstream)).resource(&downstream),
    );
    #[protected(dpop = required)]
    async fn bound_only(claims: Claims) -> String {
        claims.subject().unwrap_or_default().to_owned()
    }
    let app = Router::new()
        .route("/reports", get(bound_only))
        .with_state(downstream_axioms);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // The token endpoint: a proof on every request, its nonce first; it mints tokens bound to
    // the proof's key (`cnf.jkt`) for the downstream.
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    let endpoint_url = Arc::new(Mutex::new(String::new()));
    let token_endpoint = {
        let (issuer, seen, endpoint_url, downstream) = (
            Arc::clone(&issuer),
            Arc::clone(&seen),
            Arc::clone(&endpoint_url),
            downstream.clone(),
        );
        serve(Router::new().route(
            "/token",
            post(move |headers: http::HeaderMap, Form(form): Form<HashMap<String, String>>| {
                let (issuer, seen, endpoint_url, downstream) =
                    (Arc::clone(&issuer), Arc::clone(&seen), Arc::clone(&endpoint_url), downstream.clone());
                async move {
                    let proof = headers.get("dpop").map(|v| v.to_str().unwrap().to_owned());
                    let nonce = headers.contains_key("dpop").then_some("n-1");
                    let url = endpoint_url.lock().unwrap().clone();
                    let first = seen.lock().unwrap().is_empty();
                    seen.lock().unwrap().push(proof.clone().unwrap_or_default());
                    if first {
                        return (
                            StatusCode::BAD_REQUEST,
                            [("dpop-nonce", "n-1")],
                            Json(json!({"error": "use_dpop_nonce"})),
                        );
                    }
                    let checked = proof
                        .ok_or_else(|| "no proof".to_owned())
                        .and_then(|p| check_proof(&p, "POST", &url, nonce));
                    let Ok(jkt) = checked else {
                        return (
                            StatusCode::BAD_REQUEST,
                            [("dpop-nonce", "n-1")],
                            Json(json!({"error": "invalid_dpop_proof", "why": format!("{checked:?}")})),
                        );
                    };
                    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:token-exchange");
                    let token = issuer
                        .token()
                        .audience(&downstream)
                        .subject("alice")
                        .claims(json!({"cnf": {"jkt": jkt}}))
                        .sign();
                    (
                        StatusCode::OK,
                        [("dpop-nonce", "n-2")],
                        Json(json!({"access_token": token, "token_type": "DPoP", "expires_in": 300,
                                    "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"})),
                    )
                }
            }),
        ))
        .await
    };
    *endpoint_url.lock().unwrap() = format!("{token_endpoint}/token");

    // The orders API, holding its own DPoP key.
    let orders_axioms = crate::common::verifier(issuer.config("orders"));
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let proof_key = axioms::exchange::ProofKey::from_pem(
        axioms::Algorithm::ES256,
        key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let thumbprint = proof_key.thumbprint().to_owned();
    let exchange = TokenExchange::builder(&orders_axioms, ClientAuth::secret_basic("orders", "s"))
        .token_endpoint(&format!("{token_endpoint}/token"))
        .dpop(proof_key)
        .build()
        .unwrap();
    let incoming = issuer.token().audience("orders").subject("alice").sign();
    let subject = subject_of(orders_axioms, &incoming).await;

    let target = Downstream::resource(&downstream);
    let http = reqwest::Client::new();
    for _ in 0..2 {
        let response = exchange
            .authorize(
                &subject,
                &target,
                http.get(format!("{downstream}/reports?month=11")),
            )
            .await
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "alice");
    }
    // Two requests to the token endpoint: the nonce, then the token (cached after).
    assert_eq!(seen.lock().unwrap().len(), 2);
    let token = exchange.token_for(&subject, &target).await.unwrap();
    assert!(token.is_dpop_bound());
    assert!(token.authorization().to_str().unwrap().starts_with("DPoP "));
    assert_eq!(thumbprint.len(), 43);
    // Without a proof the bound token is refused downstream: stolen, it is useless.
    let stolen = http
        .get(format!("{downstream}/reports"))
        .header("authorization", format!("Bearer {}", token.secret()))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 401);
}

#[tokio::test]
async fn the_api_s_own_token_goes_with_each_exchange_as_the_actor_token() {
    let issuer = TestIssuer::start().await;
    let axioms = crate::common::verifier(issuer.config("orders"));
    let forms = Arc::new(Mutex::new(Vec::<HashMap<String, String>>::new()));
    let endpoint = {
        let forms = Arc::clone(&forms);
        serve(Router::new().route(
            "/token",
            post(move |Form(form): Form<HashMap<String, String>>| {
                let forms = Arc::clone(&forms);
                async move {
                    let n = {
                        let mut forms = forms.lock().unwrap();
                        forms.push(form.clone());
                        forms.len()
                    };
                    let token = match form["grant_type"].as_str() {
                        "client_credentials" => "orders-own-token".to_owned(),
                        _ => format!("exchanged-{n}"),
                    };
                    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 600}))
                }
            }),
        ))
        .await
    };
    let exchange = TokenExchange::builder(&axioms, ClientAuth::secret_post("orders", "secret"))
        .token_endpoint(&format!("{endpoint}/token"))
        .actor_token()
        .build()
        .unwrap();
    let incoming = issuer.token().audience("orders").sign();
    let subject = subject_of(axioms, &incoming).await;

    for target in ["billing", "shipping"] {
        let token = exchange
            .token_for(&subject, &Downstream::audience(target))
            .await
            .unwrap();
        assert!(token.secret().starts_with("exchanged-"));
    }
    // One client-credentials request for the API's own token, reused by both exchanges.
    let forms = forms.lock().unwrap().clone();
    let grants: Vec<&str> = forms.iter().map(|f| f["grant_type"].as_str()).collect();
    assert_eq!(
        grants,
        [
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "urn:ietf:params:oauth:grant-type:token-exchange"
        ]
    );
    for exchange in &forms[1..] {
        assert_eq!(exchange["actor_token"], "orders-own-token");
        assert_eq!(
            exchange["actor_token_type"],
            "urn:ietf:params:oauth:token-type:access_token"
        );
        assert_eq!(exchange["subject_token"], incoming);
    }
    // The client credentials request carries no subject.
    assert!(!forms[0].contains_key("subject_token"));
    // Entra's on-behalf-of has no actor token: a configuration error, not a silent drop.
    let issuer_axioms = crate::common::verifier(issuer.config("orders"));
    let err = TokenExchange::builder(&issuer_axioms, ClientAuth::secret_post("app", "s"))
        .entra_on_behalf_of()
        .actor_token()
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "TokenExchangeBuilder::actor_token");
}
