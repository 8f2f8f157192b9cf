//! The harness every integration test shares: requests and responses over `oneshot` or real
//! HTTP on 127.0.0.1, the RFC 6750 expectations, the verifiers under test and captured logs;
//! [`fixture`] is the standard application with the exact answers RFC 6750 prescribes,
//! [`apps`] the state and handlers several test modules mount, and [`process`] the example and
//! Node.js processes. A test file holds cases, not harness.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod apps;
pub mod fixture;
pub mod process;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Axioms, ConfigBuilder};
use axum::Router;
use axum::body::Body;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

// ---------------------------------------------------------------------------------------------
// Verifiers

/// A verifier of `builder`'s configuration, started without waiting for its keys.
pub fn verifier(builder: ConfigBuilder) -> Axioms {
    Axioms::new(builder.build().unwrap()).unwrap()
}

/// A verifier of `builder`'s configuration whose keys are loaded: the test fails if they are not
/// within 10 s.
pub async fn ready(builder: ConfigBuilder) -> Axioms {
    let axioms = verifier(builder);
    assert!(
        axioms.ready(Duration::from_secs(10)).await,
        "the verifier's keys never loaded"
    );
    axioms
}

/// A new test issuer, and a verifier for `audience` that trusts it (its keys not awaited).
pub async fn issuer_with_verifier(audience: &str) -> (TestIssuer, Axioms) {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(issuer.config(audience));
    (issuer, axioms)
}

/// A token of `issuer` for `audience`, with `claims` added (or replacing the defaults).
pub fn token(issuer: &TestIssuer, audience: &str, claims: Value) -> String {
    issuer.token().audience(audience).claims(claims).sign()
}

// ---------------------------------------------------------------------------------------------
// Requests and responses

/// A request to send: method, URI, header lines (repeatable), body.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: Method,
    pub uri: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Vec<u8>>,
}

/// `method uri`, without headers or body.
pub fn req(method: &str, uri: &str) -> Req {
    Req {
        method: Method::from_bytes(method.as_bytes()).unwrap(),
        uri: uri.to_owned(),
        headers: Vec::new(),
        body: None,
    }
}

impl Req {
    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.authorization(&format!("Bearer {token}"))
    }

    /// Adds `Authorization: Bearer <token>` when there is a token.
    pub fn bearer_opt(self, token: Option<&str>) -> Self {
        match token {
            Some(t) => self.bearer(t),
            None => self,
        }
    }

    /// Adds an `Authorization` field line (a second call adds a second line).
    pub fn authorization(self, value: &str) -> Self {
        self.header(header::AUTHORIZATION, value)
    }

    /// Adds a header line; the value may be any bytes a header may hold.
    pub fn header(mut self, name: impl TryInto<HeaderName>, value: impl AsRef<[u8]>) -> Self {
        let name = name.try_into().ok().expect("a valid header name");
        let value = HeaderValue::from_bytes(value.as_ref()).expect("a valid header value");
        self.headers.push((name, value));
        self
    }

    /// A JSON body: raw text (`"{bad"`, to send a broken one) or a [`Value`].
    pub fn json(self, body: impl std::fmt::Display) -> Self {
        self.header(header::CONTENT_TYPE, "application/json")
            .raw_body(&body.to_string())
    }

    /// A body without a content type.
    pub fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.as_bytes().to_vec());
        self
    }

    fn http(&self) -> Request<Body> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(&self.uri);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let body = self.body.clone().map_or_else(Body::empty, Body::from);
        builder.body(body).unwrap()
    }
}

/// A response, read whole.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    /// The `WWW-Authenticate` challenge, if any.
    pub fn www(&self) -> Option<&str> {
        self.headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap())
    }

    /// The value of header `name`, or `""` if it is absent (or not visible ASCII).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The body as JSON (panics with the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// The JSON body's `error`, if the body is JSON with one.
    pub fn error(&self) -> Option<String> {
        serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
    }

    /// Every header line and the body: what to search for leaked token material.
    pub fn dump(&self) -> String {
        let mut dump = String::new();
        for (name, value) in &self.headers {
            dump.push_str(name.as_str());
            dump.push_str(": ");
            dump.push_str(&String::from_utf8_lossy(value.as_bytes()));
            dump.push('\n');
        }
        dump.push_str(&self.body);
        dump
    }
}

/// Sends `req` to `app` in-process.
pub async fn send(app: &Router, req: Req) -> Resp {
    let response = app.clone().oneshot(req.http()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Resp {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// An HTTP client for 127.0.0.1 (no proxy, bounded).
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Sends `req` to `base` (`http://127.0.0.1:PORT`) over real HTTP.
pub async fn send_http(client: &reqwest::Client, base: &str, req: Req) -> Resp {
    let mut builder = client.request(req.method.clone(), format!("{base}{}", req.uri));
    for (name, value) in &req.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = req.body {
        builder = builder.body(body);
    }
    let response = builder
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", req.method, req.uri));
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    Resp {
        status,
        headers,
        body,
    }
}

/// Serves `app` on an ephemeral 127.0.0.1 port for the rest of the test; returns its base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// The same cases, in-process or over real HTTP.
#[derive(Clone)]
pub enum Transport {
    Oneshot(Router),
    Http {
        client: reqwest::Client,
        base: String,
    },
}

impl Transport {
    pub fn oneshot(app: Router) -> Self {
        Self::Oneshot(app)
    }

    /// Serves `app` on an ephemeral 127.0.0.1 port for the rest of the test.
    pub async fn http(app: Router) -> Self {
        Self::Http {
            client: http_client(),
            base: serve(app).await,
        }
    }

    /// A server already listening at `base` (`http://127.0.0.1:PORT`), e.g. an example
    /// process.
    pub fn at(base: &str) -> Self {
        Self::Http {
            client: http_client(),
            base: base.to_owned(),
        }
    }

    pub async fn send(&self, req: Req) -> Resp {
        match self {
            Self::Oneshot(app) => send(app, req).await,
            Self::Http { client, base } => send_http(client, base, req).await,
        }
    }
}

/// The scheme and every auth-param of the first challenge in a `WWW-Authenticate` value,
/// parsed per RFC 9110 §11 by an independent implementation (the `http-auth` crate): what a
/// client's parser makes of it. Any further challenge must be the `DPoP` one a server with a
/// resource offers beside `Bearer` (see [`challenges`]).
pub fn challenge(value: &str) -> (String, BTreeMap<String, String>) {
    let all = challenges(value);
    let mut all = all.into_iter();
    let first = all
        .next()
        .unwrap_or_else(|| panic!("no challenge in {value:?}"));
    for (scheme, _) in all {
        assert_eq!(scheme, "DPoP", "only a DPoP challenge follows in {value:?}");
    }
    first
}

/// Every challenge of a `WWW-Authenticate` value, in order, parsed by `http-auth`.
pub fn challenges(value: &str) -> Vec<(String, BTreeMap<String, String>)> {
    http_auth::parser::ChallengeParser::new(value)
        .map(|c| {
            let c = c.unwrap_or_else(|e| panic!("{value:?} is not an RFC 9110 challenge: {e}"));
            let params = c
                .params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.to_unescaped()))
                .collect();
            (c.scheme.to_owned(), params)
        })
        .collect()
}

/// The parameters of the challenge of `scheme` (case-insensitive) in a `WWW-Authenticate`
/// value; panics if there is none.
pub fn challenge_of(value: &str, scheme: &str) -> BTreeMap<String, String> {
    challenges(value)
        .into_iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(scheme))
        .map(|(_, params)| params)
        .unwrap_or_else(|| panic!("no {scheme} challenge in {value:?}"))
}

// ---------------------------------------------------------------------------------------------
// Expectations

/// What the `scope="…"` attribute of a 403 challenge must be.
#[derive(Clone, Copy, Debug)]
pub enum Scope {
    /// Exactly this (space-separated) list.
    Named(&'static str),
    /// No `scope` attribute at all.
    Absent,
    /// Not asserted here (a dedicated test covers it).
    Unchecked,
}

/// The expected answer.
#[derive(Clone, Copy, Debug)]
pub enum Want {
    /// This status, from the handler or the fetch function: no `WWW-Authenticate` challenge.
    Status(u16),
    /// 401 without credentials: `Bearer realm=…` and no `error` attribute (RFC 6750 §3.1).
    Anonymous,
    /// 401 `invalid_token`.
    InvalidToken,
    /// 400 `invalid_request`.
    InvalidRequest,
    /// 431 `invalid_request`: a token larger than the server accepts.
    TooLarge,
    /// 403 `insufficient_scope`, with the given `scope` attribute.
    Forbidden(Scope),
}

/// `Ok` if `r` is the answer `want` describes, else what differs.
pub fn check(r: &Resp, want: Want) -> Result<(), String> {
    let fail = |what: String| {
        Err(format!(
            "{what}; got {} www-authenticate={:?} body={:?}",
            r.status,
            r.www(),
            r.body
        ))
    };
    let expected = match want {
        Want::Status(s) => s,
        Want::Anonymous | Want::InvalidToken => 401,
        Want::InvalidRequest => 400,
        Want::TooLarge => 431,
        Want::Forbidden(_) => 403,
    };
    if r.status.as_u16() != expected {
        return fail(format!("expected status {expected}"));
    }
    let www = r.www();
    let has_error = |code: &str| {
        www.is_some_and(|w| w.starts_with("Bearer") && w.contains(&format!("error=\"{code}\"")))
            && r.error().as_deref() == Some(code)
    };
    match want {
        Want::Status(_) => {
            if www.is_some() {
                return fail("expected no WWW-Authenticate challenge".to_owned());
            }
        }
        Want::Anonymous => match www {
            Some(w) if w.starts_with("Bearer") && !w.contains("error=") => {}
            _ => return fail("expected a bare Bearer challenge without error".to_owned()),
        },
        Want::InvalidToken if !has_error("invalid_token") => {
            return fail(r#"expected error="invalid_token""#.to_owned());
        }
        Want::InvalidRequest | Want::TooLarge if !has_error("invalid_request") => {
            return fail(r#"expected error="invalid_request""#.to_owned());
        }
        Want::Forbidden(scope) => {
            if !has_error("insufficient_scope") {
                return fail(r#"expected error="insufficient_scope""#.to_owned());
            }
            let attr = www
                .unwrap_or_default()
                .split(", ")
                .find_map(|p| p.strip_prefix("scope="));
            match (scope, attr) {
                (Scope::Named(s), Some(a)) if a == format!("\"{s}\"") => {}
                (Scope::Named(s), _) => return fail(format!(r#"expected scope="{s}""#)),
                (Scope::Absent, None) | (Scope::Unchecked, _) => {}
                (Scope::Absent, Some(_)) => return fail("expected no scope attribute".to_owned()),
            }
        }
        Want::InvalidToken | Want::InvalidRequest | Want::TooLarge => {}
    }
    Ok(())
}

/// Panics unless `r` is the answer `want` describes.
#[track_caller]
pub fn expect(r: &Resp, want: Want) {
    if let Err(e) = check(r, want) {
        panic!("{e}");
    }
}

/// Panics unless `r` has `status`, showing `what` and the whole answer.
#[track_caller]
pub fn expect_status(r: &Resp, status: u16, what: &str) {
    assert_eq!(r.status, status, "{what}: {r:?}");
}

/// Sends `req` and checks the answer; on mismatch, records a failure instead of panicking so
/// that a table reports every failing row at once.
pub async fn row(t: &Transport, label: &str, req: Req, want: Want, failures: &mut Vec<String>) {
    let r = t.send(req.clone()).await;
    if let Err(e) = check(&r, want) {
        failures.push(format!("[{label}] {} {}: {e}", req.method, req.uri));
    }
}

/// Panics with every recorded failure, if any.
#[track_caller]
pub fn no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} failing row(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Logs

/// Captures the `axioms` log lines of this thread's tests.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Installs a subscriber for the current thread (the `#[tokio::test]` runtime is
    /// single-threaded, so every task of the test logs here).
    pub fn capture() -> LogGuard {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("axioms=debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        LogGuard {
            logs,
            _guard: tracing::subscriber::set_default(subscriber),
        }
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct LogGuard {
    pub logs: Logs,
    _guard: tracing::subscriber::DefaultGuard,
}

impl LogGuard {
    pub fn count(&self, needle: &str) -> usize {
        self.logs.text().matches(needle).count()
    }
    pub fn line_with(&self, needle: &str) -> String {
        let text = self.logs.text();
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no log line with {needle:?} in:\n{text}"))
            .to_owned()
    }
}
