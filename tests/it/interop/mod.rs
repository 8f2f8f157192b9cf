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
//!
//! The tutorial against oidc-provider: [`tutorial`]; axioms against it directly: [`provider`];
//! `jose` on either side: [`jose`]; several issuers, opaque tokens: [`issuers`].

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::common::process::Process;
use crate::common::{Transport, req};

mod issuers;
mod jose;
mod provider;
mod tutorial;

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

/// The npm packages of `tests/oidc` these tests run (see [`node_dir`]).
const PACKAGES: [&str; 2] = ["oidc-provider", "jose"];

// ---------------------------------------------------------------------------------------------
// oidc-provider

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
