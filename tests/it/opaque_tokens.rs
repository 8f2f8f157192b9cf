//! Opaque tokens under a flood: an attacker needs no credential to send random opaque tokens,
//! and each distinct one costs a call to the introspection endpoint. Those calls must not
//! starve the tokens of real users: inactive answers never evict active ones, and a token
//! whose last answer was active has calls in reserve that strangers' tokens cannot take.
//!
//! The endpoint is an axum app on 127.0.0.1 that answers `good-*` tokens active, everything
//! else inactive, after a delay the test chooses, and counts its calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{Value, json};

use crate::common::{req, send, serve, verifier};

const AUD: &str = "orders-api";

#[derive(Clone, Default)]
struct Endpoint {
    calls: Arc<AtomicU64>,
    /// Milliseconds each answer takes.
    delay_ms: Arc<AtomicU64>,
}

#[derive(serde::Deserialize)]
struct Introspect {
    token: String,
}

async fn introspect(State(endpoint): State<Endpoint>, Form(form): Form<Introspect>) -> Json<Value> {
    endpoint.calls.fetch_add(1, Ordering::SeqCst);
    let delay = endpoint.delay_ms.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    if form.token.starts_with("good-") {
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600;
        Json(json!({"active": true, "aud": AUD, "sub": form.token, "exp": exp}))
    } else {
        Json(json!({"active": false}))
    }
}

async fn me(claims: Claims) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

/// A verifier whose primary issuer introspects at the endpoint, and the app under test.
async fn fixture(active_for: Duration, entries: usize) -> (TestIssuer, Endpoint, Axioms, Router) {
    let endpoint = Endpoint::default();
    let url = serve(
        Router::new()
            .route("/introspect", post(introspect))
            .with_state(endpoint.clone()),
    )
    .await;
    let issuer = TestIssuer::start().await;
    let axioms = verifier(axioms::Config::builder(
        issuer
            .issuer_config(AUD)
            .introspection("orders-api", "its-secret")
            .introspection_endpoint(format!("{url}/introspect"))
            .introspection_cache(active_for, Duration::from_secs(5))
            .introspection_cache_entries(entries),
    ));
    let app = Router::new()
        .route("/me", get(me))
        .with_state(axioms.clone());
    (issuer, endpoint, axioms, app)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_token_is_answered_while_random_tokens_hold_every_call() {
    let (_issuer, endpoint, axioms, app) = fixture(Duration::from_secs(1), 10_000).await;
    let r = send(&app, req("GET", "/me").bearer("good-alice")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, "good-alice");
    // Her answer is no longer fresh: the next request asks again.
    tokio::time::sleep(Duration::from_millis(1100)).await;

    // The endpoint slows down, and 80 random tokens take every shared call for 3 s.
    endpoint.delay_ms.store(3000, Ordering::SeqCst);
    let flood: Vec<_> = (0..80)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                send(&app, req("GET", "/me").bearer(&format!("random-{i:04}"))).await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A stranger's new token waits briefly for a call, then is told to retry.
    let r = send(&app, req("GET", "/me").bearer("good-newcomer")).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert_eq!(r.header("retry-after"), "1");
    // Alice's token, last answered active, takes a call of the reserve: answered (after
    // the endpoint's 3 s), never 503.
    let r = send(&app, req("GET", "/me").bearer("good-alice")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body, "good-alice");

    let mut answered = [0u32; 2];
    for request in flood {
        match request.await.unwrap().status.as_u16() {
            401 => answered[0] += 1,
            503 => answered[1] += 1,
            other => panic!("a random token got {other}"),
        }
    }
    // 64 random tokens reached the endpoint (inactive: 401), the rest were refused 503.
    assert_eq!(answered, [64, 16], "[401, 503]");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 1 + 64 + 1);
    assert_eq!(axioms.introspection_calls(), 1 + 64 + 1);
}

#[tokio::test]
async fn random_tokens_never_evict_an_active_answer() {
    // A cache of 10 answers, and 100 random tokens.
    let (_issuer, endpoint, _axioms, app) = fixture(Duration::from_secs(60), 10).await;
    let r = send(&app, req("GET", "/me").bearer("good-bob")).await;
    assert_eq!(r.status, 200, "{r:?}");
    for i in 0..100 {
        let r = send(&app, req("GET", "/me").bearer(&format!("random-{i:04}"))).await;
        assert_eq!(r.status, 401, "{r:?}");
    }
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 101);
    // Bob's answer is still cached: no call.
    let r = send(&app, req("GET", "/me").bearer("good-bob")).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(endpoint.calls.load(Ordering::SeqCst), 101);
}
