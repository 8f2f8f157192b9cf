//! axioms against things it did not write: a real OpenID provider and a second JOSE library.
//!
//! * **`oidc-provider`** (the certified Node.js OpenID Connect server, configured in
//!   `tests/oidc/provider.mjs`) runs as a child process on 127.0.0.1. Real access tokens come
//!   from its token endpoint (client-credentials grant, resource indicators, JWT access tokens
//!   signed RS256 or ES256); the tutorial example, started as its own process and configured
//!   only by discovery (`AXIOMS_ISS_URL`, `AXIOMS_DISCOVERY`, `AXIOMS_AUDIENCE`), must allow and
//!   deny them as its routes say, follow a key rotation without a restart, and keep serving
//!   from its cached keys once the provider is gone.
//! * **`jose`** (`tests/oidc/jose_tool.mjs`): tokens it signs with keys it generates (RS256,
//!   PS256, ES256, EdDSA) verify in axioms, and tokens minted by axioms' `TestIssuer` verify in
//!   `jose.jwtVerify` — so neither side's reading of the standards is only our own.
//!
//! Both need Node.js and the packages of `tests/oidc/package-lock.json`: if `node_modules` is
//! missing, the tests run `npm ci` there first (`.ci/run` does it before every run).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Axioms, Config, Issuer, Reason, TokenType, Trust};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::process::{Process, node_dir};
use common::{Resp, Transport, req};
use serde_json::{Value, json};

/// The resource server of the provider's configuration: the audience of its tokens.
const RESOURCE: &str = "https://api.axioms.test";
/// A second resource server of the same provider.
const OTHER_RESOURCE: &str = "https://other.axioms.test";

/// A client of the provider (see `CLIENTS` in `provider.mjs`).
#[derive(Clone, Copy)]
struct Client {
    id: &'static str,
    secret: &'static str,
}

/// May ask for `read:data write:data`; RS256 tokens; roles `["editor"]`.
const RS_CLIENT: Client = Client {
    id: "axioms-rs",
    secret: "axioms-rs-secret",
};
/// May ask for `read:data write:data admin`; ES256 tokens; roles `["admin"]`, permissions
/// `["resource:create"]`.
/// Exists only when the provider runs with `--alg-less-ps256`: PS256 tokens signed by an RSA
/// key published without `alg`.
const PS_CLIENT: Client = Client {
    id: "axioms-ps",
    secret: "axioms-ps-secret",
};

const ES_CLIENT: Client = Client {
    id: "axioms-es",
    secret: "axioms-es-secret",
};

// ---------------------------------------------------------------------------------------------
// Node.js: the provider and the jose tool

/// The npm packages of `tests/oidc` these tests run (see [`node_dir`]).
const PACKAGES: [&str; 2] = ["oidc-provider", "jose"];

/// Runs `jose_tool.mjs` on a list of operations; returns one result per operation.
fn jose(dir: &Path, ops: &[Value]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg("jose_tool.mjs")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node jose_tool.mjs");
    let input = serde_json::to_vec(ops).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("jose_tool output");
    writer.join().unwrap().expect("write to jose_tool");
    assert!(
        out.status.success(),
        "jose_tool failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "jose_tool printed no JSON array ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(results.len(), ops.len(), "one result per operation");
    results
}

/// `oidc-provider` running `tests/oidc/provider.mjs` (in `dir`, `tests/oidc`).
struct Provider {
    process: Process,
    api: Transport,
}

impl Provider {
    /// Starts a provider on a free port.
    fn start(dir: &Path) -> Self {
        Self::start_on(dir, 0)
    }

    /// Starts a provider on `port` (0: a free one), with a fresh key set.
    fn start_on(dir: &Path, port: u16) -> Self {
        Self::start_with(dir, port, &[])
    }

    /// Starts a provider with `provider.mjs` options (e.g. `--alg-less-ps256`).
    fn start_with(dir: &Path, port: u16, options: &[&str]) -> Self {
        let mut command = Command::new("node");
        command
            .arg("provider.mjs")
            .arg(port.to_string())
            .args(options)
            .current_dir(dir);
        let process = Process::spawn("oidc-provider", command);
        let api = Transport::at(&process.url);
        Self { process, api }
    }

    /// The issuer: exactly the URL the provider printed, `http://127.0.0.1:PORT`.
    fn issuer(&self) -> &str {
        &self.process.url
    }

    fn port(&self) -> u16 {
        self.issuer().rsplit(':').next().unwrap().parse().unwrap()
    }

    /// A client-credentials token request; the token endpoint's status and JSON answer.
    async fn request_token(&self, client: Client, resource: &str, scope: &str) -> (u16, Value) {
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("scope", scope),
        ]);
        let basic = STANDARD.encode(format!("{}:{}", client.id, client.secret));
        let r = self
            .api
            .send(
                req("POST", "/token")
                    .authorization(&format!("Basic {basic}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .raw_body(&body),
            )
            .await;
        let json = serde_json::from_str(&r.body)
            .unwrap_or_else(|e| panic!("token endpoint answered {} {}: {e}", r.status, r.body));
        (r.status.as_u16(), json)
    }

    /// An access token for `client`, `resource` and `scope` (space-separated).
    async fn token(&self, client: Client, resource: &str, scope: &str) -> String {
        let (status, answer) = self.request_token(client, resource, scope).await;
        assert_eq!(status, 200, "token for {} {scope}: {answer}", client.id);
        assert_eq!(answer["token_type"], "Bearer", "{answer}");
        answer["access_token"].as_str().unwrap().to_owned()
    }

    async fn admin(&self, method: &str, path: &str) -> Value {
        let r = self.api.send(req(method, path)).await;
        assert_eq!(r.status, 200, "{path}");
        r.json()
    }

    /// Rotates through the HTTP admin route: a new `alg` key signs from now on; the old keys
    /// stay published. Returns the new kid.
    async fn rotate(&self, alg: &str) -> String {
        let answer = self
            .admin("POST", &format!("/admin/rotate?alg={alg}"))
            .await;
        answer["kid"].as_str().unwrap().to_owned()
    }

    /// The kids of the provider's key set, the signing ones first.
    async fn kids(&self) -> Vec<String> {
        let answer = self.admin("GET", "/admin/keys").await;
        answer["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    /// How many times the JWKS was fetched.
    async fn jwks_fetches(&self) -> u64 {
        let stats = self.admin("GET", "/admin/stats").await;
        stats["jwks"].as_u64().unwrap()
    }
}

/// `application/x-www-form-urlencoded`.
fn form(pairs: &[(&str, &str)]) -> String {
    let encode = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

// ---------------------------------------------------------------------------------------------
// The tutorial example, configured by discovery

/// The tutorial example, protecting [`RESOURCE`] for `issuer` found by discovery.
struct Tutorial {
    process: Process,
    api: Transport,
    _cwd: tempfile::TempDir,
}

impl Tutorial {
    /// Starts the tutorial for `issuer`; `extra` adds or overrides variables.
    fn start(issuer: &str, extra: &[(&str, &str)]) -> Self {
        // An empty directory: no `.env` of the developer's is read.
        let cwd = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("RUST_LOG", "info,axioms=debug".to_owned()),
            ("AXIOMS_ISS_URL", issuer.to_owned()),
            ("AXIOMS_DISCOVERY", "true".to_owned()),
            ("AXIOMS_AUDIENCE", RESOURCE.to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let process = Process::example("tutorial", &env, cwd.path());
        let output = process.output();
        assert!(
            output.contains(issuer) && !output.contains("DEVELOPMENT MODE"),
            "the tutorial is not in production mode for {issuer}:\n{output}"
        );
        let api = Transport::at(&process.url);
        Self {
            process,
            api,
            _cwd: cwd,
        }
    }

    /// Asserts the status of one of its answers, showing the server's log if it differs.
    #[track_caller]
    fn check(&self, resp: &Resp, status: u16, what: &str) {
        assert_eq!(
            resp.status,
            status,
            "{what}: {resp:?}\ntutorial output:\n{}",
            self.process.output()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Token surgery

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).expect("segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).expect("base64url")).expect("JSON")
}

fn header(token: &str) -> Value {
    segment(token, 0)
}

fn payload(token: &str) -> Value {
    segment(token, 1)
}

/// The token with its payload changed by `edit`, the header and signature kept.
fn with_payload(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = payload(token);
    edit(&mut claims);
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    format!("{}.{claims}.{}", parts[0], parts[2])
}

/// The token with its header changed by `edit`, the payload and signature kept.
fn with_header(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut head = header(token);
    edit(&mut head);
    let head = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&head).unwrap());
    format!("{head}.{}.{}", parts[1], parts[2])
}

/// The token with one bit of its signature flipped.
fn with_bad_signature(token: &str) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[0] ^= 1;
    format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .try_into()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// The tutorial against oidc-provider

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_allows_and_denies_real_provider_tokens() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "tutorial_allows_and_denies_real_provider_tokens",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    let tutorial = Tutorial::start(provider.issuer(), &[]);

    // The provider issues what a resource server expects (RFC 9068).
    let rs_read = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let head = header(&rs_read);
    assert_eq!(
        (&head["alg"], &head["typ"]),
        (&json!("RS256"), &json!("at+jwt"))
    );
    let claims = payload(&rs_read);
    assert_eq!(claims["iss"], provider.issuer());
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["sub"], RS_CLIENT.id);
    assert_eq!(claims["scope"], "read:data");

    // Allowed: a valid token; a scope the token has.
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&rs_read))
        .await;
    tutorial.check(&r, 200, "GET /protected, RS256 token");
    assert_eq!(r.json()["user_id"], RS_CLIENT.id);
    assert_eq!(r.json()["issuer"], provider.issuer());
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&rs_read))
        .await;
    tutorial.check(&r, 200, "GET /api/read with read:data");
    assert_eq!(r.json()["user_scopes"], json!(["read:data"]));
    let r = tutorial.api.send(req("GET", "/me").bearer(&rs_read)).await;
    tutorial.check(&r, 200, "GET /me");
    assert_eq!(r.json()["roles"], json!(["editor"]));

    // ES256, with roles and permissions from the provider's extra token claims.
    let es_admin = provider.token(ES_CLIENT, RESOURCE, "admin").await;
    assert_eq!(header(&es_admin)["alg"], "ES256");
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&es_admin))
        .await;
    tutorial.check(&r, 200, "GET /api/read with admin (ES256)");
    let r = tutorial
        .api
        .send(req("GET", "/admin/users").bearer(&es_admin))
        .await;
    tutorial.check(&r, 200, "GET /admin/users as admin");
    let r = tutorial
        .api
        .send(req("POST", "/api/resource").bearer(&es_admin))
        .await;
    tutorial.check(&r, 201, "POST /api/resource with resource:create");
    assert_eq!(r.json()["created_by"], ES_CLIENT.id);

    // Denied, 403: a scope, a role or a permission the token lacks.
    let rs_write = provider.token(RS_CLIENT, RESOURCE, "write:data").await;
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&rs_write))
        .await;
    tutorial.check(&r, 403, "GET /api/read with write:data only");
    assert!(
        r.header("www-authenticate")
            .contains(r#"error="insufficient_scope""#),
        "{r:?}"
    );
    assert!(r.header("www-authenticate").contains("read:data"), "{r:?}");
    let r = tutorial
        .api
        .send(req("GET", "/api/write").bearer(&rs_write))
        .await;
    tutorial.check(&r, 403, "GET /api/write without openid");
    let r = tutorial
        .api
        .send(req("GET", "/admin/users").bearer(&rs_read))
        .await;
    tutorial.check(&r, 403, "GET /admin/users as editor");
    let r = tutorial
        .api
        .send(req("POST", "/api/resource").bearer(&rs_read))
        .await;
    tutorial.check(&r, 403, "POST /api/resource without permission");
    // The provider itself refuses a scope the client may not ask for.
    let (status, answer) = provider.request_token(RS_CLIENT, RESOURCE, "admin").await;
    assert_eq!((status, &answer["error"]), (400, &json!("invalid_scope")));

    // Denied, 401: tampered tokens, a token for another resource, no token.
    let escalated = with_payload(&rs_read, |c| c["scope"] = json!("read:data admin"));
    let bad_sig = with_bad_signature(&rs_read);
    let other = provider.token(RS_CLIENT, OTHER_RESOURCE, "read:data").await;
    assert_eq!(payload(&other)["aud"], OTHER_RESOURCE);
    for (token, what) in [
        (&escalated, "payload changed (scope added)"),
        (&bad_sig, "signature bit flipped"),
        (&other, "token for another resource"),
    ] {
        for path in ["/protected", "/api/read"] {
            let r = tutorial.api.send(req("GET", path).bearer(token)).await;
            tutorial.check(&r, 401, &format!("GET {path}, {what}"));
            assert!(
                r.header("www-authenticate")
                    .contains(r#"error="invalid_token""#),
                "{r:?}"
            );
        }
    }
    let r = tutorial.api.send(req("GET", "/protected")).await;
    tutorial.check(&r, 401, "no token");

    // The original tokens are still fine after all that.
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&rs_read))
        .await;
    tutorial.check(&r, 200, "GET /protected again");
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_follows_key_rotation_without_restart() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "tutorial_follows_key_rotation_without_restart",
    ) else {
        return;
    };
    const COOLDOWN: Duration = Duration::from_secs(2);
    let provider = Provider::start(&dir);
    let tutorial = Tutorial::start(
        provider.issuer(),
        &[("AXIOMS_JWKS_COOLDOWN_SECS", &COOLDOWN.as_secs().to_string())],
    );

    let before = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let old_kid = header(&before)["kid"].as_str().unwrap().to_owned();
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&before))
        .await;
    tutorial.check(&r, 200, "token signed before the rotation");
    let fetches = provider.jwks_fetches().await;
    assert!(fetches >= 1, "the tutorial fetched the provider's JWKS");

    // Rotation through the admin route: a new RS256 key signs, the old one stays published.
    let new_kid = provider.rotate("RS256").await;
    assert_ne!(new_kid, old_kid);
    assert_eq!(
        provider.kids().await[..2],
        [new_kid.clone(), old_kid.clone()]
    );
    let after = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&after)["kid"], new_kid.as_str());

    // The first use of the new kid makes the tutorial fetch the key set again: accepted at once.
    let first_use = Instant::now();
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&after))
        .await;
    tutorial.check(&r, 200, "first token signed by the rotated-in key");
    assert!(
        provider.jwks_fetches().await > fetches,
        "the unknown kid caused no JWKS fetch"
    );
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&after))
        .await;
    tutorial.check(&r, 200, "rotated-in key, scope route");
    // The old key is still published: tokens signed before the rotation keep working, and so
    // does a token of the old key the tutorial has never seen (no token cache involved).
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&before))
        .await;
    tutorial.check(&r, 200, "old token after the rotation");
    let es = provider.token(ES_CLIENT, RESOURCE, "read:data").await;
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&es))
        .await;
    tutorial.check(&r, 200, "ES256 key untouched by the RS256 rotation");

    // A second rotation (ES256 this time, by the admin route) and a third (RS256, by SIGUSR2):
    // each new key is accepted at most one cooldown after the previous refetch.
    let es_kid = provider.rotate("ES256").await;
    let es_after = provider.token(ES_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&es_after)["kid"], es_kid.as_str());
    assert_eq!(header(&es_after)["alg"], "ES256");
    accepted_within(
        &tutorial,
        &es_after,
        first_use + COOLDOWN + Duration::from_secs(5),
    )
    .await;

    let kids_before_signal = provider.kids().await;
    provider.process.signal("USR2");
    let deadline = Instant::now() + Duration::from_secs(10);
    let signalled_kid = loop {
        let kids = provider.kids().await;
        if kids.len() > kids_before_signal.len() {
            break kids[0].clone();
        }
        assert!(Instant::now() < deadline, "SIGUSR2 rotated no key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let signalled = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&signalled)["kid"], signalled_kid.as_str());
    accepted_within(
        &tutorial,
        &signalled,
        Instant::now() + COOLDOWN + Duration::from_secs(5),
    )
    .await;

    // Every token of every generation still verifies: no key was retired.
    for (token, what) in [
        (&before, "first RS256 key"),
        (&after, "second RS256 key"),
        (&es, "first ES256 key"),
        (&es_after, "second ES256 key"),
        (&signalled, "third RS256 key"),
    ] {
        let r = tutorial
            .api
            .send(req("GET", "/protected").bearer(token))
            .await;
        tutorial.check(&r, 200, what);
    }
    // A kid the provider never published is still refused.
    let forged = with_header(&after, |h| h["kid"] = json!("never-published"));
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&forged))
        .await;
    tutorial.check(&r, 401, "unknown kid");
}

/// Retries `GET /protected` with `token` until 200, failing after `deadline`. A refusal
/// before then must be a 401 (the unknown-kid cooldown), never anything else.
async fn accepted_within(tutorial: &Tutorial, token: &str, deadline: Instant) {
    loop {
        let r = tutorial
            .api
            .send(req("GET", "/protected").bearer(token))
            .await;
        if r.status == 200 {
            return;
        }
        tutorial.check(&r, 401, "new kid inside the cooldown");
        assert!(
            Instant::now() < deadline,
            "a newly published key was still refused after the cooldown: {r:?}\n{}",
            tutorial.process.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_keeps_working_when_the_provider_stops() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "tutorial_keeps_working_when_the_provider_stops",
    ) else {
        return;
    };
    let mut provider = Provider::start(&dir);
    let port = provider.port();
    let issuer = provider.issuer().to_owned();
    let tutorial = Tutorial::start(&issuer, &[("AXIOMS_JWKS_COOLDOWN_SECS", "1")]);

    let used = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let unused_rs = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let unused_es = provider.token(ES_CLIENT, RESOURCE, "admin").await;
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&used))
        .await;
    tutorial.check(&r, 200, "before the provider stops");

    // The provider dies without a word.
    provider.process.kill();
    let refused = common::http_client()
        .get(format!("{issuer}/jwks"))
        .send()
        .await;
    assert!(refused.is_err(), "the provider still answers");

    // Cached keys keep verifying: the token seen before, and tokens never seen (so not from
    // the token cache), RS256 and ES256, on every kind of route.
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&used))
        .await;
    tutorial.check(&r, 200, "token used before the stop");
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&unused_rs))
        .await;
    tutorial.check(&r, 200, "RS256 token never presented before");
    let r = tutorial
        .api
        .send(req("GET", "/admin/users").bearer(&unused_es))
        .await;
    tutorial.check(&r, 200, "ES256 token never presented before");
    // Still refused: a forged token, and an unknown kid (the refetch fails fast, 401 not 5xx).
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&with_bad_signature(&used)))
        .await;
    tutorial.check(&r, 401, "bad signature while the provider is down");
    let started = Instant::now();
    let forged = with_header(&used, |h| h["kid"] = json!("unknown-while-down"));
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&forged))
        .await;
    tutorial.check(&r, 401, "unknown kid while the provider is down");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an unknown kid with the provider down took {:?}",
        started.elapsed()
    );
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&used))
        .await;
    tutorial.check(&r, 200, "a failed refetch does not drop the cached keys");

    // The provider comes back on the same port with a new key set: its tokens are accepted
    // (one cooldown at most), and those of the vanished keys are refused once the new set is in.
    let provider = Provider::start_on(&dir, port);
    assert_eq!(provider.issuer(), issuer);
    let fresh = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_ne!(header(&fresh)["kid"], header(&used)["kid"]);
    accepted_within(&tutorial, &fresh, Instant::now() + Duration::from_secs(10)).await;
    for (token, what) in [(&used, "RS256"), (&unused_es, "ES256")] {
        let r = tutorial
            .api
            .send(req("GET", "/protected").bearer(token))
            .await;
        tutorial.check(
            &r,
            401,
            &format!("{what} token of a key no longer published"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// axioms::Axioms against oidc-provider, directly

#[tokio::test(flavor = "multi_thread")]
async fn axioms_verifies_provider_tokens_directly() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "axioms_verifies_provider_tokens_directly",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    // Strict RFC 9068: oidc-provider's access tokens carry every required claim and `at+jwt`.
    let config = Config::builder(
        Issuer::builder()
            .issuer(provider.issuer())
            .audience(RESOURCE)
            .discovery(true)
            .token_type(TokenType::Rfc9068),
    )
    .build()
    .unwrap();
    let axioms = Axioms::new(config).unwrap();
    assert!(axioms.ready(Duration::from_secs(10)).await, "keys loaded");
    assert_eq!(axioms.key_count(), 2, "RS256 and ES256");

    for (client, scope) in [
        (RS_CLIENT, "read:data write:data"),
        (ES_CLIENT, "admin read:data"),
    ] {
        let token = provider.token(client, RESOURCE, scope).await;
        let claims = axioms
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{} token refused: {}", client.id, e.reason()));
        assert_eq!(claims.subject(), Some(client.id));
        assert_eq!(claims.client_id(), Some(client.id));
        assert_eq!(claims.issuer(), Some(provider.issuer()));
        assert_eq!(claims.audience(), [Box::from(RESOURCE)]);
        let mut scopes: Vec<&str> = claims.scopes().iter().map(AsRef::as_ref).collect();
        scopes.sort_unstable();
        let mut want: Vec<&str> = scope.split(' ').collect();
        want.sort_unstable();
        assert_eq!(scopes, want);
    }
    let token = provider.token(ES_CLIENT, RESOURCE, "admin").await;
    let claims = axioms.verify(&token).await.unwrap();
    assert!(claims.has_role("admin") && claims.has_permission("resource:create"));

    let other = provider.token(RS_CLIENT, OTHER_RESOURCE, "read:data").await;
    let refused = |token: String, reason: Reason| {
        let axioms = axioms.clone();
        async move {
            let err = axioms.verify(&token).await.err();
            assert_eq!(err.map(|e| e.reason()), Some(reason), "{token}");
        }
    };
    refused(other, Reason::AudienceMismatch).await;
    refused(with_bad_signature(&token), Reason::InvalidSignature).await;
    refused(
        with_payload(&token, |c| c["sub"] = json!("someone-else")),
        Reason::InvalidSignature,
    )
    .await;
    refused(
        with_header(&token, |h| h["typ"] = json!("JWT")),
        Reason::InvalidType,
    )
    .await;

    // The issuer must match the provider's exactly: with a trailing slash, discovery is
    // refused (the document names `http://127.0.0.1:PORT`), so no key is ever loaded.
    let slash = Config::builder(
        Issuer::builder()
            .issuer(format!("{}/", provider.issuer()))
            .audience(RESOURCE)
            .discovery(true),
    )
    .build()
    .unwrap();
    let slash = Axioms::new(slash).unwrap();
    assert!(!slash.ready(Duration::from_secs(2)).await);
    let err = slash.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::KeysUnavailable);
}

/// oidc-provider signing PS256 with an RSA key published without `alg` (FAPI-style): refused
/// by default with the mismatch named, accepted with `rsa_key_alg(PS256)`.
#[tokio::test(flavor = "multi_thread")]
async fn alg_less_ps256_keys_of_a_real_provider() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "alg_less_ps256_keys_of_a_real_provider") else {
        return;
    };
    let provider = Provider::start_with(&dir, 0, &["--alg-less-ps256"]);
    let token = provider.token(PS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&token)["alg"], "PS256");
    let kid = header(&token)["kid"].as_str().unwrap().to_owned();
    let jwks = provider.api.send(req("GET", "/jwks")).await.json();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    assert!(
        key.get("alg").is_none(),
        "the signing key has no alg: {key}"
    );

    let config = |rsa_alg: Option<Algorithm>| {
        let issuer = Issuer::builder()
            .issuer(provider.issuer())
            .audience(RESOURCE)
            .discovery(true);
        let issuer = match rsa_alg {
            Some(alg) => issuer.rsa_key_alg(alg),
            None => issuer,
        };
        Config::builder(issuer).build().unwrap()
    };
    let default = Axioms::new(config(None)).unwrap();
    let err = default.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AlgorithmKeyMismatch);
    let configured = Axioms::new(config(Some(Algorithm::PS256))).unwrap();
    let claims = configured.verify(&token).await.unwrap();
    assert_eq!(claims.subject(), Some(PS_CLIENT.id));
    // The provider's RS256 and ES256 tokens still verify: keys that name their alg keep it.
    for client in [RS_CLIENT, ES_CLIENT] {
        let token = provider.token(client, RESOURCE, "read:data").await;
        assert!(configured.verify(&token).await.is_ok(), "{}", client.id);
    }
}

// ---------------------------------------------------------------------------------------------
// The independent JOSE implementation

const JOSE_ALGS: [&str; 5] = ["RS256", "PS256", "ES256", "ES512", "EdDSA"];

/// Tokens signed by `jose`, with keys `jose` generated, served by a `TestIssuer`.
#[tokio::test(flavor = "multi_thread")]
async fn jose_signed_tokens_verify_in_axioms() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "jose_signed_tokens_verify_in_axioms") else {
        return;
    };
    let issuer = TestIssuer::start().await;
    let keygen: Vec<Value> = JOSE_ALGS
        .iter()
        .map(|alg| json!({"op": "keygen", "alg": alg, "kid": format!("jose-{alg}")}))
        .chain([json!({"op": "keygen", "alg": "RS256", "kid": "jose-unpublished"})])
        .collect();
    let keys = jose(&dir, &keygen);
    let published: Vec<Value> = keys[..JOSE_ALGS.len()]
        .iter()
        .map(|k| k["public"].clone())
        .collect();
    for key in &published {
        assert!(key.get("d").is_none(), "a private member in {key}");
    }
    issuer.set_jwks(Some(json!({ "keys": published })));

    let now = now();
    let claims = |sub: &str| {
        json!({
            "iss": issuer.issuer(), "aud": "jose-api", "sub": sub, "client_id": "jose",
            "iat": now, "exp": now + 600, "jti": format!("jti-{sub}"), "scope": "read:data",
        })
    };
    let mut ops: Vec<Value> = JOSE_ALGS
        .iter()
        .zip(&keys)
        .map(|(alg, key)| {
            json!({"op": "sign", "jwk": key["private"], "alg": alg, "claims": claims(&format!("sub-{alg}"))})
        })
        .collect();
    // Ones axioms must refuse: an unpublished key, an expired token, another audience, a
    // `kid` naming an ES256 key on an RS256 signature, a token valid only in an hour.
    let rs = &keys[0]["private"];
    let mut expired = claims("expired");
    expired["exp"] = json!(now - 3600);
    expired["iat"] = json!(now - 7200);
    let mut elsewhere = claims("elsewhere");
    elsewhere["aud"] = json!("another-api");
    let mut early = claims("early");
    early["nbf"] = json!(now + 3600);
    ops.extend([
        json!({"op": "sign", "jwk": keys[JOSE_ALGS.len()]["private"], "alg": "RS256", "claims": claims("unpublished")}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": expired}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": elsewhere}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": claims("mismatch"), "header": {"kid": "jose-ES256"}}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": early}),
    ]);
    let signed: Vec<String> = jose(&dir, &ops)
        .iter()
        .map(|r| r["token"].as_str().unwrap().to_owned())
        .collect();

    let config = issuer.config("jose-api").build().unwrap();
    let axioms = Axioms::new(config).unwrap();
    assert!(axioms.ready(Duration::from_secs(10)).await);
    assert_eq!(axioms.key_count(), JOSE_ALGS.len());
    for (alg, token) in JOSE_ALGS.iter().zip(&signed) {
        assert_eq!(header(token)["alg"], *alg);
        let claims = axioms
            .verify(token)
            .await
            .unwrap_or_else(|e| panic!("jose {alg} token refused: {}", e.reason()));
        assert_eq!(claims.subject(), Some(format!("sub-{alg}").as_str()));
        assert!(claims.has_scope("read:data"));
        // And the same bytes, altered, are refused.
        let err = axioms.verify(&with_bad_signature(token)).await.unwrap_err();
        assert_eq!(err.reason(), Reason::InvalidSignature, "{alg}");
    }
    let expected = [
        Reason::UnknownKid,
        Reason::Expired,
        Reason::AudienceMismatch,
        Reason::AlgorithmKeyMismatch,
        Reason::NotYetValid,
    ];
    for (token, reason) in signed[JOSE_ALGS.len()..].iter().zip(expected) {
        let err = axioms.verify(token).await.err();
        assert_eq!(err.map(|e| e.reason()), Some(reason), "{}", payload(token));
    }
}

/// Tokens minted by axioms' `TestIssuer`, with every algorithm axioms supports, verify in
/// `jose.jwtVerify`; altered ones do not.
#[tokio::test(flavor = "multi_thread")]
async fn test_issuer_tokens_verify_in_jose() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "test_issuer_tokens_verify_in_jose") else {
        return;
    };
    let issuer = TestIssuer::start_with(&Algorithm::ALL).await;
    let jwks = issuer.public_jwks();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), Algorithm::ALL.len());
    let tokens: Vec<(Algorithm, String)> = Algorithm::ALL
        .iter()
        .enumerate()
        .map(|(i, alg)| {
            let token = issuer
                .token()
                .signed_with(&format!("key-{}", i + 1))
                .subject(&format!("sub-{}", alg.as_str()))
                .scope("read:data")
                .sign();
            assert_eq!(header(&token)["alg"], alg.as_str());
            (*alg, token)
        })
        .collect();
    let verify = |token: &str| {
        json!({
            "op": "verify", "token": token, "jwks": jwks, "issuer": issuer.issuer(),
            "audience": "test-api", "typ": "at+jwt",
        })
    };
    let mut ops: Vec<Value> = tokens.iter().map(|(_, t)| verify(t)).collect();
    // Altered tokens, which jose must refuse too (the check is not vacuous).
    let rs = &tokens[0].1;
    let forged_alg = issuer
        .token()
        .signed_with("key-1")
        .header("alg", json!("RS512"))
        .signature_alg(Algorithm::RS256)
        .sign();
    ops.extend([
        verify(&with_payload(rs, |c| c["sub"] = json!("mallory"))),
        verify(&with_bad_signature(&tokens[6].1)),
        verify(&forged_alg),
        verify(&issuer.token().signed_with("key-1").audience("other").sign()),
    ]);
    let results = jose(&dir, &ops);
    for ((alg, _), result) in tokens.iter().zip(&results) {
        assert_eq!(
            result["ok"],
            true,
            "jose refused axioms' {} token: {result}",
            alg.as_str()
        );
        assert_eq!(result["header"]["alg"], alg.as_str());
        assert_eq!(
            result["payload"]["sub"],
            format!("sub-{}", alg.as_str()),
            "{result}"
        );
        assert_eq!(result["payload"]["scope"], "read:data");
    }
    let refusals = &results[tokens.len()..];
    for (result, code) in refusals.iter().zip([
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWKS_NO_MATCHING_KEY",
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    ]) {
        assert_eq!(
            result["ok"], false,
            "jose accepted an altered token: {result}"
        );
        assert_eq!(result["code"], code, "{result}");
    }
}

// ---------------------------------------------------------------------------------------------
// DPoP: oidc-provider binds the tokens, npm `dpop` makes the proofs

/// Runs `dpop_client.mjs` with `input`; returns its report.
fn dpop_client(dir: &Path, input: &Value) -> Value {
    let mut child = Command::new("node")
        .arg("dpop_client.mjs")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node dpop_client.mjs");
    let bytes = serde_json::to_vec(input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("dpop_client output");
    writer.join().unwrap().expect("write to dpop_client");
    assert!(
        out.status.success(),
        "dpop_client failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dpop_client printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_takes_dpop_bound_tokens_of_a_real_provider_and_client() {
    let Some(dir) = node_dir(
        "oidc",
        &["oidc-provider", "jose", "dpop"],
        "tutorial_takes_dpop_bound_tokens_of_a_real_provider_and_client",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    let nonce_secret = URL_SAFE_NO_PAD.encode([7u8; 32]);
    for with_nonces in [false, true] {
        // The tutorial on http://127.0.0.1:PORT is the resource `https://api.axioms.test`, as
        // behind a TLS-terminating proxy: proofs name the public URL, never the socket's.
        let mut extra = vec![("AXIOMS_RESOURCE", RESOURCE)];
        if with_nonces {
            extra.push(("AXIOMS_DPOP_NONCE_SECRET", &nonce_secret));
        }
        let tutorial = Tutorial::start(provider.issuer(), &extra);
        let report = dpop_client(
            &dir,
            &json!({
                "issuer": provider.issuer(),
                "client_id": ES_CLIENT.id,
                "client_secret": ES_CLIENT.secret,
                "resource": RESOURCE,
                "scope": "read:data",
                "api": tutorial.process.url,
                "origin": RESOURCE,
                "path": "/api/read",
                "nonce_expected": with_nonces,
            }),
        );
        let mode = if with_nonces {
            "with nonces"
        } else {
            "without nonces"
        };
        assert_eq!(report["token_type"], "DPoP", "{mode}: {report}");
        assert_eq!(
            report["cnf_matches"], true,
            "{mode}: cnf.jkt is the key's thumbprint"
        );
        assert_eq!(report["nonce"].is_string(), with_nonces, "{mode}: {report}");

        // Case, status, and the scheme and error code of the challenge.
        type Expected<'a> = (&'a str, u16, Option<(&'a str, &'a str)>);
        let mut expected: Vec<Expected<'_>> = vec![
            ("accepted", 200, None),
            ("a second proof", 200, None),
            ("Ed25519 accepted", 200, None),
            ("replayed jti", 401, Some(("DPoP", "invalid_dpop_proof"))),
            ("token as Bearer", 401, Some(("Bearer", "invalid_token"))),
            (
                "token as Bearer with a proof",
                401,
                Some(("Bearer", "invalid_token")),
            ),
            ("no proof", 401, Some(("DPoP", "invalid_dpop_proof"))),
            (
                "two DPoP headers",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            ("wrong htm", 401, Some(("DPoP", "invalid_dpop_proof"))),
            (
                "htu of another host",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            (
                "htu of another port",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            (
                "htu of another path",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            (
                "ath of another token",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            ("proof of another key", 401, Some(("DPoP", "invalid_token"))),
            ("old iat", 401, Some(("DPoP", "invalid_dpop_proof"))),
            ("alg none", 401, Some(("DPoP", "invalid_dpop_proof"))),
            ("HS256", 401, Some(("DPoP", "invalid_dpop_proof"))),
            (
                "private key in jwk",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
        ];
        if with_nonces {
            expected.push(("without the nonce", 401, Some(("DPoP", "use_dpop_nonce"))));
        }
        let cases = report["cases"].as_array().unwrap();
        assert_eq!(cases.len(), expected.len(), "{mode}: {report}");
        let mut failures = Vec::new();
        for (case, status, error) in expected {
            let Some(got) = cases.iter().find(|c| c["case"] == case) else {
                failures.push(format!("{case}: not run"));
                continue;
            };
            if got["status"] != status {
                failures.push(format!(
                    "{case}: status {} (want {status}): {got}",
                    got["status"]
                ));
                continue;
            }
            let www = got["www"].as_str().unwrap_or_default();
            match error {
                None if !www.is_empty() => failures.push(format!("{case}: challenge {www}")),
                None => {}
                Some((scheme, code)) => {
                    let params = common::challenge_of(www, scheme);
                    if params.get("error").map(String::as_str) != Some(code) {
                        failures.push(format!("{case}: want {scheme} error={code}: {www}"));
                    }
                    if !common::challenge_of(www, "DPoP").contains_key("algs") {
                        failures.push(format!("{case}: no algs in {www}"));
                    }
                    if code == "use_dpop_nonce" && !got["nonce"].is_string() {
                        failures.push(format!("{case}: no DPoP-Nonce header"));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{mode}:\n{}\ntutorial output:\n{}",
            failures.join("\n"),
            tutorial.process.output()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Several issuers, opaque tokens, self-issued tokens (issue: several issuers and every kind of
// credential). The in-process cases are in tests/issuers.rs.

/// The provider's resource whose access tokens are opaque (only introspection reads them).
const OPAQUE_RESOURCE: &str = "https://opaque.axioms.test";
/// The resource server's own client at the provider: it may introspect any token.
const INTROSPECTOR: Client = Client {
    id: "axioms-introspector",
    secret: "axioms-introspector-secret",
};

impl Provider {
    /// The provider's request counts (`jwks`, `discovery`, `token`, `introspection`,
    /// `revocation`).
    async fn stats(&self) -> Value {
        self.admin("GET", "/admin/stats").await
    }

    /// Revokes `client`'s own token (RFC 7009).
    async fn revoke(&self, client: Client, token: &str) {
        let basic = STANDARD.encode(format!("{}:{}", client.id, client.secret));
        let r = self
            .api
            .send(
                req("POST", "/token/revocation")
                    .authorization(&format!("Basic {basic}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .raw_body(&form(&[("token", token)])),
            )
            .await;
        assert_eq!(r.status, 200, "revocation: {r:?}");
    }
}

/// Who vouched for the token: the trusted issuer, as configured.
async fn vouched(claims: axioms::Claims) -> String {
    claims.vouched_by().unwrap_or("nobody").to_owned()
}

#[axioms::protected(scopes = "read:data")]
async fn read_data(claims: axioms::Claims) -> String {
    format!(
        "{} {} {}",
        claims.issuer().unwrap_or("nobody"),
        claims.subject().unwrap_or("-"),
        claims.roles().join(",")
    )
}

/// A note of the first provider's client `axioms-rs` (a plain `sub`: the primary directory).
struct Note {
    owner: &'static str,
}

async fn note() -> Option<Note> {
    Some(Note {
        owner: RS_CLIENT.id,
    })
}

#[axioms::protected(owner(fetch = note, field = "owner"), state = Axioms)]
async fn open_note() -> &'static str {
    "the note"
}

fn issuers_app(axioms: Axioms) -> axum::Router {
    axum::Router::new()
        .route("/whom", axum::routing::get(vouched))
        .route("/data", axum::routing::get(read_data))
        .route("/note", axum::routing::get(open_note))
        .with_state(axioms)
}

/// Two real oidc-provider instances (two issuers, two key sets) behind one verifier: A is the
/// primary, B a partner that the operator trusts for `read_data` and `open_note` only.
#[tokio::test(flavor = "multi_thread")]
async fn two_real_issuers_in_one_verifier() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "two_real_issuers_in_one_verifier") else {
        return;
    };
    let a = Provider::start(&dir);
    let b = Provider::start(&dir);
    let trusted = |p: &Provider| {
        Issuer::builder()
            .issuer(p.issuer())
            .audience(RESOURCE)
            .discovery(true)
    };
    let config = Config::builder(trusted(&a))
        .trust(
            "b",
            trusted(&b),
            Trust::partner_for(["read_data", "open_note"]),
        )
        .build()
        .unwrap();
    let axioms = Axioms::new(config).unwrap();
    assert!(
        axioms.ready(Duration::from_secs(10)).await,
        "both key sets loaded"
    );
    let app = Transport::oneshot(issuers_app(axioms.clone()));

    let token_a = a.token(RS_CLIENT, RESOURCE, "read:data").await;
    let token_b = b.token(ES_CLIENT, RESOURCE, "read:data").await;
    for (token, provider, client, roles, vouched) in [
        (&token_a, &a, RS_CLIENT, "editor", "primary"),
        (&token_b, &b, ES_CLIENT, "admin", "b"),
    ] {
        let r = app.send(req("GET", "/data").bearer(token)).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(
            r.body,
            format!("{} {} {roles}", provider.issuer(), client.id)
        );
        let claims = axioms.verify(token).await.unwrap();
        assert_eq!(claims.vouched_by(), Some(vouched));
    }
    // A route without a policy is not extended to B: its `Claims` extractor refuses B's token.
    let r = app.send(req("GET", "/whom").bearer(&token_b)).await;
    assert_eq!(r.status, 403, "{r:?}");
    let r = app.send(req("GET", "/whom").bearer(&token_a)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "primary"));

    // B mints a token for A's subject (its own `axioms-rs` client): it verifies with B's
    // keys, and still cannot open A's `axioms-rs`'s note, though the route is extended to B.
    let b_as_a = b.token(RS_CLIENT, RESOURCE, "read:data").await;
    let claims = axioms.verify(&b_as_a).await.unwrap();
    assert_eq!(claims.subject(), Some(RS_CLIENT.id));
    assert_eq!(claims.vouched_by(), Some("b"));
    let r = app.send(req("GET", "/note").bearer(&b_as_a)).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(r.error().as_deref(), Some("insufficient_scope"));
    let r = app.send(req("GET", "/note").bearer(&token_a)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "the note"));

    // A's token naming a kid that only B publishes: refused, and B is never asked.
    let (a_stats, b_stats) = (a.stats().await, b.stats().await);
    let b_kid = b.kids().await.remove(0);
    assert!(!a.kids().await.contains(&b_kid));
    let forged = with_header(&token_a, |h| h["kid"] = json!(b_kid));
    let err = axioms.verify(&forged).await.unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKid);
    // An `iss` nobody trusts: refused before any key lookup, no fetch anywhere.
    let a_before_stranger = a.stats().await;
    let stranger = with_payload(&token_a, |c| c["iss"] = json!("http://127.0.0.1:9"));
    let r = app.send(req("GET", "/whom").bearer(&stranger)).await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"));
    assert_eq!(
        axioms.verify(&stranger).await.unwrap_err().reason(),
        Reason::IssuerMismatch
    );
    let (a_after, b_after) = (a.stats().await, b.stats().await);
    assert_eq!(b_after["jwks"], b_stats["jwks"], "no JWKS fetch at B");
    assert_eq!(
        b_after["discovery"], b_stats["discovery"],
        "no discovery at B"
    );
    // The forged kid may refetch at A once (cooldown-limited); the stranger costs nothing.
    assert!(a_after["jwks"].as_u64() <= a_stats["jwks"].as_u64().map(|n| n + 1));
    assert_eq!(
        a_after["jwks"], a_before_stranger["jwks"],
        "no JWKS fetch at A"
    );
    assert_eq!(a_after["discovery"], a_before_stranger["discovery"]);

    // A goes away: B's new tokens keep working.
    drop(a);
    let fresh_b = b.token(RS_CLIENT, RESOURCE, "read:data").await;
    let r = app.send(req("GET", "/data").bearer(&fresh_b)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.starts_with(b.issuer()), "{r:?}");
}

/// Opaque access tokens through oidc-provider's real introspection endpoint (RFC 7662).
#[tokio::test(flavor = "multi_thread")]
async fn opaque_tokens_through_a_real_introspection_endpoint() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "opaque_tokens_through_a_real_introspection_endpoint",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    const BOUND: Duration = Duration::from_secs(2);
    let config = Config::builder(
        Issuer::builder()
            .issuer(provider.issuer())
            .audience(OPAQUE_RESOURCE)
            .discovery(true)
            // The endpoint is discovered (`introspection_endpoint`); revoked tokens work at
            // most BOUND longer.
            .introspection(INTROSPECTOR.id, INTROSPECTOR.secret)
            .introspection_cache(BOUND, Duration::from_secs(1)),
    )
    .build()
    .unwrap();
    let axioms = Axioms::new(config).unwrap();
    let app = Transport::oneshot(issuers_app(axioms.clone()));
    let introspections = || async { provider.stats().await["introspection"].as_u64().unwrap() };

    // Active: the answer becomes the same claims a JWT gives (sub = the client, RFC 9068).
    let token = provider
        .token(RS_CLIENT, OPAQUE_RESOURCE, "read:data")
        .await;
    assert!(!token.contains('.'), "an opaque token: {token}");
    let r = app.send(req("GET", "/data").bearer(&token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, format!("{} axioms-rs editor", provider.issuer()));
    let claims = axioms.verify(&token).await.unwrap();
    assert_eq!(claims.client_id(), Some("axioms-rs"));
    assert_eq!(claims.audience(), [Box::from(OPAQUE_RESOURCE)]);
    assert!(claims.expires_at().is_some());
    // A token without the route's scope: 403, as for a JWT.
    let no_scope = provider
        .token(ES_CLIENT, OPAQUE_RESOURCE, "write:data")
        .await;
    let r = app.send(req("GET", "/data").bearer(&no_scope)).await;
    assert_eq!(r.status, 403, "{r:?}");

    // Inactive (unknown to the provider): 401 invalid_token.
    let r = app
        .send(req("GET", "/whom").bearer("unknown-opaque-token-0123456789abcdefghijk"))
        .await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"));
    assert_eq!(
        r.json()["error_description"],
        "the access token is not active"
    );

    // 100 concurrent requests with one new token: one introspection call.
    let fresh = provider
        .token(ES_CLIENT, OPAQUE_RESOURCE, "read:data")
        .await;
    let before = introspections().await;
    let calls_before = axioms.introspection_calls();
    let answers = futures_util::future::join_all(
        (0..100).map(|_| app.send(req("GET", "/data").bearer(&fresh))),
    )
    .await;
    assert!(
        answers.iter().all(|r| r.status == 200),
        "{:?}",
        answers.first()
    );
    assert_eq!(
        introspections().await - before,
        1,
        "one introspection for 100 requests"
    );
    assert_eq!(axioms.introspection_calls() - calls_before, 1);

    // Revoked: the cached answer serves at most BOUND more, then 401.
    provider.revoke(ES_CLIENT, &fresh).await;
    let revoked_at = Instant::now();
    loop {
        let r = app.send(req("GET", "/whom").bearer(&fresh)).await;
        if r.status == 401 {
            break;
        }
        assert_eq!(r.status, 200, "{r:?}");
        assert!(
            revoked_at.elapsed() < BOUND + Duration::from_secs(2),
            "a revoked token still accepted after the cache bound"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The endpoint down: 503 with Retry-After, not 401; back up, the token is accepted.
    let down_token = provider
        .token(RS_CLIENT, OPAQUE_RESOURCE, "read:data")
        .await;
    provider.admin("POST", "/admin/introspection?down=1").await;
    let r = app.send(req("GET", "/whom").bearer(&down_token)).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), "1");
    provider.admin("POST", "/admin/introspection?down=0").await;
    let r = app.send(req("GET", "/whom").bearer(&down_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "primary"));

    // JWTs of the same issuer still go to its keys, not to introspection.
    let jwt = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let before = introspections().await;
    assert_eq!(
        axioms.verify(&jwt).await.unwrap_err().reason(),
        Reason::AudienceMismatch
    );
    assert_eq!(introspections().await, before);
}

/// An HS256 token signed by `jose` with a configured secret (fastapi-views' `JWTAuth` quick
/// start); the same claims signed with a JWKS issuer's RSA public key as the secret refused.
#[tokio::test(flavor = "multi_thread")]
async fn jose_signed_hs256_tokens_of_a_self_issuing_service() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "jose_signed_hs256_tokens_of_a_self_issuing_service",
    ) else {
        return;
    };
    const SELF: &str = "https://orders.axioms.test";
    const SECRET: &str = "an-hs256-secret-of-32-bytes-or-more-for-orders";
    let provider = Provider::start(&dir);
    let config = Config::builder(
        Issuer::builder()
            .issuer(provider.issuer())
            .audience(RESOURCE)
            .discovery(true),
    )
    .trust(
        "orders",
        Issuer::builder()
            .issuer(SELF)
            .audience(RESOURCE)
            .hmac_secret(SECRET, Algorithm::HS256),
        Trust::partner(),
    )
    .build()
    .unwrap();
    let axioms = Axioms::new(config).unwrap();
    assert!(axioms.ready(Duration::from_secs(10)).await);
    let now = now();
    let claims = |iss: &str| {
        json!({"iss": iss, "sub": "svc-billing", "aud": RESOURCE, "iat": now, "exp": now + 300,
               "scope": "read:data"})
    };
    // The provider's RSA public key, as an attacker would use it for a secret: its JWK text
    // and its modulus.
    let jwks: Value = Transport::at(provider.issuer())
        .send(req("GET", "/jwks"))
        .await
        .json();
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap()
        .clone();
    let modulus = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap();
    let sign = |secret: &[u8], iss: &str| {
        json!({"op": "hmac-sign", "alg": "HS256", "secret": URL_SAFE_NO_PAD.encode(secret),
               "claims": claims(iss), "header": {}})
    };
    let signed = jose(
        &dir,
        &[
            sign(SECRET.as_bytes(), SELF),
            sign(rsa.to_string().as_bytes(), provider.issuer()),
            sign(&modulus, provider.issuer()),
            sign(&modulus, SELF),
        ],
    );
    let token = |i: usize| signed[i]["token"].as_str().unwrap().to_owned();
    let claims = axioms.verify(&token(0)).await.unwrap();
    assert_eq!(claims.vouched_by(), Some("orders"));
    assert_eq!(claims.subject(), Some("svc-billing"));
    for (i, reason) in [
        (1, Reason::SymmetricAlgorithm),
        (2, Reason::SymmetricAlgorithm),
        (3, Reason::InvalidSignature),
    ] {
        assert_eq!(
            axioms.verify(&token(i)).await.unwrap_err().reason(),
            reason,
            "token {i}"
        );
    }
    // The provider's own tokens, beside the self-issued ones.
    let jwt = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(
        axioms.verify(&jwt).await.unwrap().vouched_by(),
        Some("primary")
    );
}

/// A self-issuing service's PEM public key (exported by `jose`), and tokens `jose` signs with
/// its private key: RSA (pinned to RS256, or PS256 by `rsa_key_alg`), EC, Ed25519.
#[tokio::test(flavor = "multi_thread")]
async fn jose_signed_tokens_verify_with_a_local_pem_key() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "jose_signed_tokens_verify_with_a_local_pem_key",
    ) else {
        return;
    };
    const SELF: &str = "https://billing.axioms.test";
    let now = now();
    let claims = json!({"iss": SELF, "sub": "svc-billing", "aud": RESOURCE, "iat": now,
                        "exp": now + 300});
    for (alg, rsa_key_alg) in [
        ("RS256", Algorithm::RS256),
        ("PS256", Algorithm::PS256),
        ("ES384", Algorithm::RS256),
        ("EdDSA", Algorithm::RS256),
    ] {
        let key = jose(
            &dir,
            &[json!({"op": "keygen", "alg": alg, "kid": "billing-1"})],
        )
        .remove(0);
        let pem = key["spki"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        let signed = jose(
            &dir,
            &[
                json!({"op": "sign", "jwk": key["private"], "alg": alg, "claims": claims}),
                json!({"op": "sign", "jwk": key["private"], "alg": alg,
                       "claims": {"iss": "https://elsewhere.axioms.test", "sub": "x",
                                  "aud": RESOURCE, "exp": now + 300}}),
            ],
        );
        let axioms = Axioms::new(
            Config::builder(
                Issuer::builder()
                    .issuer(SELF)
                    .audience(RESOURCE)
                    .rsa_key_alg(rsa_key_alg)
                    .local_keys(pem),
            )
            .build()
            .unwrap(),
        )
        .unwrap();
        // The token names the key's kid; the PEM key, the issuer's only one, verifies it.
        let token = signed[0]["token"].as_str().unwrap();
        let verified = axioms.verify(token).await;
        assert_eq!(
            verified.map(|c| c.issuer().map(str::to_owned)).ok(),
            Some(Some(SELF.to_owned())),
            "{alg}"
        );
        let other = signed[1]["token"].as_str().unwrap();
        assert_eq!(
            axioms.verify(other).await.unwrap_err().reason(),
            Reason::IssuerMismatch,
            "{alg}"
        );
        // A signature of another key fails.
        assert_eq!(
            axioms
                .verify(&with_bad_signature(token))
                .await
                .unwrap_err()
                .reason(),
            Reason::InvalidSignature,
            "{alg}"
        );
    }
}
