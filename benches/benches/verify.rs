//! axioms against the cryptographic floor and its peers, all in one run so ratios are honest.
//!
//! Run with `cargo bench` (or `cargo bench -p axioms-benches -- <filter>`). Every row uses the
//! same keys and tokens, minted by `axioms::testing::TestIssuer` and served over 127.0.0.1.
//!
//! * `floor/<alg>` — `jsonwebtoken::crypto::verify` alone (signature only);
//! * `axioms/<alg>` — full verification: header, key lookup, signature, claims (cache off);
//! * `cache_hit/<alg>` — the same token again with the verified-token cache on;
//! * `request/*` — a whole request through an axum `Router` (`oneshot`, no network);
//! * `jwks_keys/<n>` — full verification with 1, 10, 100 keys in the key set;
//! * `scopes/<n>` — a `#[protected]` request whose token carries 10 or 1,000 scopes;
//! * `dpop/<alg>` — a DPoP request, the same request with a bearer token, and the proof's
//!   signature verified alone;
//! * `issuers/<n>` — full verification (ES256, cache off) of the last issuer's token when 1 or
//!   10 issuers are trusted;
//! * `introspection/*` — an opaque token: a cache hit, and a miss (a call to an introspection
//!   endpoint on 127.0.0.1 that answers at once).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axioms::check::{Mode, satisfies};
use axioms::testing::TestIssuer;
use axioms::{Algorithm, AuthError, Axioms, Claims, Reason, protected};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tower::ServiceExt;

const AUD: &str = "test-api";
const ALGS: [Algorithm; 4] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

/// Polls a future once: the verification hot path never waits, so it is ready at once.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the hot path awaited: keys were not loaded"),
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn axioms_for(rt: &Runtime, issuer: &TestIssuer, cache: bool) -> Axioms {
    rt.block_on(async {
        let config = issuer
            .config(AUD)
            .token_cache(if cache { 4096 } else { 0 })
            .build()
            .unwrap();
        let axioms = Axioms::new(config).unwrap();
        assert!(axioms.ready(Duration::from_secs(10)).await);
        axioms
    })
}

fn strict_token(issuer: &TestIssuer) -> String {
    issuer
        .token()
        .scope("openid profile")
        .claim("roles", json!(["editor"]))
        .claim("permissions", json!(["resource:write"]))
        .sign()
}

fn signature_floor(c: &mut Criterion) {
    let rt = runtime();
    let issuer = rt.block_on(TestIssuer::start_with(&ALGS));
    let plain = axioms_for(&rt, &issuer, false);
    let cached = axioms_for(&rt, &issuer, true);
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(issuer.public_jwks()).unwrap();

    for (i, alg) in ALGS.iter().enumerate() {
        let kid = format!("key-{}", i + 1);
        let token = issuer.token().signed_with(&kid).sign();
        let jwk = jwks.find(&kid).unwrap();
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let jwt_alg: jsonwebtoken::Algorithm = alg.as_str().parse().unwrap();
        assert!(jsonwebtoken::crypto::verify(signature, input.as_bytes(), &key, jwt_alg).unwrap());
        assert!(ready(plain.verify(&token)).is_ok());
        assert!(rt.block_on(cached.verify(&token)).is_ok());

        let mut group = c.benchmark_group(format!("verify/{alg}"));
        group.bench_function("floor", |b| {
            b.iter(|| {
                jsonwebtoken::crypto::verify(
                    black_box(signature),
                    black_box(input.as_bytes()),
                    &key,
                    jwt_alg,
                )
            })
        });
        group.bench_function("axioms", |b| {
            b.iter(|| ready(plain.verify(black_box(&token))))
        });
        group.bench_function("cache_hit", |b| {
            b.iter(|| ready(cached.verify(black_box(&token))))
        });
        group.finish();
    }
}

#[protected(
    scopes = any("openid", "profile"),
    roles = any("editor"),
    permissions = any("resource:write")
)]
async fn strict() -> &'static str {
    "ok"
}

/// The same policy, written by hand with the public check functions.
async fn strict_by_hand(
    State(axioms): State<Axioms>,
    claims: Claims,
) -> Result<&'static str, AuthError> {
    let deny = |reason| axioms.error(reason);
    if !satisfies(claims.scopes(), Mode::Any, &["openid", "profile"]) {
        return Err(axioms
            .error(Reason::MissingScope)
            .with_scopes(["openid", "profile"]));
    }
    if !satisfies(claims.roles(), Mode::Any, &["editor"]) {
        return Err(deny(Reason::MissingRole));
    }
    if !satisfies(claims.permissions(), Mode::Any, &["resource:write"]) {
        return Err(deny(Reason::MissingPermission));
    }
    Ok("ok")
}

async fn with_claims(claims: Claims) -> &'static str {
    black_box(claims);
    "ok"
}

fn request(token: &str) -> http::Request<axum::body::Body> {
    http::Request::get("/")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap()
}

fn requests(c: &mut Criterion) {
    let rt = runtime();
    let issuer = rt.block_on(TestIssuer::start());
    let token = strict_token(&issuer);
    let cached = axioms_for(&rt, &issuer, true);
    let uncached = axioms_for(&rt, &issuer, false);

    let unprotected: Router = Router::new().route("/", get(|| async { "ok" }));
    let claims_cached = Router::new()
        .route("/", get(with_claims))
        .with_state(cached.clone());
    let claims_uncached = Router::new()
        .route("/", get(with_claims))
        .with_state(uncached.clone());
    let protected_cached = Router::new()
        .route("/", get(strict))
        .with_state(cached.clone());
    let protected_uncached = Router::new()
        .route("/", get(strict))
        .with_state(uncached.clone());
    let by_hand_cached = Router::new()
        .route("/", get(strict_by_hand))
        .with_state(cached.clone());
    let by_hand_uncached = Router::new()
        .route("/", get(strict_by_hand))
        .with_state(uncached.clone());

    // Peers, on the same issuer, keys and token.
    let jwt_authorizer = rt.block_on(async {
        use jwt_authorizer::IntoLayer;
        let auth: jwt_authorizer::Authorizer<Value> =
            jwt_authorizer::JwtAuthorizer::from_jwks_url(&issuer.jwks_url())
                .validation(
                    jwt_authorizer::Validation::new()
                        .iss(&[issuer.issuer()])
                        .aud(&[AUD]),
                )
                .build()
                .await
                .unwrap();
        axum07::Router::new()
            .route(
                "/",
                axum07::routing::get(
                    |jwt_authorizer::JwtClaims(claims): jwt_authorizer::JwtClaims<Value>| async move {
                        black_box(claims);
                        "ok"
                    },
                ),
            )
            .layer(auth.into_layer())
    });
    let axum_jwt_auth = rt.block_on(async {
        let mut validation = jsonwebtoken10::Validation::new(jsonwebtoken10::Algorithm::RS256);
        validation.set_audience(&[AUD]);
        validation.set_issuer(&[issuer.issuer()]);
        let decoder = axum_jwt_auth::RemoteJwksDecoder::builder()
            .jwks_url(issuer.jwks_url())
            .validation(validation)
            .build()
            .unwrap();
        let _refresher = decoder.initialize().await.unwrap();
        let decoder: axum_jwt_auth::Decoder<Value> = Arc::new(decoder);
        Router::new()
            .route(
                "/",
                get(|claims: axum_jwt_auth::Claims<Value>| async move {
                    black_box(claims.claims);
                    "ok"
                }),
            )
            .with_state(decoder)
    });

    // Every router must accept the token before it is timed.
    let status = |router: Router| {
        rt.block_on(router.oneshot(request(&token)))
            .unwrap()
            .status()
    };
    for router in [
        &unprotected,
        &claims_cached,
        &claims_uncached,
        &protected_cached,
        &protected_uncached,
        &by_hand_cached,
        &by_hand_uncached,
        &axum_jwt_auth,
    ] {
        assert_eq!(status(router.clone()), 200);
    }
    let peer_status = rt
        .block_on(jwt_authorizer.clone().oneshot(request(&token)))
        .unwrap()
        .status();
    assert_eq!(peer_status, 200);

    let mut group = c.benchmark_group("request");
    let mut row = |name: &str, router: &Router| {
        group.bench_function(name, |b| {
            b.iter(|| rt.block_on(router.clone().oneshot(request(black_box(&token)))))
        });
    };
    row("unprotected", &unprotected);
    row("claims_extractor", &claims_cached);
    row("claims_extractor_no_cache", &claims_uncached);
    row("protected_3_clauses", &protected_cached);
    row("hand_written_3_clauses", &by_hand_cached);
    row("protected_3_clauses_no_cache", &protected_uncached);
    row("hand_written_3_clauses_no_cache", &by_hand_uncached);
    row("peer_axum_jwt_auth", &axum_jwt_auth);
    group.bench_function("peer_jwt_authorizer", |b| {
        b.iter(|| rt.block_on(jwt_authorizer.clone().oneshot(request(black_box(&token)))))
    });
    group.finish();
}

fn scaling(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("jwks_keys");
    for n in [1usize, 10, 100] {
        let issuer = rt.block_on(TestIssuer::start());
        for _ in 1..n {
            issuer.add_key(Algorithm::EdDSA);
        }
        let axioms = rt.block_on(async {
            let config = issuer
                .config(AUD)
                .token_cache(0)
                .jwks_limits(1 << 20, 100)
                .build()
                .unwrap();
            let axioms = Axioms::new(config).unwrap();
            assert!(axioms.ready(Duration::from_secs(10)).await);
            axioms
        });
        assert_eq!(axioms.key_count(), n);
        let token = issuer.token().sign();
        assert!(ready(axioms.verify(&token)).is_ok());
        group.bench_with_input(BenchmarkId::from_parameter(n), &token, |b, token| {
            b.iter(|| ready(axioms.verify(black_box(token))))
        });
    }
    group.finish();

    let issuer = rt.block_on(TestIssuer::start_with(&[Algorithm::EdDSA]));
    // 1,000 scopes make a ~12 KiB token: over the 8 KiB default cap, so raise it here.
    let large = |cache: usize| {
        rt.block_on(async {
            let config = issuer
                .config(AUD)
                .token_cache(cache)
                .max_token_bytes(64 * 1024)
                .build()
                .unwrap();
            let axioms = Axioms::new(config).unwrap();
            assert!(axioms.ready(Duration::from_secs(10)).await);
            axioms
        })
    };
    let cached = large(4096);
    let uncached = large(0);
    let mut group = c.benchmark_group("scopes");
    for n in [10usize, 1000] {
        // The required scopes sit at the end of the list: the worst case for the check.
        let scopes: Vec<String> = (0..n)
            .map(|i| format!("scope:{i}"))
            .chain(["openid".to_owned(), "profile".to_owned()])
            .collect();
        let token = issuer
            .token()
            .scope(&scopes.join(" "))
            .claim("roles", json!(["editor"]))
            .claim("permissions", json!(["resource:write"]))
            .sign();
        for (name, axioms) in [("protected", &cached), ("protected_no_cache", &uncached)] {
            let router = Router::new()
                .route("/", get(strict))
                .with_state(axioms.clone());
            let status = rt
                .block_on(router.clone().oneshot(request(&token)))
                .unwrap()
                .status();
            assert_eq!(status, 200);
            group.bench_with_input(BenchmarkId::new(name, n), &token, |b, token| {
                b.iter(|| rt.block_on(router.clone().oneshot(request(black_box(token)))))
            });
        }
    }
    group.finish();
}

axioms::policy!(NotesWrite: scopes = "notes:write");

/// A `tools/call` of an MCP endpoint: the same request through `McpLayer` (token verified —
/// a cache hit —, JSON-RPC body read and parsed, the tool's policy evaluated) and without
/// axioms, both in front of the same trivial MCP stand-in (it answers 200 after reading the
/// body, as an MCP server does).
fn mcp(c: &mut Criterion) {
    use axioms::mcp::{McpLayer, ToolPolicies};
    let rt = runtime();
    let issuer = rt.block_on(TestIssuer::start());
    let axioms = axioms_for(&rt, &issuer, true);
    let token = issuer
        .token()
        .audience(AUD)
        .scope("notes:read notes:write")
        .sign();
    let body = r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"delete_note","arguments":{"id":1}}}"#;
    let endpoint = || {
        Router::new().route(
            "/mcp",
            axum::routing::post(|body: axum::body::Bytes| async move {
                black_box(body);
                "ok"
            }),
        )
    };
    let bare = endpoint();
    let protected = endpoint().layer(McpLayer::new(
        axioms,
        ToolPolicies::new().tool::<NotesWrite>("delete_note"),
    ));
    let call = |token: &str| {
        http::Request::post("/mcp")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    for router in [&bare, &protected] {
        let status = rt
            .block_on(router.clone().oneshot(call(&token)))
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    let mut group = c.benchmark_group("mcp_tools_call");
    for (name, router) in [("without_axioms", &bare), ("mcp_layer", &protected)] {
        group.bench_function(name, |b| {
            b.iter(|| rt.block_on(router.clone().oneshot(call(black_box(&token)))))
        });
    }
    group.finish();
}

/// A DPoP request against what it must cost at least: the same request with a bearer token
/// (a cache hit either way) plus one verification of the proof's signature alone. Each DPoP
/// request carries a fresh proof (all made before timing starts), as a client sends.
fn dpop(c: &mut Criterion) {
    use axioms::testing::DpopKey;
    const RESOURCE: &str = "https://api.example.com";
    let rt = runtime();
    let issuer = rt.block_on(TestIssuer::start());
    let axioms = rt.block_on(async {
        let config = issuer
            .config(RESOURCE)
            .resource(RESOURCE)
            // Room for every proof of the run: a full store would answer 503.
            .dpop_replay_entries(50_000_000)
            .build()
            .unwrap();
        let axioms = Axioms::new(config).unwrap();
        assert!(axioms.ready(Duration::from_secs(10)).await);
        axioms
    });
    let router = Router::new().route("/", get(strict)).with_state(axioms);
    fn claims(t: axioms::testing::TokenBuilder<'_>) -> axioms::testing::TokenBuilder<'_> {
        t.audience("https://api.example.com")
            .scope("openid profile")
            .claim("roles", json!(["editor"]))
            .claim("permissions", json!(["resource:write"]))
    }
    let bearer_token = claims(issuer.token()).sign();
    let bearer = || request(&bearer_token);
    for alg in [Algorithm::ES256, Algorithm::EdDSA] {
        let key = DpopKey::generate(alg);
        let token = claims(issuer.token()).bound_to(&key).sign();
        // Fresh proofs for every iteration of the run, signed before anything is timed (a
        // signature made between timed iterations would evict the verifier's tables).
        let proofs: Vec<String> = (0..60_000)
            .map(|_| {
                key.proof("GET", &format!("{RESOURCE}/"))
                    .access_token(&token)
                    .sign()
            })
            .collect();
        let next = std::cell::Cell::new(0usize);
        let dpop_request = || {
            let i = next.get();
            next.set(i + 1);
            let proof = proofs.get(i).expect("more proofs than iterations");
            http::Request::get("/")
                .header("authorization", format!("DPoP {token}"))
                .header("dpop", proof)
                .body(axum::body::Body::empty())
                .unwrap()
        };
        // The floor: the proof's signature, verified alone with its own JWK.
        let proof = key.proof("GET", &format!("{RESOURCE}/")).sign();
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk()).unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let (input, signature) = proof.rsplit_once('.').unwrap();
        let jwt_alg: jsonwebtoken::Algorithm = alg.as_str().parse().unwrap();
        assert!(
            jsonwebtoken::crypto::verify(signature, input.as_bytes(), &decoding, jwt_alg).unwrap()
        );
        for req in [bearer(), dpop_request()] {
            let status = rt.block_on(router.clone().oneshot(req)).unwrap().status();
            assert_eq!(status, 200);
        }
        let mut group = c.benchmark_group(format!("dpop/{alg}"));
        group.bench_function("proof_signature", |b| {
            b.iter(|| {
                jsonwebtoken::crypto::verify(
                    black_box(signature),
                    black_box(input.as_bytes()),
                    &decoding,
                    jwt_alg,
                )
            })
        });
        group.bench_function("bearer_request", |b| {
            b.iter(|| {
                let response = rt.block_on(router.clone().oneshot(bearer())).unwrap();
                assert_eq!(response.status(), 200);
            })
        });
        group.bench_function("dpop_request", |b| {
            b.iter(|| {
                let response = rt.block_on(router.clone().oneshot(dpop_request())).unwrap();
                // Never a replay: a refused request would be measured as a fast one.
                assert_eq!(response.status(), 200);
            })
        });
        group.finish();
    }
}

fn issuers(c: &mut Criterion) {
    let rt = runtime();
    let trusted: Vec<TestIssuer> = rt.block_on(async {
        let mut all = Vec::new();
        for i in 0..10 {
            let issuer = TestIssuer::start_with(&[Algorithm::ES256]).await;
            issuer.set_issuer(format!("https://issuer-{i}.bench.test/"));
            all.push(issuer);
        }
        all
    });
    let config = |issuer: &TestIssuer| {
        axioms::Config::builder()
            .issuer(issuer.issuer())
            .jwks_url(issuer.jwks_url())
            .audience(AUD)
            .token_cache(0)
            .build()
            .unwrap()
    };
    let last = trusted.last().unwrap();
    let token = last.token().scope("read:data").sign();
    let mut group = c.benchmark_group("issuers");
    for n in [1usize, 10] {
        let axioms = rt.block_on(async {
            let axioms = Axioms::trusting(trusted[10 - n..].iter().map(config)).unwrap();
            assert!(axioms.ready(Duration::from_secs(10)).await);
            axioms
        });
        assert_eq!(
            ready(axioms.verify(&token)).unwrap().vouched_by(),
            Some(last.issuer().as_str())
        );
        group.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| ready(axioms.verify(black_box(&token))))
        });
    }
    group.finish();
}

fn introspection(c: &mut Criterion) {
    let rt = runtime();
    let issuer = rt.block_on(TestIssuer::start_with(&[Algorithm::ES256]));
    let exp = issuer.token().sign();
    let exp: Value =
        serde_json::from_slice(&base64_url_decode(exp.split('.').nth(1).unwrap())).unwrap();
    let answer = json!({"active": true, "iss": issuer.issuer(), "sub": "svc", "aud": AUD,
                        "exp": exp["exp"], "scope": "read:data", "client_id": "svc"});
    let endpoint = rt.block_on(async move {
        let app = Router::new().route(
            "/introspect",
            axum::routing::post(move || {
                let answer = answer.clone();
                async move { axum::Json(answer) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/introspect")
    });
    let introspecting = |cache: Duration| {
        let config = issuer
            .config(AUD)
            .introspection("bench", "bench-secret")
            .introspection_endpoint(&endpoint)
            .introspection_cache(cache, Duration::from_secs(5))
            .build()
            .unwrap();
        rt.block_on(async { Axioms::new(config).unwrap() })
    };
    let cached = introspecting(Duration::from_secs(600));
    let uncached = introspecting(Duration::ZERO);
    let token = "opaque-token-0123456789abcdefghijklmnopqrstuv";
    assert!(rt.block_on(cached.verify(token)).is_ok());
    assert!(rt.block_on(uncached.verify(token)).is_ok());
    let mut group = c.benchmark_group("introspection");
    group.bench_function("cache_hit", |b| {
        b.iter(|| ready(cached.verify(black_box(token))))
    });
    group.bench_function("miss", |b| {
        b.iter(|| rt.block_on(uncached.verify(black_box(token))))
    });
    group.finish();
}

fn base64_url_decode(segment: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(segment)
        .unwrap()
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = signature_floor, requests, scaling, mcp, dpop, issuers, introspection
}
criterion_main!(benches);
