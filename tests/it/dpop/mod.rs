//! DPoP at the resource server (RFC 9449 §4.3, §7, §8): a DPoP-bound token is accepted with a
//! proof of its key and refused without one; every check of §4.3 has a failing case here, each
//! named by the [`Reason`] it must produce and by the exact answer the client gets.
//!
//! The proofs: [`proofs`]; where a bound token is required, and what binding a token needs:
//! [`binding`]; the replay store shared by two instances through Redis: [`redis`].

use axioms::testing::{DpopKey, TestIssuer};
use axioms::{AuthError, Axioms, Claims, Config, ConfigBuilder, IssuerBuilder, protected};
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::common::{Req, Resp, challenge_of, req, verifier};

mod binding;
mod proofs;
mod redis;

const RESOURCE: &str = "https://api.example.com";

#[protected(scopes = any("read:data"))]
async fn orders() -> &'static str {
    "orders"
}

#[protected(scopes = any("write:data"))]
async fn create_order() -> (http::StatusCode, &'static str) {
    (http::StatusCode::CREATED, "created")
}

/// Only DPoP-bound tokens, on this route alone.
#[protected(dpop = required, scopes = any("read:data"))]
async fn payouts() -> &'static str {
    "payouts"
}

axioms::policy!(Bound: dpop = required);

#[protected(policy = Bound)]
async fn bound_only() -> &'static str {
    "bound"
}

/// Any path under `/files/`, as the router reads it: byte for byte, backslashes and
/// percent-encoded dots included.
#[protected(scopes = any("read:data"))]
async fn stored_file(axum::extract::Path(rest): axum::extract::Path<String>) -> String {
    rest
}

async fn whoami(claims: Claims) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

/// The app under test: the rejection's [`Reason`] is copied into `x-reason`, so that each
/// case asserts why it was refused, not only that it was.
fn app(axioms: Axioms) -> Router {
    let axioms = axioms.with_error_renderer(|err: &AuthError| {
        let mut response = err.clone().into_response();
        response.headers_mut().insert(
            "x-reason",
            http::HeaderValue::from_str(&format!("{:?}", err.reason())).unwrap(),
        );
        response
    });
    let v1 = Router::new().route("/orders", get(orders));
    Router::new()
        .route("/orders", get(orders).post(create_order))
        .route("/me", get(whoami))
        .route("/files/{*rest}", get(stored_file))
        .route("/payouts", get(payouts))
        .route("/bound", get(bound_only))
        .nest("/v1", v1)
        .with_state(axioms)
}

struct Fixture {
    issuer: TestIssuer,
    app: Router,
}

impl Fixture {
    fn plain_token(&self, scope: &str) -> String {
        self.issuer.token().audience(RESOURCE).scope(scope).sign()
    }

    fn bound_token(&self, key: &DpopKey, scope: &str) -> String {
        self.issuer
            .token()
            .audience(RESOURCE)
            .scope(scope)
            .bound_to(key)
            .sign()
    }
}

async fn fixture(configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> Fixture {
    fixture_of(|issuer| issuer, configure).await
}

/// [`fixture`] with the issuer's settings adjusted too.
async fn fixture_of(
    issuer_config: impl FnOnce(IssuerBuilder) -> IssuerBuilder,
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> Fixture {
    let issuer = TestIssuer::start().await;
    let app = app(verifier(configure(
        Config::builder(issuer_config(issuer.issuer_config(RESOURCE))).resource(RESOURCE),
    )));
    Fixture { issuer, app }
}

/// A proof of `key` for `method` on `RESOURCE` + `path`, for `token`.
fn proof_for(key: &DpopKey, method: &str, path: &str, token: &str) -> String {
    key.proof(method, &format!("{RESOURCE}{path}"))
        .access_token(token)
        .sign()
}

fn dpop(method: &str, path: &str, token: &str, proof: &str) -> Req {
    req(method, path)
        .authorization(&format!("DPoP {token}"))
        .header("dpop", proof)
}

fn reason(r: &Resp) -> &str {
    r.header("x-reason")
}

/// The default `algs`: every algorithm, EdDSA under both its names (RFC 9864).
const ALGS: &str = "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519";

/// `Ok` if `r` is a 401 for `why` whose `DPoP` challenge carries `error` and the `algs`
/// list, and whose `Bearer` challenge (offered beside it) carries no error.
fn dpop_error(r: &Resp, error: &str, why: &str) -> Result<(), String> {
    let fail = |what: &str| Err(format!("{what}: {r:?}"));
    if r.status != 401 {
        return fail("status is not 401");
    }
    if reason(r) != why {
        return fail(&format!("reason is not {why}"));
    }
    let Some(www) = r.www() else {
        return fail("no challenge");
    };
    let dpop = challenge_of(www, "DPoP");
    if dpop.get("error").map(String::as_str) != Some(error) {
        return fail(&format!("DPoP challenge without error={error}"));
    }
    if dpop.get("algs").map(String::as_str) != Some(ALGS) {
        return fail("DPoP challenge without the algs");
    }
    if challenge_of(www, "Bearer").contains_key("error") {
        return fail("the Bearer challenge carries the error too");
    }
    if r.error().as_deref() != Some(error) {
        return fail("body without the error");
    }
    Ok(())
}

#[track_caller]
fn assert_dpop_error(r: &Resp, error: &str, why: &str, case: &str) {
    if let Err(e) = dpop_error(r, error, why) {
        panic!("{case}: {e}");
    }
}
