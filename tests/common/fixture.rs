//! The standard application of the verification tests — an issuer, a verifier whose keys are
//! loaded, and three routes (`Claims`, `Option<Claims>`, a handler that refuses for a scope) —
//! with the exact answers RFC 6750 prescribes, a layered variant, and the assertions on them:
//! the status, the exact `WWW-Authenticate` challenge, the JSON `error`, nothing echoed.

use axioms::Clock as _;
use axioms::testing::TestIssuer;
use axioms::{
    AuthError, Authentication, Axioms, AxiomsLayer, Claims, Config, ConfigBuilder, IssuerBuilder,
    Reason,
};
use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::StatusCode;

use super::{Resp, ready, req, send};

/// The audience the fixture's verifier accepts, and the subject of its issuer's tokens.
pub const AUD: &str = "test-api";
pub const SUB: &str = "user-1";

/// The exact challenges: no credentials, a bad token, a malformed request, a missing scope.
pub const BARE: &str = r#"Bearer realm="api""#;
pub const INVALID_TOKEN: &str = r#"Bearer realm="api", error="invalid_token", error_description="the access token is invalid or expired""#;
pub const INVALID_REQUEST: &str = r#"Bearer realm="api", error="invalid_request", error_description="the Authorization header is malformed""#;
pub const INSUFFICIENT_SCOPE: &str = r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant this request: it needs the scope in `scope`", scope="read:data""#;

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn segments(token: &str) -> Vec<&str> {
    token.split('.').collect()
}

pub fn assert_missing_token(r: &Resp, case: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{case}: {r:?}");
    assert_eq!(r.www(), Some(BARE), "{case}");
    assert_eq!(r.error().as_deref(), Some("unauthorized"), "{case}: {r:?}");
}

pub fn assert_invalid_request(r: &Resp, case: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{case}: {r:?}");
    assert_eq!(r.www(), Some(INVALID_REQUEST), "{case}");
    assert_eq!(
        r.error().as_deref(),
        Some("invalid_request"),
        "{case}: {r:?}"
    );
}

pub fn assert_too_large(r: &Resp, case: &str) {
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

pub fn assert_invalid_token(r: &Resp, case: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{case}: {r:?}");
    assert_eq!(r.www(), Some(INVALID_TOKEN), "{case}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"), "{case}: {r:?}");
}

/// No part of the token (nor the default subject) appears anywhere in the response.
pub fn assert_no_leak(r: &Resp, token: &str, case: &str) {
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

/// An issuer, a verifier on it whose keys are loaded, and the application under test.
pub struct Fixture {
    pub issuer: TestIssuer,
    pub axioms: Axioms,
    pub app: Router,
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with(TestIssuer::start().await, Config::builder).await
    }

    /// The fixture of `issuer`, whose settings (and the service's) `configure` adjusts.
    pub async fn with(
        issuer: TestIssuer,
        configure: impl FnOnce(IssuerBuilder) -> ConfigBuilder,
    ) -> Self {
        let axioms = ready(configure(issuer.issuer_config(AUD))).await;
        let app = app(axioms.clone());
        Self {
            issuer,
            axioms,
            app,
        }
    }

    pub async fn reason(&self, token: &str) -> Option<Reason> {
        self.axioms.verify(token).await.err().map(|e| e.reason())
    }

    /// 401 `invalid_token` over HTTP, and `reason` from `Axioms::verify`.
    pub async fn rejects(&self, token: &str, reason: Reason, case: &str) {
        let r = send(&self.app, req("GET", "/").bearer(token)).await;
        assert_invalid_token(&r, case);
        assert_no_leak(&r, token, case);
        assert_eq!(self.reason(token).await, Some(reason), "{case}");
    }

    /// 431 over HTTP (a new token would be as large: not 401), `TokenTooLarge` from
    /// `Axioms::verify`.
    pub async fn rejects_too_large(&self, token: &str) {
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
    pub async fn accepts(&self, token: &str, case: &str) {
        let r = send(&self.app, req("GET", "/").bearer(token)).await;
        assert_eq!(r.status, StatusCode::OK, "{case}: {r:?}");
        assert_eq!(r.body, SUB, "{case}");
        assert_eq!(r.www(), None, "{case}");
        let verified = self.axioms.verify(token).await;
        assert!(verified.is_ok(), "{case}: {verified:?}");
    }

    pub fn now(&self) -> i64 {
        axioms::SystemClock.now()
    }
}

/// The routes every fixture serves:
/// * `GET /` requires `Claims` and answers the subject;
/// * `GET /optional` takes `Option<Claims>`;
/// * `GET /scoped` requires `Claims`, then refuses with `insufficient_scope`.
pub fn app(axioms: Axioms) -> Router {
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

/// What the pipeline decided, as text: `verified:<sub>`, `anonymous` or `rejected:<Reason>`.
pub async fn verdict(auth: Authentication) -> String {
    match auth {
        Authentication::Verified(c) => format!("verified:{}", c.subject().unwrap_or("")),
        Authentication::Anonymous => "anonymous".to_owned(),
        Authentication::Rejected(e) => format!("rejected:{:?}", e.reason()),
        _ => "other".to_owned(),
    }
}

/// The routes of [`verdict`] (GET, OPTIONS, POST) behind `AxiomsLayer::require`.
pub fn layered_app(axioms: Axioms) -> Router {
    Router::new()
        .route("/", get(verdict).options(verdict).post(verdict))
        .with_state(axioms.clone())
        .layer(AxiomsLayer::require(axioms))
}
