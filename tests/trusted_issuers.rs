//! A binary of its own: its policies name the issuer `partner`, and `Axioms::new` refuses to
//! start while a policy linked into the binary names an issuer the configuration does not
//! trust — in the main test binary, every other verifier would refuse to start.
//!
//! Several trusted issuers in one verifier: the issuer is chosen by `iss` before any key
//! lookup, keys never cross issuers, an unknown `iss` costs no fetch, one issuer down leaves
//! the others working — and trust stops at the issuer: a partner's IdP vouches only for what
//! the policies or the operator extend to it, never for our users or our roles. (The same
//! against two real oidc-provider instances: `interop::issuers` in `tests/it`.)
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axioms::mcp::{McpLayer, McpPolicies};
use axioms::policy::{Owned, PolicyLayer};
use axioms::testing::TestIssuer;
use axioms::{
    Algorithm, Axioms, AxiomsLayer, Claims, Config, ConfigBuilder, Issuer, IssuerBuilder,
    Principal, Reason, ResourceMetadata, Trust, protected,
};
use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::routing::{delete, get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Resp, req, send};
use http::StatusCode;
use serde_json::{Value, json};

/// What the test issuers' tokens say in `iss`; their servers stay on 127.0.0.1.
const STAFF: &str = "https://staff.axioms.test/";
const PARTNER: &str = "https://partner.axioms.test/realms/b2b";

// ---------------------------------------------------------------------------------------------
// The application: routes for any trusted token, for the partner only, for our staff, and
// notes owned by our users (a plain `sub`) or by users of any directory (a `Principal`).

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
    notes: Notes,
}

/// `id` → owner: ours by a plain `sub`; shared ones by a principal of any directory.
#[derive(Clone)]
struct Notes {
    ours: Arc<HashMap<u64, String>>,
    shared: Arc<HashMap<u64, Principal>>,
}

struct Note {
    owner: String,
}

struct SharedNote {
    owner: Principal,
}

async fn note(Path(id): Path<u64>, State(notes): State<Notes>) -> Option<Note> {
    notes.ours.get(&id).map(|owner| Note {
        owner: owner.clone(),
    })
}

async fn shared_note(Path(id): Path<u64>, State(notes): State<Notes>) -> Option<SharedNote> {
    notes.shared.get(&id).map(|owner| SharedNote {
        owner: owner.clone(),
    })
}

#[protected(scopes = "read:data")]
async fn data(claims: Claims) -> String {
    claims.vouched_by().unwrap_or("nobody").to_owned()
}

#[protected(issuer = "partner")]
async fn partner_only() -> &'static str {
    "partner"
}

/// Our staff by issuer, or the partner's admins by their role (read from their `groups`).
#[protected(any_of(
    issuer = "primary",
    all_of(issuer = "partner", roles = "partner-admin")
))]
async fn staff() -> &'static str {
    "staff"
}

/// Our notes: their author, or an admin.
#[protected(any_of(owner(fetch = note, field = "owner"), roles = "admin"), state = AppState)]
async fn delete_note(Owned(note): Owned<Note>) -> StatusCode {
    let _ = note.owner;
    StatusCode::NO_CONTENT
}

/// Notes of users of both directories: the author, under whichever trusted issuer vouched
/// for her.
#[protected(
    issuer = any("primary", "partner"),
    owner(fetch = shared_note, field = "owner"),
    state = AppState
)]
async fn edit_shared(Owned(note): Owned<SharedNote>) -> String {
    note.owner.to_string()
}

axioms::policy!(pub Admins: roles = "admin");

/// No policy: the `Claims` extractor alone.
async fn me(claims: Claims) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

/// Serves everyone, personalizes for a caller.
async fn hello(claims: Option<Claims>) -> String {
    claims.map_or_else(|| "stranger".to_owned(), |c| c.directory().to_owned())
}

/// The partner's users, by their principal: the policy admits them, so `Claims` follows.
#[protected(issuer = "partner")]
async fn partner_me(claims: Claims) -> String {
    claims
        .principal()
        .map(|p| p.to_string())
        .unwrap_or_default()
}

fn app(axioms: Axioms) -> Router {
    let notes = Notes {
        ours: Arc::new(HashMap::from([
            (1, "alice".to_owned()),
            (2, "bob".to_owned()),
        ])),
        shared: Arc::new(HashMap::from([
            (10, "primary:alice".parse().unwrap()),
            (11, "partner:alice".parse().unwrap()),
        ])),
    };
    let admin = Router::new()
        .route("/admin/users", get(|| async { "all users" }))
        .layer(PolicyLayer::<Admins>::new(axioms.clone()));
    let signed_in = Router::new()
        .route("/signed-in", get(|| async { "signed in" }))
        .layer(AxiomsLayer::require(axioms.clone()));
    Router::new()
        .route("/data", get(data))
        .route("/partner", get(partner_only))
        .route("/staff", get(staff))
        .route("/notes/{id}", delete(delete_note))
        .route("/shared/{id}", post(edit_shared))
        .route("/me", get(me))
        .route("/hello", get(hello))
        .route("/partner/me", get(partner_me))
        .with_state(AppState { axioms, notes })
        .merge(admin)
        .merge(signed_in)
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// A test issuer whose tokens say `iss` = `name`; its keys stay at its own JWKS URL.
async fn issuer_named(name: &str, alg: Algorithm) -> TestIssuer {
    let issuer = TestIssuer::start_with(&[alg]).await;
    issuer.set_issuer(name);
    issuer
}

/// The partner's settings: its audience, its roles in `groups`.
fn partner_config(partner: &TestIssuer) -> IssuerBuilder {
    partner
        .issuer_config("partner-api")
        .roles_claims(["groups"])
}

/// Staff (RS256, audience `api`) as the primary, and the partner's IdP (ES256) trusted as
/// `trust` says.
async fn two_with(trust: Trust) -> (TestIssuer, TestIssuer, Axioms) {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    let config = Config::builder(staff.issuer_config("api"))
        .trust("partner", partner_config(&partner), trust)
        .build()
        .unwrap();
    (staff, partner, Axioms::new(config).unwrap())
}

async fn two() -> (TestIssuer, TestIssuer, Axioms) {
    two_with(Trust::partner()).await
}

fn header_kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[track_caller]
fn assert_error(r: &Resp, status: u16, error: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {r:?}");
    assert_eq!(r.error().as_deref(), Some(error), "{what}: {r:?}");
}

/// A 403 because the route does not trust the token's issuer.
#[track_caller]
fn assert_not_trusted(r: &Resp, what: &str) {
    assert_error(r, 403, "insufficient_scope", what);
    assert_eq!(
        r.json()["error_description"],
        "this resource does not accept tokens of this issuer",
        "{what}"
    );
}

// ---------------------------------------------------------------------------------------------
// Trust stops at the issuer.

/// The attack: the partner's IdP mints our Alice's `sub`, or `roles: ["admin"]`. Its keys
/// are the partner's, so it verifies — and opens nothing of ours.
#[tokio::test]
async fn a_partner_token_never_opens_our_users_objects_nor_uses_our_roles() {
    let (staff, partner, axioms) = two().await;
    let app = app(axioms.clone());
    let as_alice = partner
        .token()
        .audience("partner-api")
        .subject("alice")
        .sign();
    let as_admin = partner
        .token()
        .audience("partner-api")
        .subject("mallory")
        .claim("roles", json!(["admin"]))
        .claim("groups", json!(["admin"]))
        .scope("read:data")
        .sign();
    for token in [&as_alice, &as_admin] {
        // Through the macro: ownership, an admin role, a bare scope.
        let r = send(&app, req("DELETE", "/notes/1").bearer(token)).await;
        assert_not_trusted(&r, "a partner token on our note");
        let r = send(&app, req("GET", "/data").bearer(token)).await;
        assert_not_trusted(&r, "a partner token on a scope route");
        // Through a PolicyLayer of a `policy!`.
        let r = send(&app, req("GET", "/admin/users").bearer(token)).await;
        assert_not_trusted(&r, "a partner admin on the admin layer");
    }
    // Our own Alice and admin, for comparison.
    let alice = staff.token().audience("api").subject("alice").sign();
    let admin = staff
        .token()
        .audience("api")
        .subject("carol")
        .claim("roles", json!(["admin"]))
        .sign();
    let r = send(&app, req("DELETE", "/notes/1").bearer(&alice)).await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = send(&app, req("DELETE", "/notes/2").bearer(&alice)).await;
    assert_error(&r, 403, "insufficient_scope", "alice on bob's note");
    let r = send(&app, req("DELETE", "/notes/2").bearer(&admin)).await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = send(&app, req("GET", "/admin/users").bearer(&admin)).await;
    assert_eq!(r.status, 200, "{r:?}");

    // `Claims::owns`, for objects a handler fetched itself: the same rule.
    let partner_claims = axioms.verify(&as_alice).await.unwrap();
    let our_claims = axioms.verify(&alice).await.unwrap();
    assert!(!partner_claims.owns("alice", "sub"));
    assert!(our_claims.owns("alice", "sub"));
    let theirs: Principal = "partner:alice".parse().unwrap();
    let ours: Principal = "primary:alice".parse().unwrap();
    assert!(partner_claims.owns(&theirs, "sub") && !partner_claims.owns(&ours, "sub"));
    assert!(our_claims.owns(&ours, "sub") && !our_claims.owns(&theirs, "sub"));
    assert_eq!(partner_claims.principal(), Some(theirs));
    assert_eq!(partner_claims.directory(), "partner");
    assert_eq!(our_claims.principal(), Some(ours));
}

/// Without a policy that admits it, a partner's token is not for the `Claims` extractors nor
/// for `AxiomsLayer::require`: what a handler reads (its `sub`, its roles), someone extended
/// to that issuer.
#[tokio::test]
async fn a_partner_token_reaches_a_handler_only_through_a_policy_that_admits_it() {
    let (staff, partner, axioms) = two().await;
    let app = app(axioms);
    let as_alice = partner
        .token()
        .audience("partner-api")
        .subject("alice")
        .sign();
    for path in ["/me", "/hello", "/signed-in"] {
        let r = send(&app, req("GET", path).bearer(&as_alice)).await;
        assert_not_trusted(&r, path);
        assert!(!r.body.contains("alice"), "{path}: {r:?}");
    }
    let r = send(&app, req("GET", "/partner/me").bearer(&as_alice)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "partner:alice"));
    // Ours, everywhere but the partner's route; and no token on the public route.
    let alice = staff.token().audience("api").subject("alice").sign();
    for (path, body) in [
        ("/me", "alice"),
        ("/hello", "primary"),
        ("/signed-in", "signed in"),
    ] {
        let r = send(&app, req("GET", path).bearer(&alice)).await;
        assert_eq!((r.status.as_u16(), r.body.as_str()), (200, body), "{path}");
    }
    let r = send(&app, req("GET", "/partner/me").bearer(&alice)).await;
    assert_not_trusted(&r, "our alice on the partner's route");
    let r = send(&app, req("GET", "/hello")).await;
    assert_eq!(r.body, "stranger");
}

/// An MCP endpoint's tool policies follow the same rule.
#[tokio::test]
async fn a_partner_admin_cannot_call_our_admin_tools() {
    let (staff, partner, axioms) = two().await;
    let tools = McpPolicies::new().tool::<Admins>("purge");
    let mcp: Router = Router::new()
        .route("/mcp", post(tool_or_list))
        .layer(McpLayer::new(axioms.clone(), tools).unwrap());
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"purge","arguments":{}}}"#;
    let partner_admin = partner
        .token()
        .audience("partner-api")
        .claim("groups", json!(["admin"]))
        .sign();
    let our_admin = staff
        .token()
        .audience("api")
        .claim("roles", json!(["admin"]))
        .sign();
    let r = send(&mcp, req("POST", "/mcp").bearer(&partner_admin).json(call)).await;
    assert_not_trusted(&r, "a partner admin calling purge");
    assert_ne!(r.body, "the tool ran");
    let r = send(&mcp, req("POST", "/mcp").bearer(&our_admin).json(call)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "the tool ran"));
    // The filtered `tools/list` agrees: the partner's admin is not shown `purge` (no
    // policy of this endpoint extends to the partner: not even the list is answered).
    let list = r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#;
    let r = send(&mcp, req("POST", "/mcp").bearer(&partner_admin).json(list)).await;
    assert_not_trusted(&r, "a partner admin listing tools");
    assert!(!r.body.contains("purge"), "{r:?}");
    let r = send(&mcp, req("POST", "/mcp").bearer(&our_admin).json(list)).await;
    assert_eq!(
        r.json()["result"]["tools"],
        json!([{"name": "purge"}]),
        "{r:?}"
    );
}

/// A stand-in MCP server: a `tools/list` lists `purge`; anything else runs the tool.
async fn tool_or_list(body: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    if body.contains("tools/list") {
        axum::Json(json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": [{"name": "purge"}]}}))
            .into_response()
    } else {
        "the tool ran".into_response()
    }
}

/// Where a policy names the partner, or the operator extends a policy to it, its tokens
/// count there — and ownership still compares within its own directory.
#[tokio::test]
async fn a_partner_counts_where_a_policy_names_it_or_the_operator_extends_it() {
    let (staff, partner, axioms) = two().await;
    let app = app(axioms.clone());
    let partner_token = partner
        .token()
        .audience("partner-api")
        .scope("read:data")
        .claim("groups", json!(["partner-admin"]))
        .sign();
    let staff_token = staff.token().audience("api").scope("read:data").sign();
    // `issuer = "partner"`: the partner's tokens only.
    let r = send(&app, req("GET", "/partner").bearer(&partner_token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("GET", "/partner").bearer(&staff_token)).await;
    assert_not_trusted(&r, "a staff token on /partner");
    // In a group: our staff by issuer, or the partner's admins by their role — the name
    // opens only the clauses beside it.
    let r = send(&app, req("GET", "/staff").bearer(&staff_token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("GET", "/staff").bearer(&partner_token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let plain_partner = partner.token().audience("partner-api").sign();
    let r = send(&app, req("GET", "/staff").bearer(&plain_partner)).await;
    assert_error(&r, 403, "insufficient_scope", "a partner without the role");

    // The operator extends `delete_note` and `Admins` to the partner: its admins count there,
    // and nowhere else; its `sub: "alice"` still owns none of our Alice's notes.
    let (_staff, partner, extended) = two_with(Trust::partner_for(["delete_note", "Admins"])).await;
    let app = crate::app(extended);
    let admin = partner
        .token()
        .audience("partner-api")
        .claim("groups", json!(["admin"]))
        .scope("read:data")
        .sign();
    let r = send(&app, req("DELETE", "/notes/1").bearer(&admin)).await;
    assert_eq!(r.status, 204, "{r:?}");
    let r = send(&app, req("GET", "/admin/users").bearer(&admin)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("GET", "/data").bearer(&admin)).await;
    assert_not_trusted(&r, "a route the operator did not extend");
    let as_alice = partner
        .token()
        .audience("partner-api")
        .subject("alice")
        .sign();
    let r = send(&app, req("DELETE", "/notes/1").bearer(&as_alice)).await;
    assert_error(&r, 403, "insufficient_scope", "the partner's alice on ours");
}

/// One `owner(…)` route for the users of both directories: each owns her own notes, and
/// never another directory's namesake's.
#[tokio::test]
async fn a_partner_user_owns_her_own_objects_and_never_ours() {
    let (staff, partner, axioms) = two().await;
    let app = app(axioms);
    let our_alice = staff.token().audience("api").subject("alice").sign();
    let their_alice = partner
        .token()
        .audience("partner-api")
        .subject("alice")
        .sign();
    for (token, own, other, who) in [
        (&our_alice, 10, 11, "primary:alice"),
        (&their_alice, 11, 10, "partner:alice"),
    ] {
        let r = send(&app, req("POST", &format!("/shared/{own}")).bearer(token)).await;
        assert_eq!((r.status.as_u16(), r.body.as_str()), (200, who), "{r:?}");
        let r = send(&app, req("POST", &format!("/shared/{other}")).bearer(token)).await;
        assert_error(&r, 403, "insufficient_scope", who);
    }
}

/// An issuer declared to share the primary's directory (a move from one IdP to another) is
/// trusted everywhere, and its subjects own what ours own: one declaration.
#[tokio::test]
async fn two_issuers_of_one_directory_pass_both() {
    let (staff, keycloak, axioms) = two_with(Trust::same_directory()).await;
    let app = app(axioms);
    for (issuer, audience) in [(&staff, "api"), (&keycloak, "partner-api")] {
        let alice = issuer.token().audience(audience).subject("alice").sign();
        let r = send(&app, req("DELETE", "/notes/1").bearer(&alice)).await;
        assert_eq!(r.status, 204, "{audience}: {r:?}");
        let r = send(&app, req("POST", "/shared/10").bearer(&alice)).await;
        assert_eq!(r.status, 200, "{audience}: {r:?}");
        let reader = issuer.token().audience(audience).scope("read:data").sign();
        let r = send(&app, req("GET", "/data").bearer(&reader)).await;
        assert_eq!(r.status, 200, "{audience}: {r:?}");
    }
    // Its tokens still say who vouched.
    let token = keycloak
        .token()
        .audience("partner-api")
        .scope("read:data")
        .sign();
    let r = send(&app, req("GET", "/data").bearer(&token)).await;
    assert_eq!(r.body, "partner");
}

// ---------------------------------------------------------------------------------------------
// Issuers by name.

/// The variables of one deployment: our issuer and the partner's at `*_url`, their keys at
/// the test servers.
fn deployment(
    ours: (&str, &TestIssuer),
    theirs: (&str, &TestIssuer),
) -> HashMap<&'static str, String> {
    HashMap::from([
        ("AXIOMS_ISS_URL", ours.0.to_owned()),
        ("AXIOMS_JWKS_URL", ours.1.jwks_url()),
        ("AXIOMS_AUDIENCE", "api".to_owned()),
        ("AXIOMS_TRUST", "PARTNER".to_owned()),
        ("AXIOMS_PARTNER_ISS_URL", theirs.0.to_owned()),
        ("AXIOMS_PARTNER_JWKS_URL", theirs.1.jwks_url()),
        ("AXIOMS_PARTNER_AUDIENCE", "partner-api".to_owned()),
        ("AXIOMS_PARTNER_ROLES_CLAIMS", "groups".to_owned()),
    ])
}

/// One binary, staging and production: the same names for different issuer URLs, the same
/// policies enforced.
#[tokio::test]
async fn one_binary_serves_staging_and_production() {
    for (stage, ours, theirs) in [
        (
            "staging",
            "https://staging.staff.axioms.test/",
            "https://staging.partner.axioms.test/",
        ),
        (
            "production",
            "https://staff.axioms.test/",
            "https://partner.axioms.test/",
        ),
    ] {
        let staff = issuer_named(ours, Algorithm::RS256).await;
        let partner = issuer_named(theirs, Algorithm::ES256).await;
        let vars = deployment((ours, &staff), (theirs, &partner));
        let config = Config::from_vars(|k| vars.get(k).cloned()).unwrap();
        let app = app(Axioms::new(config).unwrap());
        let partner_token = partner
            .token()
            .audience("partner-api")
            .scope("read:data")
            .sign();
        let staff_token = staff.token().audience("api").scope("read:data").sign();
        let r = send(&app, req("GET", "/partner").bearer(&partner_token)).await;
        assert_eq!(r.status, 200, "{stage}: {r:?}");
        let r = send(&app, req("GET", "/partner").bearer(&staff_token)).await;
        assert_not_trusted(&r, stage);
        let r = send(&app, req("GET", "/data").bearer(&partner_token)).await;
        assert_not_trusted(&r, stage);
        let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
        assert_eq!(
            (r.status.as_u16(), r.body.as_str()),
            (200, "primary"),
            "{stage}"
        );
    }
}

#[tokio::test]
async fn a_policy_naming_an_issuer_that_is_not_trusted_is_a_startup_error() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let err = Axioms::new(staff.config("api").build().unwrap()).unwrap_err();
    let axioms::InitError::Config(err) = err else {
        panic!("{err}")
    };
    assert_eq!(err.setting(), "AXIOMS_TRUST");
    let message = err.to_string();
    assert!(message.contains("the issuer `partner`"), "{message}");
    // Every policy of this binary that names `partner` is one the message could name.
    assert!(
        ["partner_only", "partner_me", "staff", "edit_shared"]
            .iter()
            .any(|policy| message.contains(&format!("the policy `{policy}`"))),
        "{message}"
    );
    // An extension to a policy the binary does not have is one too.
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    let config = staff
        .config("api")
        .trust(
            "partner",
            partner_config(&partner),
            Trust::partner_for(["delete_notes"]),
        )
        .build()
        .unwrap();
    let err = Axioms::new(config).unwrap_err();
    assert!(err.to_string().contains("`delete_notes`"), "{err}");
}

/// `set_issuer` makes a test issuer stand for another, and its configuration still fetches
/// keys from the test server only: a verified token proves no other address was asked
/// (this machine reaches no other).
#[tokio::test]
async fn a_test_issuer_standing_for_another_fetches_from_itself() {
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let config = staff
        .config("api")
        .trust(
            "partner",
            partner.issuer_config("partner-api"),
            Trust::partner(),
        )
        .build()
        .unwrap();
    for (issuer, trusted) in [
        (&staff, config.primary()),
        (&partner, config.issuer("partner").unwrap()),
    ] {
        assert_eq!(
            trusted.jwks_url().map(|u| u.to_string()),
            Some(issuer.jwks_url())
        );
    }
    let axioms = Axioms::new(config).unwrap();
    let token = partner.token().audience("partner-api").sign();
    assert_eq!(
        axioms.verify(&token).await.unwrap().vouched_by(),
        Some("partner")
    );
    assert!(partner.jwks_fetches() >= 1);
}

// ---------------------------------------------------------------------------------------------
// Choosing among issuers.

#[tokio::test]
async fn each_issuer_with_its_own_audience_and_claim_names() {
    let (staff, partner, axioms) = two_with(Trust::partner_for(["data"])).await;
    let app = app(axioms.clone());
    let staff_token = staff.token().audience("api").scope("read:data").sign();
    let partner_token = partner
        .token()
        .audience("partner-api")
        .scope("read:data")
        .claim("groups", json!(["editor"]))
        .sign();
    // Each issuer's token, with its own audience; `vouched_by` says whose.
    let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "primary"));
    let r = send(&app, req("GET", "/data").bearer(&partner_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "partner"));
    let claims = axioms.verify(&partner_token).await.unwrap();
    assert_eq!(claims.roles(), [Box::from("editor")], "roles from `groups`");
    assert_eq!(claims.issuer(), Some(PARTNER));

    // Audiences do not cross either: the staff audience on a partner token.
    let wrong_audience = partner.token().audience("api").scope("read:data").sign();
    let r = send(&app, req("GET", "/data").bearer(&wrong_audience)).await;
    assert_error(
        &r,
        401,
        "invalid_token",
        "partner token for the staff audience",
    );
    let err = axioms.verify(&wrong_audience).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AudienceMismatch);

    // Cached tokens keep their issuer (the second request of each is a cache hit).
    assert!(axioms.token_cache_stats().hits > 0);
    let r = send(&app, req("GET", "/partner").bearer(&staff_token)).await;
    assert_eq!(r.status, 403, "cached staff token on /partner: {r:?}");
    let names: Vec<&str> = axioms.config().issuers().map(Issuer::name).collect();
    assert_eq!(names, ["primary", "partner"]);
}

#[tokio::test]
async fn keys_never_cross_issuers_and_an_unknown_issuer_costs_no_fetch() {
    let (staff, partner, axioms) = two().await;
    assert!(axioms.ready(Duration::from_secs(5)).await);
    let (staff_fetches, partner_fetches) = (staff.jwks_fetches(), partner.jwks_fetches());

    // A token naming the staff issuer, signed with a key that only the partner publishes
    // (its kid is the partner's): an unknown kid at staff, and the partner is never asked.
    let partner_only = partner.add_key(Algorithm::ES256);
    let forged = partner
        .token()
        .claim("iss", json!(STAFF))
        .audience("api")
        .signed_with(&partner_only)
        .sign();
    let err = axioms.verify(&forged).await.unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKid, "{err:?}");
    // Both publish a `key-1`: the staff issuer's own `key-1` is the one asked, and it does not
    // verify the partner's signature.
    let same_kid = partner
        .token()
        .claim("iss", json!(STAFF))
        .audience("api")
        .sign();
    assert_eq!(header_kid(&same_kid), "key-1");
    let err = axioms.verify(&same_kid).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AlgorithmKeyMismatch, "{err:?}");
    assert_eq!(
        partner.jwks_fetches(),
        partner_fetches,
        "no fetch at the partner"
    );

    // An issuer nobody trusts, with a valid signature of its own: refused before any key
    // lookup, so no fetch anywhere (not even at its own JWKS).
    let stranger = issuer_named("https://stranger.axioms.test/", Algorithm::ES256).await;
    let token = stranger.token().audience("api").sign();
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::IssuerMismatch);
    // No `iss` at all, and an `iss` that is not a string.
    let err = axioms
        .verify(&staff.token().without("iss").audience("api").sign())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::MissingIssuer);
    let err = axioms
        .verify(&staff.token().claim("iss", json!(7)).audience("api").sign())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::ClaimType);
    assert_eq!(stranger.jwks_fetches(), 0);
    assert_eq!(partner.jwks_fetches(), partner_fetches);
    // The forged token's unknown kid may refetch at staff (cooldown-limited), never more.
    assert!(staff.jwks_fetches() <= staff_fetches + 1);

    // The HTTP answer of an unknown issuer is a plain invalid_token.
    let r = send(&app(axioms), req("GET", "/data").bearer(&token)).await;
    assert_error(&r, 401, "invalid_token", "an untrusted issuer");
}

#[tokio::test]
async fn one_issuer_down_leaves_the_other_working() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    staff.stop();
    let config = Config::builder(
        staff
            .issuer_config("api")
            .http_timeouts(Duration::from_millis(200), Duration::from_millis(500)),
    )
    .trust(
        "partner",
        partner_config(&partner),
        Trust::partner_for(["data"]),
    )
    .build()
    .unwrap();
    let app = app(Axioms::new(config).unwrap());
    let partner_token = partner
        .token()
        .audience("partner-api")
        .scope("read:data")
        .sign();
    let r = send(&app, req("GET", "/data").bearer(&partner_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "partner"));
    // The staff issuer's tokens: 503 (its keys were never loaded), not 401.
    let staff_token = staff.token().audience("api").scope("read:data").sign();
    let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert!(!r.header("retry-after").is_empty(), "{r:?}");
    // Back up: it verifies.
    staff.resume().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
        if r.status == 200 {
            assert_eq!(r.body, "primary");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "staff never recovered: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_list_of_issuers_that_cannot_be_told_apart_is_a_startup_error() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let other = issuer_named(PARTNER, Algorithm::ES256).await;
    let with = |name: &str, issuer: IssuerBuilder| -> ConfigBuilder {
        staff.config("api").trust(name, issuer, Trust::partner())
    };
    let message = |b: ConfigBuilder| b.build().unwrap_err().to_string();

    let twice = message(with("partner", staff.issuer_config("api")));
    assert!(twice.contains("trusted twice"), "{twice}");
    let named_twice = message(with("partner", partner_config(&other)).trust(
        "partner",
        partner_config(&other),
        Trust::partner(),
    ));
    assert!(
        named_twice.contains("two trusted issuers are named `partner`"),
        "{named_twice}"
    );
    let anonymous = Issuer::builder()
        .jwks_url(other.jwks_url())
        .audience("api")
        .insecure_skip_issuer_check();
    let unchecked = message(with("partner", anonymous));
    assert!(unchecked.contains("skips the issuer check"), "{unchecked}");
    for bad in ["Partner", "primary", "a-b", ""] {
        let err = with(bad, partner_config(&other)).build().unwrap_err();
        assert_eq!(err.setting(), "AXIOMS_TRUST", "{bad}: {err}");
    }

    // Only the primary introspects: an opaque token cannot say whose it is.
    let err = message(with(
        "partner",
        partner_config(&other).introspection("rs", "secret"),
    ));
    assert!(err.contains("only the primary may"), "{err}");
    // A named issuer's own mistake names it and its variable.
    let err = message(with(
        "partner",
        partner_config(&other).leeway(Duration::from_secs(3600)),
    ));
    assert!(err.contains("AXIOMS_PARTNER_LEEWAY_SECS"), "{err}");
    // A multi-tenant template before an exact issuer it matches would take its tokens.
    let template = Issuer::builder()
        .issuer("https://login.microsoftonline.com/{tenantid}/v2.0")
        .jwks_url(staff.jwks_url())
        .audience("api")
        .accept_every_tenant();
    let tenant = Issuer::builder()
        .issuer("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0")
        .jwks_url(other.jwks_url())
        .audience("api");
    let err = message(Config::builder(template.clone()).trust(
        "partner",
        tenant.clone(),
        Trust::partner(),
    ));
    assert!(err.contains("comes after the template"), "{err}");
    assert!(
        Config::builder(tenant)
            .trust("partner", template, Trust::partner())
            .build()
            .is_ok()
    );
}

/// Service variables under an issuer's name, and trust variables without one: startup
/// errors that name the variable, never silently ignored.
#[test]
fn issuers_from_the_environment() {
    let vars = HashMap::from([
        ("AXIOMS_ISS_URL", STAFF),
        ("AXIOMS_RESOURCE", "https://api.axioms.test"),
        ("AXIOMS_TRUST", "PARTNER, LEGACY"),
        ("AXIOMS_PARTNER_ISS_URL", PARTNER),
        ("AXIOMS_PARTNER_AUDIENCE", "https://api.axioms.test"),
        ("AXIOMS_PARTNER_ROLES_CLAIMS", "groups"),
        ("AXIOMS_PARTNER_DISCOVERY", "true"),
        ("AXIOMS_PARTNER_TRUSTED_FOR", "data, Admins"),
        ("AXIOMS_LEGACY_ISS_URL", "https://legacy.axioms.test/"),
        ("AXIOMS_LEGACY_SAME_DIRECTORY", "true"),
        (
            "AXIOMS_LEGACY_HMAC_SECRET",
            "a-legacy-secret-of-at-least-32-bytes!",
        ),
    ]);
    let read =
        |vars: &HashMap<&str, &str>| Config::from_vars(|k| vars.get(k).map(|v| (*v).to_owned()));
    let config = read(&vars).unwrap();
    let issuers: Vec<_> = config
        .issuers()
        .map(|i| (i.name(), i.issuer().unwrap(), i.directory()))
        .collect();
    assert_eq!(
        issuers,
        [
            ("primary", STAFF, "primary"),
            ("partner", PARTNER, "partner"),
            ("legacy", "https://legacy.axioms.test/", "primary"),
        ]
    );
    let partner = config.issuer("partner").unwrap();
    assert!(partner.discovery_url().is_some());
    assert_eq!(
        partner.trusted_for().collect::<Vec<_>>(),
        ["data", "Admins"]
    );
    // The service's resource is every issuer's audience.
    assert_eq!(config.resource(), Some("https://api.axioms.test"));
    let legacy = config.issuer("legacy").unwrap();
    assert_eq!(legacy.audiences(), ["https://api.axioms.test"]);
    assert_eq!(legacy.algorithms(), [Algorithm::HS256]);

    // Every service variable under an issuer's name is an error naming it.
    for service in [
        "RESOURCE",
        "REALM",
        "SAFE_METHODS",
        "MAX_TOKEN_BYTES",
        "TOKEN_CACHE_ENTRIES",
        "INSECURE_ALLOW_HTTP",
        "DPOP_REQUIRED",
        "DPOP_ALGORITHMS",
        "DPOP_PROOF_LIFETIME_SECS",
        "DPOP_NONCE_SECRET",
        "DPOP_ORIGIN",
        "DPOP_REPLAY_ENTRIES",
        "DPOP_REDIS_URL",
        "TRUSTED_CLIENT_CERT_HEADER",
        "API_KEYS",
        "API_KEYS_FILE",
        "API_KEY_HEADER",
        "TOKEN_HEADER",
        "TOKEN_COOKIE",
        "TOKEN_COOKIE_ORIGINS",
        "TRUST",
    ] {
        let name = format!("AXIOMS_PARTNER_{service}");
        let mut wrong: HashMap<&str, &str> = vars.clone();
        wrong.insert(&name, "1");
        let err = read(&wrong).unwrap_err();
        assert_eq!(err.setting(), "AXIOMS_TRUST", "{name}");
        assert!(err.to_string().contains(&name), "{name}: {err}");
    }
    // A named issuer's own mistake names its variable.
    let mut wrong = vars.clone();
    wrong.insert("AXIOMS_PARTNER_LEEWAY_SECS", "soon");
    let err = read(&wrong).unwrap_err();
    assert!(
        err.to_string().contains("AXIOMS_PARTNER_LEEWAY_SECS"),
        "{err}"
    );
    // How far an issuer is trusted is said of a named issuer, once.
    for (name, value) in [
        ("AXIOMS_SAME_DIRECTORY", "true"),
        ("AXIOMS_TRUSTED_FOR", "data"),
    ] {
        let mut wrong = vars.clone();
        wrong.insert(name, value);
        assert_eq!(read(&wrong).unwrap_err().setting(), name);
    }
    let mut wrong = vars.clone();
    wrong.insert("AXIOMS_LEGACY_TRUSTED_FOR", "data");
    assert!(
        read(&wrong)
            .unwrap_err()
            .to_string()
            .contains("AXIOMS_LEGACY_TRUSTED_FOR")
    );
    let mut wrong = vars;
    wrong.insert("AXIOMS_TRUST", "partner");
    assert_eq!(read(&wrong).unwrap_err().setting(), "AXIOMS_TRUST");
}

#[tokio::test]
async fn the_resource_metadata_lists_every_trusted_issuer() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    let config = Config::builder(staff.issuer_config("https://api.axioms.test"))
        .resource("https://api.axioms.test")
        .trust(
            "partner",
            partner.issuer_config("https://api.axioms.test"),
            Trust::partner(),
        )
        .build()
        .unwrap();
    let metadata = ResourceMetadata::of(&Axioms::new(config).unwrap()).unwrap();
    assert_eq!(
        metadata.document()["authorization_servers"],
        json!([STAFF, PARTNER])
    );
}
