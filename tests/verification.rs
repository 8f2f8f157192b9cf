//! End-to-end verification rules: every case goes through a real axum `Router` (via
//! `tower::ServiceExt::oneshot`) and asserts the exact status, the exact `WWW-Authenticate`
//! challenge and the JSON `error`; where it matters, `Axioms::verify` is asked for the precise
//! `Reason` too.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axioms::Clock as _;
use axioms::testing::TestIssuer;
use axioms::{
    Algorithm, AuthError, Authentication, Axioms, AxiomsLayer, Claims, Config, ConfigBuilder,
    IssuerBuilder, ManualClock, Reason, TokenType,
};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use common::{Req, Resp, req, send};
use http::header::AUTHORIZATION;
use http::{HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

const AUD: &str = "test-api";
const SUB: &str = "user-1";

const BARE: &str = r#"Bearer realm="api""#;
const INVALID_TOKEN: &str = r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid or expired""#;
const INVALID_REQUEST: &str = r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#;
const INSUFFICIENT_SCOPE: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant this request: it needs the scope in `scope`", scope="read:data""#;

// ---------------------------------------------------------------------------------------------
// Fixture and assertions (requests and responses: `tests/common`)
// ---------------------------------------------------------------------------------------------

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn segments(token: &str) -> Vec<&str> {
    token.split('.').collect()
}

fn assert_missing_token(r: &Resp, case: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{case}: {r:?}");
    assert_eq!(r.www(), Some(BARE), "{case}");
    assert_eq!(r.error().as_deref(), Some("unauthorized"), "{case}: {r:?}");
}

fn assert_invalid_request(r: &Resp, case: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{case}: {r:?}");
    assert_eq!(r.www(), Some(INVALID_REQUEST), "{case}");
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_request"),
        "{case}: {r:?}"
    );
}

fn assert_too_large(r: &Resp, case: &str) {
    assert_eq!(
        r.status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        "{case}: {r:?}"
    );
    assert!(
        r.www()
            .is_some_and(|w| w.contains(r#"error="invalid_request""#)),
        "{case}: {r:?}"
    );
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_request"),
        "{case}: {r:?}"
    );
}

fn assert_invalid_token(r: &Resp, case: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{case}: {r:?}");
    assert_eq!(r.www(), Some(INVALID_TOKEN), "{case}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"), "{case}: {r:?}");
}

/// No part of the token (nor the default subject) appears anywhere in the response.
fn assert_no_leak(r: &Resp, token: &str, case: &str) {
    if token.len() >= 8 {
        assert!(!r.dump().contains(token), "{case}: token echoed in {r:?}");
    }
    for segment in token.split('.').filter(|s| s.len() >= 8) {
        assert!(
            !r.dump().contains(segment),
            "{case}: token segment echoed in {r:?}"
        );
    }
    assert!(!r.dump().contains(SUB), "{case}: sub echoed in {r:?}");
}

/// An issuer, a verifier on it, and the application under test.
struct Fixture {
    issuer: TestIssuer,
    axioms: Axioms,
    app: Router,
}

/// The routes every fixture serves:
/// * `GET /` requires `Claims` and answers the subject;
/// * `GET /optional` takes `Option<Claims>`;
/// * `GET /scoped` requires `Claims`, then refuses with `insufficient_scope`.
fn app(axioms: Axioms) -> Router {
    Router::new()
        .route(
            "/",
            get(|c: Claims| async move { c.subject().unwrap_or("").to_owned() }),
        )
        .route(
            "/optional",
            get(|c: Option<Claims>| async move {
                match c {
                    Some(c) => format!("user:{}", c.subject().unwrap_or("")),
                    None => "anonymous".to_owned(),
                }
            }),
        )
        .route(
            "/scoped",
            get(|_c: Claims| async {
                Err::<String, AuthError>(
                    AuthError::new(Reason::MissingScope).with_scopes(["read:data"]),
                )
            }),
        )
        .with_state(axioms)
}

async fn start_axioms(config: ConfigBuilder) -> Axioms {
    let axioms = Axioms::new(config.build().unwrap()).unwrap();
    assert!(
        axioms.ready(Duration::from_secs(10)).await,
        "JWKS never loaded"
    );
    axioms
}

impl Fixture {
    async fn new() -> Self {
        Self::with(TestIssuer::start().await, Config::builder).await
    }

    /// The fixture of `issuer`, whose settings (and the service's) `configure` adjusts.
    async fn with(
        issuer: TestIssuer,
        configure: impl FnOnce(IssuerBuilder) -> ConfigBuilder,
    ) -> Self {
        let axioms = start_axioms(configure(issuer.issuer_config(AUD))).await;
        let app = app(axioms.clone());
        Self {
            issuer,
            axioms,
            app,
        }
    }

    async fn reason(&self, token: &str) -> Option<Reason> {
        self.axioms.verify(token).await.err().map(|e| e.reason())
    }

    /// 401 `invalid_token` over HTTP, and `reason` from `Axioms::verify`.
    async fn rejects(&self, token: &str, reason: Reason, case: &str) {
        let r = send(&self.app, req("GET", "/").bearer(token)).await;
        assert_invalid_token(&r, case);
        assert_no_leak(&r, token, case);
        assert_eq!(self.reason(token).await, Some(reason), "{case}");
    }

    /// 431 over HTTP (a new token would be as large: not 401), `TokenTooLarge` from
    /// `Axioms::verify`.
    async fn rejects_too_large(&self, token: &str) {
        let case = format!("{} bytes", token.len());
        let r = send(&self.app, req("GET", "/").bearer(token)).await;
        assert_too_large(&r, &case);
        assert_no_leak(&r, token, &case);
        assert_eq!(
            self.reason(token).await,
            Some(Reason::TokenTooLarge),
            "{case}"
        );
    }

    /// 200 over HTTP with the default subject, and `Ok` from `Axioms::verify`.
    async fn accepts(&self, token: &str, case: &str) {
        let r = send(&self.app, req("GET", "/").bearer(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{case}: {r:?}");
        assert_eq!(r.body, SUB, "{case}");
        assert_eq!(r.www(), None, "{case}");
        let verified = self.axioms.verify(token).await;
        assert!(verified.is_ok(), "{case}: {verified:?}");
    }

    fn now(&self) -> i64 {
        axioms::SystemClock.now()
    }
}

// ---------------------------------------------------------------------------------------------
// Transport (RFC 6750 §2.1)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn no_credentials_get_a_bare_challenge() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();

    let r = send(&fx.app, req("GET", "/")).await;
    assert_missing_token(&r, "no Authorization header");
    assert_eq!(
        r.json()["error_description"],
        "a bearer access token is required",
        "no header"
    );

    for (case, value) in [
        ("Basic scheme", "Basic dXNlcjpwYXNz".to_owned()),
        ("Digest scheme", "Digest username=\"u\"".to_owned()),
        ("DPoP scheme with a real token", format!("DPoP {token}")),
        ("scheme glued to token", format!("Bearer{token}")),
        ("empty header", String::new()),
    ] {
        let r = send(&fx.app, req("GET", "/").authorization(&value)).await;
        assert_missing_token(&r, case);
        assert_no_leak(&r, &token, case);
    }
}

#[tokio::test]
async fn scheme_is_case_insensitive() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = send(
            &fx.app,
            req("GET", "/").authorization(&format!("{scheme} {token}")),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "scheme {scheme}: {r:?}");
        assert_eq!(r.body, SUB, "scheme {scheme}");
    }
    let r = send(
        &fx.app,
        req("GET", "/").authorization(&format!("Bearer    {token}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "several spaces: {r:?}");
}

#[tokio::test]
async fn two_authorization_headers_are_a_bad_request() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let r = send(&fx.app, req("GET", "/").bearer(&token).bearer(&token)).await;
    assert_invalid_request(&r, "two identical valid bearer headers");
    assert_no_leak(&r, &token, "two headers");

    let r = send(
        &fx.app,
        req("GET", "/")
            .bearer(&token)
            .authorization("Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_invalid_request(&r, "bearer + basic");

    let r = send(
        &fx.app,
        req("GET", "/optional").bearer(&token).bearer(&token),
    )
    .await;
    assert_invalid_request(&r, "Option<Claims> with two headers");
}

#[tokio::test]
async fn malformed_bearer_credentials_are_a_bad_request() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let cases: Vec<(&str, String)> = vec![
        ("scheme only", "Bearer".into()),
        ("scheme and a space", "Bearer ".into()),
        ("comma in token", "Bearer a,b".into()),
        ("space inside token", "Bearer abc def".into()),
        ("quote in token", "Bearer abc\"".into()),
        ("padding inside the token", "Bearer a=b.c.d".into()),
        ("padding only", "Bearer ===".into()),
        ("tab before token", "Bearer \tabc".into()),
        ("trailing space", format!("Bearer {token} ")),
        ("two tokens", format!("Bearer {token} {token}")),
        ("percent-encoding", "Bearer a%2Eb".into()),
        ("query-style", format!("Bearer access_token={token}")),
    ];
    for (case, value) in cases {
        let r = send(&fx.app, req("GET", "/").authorization(&value)).await;
        assert_invalid_request(&r, case);
        assert_no_leak(&r, &token, case);
    }
    // A header may hold obs-text bytes; a token may not.
    let r = send(
        &fx.app,
        req("GET", "/").header(AUTHORIZATION, b"Bearer abc\xe9def"),
    )
    .await;
    assert_invalid_request(&r, "obs-text byte");
    assert_no_leak(&r, &token, "obs-text byte");
}

#[tokio::test]
async fn token_in_query_string_is_never_read() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let r = send(&fx.app, req("GET", &format!("/?access_token={token}"))).await;
    assert_missing_token(&r, "access_token in query, required route");
    assert_no_leak(&r, &token, "query");

    let r = send(
        &fx.app,
        req("GET", &format!("/optional?access_token={token}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "optional route: {r:?}");
    assert_eq!(
        r.body, "anonymous",
        "query token must not sign the caller in"
    );
}

#[tokio::test]
async fn optional_claims() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let expired = fx.issuer.token().expires_in(-3600).sign();

    let r = send(&fx.app, req("GET", "/optional")).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "anonymous"),
        "no header"
    );

    let r = send(
        &fx.app,
        req("GET", "/optional").authorization("Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "anonymous"),
        "basic"
    );

    let r = send(&fx.app, req("GET", "/optional").bearer(&good)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "user:user-1"),
        "valid"
    );

    let r = send(&fx.app, req("GET", "/optional").bearer(&expired)).await;
    assert_invalid_token(&r, "Option<Claims> with an expired token");

    let r = send(&fx.app, req("GET", "/optional").bearer("not-a-jwt")).await;
    assert_invalid_token(&r, "Option<Claims> with garbage");

    let r = send(&fx.app, req("GET", "/optional").authorization("Bearer a,b")).await;
    assert_invalid_request(&r, "Option<Claims> with a malformed header");
}

// ---------------------------------------------------------------------------------------------
// JOSE header
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn alg_none_in_any_case_is_refused() {
    let fx = Fixture::new().await;
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = fx.issuer.token().header("alg", json!(alg)).sign();
        fx.rejects(
            &token,
            Reason::AlgNone,
            &format!("alg {alg} with a signature"),
        )
        .await;

        // The classic forgery: an empty signature segment.
        let header = json!({"alg": alg, "typ": "JWT"});
        let s = segments(&token);
        let unsigned = format!("{}.{}.", b64(header.to_string()), s[1]);
        fx.rejects(
            &unsigned,
            Reason::MalformedToken,
            &format!("alg {alg} with empty signature"),
        )
        .await;

        let raw = fx
            .issuer
            .sign_raw(
                "key-1",
                Algorithm::RS256,
                &json!({"alg": alg, "kid": "key-1"}),
                &URL_SAFE_NO_PAD.decode(s[1]).unwrap(),
            )
            .unwrap();
        fx.rejects(&raw, Reason::AlgNone, &format!("sign_raw alg {alg}"))
            .await;
    }
}

#[tokio::test]
async fn symmetric_algorithms_are_refused() {
    let fx = Fixture::new().await;
    for alg in ["HS256", "HS384", "HS512"] {
        // Signed with the real RSA key: HS* is refused whatever the signature.
        let token = fx.issuer.token().header("alg", json!(alg)).sign();
        fx.rejects(&token, Reason::SymmetricAlgorithm, alg).await;
    }
}

#[tokio::test]
async fn unknown_algorithms_are_refused() {
    let fx = Fixture::new().await;
    for alg in [
        "ES256K",
        "RS1",
        "rs256",
        "Rs256",
        "RSA-OAEP",
        "EdDSA25519",
        "",
    ] {
        let token = fx
            .issuer
            .token()
            .header("alg", json!(alg))
            .signature_alg(Algorithm::RS256)
            .sign();
        fx.rejects(&token, Reason::AlgorithmNotAllowed, &format!("alg {alg:?}"))
            .await;
    }
    for (case, alg) in [
        ("alg number", json!(256)),
        ("alg array", json!(["RS256"])),
        ("alg null", Value::Null),
    ] {
        let token = fx
            .issuer
            .token()
            .header("alg", alg)
            .signature_alg(Algorithm::RS256)
            .sign();
        fx.rejects(&token, Reason::InvalidHeader, case).await;
    }
    let token = fx
        .issuer
        .token()
        .without_header("alg")
        .signature_alg(Algorithm::RS256)
        .sign();
    fx.rejects(&token, Reason::InvalidHeader, "alg absent")
        .await;
}

#[tokio::test]
async fn algorithm_allow_list_is_enforced() {
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256]).await;
    let fx = Fixture::with(issuer, |i| {
        Config::builder(i.algorithms([Algorithm::ES256]))
    })
    .await;
    let es = fx.issuer.token().signed_with("key-2").sign();
    fx.accepts(&es, "ES256 is allowed").await;
    let rs = fx.issuer.token().signed_with("key-1").sign();
    fx.rejects(
        &rs,
        Reason::AlgorithmNotAllowed,
        "RS256 outside the allow-list",
    )
    .await;
}

#[tokio::test]
async fn header_alg_must_match_the_pinned_key() {
    let fx = Fixture::new().await;
    for alg in [
        Algorithm::PS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS512,
    ] {
        // A correct signature of `alg` by the RS256 key: the key is pinned to RS256.
        let token = fx
            .issuer
            .token()
            .header("alg", json!(alg.as_str()))
            .signature_alg(alg)
            .sign();
        fx.rejects(
            &token,
            Reason::AlgorithmKeyMismatch,
            &format!("RS256 key, header {alg}"),
        )
        .await;
    }
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256]).await;
    let fx = Fixture::with(issuer, Config::builder).await;
    let token = fx
        .issuer
        .token()
        .signed_with("key-2")
        .header("alg", json!("ES384"))
        .signature_alg(Algorithm::ES256)
        .sign();
    fx.rejects(
        &token,
        Reason::AlgorithmKeyMismatch,
        "ES256 key, header ES384",
    )
    .await;
    let token = fx
        .issuer
        .token()
        .signed_with("key-2")
        .header("alg", json!("RS256"))
        .sign();
    fx.rejects(
        &token,
        Reason::AlgorithmKeyMismatch,
        "ES256 key, header RS256",
    )
    .await;
    // With two published keys, a token must say which one signed it.
    let token = fx.issuer.token().without_header("kid").sign();
    fx.rejects(&token, Reason::MissingKid, "no kid, two keys")
        .await;
}

#[tokio::test]
async fn forbidden_header_parameters() {
    let fx = Fixture::new().await;
    let cases: Vec<(&str, &str, Value, Reason)> = vec![
        ("crit list", "crit", json!(["exp"]), Reason::CriticalHeader),
        ("crit empty", "crit", json!([]), Reason::CriticalHeader),
        ("cty JWT", "cty", json!("JWT"), Reason::NestedToken),
        (
            "cty other",
            "cty",
            json!("application/json"),
            Reason::NestedToken,
        ),
        ("b64 false", "b64", json!(false), Reason::ForbiddenHeader),
        ("b64 true", "b64", json!(true), Reason::ForbiddenHeader),
        ("enc", "enc", json!("A256GCM"), Reason::ForbiddenHeader),
        ("zip", "zip", json!("DEF"), Reason::ForbiddenHeader),
    ];
    for (case, name, value, reason) in cases {
        let token = fx.issuer.token().header(name, value).sign();
        fx.rejects(&token, reason, case).await;
    }
}

#[tokio::test]
async fn key_location_headers_are_ignored() {
    let fx = Fixture::new().await;
    let foreign_jwk = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "attacker"});
    for (case, name, value) in [
        (
            "jku elsewhere",
            "jku",
            json!("https://attacker.example/jwks.json"),
        ),
        (
            "x5u elsewhere",
            "x5u",
            json!("https://attacker.example/cert.pem"),
        ),
        ("jwk of another key", "jwk", foreign_jwk.clone()),
        ("x5c garbage", "x5c", json!(["MIIB"])),
    ] {
        let token = fx.issuer.token().header(name, value).sign();
        fx.accepts(&token, case).await;
    }
    // The real key must still verify the signature: a tampered payload with a jku is refused.
    let token = fx
        .issuer
        .token()
        .header("jku", json!("https://attacker.example/jwks.json"))
        .sign();
    let s = segments(&token);
    let forged = format!(
        "{}.{}.{}",
        s[0],
        b64(
            json!({"iss": fx.issuer.issuer(), "aud": AUD, "sub": "admin", "exp": fx.now() + 600})
                .to_string()
        ),
        s[2]
    );
    fx.rejects(&forged, Reason::InvalidSignature, "jku + forged payload")
        .await;
}

#[tokio::test]
async fn embedded_jwk_of_an_unpublished_key_is_not_trusted() {
    let fx = Fixture::new().await;
    // The verifier has loaded the JWKS (key-1 only). Mint a key, learn its public JWK, sign
    // with it, then withdraw it: the verifier never sees it published.
    let kid = fx.issuer.add_unpublished_key(Algorithm::RS256);
    fx.issuer.publish(&kid);
    let jwk = fx.issuer.public_jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == json!(kid))
        .cloned()
        .unwrap();
    let with_kid = fx
        .issuer
        .token()
        .signed_with(&kid)
        .header("jwk", jwk.clone())
        .sign();
    let without_kid = fx
        .issuer
        .token()
        .signed_with(&kid)
        .without_header("kid")
        .header("jwk", jwk.clone())
        .sign();
    let jku = fx
        .issuer
        .token()
        .signed_with(&kid)
        .header("jku", json!(fx.issuer.jwks_url()))
        .header("jwk", jwk)
        .sign();
    fx.issuer.remove_key(&kid);

    fx.rejects(
        &with_kid,
        Reason::UnknownKid,
        "unpublished key, jwk header, kid",
    )
    .await;
    fx.rejects(
        &without_kid,
        Reason::InvalidSignature,
        "unpublished key, jwk header, no kid (falls back to the published key)",
    )
    .await;
    fx.rejects(
        &jku,
        Reason::UnknownKid,
        "unpublished key, jwk + jku headers",
    )
    .await;
}

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
async fn kid_length_limit() {
    let fx = Fixture::new().await;
    let token = fx
        .issuer
        .token()
        .header("kid", json!("k".repeat(257)))
        .sign();
    fx.rejects(&token, Reason::KidTooLong, "kid of 257 bytes")
        .await;
    let token = fx
        .issuer
        .token()
        .header("kid", json!("é".repeat(129)))
        .sign();
    fx.rejects(
        &token,
        Reason::KidTooLong,
        "kid of 129 two-byte chars (258 bytes)",
    )
    .await;
    let token = fx
        .issuer
        .token()
        .header("kid", json!("k".repeat(256)))
        .sign();
    fx.rejects(&token, Reason::UnknownKid, "kid of 256 bytes is looked up")
        .await;
    let token = fx.issuer.token().header("kid", json!(1)).sign();
    fx.rejects(&token, Reason::InvalidHeader, "kid number")
        .await;
}

#[tokio::test]
async fn duplicate_json_members() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);

    // Header: the duplicate is found before any key or signature is looked at, so the
    // genuine payload and signature can be reused.
    for (case, header) in [
        (
            "duplicate alg",
            r#"{"alg":"RS256","kid":"key-1","alg":"RS256"}"#,
        ),
        (
            "duplicate kid",
            r#"{"alg":"RS256","kid":"other","kid":"key-1"}"#,
        ),
        (
            "duplicate typ",
            r#"{"alg":"RS256","kid":"key-1","typ":"JOSE","typ":"at+jwt"}"#,
        ),
        (
            "nested duplicate",
            r#"{"alg":"RS256","kid":"key-1","x":{"a":1,"a":2}}"#,
        ),
    ] {
        let token = format!("{}.{}.{}", b64(header), s[1], s[2]);
        fx.rejects(&token, Reason::DuplicateMember, case).await;
    }

    // Payload: signed for real, with hand-written bytes.
    let header = json!({"alg": "RS256", "kid": "key-1", "typ": "at+jwt"});
    let iss = fx.issuer.issuer();
    let exp = fx.now() + 600;
    for (case, payload) in [
        (
            "duplicate scope",
            format!(
                r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"scope":"read","scope":"admin"}}"#
            ),
        ),
        (
            "duplicate sub",
            format!(r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"sub":"admin"}}"#),
        ),
        (
            "duplicate exp",
            format!(r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":1,"exp":{exp}}}"#),
        ),
        (
            "nested duplicate",
            format!(
                r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"realm_access":{{"roles":["a"],"roles":["admin"]}}}}"#
            ),
        ),
    ] {
        let token = fx
            .issuer
            .sign_raw("key-1", Algorithm::RS256, &header, payload.as_bytes())
            .unwrap();
        fx.rejects(&token, Reason::DuplicateMember, case).await;
    }
    // Control: the same bytes without the duplicate verify.
    let payload =
        format!(r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"scope":"read"}}"#);
    let token = fx
        .issuer
        .sign_raw("key-1", Algorithm::RS256, &header, payload.as_bytes())
        .unwrap();
    fx.accepts(&token, "hand-written payload without duplicates")
        .await;
}

#[tokio::test]
async fn payload_must_be_a_json_object() {
    let fx = Fixture::new().await;
    let header = json!({"alg": "RS256", "kid": "key-1", "typ": "at+jwt"});
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(1000), "]".repeat(1000));
    for (case, payload) in [
        ("array", b"[1,2]".to_vec()),
        ("string", b"\"claims\"".to_vec()),
        ("not json", b"iss=me".to_vec()),
        ("trailing data", b"{}{}".to_vec()),
        ("BOM", b"\xef\xbb\xbf{}".to_vec()),
        ("empty", Vec::new()),
        ("1000-deep nesting", deep.into_bytes()),
    ] {
        let token = fx
            .issuer
            .sign_raw("key-1", Algorithm::RS256, &header, &payload)
            .unwrap();
        fx.rejects(&token, Reason::InvalidPayload, case).await;
    }
    // The header is checked the same way.
    let good = fx.issuer.token().sign();
    let s = segments(&good);
    for (case, h) in [
        ("header array", "[\"RS256\"]".to_owned()),
        ("header not json", "alg=RS256".to_owned()),
        (
            "header 2000-deep",
            format!(
                "{{\"alg\":\"RS256\",\"x\":{}{}}}",
                "[".repeat(2000),
                "]".repeat(2000)
            ),
        ),
    ] {
        let token = format!("{}.{}.{}", b64(h), s[1], s[2]);
        fx.rejects(&token, Reason::InvalidHeader, case).await;
    }
}

#[tokio::test]
async fn compact_serialization_shape() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);
    let cases: Vec<(&str, String, Reason)> = vec![
        (
            "5 segments (JWE)",
            format!("{good}.AAAA.BBBB"),
            Reason::EncryptedToken,
        ),
        (
            "5 segments, JWE-like",
            format!(
                "{}.{}.{}.{}.{}",
                b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#),
                "AAAA",
                "BBBB",
                "CCCC",
                "DDDD"
            ),
            Reason::EncryptedToken,
        ),
        (
            "2 segments",
            format!("{}.{}", s[0], s[1]),
            Reason::MalformedToken,
        ),
        ("1 segment", s[0].to_owned(), Reason::MalformedToken),
        ("4 segments", format!("{good}.AAAA"), Reason::MalformedToken),
        (
            "6 segments",
            format!("{good}.A.B.C"),
            Reason::MalformedToken,
        ),
        (
            "empty signature",
            format!("{}.{}.", s[0], s[1]),
            Reason::MalformedToken,
        ),
        (
            "empty header",
            format!(".{}.{}", s[1], s[2]),
            Reason::MalformedToken,
        ),
        ("dots only", "...".to_owned(), Reason::MalformedToken),
    ];
    for (case, token, reason) in cases {
        fx.rejects(&token, reason, case).await;
    }
}

/// Strict unpadded base64url (RFC 7515 §2): padding, the standard alphabet and non-canonical
/// trailing bits are refused.
#[tokio::test]
async fn strict_base64url() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);

    // `=` inside the token is outside the b64token grammar: 400 before verification.
    let token = format!("{}=.{}.{}", s[0], s[1], s[2]);
    assert_invalid_request(
        &send(&fx.app, req("GET", "/").bearer(&token)).await,
        "padded header",
    );
    assert_eq!(
        fx.reason(&token).await,
        Some(Reason::InvalidBase64),
        "padded header"
    );
    // The payload is decoded only after the signature verifies (RFC 8725 §3.3), and the
    // signing input now ends in `=`, so the verifier reports the signature.
    let token = format!("{}.{}=.{}", s[0], s[1], s[2]);
    assert_invalid_request(
        &send(&fx.app, req("GET", "/").bearer(&token)).await,
        "padded payload",
    );
    assert_eq!(
        fx.reason(&token).await,
        Some(Reason::InvalidSignature),
        "padded payload"
    );

    // Standard-alphabet header (`+`, `/` are b64token characters too).
    let mut std_token = None;
    for pad in 0..6 {
        let header = format!(
            r#"{{"alg":"RS256","kid":"key-1","x":"{}???"}}"#,
            "a".repeat(pad)
        );
        let enc = STANDARD_NO_PAD.encode(&header);
        if enc.contains('/') || enc.contains('+') {
            std_token = Some(format!("{enc}.{}.{}", s[1], s[2]));
            break;
        }
    }
    let token = std_token.expect("a header whose standard encoding has + or /");
    fx.rejects(&token, Reason::InvalidBase64, "standard-alphabet header")
        .await;

    // Non-canonical last character (trailing bits set): same bytes, different encoding.
    let mut found = false;
    for pad in 0..3 {
        let header = format!(
            r#"{{"alg":"RS256","kid":"key-1","typ":"at+jwt","x":"{}"}}"#,
            "a".repeat(pad)
        );
        let enc = b64(&header);
        if enc.len() % 4 == 0 {
            continue;
        }
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = *enc.as_bytes().last().unwrap();
        let index = ALPHABET.iter().position(|&c| c == last).unwrap();
        let tweaked = char::from(ALPHABET[index ^ 1]);
        let non_canonical = format!("{}{tweaked}", &enc[..enc.len() - 1]);
        let token = format!("{non_canonical}.{}.{}", s[1], s[2]);
        fx.rejects(&token, Reason::InvalidBase64, "non-canonical trailing bits")
            .await;
        found = true;
        break;
    }
    assert!(found);
}

/// Trailing `=` is allowed by the b64token grammar, so a padded signature segment reaches
/// verification; it is not strict unpadded base64url.
#[tokio::test]
async fn padded_signature_segment_is_invalid_base64() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    for pad in ["=", "=="] {
        let token = format!("{good}{pad}");
        fx.rejects(
            &token,
            Reason::InvalidBase64,
            &format!("signature segment followed by {pad:?}"),
        )
        .await;
    }
}

/// The last character of an unpadded segment carries unused low bits; a token whose signature
/// differs only there decodes to the same bytes but is not the canonical encoding. Every such
/// variant must be refused, or tokens become malleable (two strings, one signature).
#[tokio::test]
async fn non_canonical_signature_encoding_is_refused() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let issuer =
        TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]).await;
    let fx = Fixture::with(issuer, Config::builder).await;
    for kid in ["key-1", "key-2", "key-3"] {
        let good = fx.issuer.token().signed_with(kid).sign();
        fx.accepts(&good, kid).await;
        let (body, last) = good.split_at(good.len() - 1);
        assert_ne!(
            segments(&good)[2].len() % 4,
            0,
            "{kid}: signature has no unused bits"
        );
        for &c in ALPHABET {
            let c = char::from(c);
            if c.to_string() == last {
                continue;
            }
            let token = format!("{body}{c}");
            let r = send(&fx.app, req("GET", "/").bearer(&token)).await;
            assert_invalid_token(&r, &format!("{kid}: last signature char {last} -> {c}"));
        }
    }
}

#[tokio::test]
async fn token_size_limit() {
    let fx = Fixture::new().await;
    let limit = axioms::defaults::MAX_TOKEN_BYTES;
    // Every token of this shape has the same length for the same pad (RSA signatures are
    // fixed-size), so find the pads around the limit.
    let base = fx.issuer.token().claim("pad", json!("")).sign().len();
    let estimate = (limit - base) * 3 / 4;
    let mut fits = None;
    let mut too_big = None;
    for n in estimate - 8..estimate + 8 {
        let token = fx.issuer.token().claim("pad", json!("x".repeat(n))).sign();
        if token.len() <= limit {
            fits = Some(token);
        } else if too_big.is_none() {
            too_big = Some(token);
        }
    }
    let fits = fits.expect("a token at the limit");
    let too_big = too_big.expect("a token over the limit");
    assert!(fits.len() > limit - 7, "{}", fits.len());
    assert!(too_big.len() < limit + 8, "{}", too_big.len());
    fx.accepts(&fits, &format!("{} bytes", fits.len())).await;
    fx.rejects_too_large(&too_big).await;
    let huge = fx
        .issuer
        .token()
        .claim("pad", json!("x".repeat(60_000)))
        .sign();
    fx.rejects_too_large(&huge).await;
}

#[tokio::test]
async fn tampering_breaks_the_signature() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);

    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s[1]).unwrap()).unwrap();
    claims["sub"] = json!("admin");
    let forged = format!("{}.{}.{}", s[0], b64(claims.to_string()), s[2]);
    fx.rejects(&forged, Reason::InvalidSignature, "payload sub changed")
        .await;

    claims["sub"] = json!(SUB);
    claims["scope"] = json!("admin");
    let forged = format!("{}.{}.{}", s[0], b64(claims.to_string()), s[2]);
    fx.rejects(&forged, Reason::InvalidSignature, "payload scope added")
        .await;

    let header = json!({"alg": "RS256", "kid": "key-1"});
    let forged = format!("{}.{}.{}", b64(header.to_string()), s[1], s[2]);
    fx.rejects(&forged, Reason::InvalidSignature, "header typ removed")
        .await;

    let mut sig = URL_SAFE_NO_PAD.decode(s[2]).unwrap();
    sig[10] ^= 1;
    let forged = format!("{}.{}.{}", s[0], s[1], b64(&sig));
    fx.rejects(
        &forged,
        Reason::InvalidSignature,
        "one signature bit flipped",
    )
    .await;

    let forged = format!("{}.{}.{}", s[0], s[1], b64(&sig[..sig.len() - 1]));
    fx.rejects(
        &forged,
        Reason::InvalidSignature,
        "signature one byte short",
    )
    .await;

    let other = fx.issuer.token().subject("admin").sign();
    let spliced = format!("{}.{}.{}", s[0], segments(&other)[1], s[2]);
    fx.rejects(
        &spliced,
        Reason::InvalidSignature,
        "payload spliced from another token",
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Claims
// ---------------------------------------------------------------------------------------------

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
// Error responses
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn insufficient_scope_response() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let r = send(&fx.app, req("GET", "/scoped").bearer(&token)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{r:?}");
    assert_eq!(r.www(), Some(INSUFFICIENT_SCOPE));
    assert_eq!(r.error().as_deref(), Some("insufficient_scope"));
    assert_eq!(
        r.json()["error_description"],
        "the access token does not grant this request: it needs the scope in `scope`"
    );
    assert_no_leak(&r, &token, "403");

    // Without a token the route answers 401 before the handler runs.
    let r = send(&fx.app, req("GET", "/scoped")).await;
    assert_missing_token(&r, "scoped route without token");
}

/// Every rejection path, with a recognisable subject: nothing from the token comes back.
#[tokio::test]
async fn responses_never_echo_the_token() {
    const CANARY: &str = "canary-subject-5f1c0d";
    let fx = Fixture::new().await;
    let t = || fx.issuer.token().subject(CANARY);
    let good = t().sign();
    let s = segments(&good);
    let tokens: Vec<(&str, String)> = vec![
        ("expired", t().expires_in(-3600).sign()),
        ("wrong audience", t().audience("other").sign()),
        (
            "wrong issuer",
            t().claim("iss", json!("https://evil.example")).sign(),
        ),
        ("alg none", t().header("alg", json!("none")).sign()),
        ("bad typ", t().header("typ", json!("JOSE")).sign()),
        ("crit", t().header("crit", json!(["x"])).sign()),
        ("unknown kid", t().header("kid", json!("nope")).sign()),
        (
            "tampered",
            format!(
                "{}.{}.{}",
                s[0],
                b64(json!({"sub": CANARY}).to_string()),
                s[2]
            ),
        ),
        (
            "too large",
            t().claim("pad", json!("x".repeat(40_000))).sign(),
        ),
        ("two segments", format!("{}.{}", s[0], s[1])),
        ("padded signature", format!("{good}==")),
    ];
    let mut replies = Vec::new();
    for (case, token) in &tokens {
        replies.push((
            *case,
            token.clone(),
            send(&fx.app, req("GET", "/").bearer(token)).await,
        ));
        replies.push((
            *case,
            token.clone(),
            send(&fx.app, req("GET", "/optional").bearer(token)).await,
        ));
    }
    replies.push((
        "403",
        good.clone(),
        send(&fx.app, req("GET", "/scoped").bearer(&good)).await,
    ));
    replies.push((
        "two headers",
        good.clone(),
        send(&fx.app, req("GET", "/").bearer(&good).bearer(&good)).await,
    ));
    replies.push((
        "trailing junk",
        good.clone(),
        send(
            &fx.app,
            req("GET", "/").authorization(&format!("Bearer {good} x")),
        )
        .await,
    ));
    for (case, token, r) in &replies {
        assert!(r.status.is_client_error(), "{case}: {r:?}");
        assert_no_leak(r, token, case);
        assert!(
            !r.dump().contains(CANARY),
            "{case}: subject echoed in {r:?}"
        );
        for segment in segments(&good) {
            assert!(!r.dump().contains(segment), "{case}: original token echoed");
        }
    }
}

#[tokio::test]
async fn custom_realm() {
    let fx = Fixture::with(TestIssuer::start().await, |i| {
        Config::builder(i).realm("payments")
    })
    .await;
    let r = send(&fx.app, req("GET", "/")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.www(), Some(r#"Bearer realm="payments""#));
    assert_eq!(r.error().as_deref(), Some("unauthorized"));

    let token = fx.issuer.token().expires_in(-3600).sign();
    let r = send(&fx.app, req("GET", "/").bearer(&token)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.www(),
        Some(
            r#"Bearer realm="payments", error="invalid_token", error_description="the access token is invalid or expired""#
        )
    );
    assert_eq!(r.error().as_deref(), Some("invalid_token"));

    let r = send(&fx.app, req("GET", "/").authorization("Bearer a,b")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.www(),
        Some(
            r#"Bearer realm="payments", error="invalid_request", error_description="the Authorization header is malformed""#
        )
    );

    let realm = fx.axioms.config().realm();
    assert_eq!(realm, "payments");
    assert_eq!(fx.axioms.error(Reason::Expired).realm(), "payments");
}

#[tokio::test]
async fn custom_error_renderer() {
    let issuer = TestIssuer::start().await;
    let axioms = start_axioms(issuer.config(AUD))
        .await
        .with_error_renderer(|err| {
            (
                StatusCode::IM_A_TEAPOT,
                Json(json!({
                    "denied": format!("{:?}", err.reason()),
                    "would_be": err.status().as_u16(),
                })),
            )
                .into_response()
        });
    let app = app(axioms.clone());

    let r = send(&app, req("GET", "/")).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT, "{r:?}");
    assert_eq!(r.www(), None);
    assert_eq!(r.json(), json!({"denied": "MissingToken", "would_be": 401}));

    let token = issuer.token().expires_in(-3600).sign();
    let r = send(&app, req("GET", "/").bearer(&token)).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(r.json(), json!({"denied": "Expired", "would_be": 401}));

    let r = send(&app, req("GET", "/").bearer(&token).bearer(&token)).await;
    assert_eq!(
        r.json(),
        json!({"denied": "MultipleAuthorizationHeaders", "would_be": 400})
    );

    let r = send(&app, req("GET", "/optional").bearer(&token)).await;
    assert_eq!(r.json(), json!({"denied": "Expired", "would_be": 401}));

    // The renderer is used by the layer as well.
    let layered = Router::new()
        .route("/", get(|| async { "ok" }))
        .layer(AxiomsLayer::require(axioms));
    let r = send(&layered, req("GET", "/")).await;
    assert_eq!(r.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(r.json(), json!({"denied": "MissingToken", "would_be": 401}));
}

// ---------------------------------------------------------------------------------------------
// Layer
// ---------------------------------------------------------------------------------------------

async fn verdict(auth: Authentication) -> String {
    match auth {
        Authentication::Verified(c) => format!("verified:{}", c.subject().unwrap_or("")),
        Authentication::Anonymous => "anonymous".to_owned(),
        Authentication::Rejected(e) => format!("rejected:{:?}", e.reason()),
        _ => "other".to_owned(),
    }
}

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

fn required_app(axioms: Axioms) -> Router {
    Router::new()
        .route("/", get(verdict).options(verdict).post(verdict))
        .with_state(axioms.clone())
        .layer(AxiomsLayer::require(axioms))
}

#[tokio::test]
async fn requiring_layer() {
    let fx = Fixture::new().await;
    let app = required_app(fx.axioms.clone());
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
    // CorsLayer's job, before routing: tests/pipeline.rs).
    let r = send(&app, req("OPTIONS", "/")).await;
    assert_missing_token(&r, "OPTIONS without a token");
}

#[tokio::test]
async fn requiring_layer_with_safe_methods() {
    let issuer = TestIssuer::start().await;
    let fx = Fixture::with(issuer, |i| {
        Config::builder(i).safe_methods([Method::OPTIONS])
    })
    .await;
    let app = required_app(fx.axioms.clone());
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
// Hostile input
// ---------------------------------------------------------------------------------------------

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next().to_le_bytes()[0]).collect()
    }

    /// Bytes that may appear in a header value: HTAB, SP–`~`, obs-text.
    fn header_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                loop {
                    let b = self.next().to_le_bytes()[0];
                    if b == b'\t' || (b >= 0x20 && b != 0x7f) {
                        break b;
                    }
                }
            })
            .collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Where `other` differs from `good`: segment, offset and characters.
fn describe_difference(good: &str, other: &str) -> String {
    if good == other {
        return "identical".to_owned();
    }
    let at = good
        .bytes()
        .zip(other.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(good.len().min(other.len()));
    let segment = good[..at].matches('.').count();
    let segment_len = segments(good).get(segment).map_or(0, |s| s.len());
    format!(
        "lengths {} vs {}; first difference at byte {at} (segment {segment} of length \
         {segment_len}, {} bytes from its end): {:?} vs {:?}",
        good.len(),
        other.len(),
        good[at..].split('.').next().map_or(0, str::len),
        good.get(at..=at),
        other.get(at..=at),
    )
}

const B64TOKEN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

#[tokio::test]
async fn hostile_authorization_values_never_cause_a_server_error() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let headers_json: Vec<String> = vec![
        r#"{"alg":"RS256","kid":"key-1"}"#.into(),
        r#"{"alg":"RS256","kid":"key-1","typ":"at+jwt"}"#.into(),
        r#"{"alg":"RS256"}"#.into(),
        r#"{"alg":"none"}"#.into(),
        r#"{"alg":"HS256","kid":"key-1"}"#.into(),
        r#"{"alg":"ES256","kid":"key-1"}"#.into(),
        r#"{"alg":"EdDSA"}"#.into(),
        r#"{"alg":123}"#.into(),
        r#"{"alg":"RS256","kid":{"a":1}}"#.into(),
        r#"{"alg":"RS256","kid":"key-1","crit":["b64"],"b64":false}"#.into(),
        r#"{}"#.into(),
        r#"[]"#.into(),
        r#"null"#.into(),
        r#"{"alg":"RS256","kid":"\u0000"}"#.into(),
        format!(
            r#"{{"alg":"RS256","x":{}0{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        ),
        format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "é".repeat(200)),
    ];

    let bearer = |token: &str| HeaderValue::try_from(format!("Bearer {token}")).unwrap();
    let mut values: Vec<HeaderValue> = Vec::new();
    // Random header-safe bytes, with and without the scheme.
    for _ in 0..120 {
        let n = rng.below(300);
        let mut v = rng.header_bytes(n);
        if rng.below(2) == 0 {
            let mut with = b"Bearer ".to_vec();
            with.append(&mut v);
            v = with;
        }
        values.push(HeaderValue::from_bytes(&v).unwrap());
    }
    // Random b64token characters (often reaching the verifier).
    for _ in 0..80 {
        let n = 1 + rng.below(400);
        let token: String = (0..n).map(|_| char::from(*rng.pick(B64TOKEN))).collect();
        values.push(bearer(&token));
    }
    // Dots and near-empty shapes.
    for v in [
        "Bearer .",
        "Bearer ..",
        "Bearer ...",
        "Bearer ....",
        "Bearer .....",
        "Bearer a.b.c",
        "Bearer a.b.c.d.e",
        "Bearer ~.~.~",
        "Bearer =",
        "Bearer a=",
        "Bearer .=",
        "Bearer -",
        "Bearer _._._",
        "Bearer +/+/.+/+/.+/+/",
        "Bearer\t",
        "\tBearer x",
        " Bearer x",
        "Bearer  ",
        "bearer",
        "BEARER=",
        "Bearer,",
        "Bearer a.b.c,Bearer d.e.f",
    ] {
        values.push(HeaderValue::from_static(v));
    }
    // Three segments of random base64url.
    for _ in 0..80 {
        let mut segs = Vec::new();
        for _ in 0..3 {
            let n = rng.below(200);
            segs.push(b64(rng.bytes(n)));
        }
        let token = segs.join(".");
        if token.starts_with('.') || token.ends_with('.') {
            values.push(bearer(&format!("x{token}x")));
        } else {
            values.push(bearer(&token));
        }
    }
    // Plausible headers, random payloads and signatures.
    for _ in 0..80 {
        let header = rng.pick(&headers_json).clone();
        let payload = match rng.below(3) {
            0 => {
                let n = 1 + rng.below(100);
                b64(rng.bytes(n))
            }
            1 => segments(&good)[1].to_owned(),
            _ => b64(json!({"iss": fx.issuer.issuer(), "aud": AUD, "exp": rng.next()}).to_string()),
        };
        let sig = match rng.below(3) {
            0 => {
                let n = 1 + rng.below(600);
                b64(rng.bytes(n))
            }
            1 => segments(&good)[2].to_owned(),
            _ => "A".to_owned(),
        };
        let token = format!("{}.{payload}.{sig}", b64(header));
        if token != good {
            values.push(bearer(&token));
        }
    }
    // The real token, mutated and truncated.
    for _ in 0..60 {
        let mut bytes = good.clone().into_bytes();
        let i = rng.below(bytes.len());
        let replacement = *rng.pick(B64TOKEN);
        if bytes[i] == replacement {
            continue;
        }
        bytes[i] = replacement;
        values.push(bearer(&String::from_utf8(bytes).unwrap()));
        let cut = rng.below(good.len());
        values.push(HeaderValue::try_from(format!("Bearer {}", &good[..cut])).unwrap());
    }
    // Very long values.
    for n in [8_191, 8_192, 8_193, 20_000, 100_000] {
        values.push(bearer(&"A".repeat(n)));
        values.push(bearer(&"a.".repeat(n / 2)));
        values.push(HeaderValue::try_from(format!("Bearer {}", "=".repeat(n))).unwrap());
        values.push(HeaderValue::try_from("x".repeat(n)).unwrap());
        values.push(HeaderValue::from_bytes(&rng.header_bytes(n)).unwrap());
    }
    assert!(values.len() > 400, "{}", values.len());

    for (i, value) in values.iter().enumerate() {
        let case = format!(
            "hostile value #{i}: {:?}",
            String::from_utf8_lossy(&value.as_bytes()[..value.len().min(80)])
        );
        let r = send(&fx.app, req("GET", "/").header(AUTHORIZATION, value)).await;
        match r.status {
            StatusCode::BAD_REQUEST => assert_invalid_request(&r, &case),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => assert_too_large(&r, &case),
            StatusCode::UNAUTHORIZED => {
                assert!(
                    r.www() == Some(BARE) || r.www() == Some(INVALID_TOKEN),
                    "{case}: {r:?}"
                );
            }
            other => {
                let diff = value
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(|v| describe_difference(&good, v));
                panic!("{case}: status {other}: {r:?}; versus the genuine token: {diff:?}")
            }
        }
        assert!(r.dump().len() < 2_000, "{case}: response too large");
        // Also straight through the verifier (not only the HTTP path).
        if let Ok(s) = value.to_str() {
            assert!(fx.axioms.verify(s).await.is_err(), "{case}");
        }
    }

    // The verifier is still healthy afterwards.
    fx.accepts(&good, "good token after the barrage").await;
}
