//! What a request pays for a downstream token once it is cached, in one run so the ratios
//! are honest.
//!
//! `cargo bench -p axioms-benches --bench exchange`
//!
//! * `exchange/cache_hit` — `TokenExchange::token_for` answering from its cache (the subject
//!   token's hash, the lookup, the expiry check), no network;
//! * `exchange/call/plain` — a GET with reqwest to a downstream axum server on 127.0.0.1,
//!   without any token;
//! * `exchange/call/exchanged` — the same GET through `TokenExchange::authorize` with the
//!   exchanged token cached (the header set, the same call);
//! * `exchange/call/plain_with_header` — the plain GET with the same `Authorization` header
//!   set by hand: what the header itself costs on the wire and in the server.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use axioms::exchange::{ClientAuth, Downstream, SubjectToken, TokenExchange};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Config, protected};
use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use tower::ServiceExt;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[derive(Clone, Default)]
struct Held(Arc<Mutex<Option<SubjectToken>>>);

#[derive(Clone, FromRef)]
struct Holding {
    axioms: Axioms,
    held: Held,
}

#[protected]
async fn hold(State(held): State<Held>, subject: SubjectToken) -> &'static str {
    *held.0.lock().unwrap() = Some(subject);
    "held"
}

fn cached(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (exchange, subject, downstream) = rt.block_on(async {
        let issuer = TestIssuer::start().await;
        let axioms = Axioms::new(
            Config::builder(issuer.issuer_config("orders"))
                .build()
                .unwrap(),
        )
        .unwrap();
        let token_endpoint = serve(Router::new().route(
            "/token",
            post(|| async {
                Json(
                    json!({"access_token": "downstream-token", "token_type": "Bearer",
                            "expires_in": 3600}),
                )
            }),
        ))
        .await;
        let downstream = serve(Router::new().route("/hello", get(|| async { "hello" }))).await;
        let exchange = TokenExchange::builder(&axioms, ClientAuth::secret_basic("orders", "s"))
            .token_endpoint(&format!("{token_endpoint}/token"))
            .build()
            .unwrap();
        let held = Held::default();
        let app = Router::new().route("/hold", get(hold)).with_state(Holding {
            axioms,
            held: held.clone(),
        });
        let token = issuer.token().audience("orders").sign();
        let request = http::Request::get("/hold")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(app.oneshot(request).await.unwrap().status(), 200);
        let subject = held.0.lock().unwrap().clone().unwrap();
        (exchange, subject, downstream)
    });
    let target = Downstream::audience("billing").scopes(["invoices:read"]);
    let http = reqwest::Client::new();
    let url = format!("{downstream}/hello");
    // The first exchange fills the cache; every measured one is a hit.
    rt.block_on(exchange.token_for(&subject, &target)).unwrap();

    c.bench_function("exchange/cache_hit", |b| {
        b.iter(|| rt.block_on(exchange.token_for(&subject, &target)).unwrap());
    });
    let mut group = c.benchmark_group("exchange/call");
    group.bench_function("plain", |b| {
        b.iter(|| {
            rt.block_on(async { http.get(&url).send().await.unwrap().bytes().await.unwrap() })
        });
    });
    let header = rt
        .block_on(exchange.token_for(&subject, &target))
        .unwrap()
        .authorization();
    group.bench_function("plain_with_header", |b| {
        b.iter(|| {
            rt.block_on(async {
                let request = http
                    .get(&url)
                    .header(http::header::AUTHORIZATION, header.clone());
                request.send().await.unwrap().bytes().await.unwrap()
            })
        });
    });
    group.bench_function("exchanged", |b| {
        b.iter(|| {
            rt.block_on(async {
                exchange
                    .authorize(&subject, &target, http.get(&url))
                    .await
                    .unwrap()
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
            })
        });
    });
    group.finish();
    assert_eq!(exchange.calls(), 1, "every measured call was a cache hit");
}

criterion_group!(benches, cached);
criterion_main!(benches);
