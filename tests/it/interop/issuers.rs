//! Several issuers and every kind of credential against real providers: two oidc-provider
//! instances behind one verifier (the in-process cases: `tests/trusted_issuers.rs`), and
//! opaque tokens through oidc-provider's real introspection endpoint (RFC 7662).

use std::time::{Duration, Instant};

use axioms::{Axioms, Config, Issuer, Reason, Trust};
use serde_json::json;

use crate::common::process::node_dir;
use crate::common::{Transport, req};
use crate::common::{ready, verifier};

use super::{
    Client, ES_CLIENT, PACKAGES, Provider, RESOURCE, RS_CLIENT, with_header, with_payload,
};

/// The provider's resource whose access tokens are opaque (only introspection reads them).
const OPAQUE_RESOURCE: &str = "https://opaque.axioms.test";

/// The resource server's own client at the provider: it may introspect any token.
const INTROSPECTOR: Client = Client {
    id: "axioms-introspector",
    secret: "axioms-introspector-secret",
};

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
    let axioms = ready(Config::builder(trusted(&a)).trust(
        "b",
        trusted(&b),
        Trust::partner_for(["read_data", "open_note"]),
    ))
    .await;
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
    let axioms = verifier(Config::builder(
        Issuer::builder()
            .issuer(provider.issuer())
            .audience(OPAQUE_RESOURCE)
            .discovery(true)
            // The endpoint is discovered (`introspection_endpoint`); revoked tokens work at
            // most BOUND longer.
            .introspection(INTROSPECTOR.id, INTROSPECTOR.secret)
            .introspection_cache(BOUND, Duration::from_secs(1)),
    ));
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
