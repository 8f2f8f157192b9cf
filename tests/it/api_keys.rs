//! API keys: machine callers under the same `#[protected]` policies as token callers, keys
//! held only as SHA-256 digests, never logged or echoed, one credential per request.

use axioms::api_key::{ApiKeyPrincipal, ApiKeyStore, ApiKeyStoreError, ApiKeys};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims, ConfigBuilder, protected};
use axum::Router;
use axum::routing::{get, post};
use futures_util::future::BoxFuture;
use serde_json::json;

use crate::common::verifier;
use crate::common::{Logs, Resp, challenge_of, req, send};

const DEPLOY_KEY: &str = "ak_live_4f9c2b7e1d8a6f3c5b0e9d7a2c4f6b8e";
const READ_KEY: &str = "ak_live_0a1b2c3d4e5f60718293a4b5c6d7e8f9";

#[protected(roles = any("deployer"))]
async fn start_deploy() -> (http::StatusCode, &'static str) {
    (http::StatusCode::ACCEPTED, "deploying")
}

#[protected(scopes = any("read:data"))]
async fn data() -> &'static str {
    "data"
}

/// People only: an API key, however privileged, does not open it.
#[protected(credentials = "token", scopes = any("read:data"))]
async fn profile() -> &'static str {
    "profile"
}

axioms::policy!(Machines: credentials = any("api_key"), roles = "deployer");

#[protected(policy = Machines)]
async fn rotate() -> &'static str {
    "rotated"
}

async fn me(claims: Claims) -> String {
    format!(
        "{} via {}",
        claims.subject().unwrap_or_default(),
        claims.api_key_id().unwrap_or("a token")
    )
}

fn keys() -> ApiKeys {
    ApiKeys::new()
        .with(
            &ApiKeys::digest(DEPLOY_KEY),
            ApiKeyPrincipal::new("ci-deploy", "svc-ci")
                .with_roles(["deployer"])
                .with_scopes(["read:data"]),
        )
        .unwrap()
        .with(
            &ApiKeys::digest(READ_KEY),
            ApiKeyPrincipal::new("reporting", "svc-reports").with_scopes(["read:data"]),
        )
        .unwrap()
}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/deploy", post(start_deploy))
        .route("/data", get(data))
        .route("/me", get(me))
        .route("/profile", get(profile))
        .route("/rotate", post(rotate))
        .with_state(axioms)
}

async fn fixture(configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> (TestIssuer, Router) {
    let issuer = TestIssuer::start().await;
    let app = app(verifier(configure(issuer.config("api"))));
    (issuer, app)
}

#[track_caller]
fn assert_error(r: &Resp, status: u16, error: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {r:?}");
    assert_eq!(r.error().as_deref(), Some(error), "{what}: {r:?}");
    let bearer = challenge_of(r.www().unwrap(), "Bearer");
    assert_eq!(bearer["error"], error, "{what}");
}

#[tokio::test]
async fn api_keys_meet_the_same_policies_as_tokens() {
    let (issuer, app) = fixture(|c| c.api_keys(keys())).await;
    let key = |k: &str| req("GET", "/me").header("x-api-key", k);
    let r = send(&app, key(DEPLOY_KEY)).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (200, "svc-ci via ci-deploy")
    );
    let r = send(&app, req("POST", "/deploy").header("x-api-key", DEPLOY_KEY)).await;
    assert_eq!(r.status, 202, "{r:?}");
    let r = send(&app, req("GET", "/data").header("X-Api-Key", READ_KEY)).await;
    assert_eq!(r.status, 200, "{r:?}");

    // A principal without the role: 403, as for a token without it.
    let r = send(&app, req("POST", "/deploy").header("x-api-key", READ_KEY)).await;
    assert_error(&r, 403, "insufficient_scope", "reporting key on /deploy");

    // A key that is not in the list, or almost one.
    for wrong in [
        "ak_live_4f9c2b7e1d8a6f3c5b0e9d7a2c4f6b8f",
        "ak_live_4f9c2b7e1d8a6f3c5b0e9d7a2c4f6b8",
        "k",
    ] {
        let r = send(&app, key(wrong)).await;
        assert_error(&r, 401, "invalid_token", wrong);
        assert_eq!(r.json()["error_description"], "the API key is not valid");
    }
    // Malformed: repeated, empty, too long, not visible ASCII.
    for (what, request) in [
        (
            "two headers",
            key(DEPLOY_KEY).header("x-api-key", DEPLOY_KEY),
        ),
        ("empty", key("")),
        ("513 bytes", key(&"k".repeat(513))),
        ("a space", key("ak live")),
        (
            "not ASCII",
            req("GET", "/me").header("x-api-key", b"ak\xe9".as_slice()),
        ),
    ] {
        let r = send(&app, request).await;
        assert_error(&r, 400, "invalid_request", what);
    }

    // Tokens still work, and another Authorization scheme is no credential: the key counts.
    let token = issuer.token().audience("api").subject("alice").sign();
    let r = send(&app, req("GET", "/me").bearer(&token)).await;
    assert_eq!(r.body, "alice via a token");
    let r = send(&app, key(READ_KEY).authorization("Basic dXNlcjpwYXNz")).await;
    assert_eq!(r.body, "svc-reports via reporting");
    // One credential per request.
    let r = send(&app, key(READ_KEY).bearer(&token)).await;
    assert_error(&r, 400, "invalid_request", "a token and a key");
    let r = send(&app, key("").bearer(&token)).await;
    assert_error(&r, 400, "invalid_request", "a token and a malformed key");
    // A malformed token is refused as that, whatever comes with it (its grammar is checked
    // after the token cache is asked, but before the credentials are counted).
    let alone = send(&app, req("GET", "/me").authorization("Bearer a b")).await;
    assert_error(&alone, 400, "invalid_request", "a malformed token");
    let with_key = send(&app, key(READ_KEY).authorization("Bearer a b")).await;
    assert_error(
        &with_key,
        400,
        "invalid_request",
        "a malformed token and a key",
    );
    let described = |r: &Resp| r.json()["error_description"].clone();
    assert_eq!(described(&with_key), described(&alone));
    let both = send(&app, key(READ_KEY).bearer(&token)).await;
    assert_ne!(described(&both), described(&alone));
}

#[tokio::test]
async fn a_policy_names_the_credentials_it_accepts() {
    let (issuer, app) = fixture(|c| c.api_keys(keys())).await;
    let token = issuer
        .token()
        .audience("api")
        .scope("read:data")
        .claim("roles", json!(["deployer"]))
        .sign();
    let r = send(&app, req("GET", "/profile").bearer(&token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("GET", "/profile").header("x-api-key", DEPLOY_KEY)).await;
    assert_error(
        &r,
        403,
        "insufficient_scope",
        "an API key on a token-only route",
    );
    assert_eq!(
        r.json()["error_description"],
        "this resource does not accept this kind of credential"
    );
    let r = send(&app, req("POST", "/rotate").header("x-api-key", DEPLOY_KEY)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("POST", "/rotate").bearer(&token)).await;
    assert_error(&r, 403, "insufficient_scope", "a token on a key-only route");
    let r = send(&app, req("POST", "/rotate").header("x-api-key", READ_KEY)).await;
    assert_error(&r, 403, "insufficient_scope", "a key without the role");
}

#[tokio::test]
async fn keys_are_never_logged_nor_echoed() {
    let (_issuer, app) = fixture(|c| c.api_keys(keys())).await;
    let wrong = "ak_live_ffffffffffffffffffffffffffffffff";
    let logs = Logs::capture();
    let mut answers = String::new();
    for request in [
        req("GET", "/me").header("x-api-key", wrong),
        req("POST", "/deploy").header("x-api-key", READ_KEY),
        req("GET", "/me")
            .header("x-api-key", DEPLOY_KEY)
            .header("x-api-key", wrong),
        req("GET", "/me").header("x-api-key", DEPLOY_KEY),
    ] {
        answers.push_str(&send(&app, request).await.dump());
    }
    let text = logs.logs.text();
    assert_eq!(logs.count("request rejected"), 3, "{text}");
    for secret in [wrong, READ_KEY, DEPLOY_KEY] {
        for haystack in [&text, &answers] {
            assert!(!haystack.contains(secret), "{secret} in:\n{haystack}");
            assert!(
                !haystack.contains(&ApiKeys::digest(secret)),
                "digest in:\n{haystack}"
            );
        }
    }
    assert!(!format!("{:?}", keys()).contains(&ApiKeys::digest(READ_KEY)));
}

#[tokio::test]
async fn another_header_and_the_environment() {
    let (_issuer, custom) = fixture(|c| c.api_keys(keys()).api_key_header("X-Service-Key")).await;
    let r = send(&custom, req("GET", "/me").header("x-service-key", READ_KEY)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&custom, req("GET", "/me").header("x-api-key", READ_KEY)).await;
    assert_eq!(r.status, 401, "the default header is not read: {r:?}");
    assert!(
        !r.www().unwrap().contains("error="),
        "no credentials: {r:?}"
    );

    let issuer = TestIssuer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("keys.json");
    let list = json!({"keys": [{
        "id": "ci-deploy", "sha256": ApiKeys::digest(DEPLOY_KEY), "sub": "svc-ci",
        "roles": ["deployer"],
    }]});
    std::fs::write(&file, list.to_string()).unwrap();
    let vars = |extra: Vec<(&'static str, String)>| {
        let mut vars = vec![
            ("AXIOMS_ISS_URL", issuer.issuer()),
            ("AXIOMS_JWKS_URL", issuer.jwks_url()),
            ("AXIOMS_AUDIENCE", "api".to_owned()),
        ];
        vars.extend(extra);
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        }
    };
    let from_file = ConfigBuilder::from_vars(vars(vec![(
        "AXIOMS_API_KEYS_FILE",
        file.display().to_string(),
    )]))
    .unwrap()
    .build()
    .unwrap();
    assert_eq!(from_file.api_key_header(), Some("x-api-key"));
    let app = app(Axioms::new(from_file).unwrap());
    let r = send(&app, req("POST", "/deploy").header("x-api-key", DEPLOY_KEY)).await;
    assert_eq!(r.status, 202, "{r:?}");
    let inline = ConfigBuilder::from_vars(vars(vec![("AXIOMS_API_KEYS", list.to_string())]));
    assert!(inline.unwrap().build().is_ok());

    for (what, extra, variable) in [
        (
            "a key in clear",
            vec![(
                "AXIOMS_API_KEYS",
                r#"{"keys":[{"id":"a","key":"k","sub":"s"}]}"#.to_owned(),
            )],
            "AXIOMS_API_KEYS",
        ),
        (
            "a missing file",
            vec![("AXIOMS_API_KEYS_FILE", "/nonexistent/keys.json".to_owned())],
            "AXIOMS_API_KEYS_FILE",
        ),
        (
            "both",
            vec![
                ("AXIOMS_API_KEYS_FILE", file.display().to_string()),
                ("AXIOMS_API_KEYS", list.to_string()),
            ],
            "AXIOMS_API_KEYS",
        ),
    ] {
        let Err(err) = ConfigBuilder::from_vars(vars(extra)) else {
            panic!("{what}: accepted");
        };
        assert_eq!(err.setting(), variable, "{what}: {err}");
    }
    let err = ConfigBuilder::from_vars(vars(vec![("AXIOMS_API_KEY_HEADER", "x-key".to_owned())]))
        .unwrap()
        .build()
        .unwrap_err();
    assert_eq!(
        err.setting(),
        "AXIOMS_API_KEY_HEADER",
        "a header without keys: {err}"
    );
    let err = issuer
        .config("api")
        .api_keys(keys())
        .api_key_header("Authorization")
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_API_KEY_HEADER");
}

/// A store whose database is down.
#[derive(Debug)]
struct Down;

impl ApiKeyStore for Down {
    fn lookup(
        &self,
        _sha256: [u8; 32],
    ) -> BoxFuture<'_, Result<Option<ApiKeyPrincipal>, ApiKeyStoreError>> {
        Box::pin(async { Err(ApiKeyStoreError("connection refused".into())) })
    }
}

#[tokio::test]
async fn an_unavailable_store_is_a_503_not_an_invalid_key() {
    let (_issuer, app) = fixture(|c| c.api_keys(Down)).await;
    let r = send(&app, req("GET", "/me").header("x-api-key", READ_KEY)).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), "1");
    assert!(!r.dump().contains("connection refused"));
}

/// A store whose database never answers.
#[derive(Debug)]
struct Hung;

impl ApiKeyStore for Hung {
    fn lookup(
        &self,
        _sha256: [u8; 32],
    ) -> BoxFuture<'_, Result<Option<ApiKeyPrincipal>, ApiKeyStoreError>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn a_hung_store_is_a_503_within_the_bound_not_a_hung_request() {
    let (_issuer, app) = fixture(|c| c.api_keys(Hung)).await;
    let request = send(&app, req("GET", "/me").header("x-api-key", READ_KEY));
    // Well past the bound (500 ms), far below a test's patience.
    let r = tokio::time::timeout(std::time::Duration::from_secs(5), request)
        .await
        .expect("the request hangs with its key store");
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), "1");
}
