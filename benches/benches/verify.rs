//! axioms against the cryptographic floor and its peers, all in one run so ratios are honest.
//!
//! Run with `cargo bench` (or `cargo bench -p axioms-benches -- <filter>`). Every row uses the
//! same keys and tokens, minted by `axioms::testing::TestIssuer` and served over 127.0.0.1.
//!
//! * `floor/<alg>` — `jsonwebtoken::crypto::verify` alone (signature only, the key parsed
//!   from its components on each call, as jsonwebtoken does);
//! * `parsed_floor/<alg>` — the signature check with the key parsed once (aws-lc-rs
//!   `ParsedPublicKey`, what axioms verifies with): the true floor;
//! * `axioms/<alg>` — full verification: header, key lookup, signature, claims (cache off);
//! * `cache_hit/<alg>` — the same token again with the verified-token cache on;
//! * `request/*` — a whole request through an axum `Router` (`oneshot`, no network), axioms
//!   and its peers: jwt-authorizer, axum-jwt-auth, tower-oauth2-resource-server,
//!   axum-keycloak-auth (on a Keycloak-shaped realm and token) and huskarl;
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
use axioms::{Algorithm, AuthError, Axioms, Claims, Config, Issuer, Reason, protected};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use tower::ServiceExt;

#[path = "parsed_key.rs"]
mod parsed_key;

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
        let parsed = parsed_key::parsed_key(&issuer.public_jwks()["keys"][i], alg.as_str());
        group.bench_function("parsed_floor", |b| {
            use base64::Engine as _;
            b.iter(|| {
                let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(black_box(signature))
                    .unwrap();
                parsed.verify_sig(black_box(input.as_bytes()), &signature)
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

    let tower_oauth2 = peers::peer_tower_oauth2_resource_server(&rt, &issuer, &token);
    let keycloak_server = rt.block_on(peers::keycloak_realm(&issuer, peers::REALM));
    let keycloak_token = peers::keycloak_token(&issuer, &keycloak_server, peers::REALM);
    let axum_keycloak_auth = peers::peer_axum_keycloak_auth(&rt, &keycloak_server, &keycloak_token);
    let huskarl = peers::peer_huskarl(&rt, &issuer, &token);
    for router in [&tower_oauth2, &huskarl] {
        assert_eq!(status(router.clone()), 200);
    }
    let keycloak_status = rt
        .block_on(axum_keycloak_auth.clone().oneshot(request(&keycloak_token)))
        .unwrap()
        .status();
    assert_eq!(keycloak_status, 200);

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
    row("peer_tower_oauth2_resource_server", &tower_oauth2);
    row("peer_huskarl", &huskarl);
    group.bench_function("peer_axum_keycloak_auth", |b| {
        b.iter(|| {
            rt.block_on(
                axum_keycloak_auth
                    .clone()
                    .oneshot(request(black_box(&keycloak_token))),
            )
        })
    });
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
            let config = Config::builder(issuer.issuer_config(AUD).jwks_limits(1 << 20, 100))
                .token_cache(0)
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
    use axioms::mcp::{McpLayer, McpPolicies};
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
    let protected = endpoint().layer(
        McpLayer::new(axioms, McpPolicies::new().tool::<NotesWrite>("delete_note"))
            .expect("valid MCP policies"),
    );
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
    mcp_2026(c, &rt, &issuer);
}

/// A note of the MCP benchmarks, owned by the benchmark's subject.
struct BenchNote {
    owner: String,
}

async fn bench_note(vars: axioms::mcp::TemplateVars) -> Option<BenchNote> {
    let id: u32 = vars.parse("id")?;
    (id == 7).then(|| BenchNote {
        owner: "bench-user".to_owned(),
    })
}

axioms::policy!(OwnBenchNote: scopes = "notes:read", owner(fetch = bench_note, field = "owner"), state = ());
axioms::policy!(NotesRead: scopes = "notes:read");
axioms::policy!(NotesAdmin: scopes = "notes:admin");

/// MCP 2026-07-28 requests (per-request `_meta`, `Mcp-Method`/`Mcp-Name` headers): a
/// `resources/read` of `notes://7` under a template policy with ownership (the template
/// matched, the variable decoded, the note fetched and its owner compared), and a
/// `tools/list` whose answer of 20 tools the layer filters to the 10 the token allows (the
/// answer parsed, filtered and written again). Each against the same request to the same
/// stand-in without axioms.
fn mcp_2026(c: &mut Criterion, rt: &Runtime, issuer: &TestIssuer) {
    use axioms::mcp::{McpLayer, McpPolicies};
    let axioms = axioms_for(rt, issuer, true);
    let token = issuer
        .token()
        .audience(AUD)
        .subject("bench-user")
        .scope("notes:read")
        .sign();
    let tools: Vec<Value> = (0..20)
        .map(|i| json!({"name": format!("tool{i}")}))
        .collect();
    let list = json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": tools}}).to_string();
    let endpoint = move || {
        let list = list.clone();
        Router::new().route(
            "/mcp",
            axum::routing::post(move |body: axum::body::Bytes| {
                let list = list.clone();
                async move {
                    let answer = if body.windows(10).any(|w| w == b"tools/list") {
                        list
                    } else {
                        r#"{"jsonrpc":"2.0","id":1,"result":{"contents":[]}}"#.to_owned()
                    };
                    ([("content-type", "application/json")], answer)
                }
            }),
        )
    };
    let mut policies = McpPolicies::new().resource::<OwnBenchNote>("notes://{id}");
    for i in 0..20 {
        let name = format!("tool{i}");
        policies = if i % 2 == 0 {
            policies.tool::<NotesRead>(&name)
        } else {
            policies.tool::<NotesAdmin>(&name)
        };
    }
    let bare = endpoint();
    let protected = endpoint().layer(McpLayer::new(axioms, policies).expect("valid MCP policies"));
    let request = |method: &'static str, name: Option<&'static str>, params: &'static str| {
        let token = token.clone();
        move || {
            let body = format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"{method}","params":{{{params}"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}}}}"#
            );
            let mut request = http::Request::post("/mcp")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .header("mcp-protocol-version", "2026-07-28")
                .header("mcp-method", method);
            if let Some(name) = name {
                request = request.header("mcp-name", name);
            }
            request.body(axum::body::Body::from(body)).unwrap()
        }
    };
    let read = request("resources/read", Some("notes://7"), r#""uri":"notes://7","#);
    let list_tools = request("tools/list", None, "");
    // Both answer; the protected list holds the 10 tools the token allows.
    let listed = |router: &Router| {
        let response = rt.block_on(router.clone().oneshot(list_tools())).unwrap();
        assert_eq!(response.status(), 200);
        let bytes = rt
            .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap();
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        value["result"]["tools"].as_array().unwrap().len()
    };
    assert_eq!((listed(&bare), listed(&protected)), (20, 10));
    for router in [&bare, &protected] {
        let response = rt.block_on(router.clone().oneshot(read())).unwrap();
        assert_eq!(response.status(), 200);
    }
    let read_answer = |router: &Router| {
        let response = rt.block_on(router.clone().oneshot(read())).unwrap();
        rt.block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
            .unwrap()
    };
    assert!(
        !read_answer(&protected)
            .windows(9)
            .any(|w| w == b"not found")
    );
    for (group, request) in [
        (
            "mcp_resources_read",
            &read as &dyn Fn() -> http::Request<axum::body::Body>,
        ),
        ("mcp_tools_list", &list_tools),
    ] {
        let mut group = c.benchmark_group(group);
        for (name, router) in [("without_axioms", &bare), ("mcp_layer", &protected)] {
            group.bench_function(name, |b| {
                b.iter(|| {
                    rt.block_on(async {
                        let response = router.clone().oneshot(request()).await.unwrap();
                        axum::body::to_bytes(response.into_body(), usize::MAX).await
                    })
                })
            });
        }
        group.finish();
    }
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
        let proofs: Vec<String> = (0..250_000)
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
    let issuer_config = |issuer: &TestIssuer| {
        Issuer::builder()
            .issuer(issuer.issuer())
            .jwks_url(issuer.jwks_url())
            .audience(AUD)
    };
    // The last `n` issuers, the first of them the primary.
    let config = |n: usize| {
        let chosen = &trusted[10 - n..];
        let mut config = axioms::Config::builder(issuer_config(&chosen[0])).token_cache(0);
        for (i, issuer) in chosen.iter().enumerate().skip(1) {
            config = config.trust(
                format!("issuer_{i}"),
                issuer_config(issuer),
                axioms::Trust::partner(),
            );
        }
        config.build().unwrap()
    };
    let last = trusted.last().unwrap();
    let token = last.token().scope("read:data").sign();
    let mut group = c.benchmark_group("issuers");
    for n in [1usize, 10] {
        let axioms = rt.block_on(async {
            let axioms = Axioms::new(config(n)).unwrap();
            assert!(axioms.ready(Duration::from_secs(10)).await);
            axioms
        });
        assert_eq!(
            ready(axioms.verify(&token)).unwrap().issuer(),
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
        let config = Config::builder(
            issuer
                .issuer_config(AUD)
                .introspection("bench", "bench-secret")
                .introspection_endpoint(&endpoint)
                .introspection_cache(cache, Duration::from_secs(5)),
        )
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

/// Peer crates, each configured as its own docs recommend.
mod peers {
    use std::hint::black_box;
    use std::sync::Arc;
    use std::time::Duration;

    use axioms::testing::{TestIssuer, TokenBuilder};
    use axum::routing::get;
    use axum::{Extension, Json, Router};
    use serde_json::json;
    use tokio::runtime::Runtime;
    use tower::ServiceExt;

    use super::{AUD, request};

    /// Sends `token` until the router answers 200 (keys loaded by a background task), at most 10 s.
    async fn until_ok(router: &Router, token: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let status = router
                .clone()
                .oneshot(request(token))
                .await
                .unwrap()
                .status();
            if status == 200 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still {status} after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 1. tower-oauth2-resource-server 0.12.5 (a plain tower layer; axum 0.8 in its examples)
    // ---------------------------------------------------------------------------------------------

    /// As examples/axum-example/src/main.rs: one tenant built from the issuer URL (OIDC discovery
    /// at `<issuer>/.well-known/openid-configuration`, whose `issuer` must match exactly), the
    /// audience, `DefaultClaims` in an `Extension`. Discovery makes it check `iss`; `nbf` only if
    /// the discovery document lists it in `claims_supported` (TestIssuer's does not).
    pub(super) fn peer_tower_oauth2_resource_server(
        rt: &Runtime,
        issuer: &TestIssuer,
        token: &str,
    ) -> Router {
        use tower_oauth2_resource_server::{
            claims::DefaultClaims, server::OAuth2ResourceServer, tenant::TenantConfiguration,
        };
        rt.block_on(async {
            let server = <OAuth2ResourceServer>::builder()
                .add_tenant(
                    TenantConfiguration::builder(issuer.issuer())
                        .audiences(&[AUD])
                        .build()
                        .await
                        .unwrap(),
                )
                .build()
                .await
                .unwrap();
            let router = Router::new()
                .route(
                    "/",
                    get(|Extension(claims): Extension<DefaultClaims>| async move {
                        black_box(claims);
                        "ok"
                    }),
                )
                .layer(server.into_layer());
            // The JWKS is fetched by a spawned task (then every 60 s): wait for it.
            until_ok(&router, token).await;
            router
        })
    }

    // ---------------------------------------------------------------------------------------------
    // 2. axum-keycloak-auth 0.8.3 (axum 0.8), against a Keycloak-shaped realm on 127.0.0.1
    // ---------------------------------------------------------------------------------------------

    /// The realm name of the Keycloak-shaped helper.
    pub(super) const REALM: &str = "test";

    /// A Keycloak-shaped server on 127.0.0.1 for realm `realm`: what axum-keycloak-auth fetches,
    /// `GET {server}/realms/{realm}/.well-known/openid-configuration` (it reads `jwks_uri`;
    /// `issuer`, `authorization_endpoint`, `response_types_supported`, `subject_types_supported`
    /// and `id_token_signing_alg_values_supported` must be present to deserialize), then
    /// `GET {server}/realms/{realm}/protocol/openid-connect/certs`, answered with the TestIssuer's
    /// live key set. Returns the server's base URL (`http://127.0.0.1:<port>/`).
    pub(super) async fn keycloak_realm(issuer: &TestIssuer, realm: &str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = format!("http://{}/", listener.local_addr().unwrap());
        let realm_url = format!("{server}realms/{realm}");
        let oidc = format!("{realm_url}/protocol/openid-connect");
        // The members Keycloak 26 serves (abridged to those with a meaning here).
        let discovery = json!({
            "issuer": realm_url,
            "authorization_endpoint": format!("{oidc}/auth"),
            "token_endpoint": format!("{oidc}/token"),
            "introspection_endpoint": format!("{oidc}/token/introspect"),
            "userinfo_endpoint": format!("{oidc}/userinfo"),
            "end_session_endpoint": format!("{oidc}/logout"),
            "jwks_uri": format!("{oidc}/certs"),
            "check_session_iframe": format!("{oidc}/login-status-iframe.html"),
            "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "password",
                "client_credentials", "urn:ietf:params:oauth:grant-type:device_code",
                "urn:openid:params:grant-type:ciba"],
            "response_types_supported": ["code", "none", "id_token", "token", "id_token token",
                "code id_token", "code token", "code id_token token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["PS384", "RS384", "EdDSA", "ES384", "HS256",
                "HS512", "ES256", "RS256", "HS384", "ES512", "PS256", "PS512", "RS512"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic",
                "client_secret_post", "tls_client_auth", "client_secret_jwt"],
            "claims_supported": ["aud", "sub", "iss", "auth_time", "name", "given_name",
                "family_name", "preferred_username", "email", "acr"],
            "scopes_supported": ["openid", "profile", "email", "roles", "web-origins", "acr"],
            "frontchannel_logout_supported": true,
            "frontchannel_logout_session_supported": true,
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "code_challenge_methods_supported": ["plain", "S256"],
        });
        let keys = issuer.clone();
        let app = Router::new()
            .route(
                &format!("/realms/{realm}/.well-known/openid-configuration"),
                get(move || std::future::ready(Json(discovery.clone()))),
            )
            .route(
                &format!("/realms/{realm}/protocol/openid-connect/certs"),
                get(move || std::future::ready(Json(keys.public_jwks()))),
            );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        server
    }

    /// Shapes a token like a Keycloak access token, on the TestIssuer's RS256 key (`key-1`): `iss`
    /// the realm URL, header `typ: JWT`, and the claims axum-keycloak-auth deserializes as
    /// required (`typ`, `azp`, `jti`, `iat`, `sub`, and, for its default `ProfileAndEmail` extra,
    /// `preferred_username`, `email`, `email_verified`). Roles as Keycloak puts them.
    fn keycloak_shape<'a>(token: TokenBuilder<'a>, server: &str, realm: &str) -> TokenBuilder<'a> {
        token
            .header("typ", json!("JWT"))
            .claim("iss", json!(format!("{server}realms/{realm}")))
            .claim("typ", json!("Bearer"))
            .claim("azp", json!("test-client"))
            .claim("sid", json!("3f0c2d47-5a1e-4d59-9a77-0d1b1c0b9d2e"))
            .claim("preferred_username", json!("user-1"))
            .claim("email", json!("user-1@example.com"))
            .claim("email_verified", json!(true))
            .claim(
                "realm_access",
                json!({ "roles": ["editor", "default-roles-test"] }),
            )
            .claim(
                "resource_access",
                json!({ AUD: { "roles": ["resource:write"] } }),
            )
    }

    /// The bench's `strict_token` claims, Keycloak-shaped.
    pub(super) fn keycloak_token(issuer: &TestIssuer, server: &str, realm: &str) -> String {
        let strict = issuer
            .token()
            .scope("openid profile")
            .claim("roles", json!(["editor"]))
            .claim("permissions", json!(["resource:write"]));
        keycloak_shape(strict, server, realm).sign()
    }

    /// As the crate docs (lib.rs) show: one `KeycloakAuthInstance` for server + realm (OIDC
    /// discovery starts at once, in the background), a `KeycloakAuthLayer::<String>` in
    /// `PassthroughMode::Block` with the expected audiences, `persist_raw_claims(false)`, no
    /// required roles, the token in an `Extension<KeycloakToken<String>>`.
    pub(super) fn peer_axum_keycloak_auth(rt: &Runtime, server: &str, token: &str) -> Router {
        use axum_keycloak_auth::{
            PassthroughMode, Url,
            decode::KeycloakToken,
            instance::{KeycloakAuthInstance, KeycloakConfig},
            layer::KeycloakAuthLayer,
        };
        rt.block_on(async {
            // Needs the runtime: `new` spawns the discovery.
            let instance = Arc::new(KeycloakAuthInstance::new(
                KeycloakConfig::builder()
                    .server(Url::parse(server).unwrap())
                    .realm(String::from(REALM))
                    .build(),
            ));
            // Wait for the discovery before the first request: 0.8.3's `poll_ready` asserts that
            // a discovery is pending when none has completed, but the `pending` flag is only set
            // once the spawned discovery task has started, so a request that comes first panics
            // (service.rs:62, `assertion failed: self.layer.instance.discovery.is_pending()`).
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while !instance.is_operational().await {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no Keycloak discovery in 10 s"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let router = Router::new()
                .route(
                    "/",
                    get(
                        |Extension(token): Extension<KeycloakToken<String>>| async move {
                            black_box(token);
                            "ok"
                        },
                    ),
                )
                .layer(
                    KeycloakAuthLayer::<String>::builder()
                        .instance(instance)
                        .passthrough_mode(PassthroughMode::Block)
                        .persist_raw_claims(false)
                        .expected_audiences(vec![String::from(AUD)])
                        .build(),
                );
            until_ok(&router, token).await;
            router
        })
    }

    // ---------------------------------------------------------------------------------------------
    // 3. huskarl-axum 0.1.0 + huskarl-resource-server 0.11.12 (axum 0.8)
    // ---------------------------------------------------------------------------------------------

    /// As huskarl-resource-server's RFC 9068 guide, step 2b ("build without authorization server
    /// metadata"; step 2a's discovery needs `token_endpoint` and `response_types_supported`,
    /// which the TestIssuer's discovery document lacks), with huskarl-reqwest as its HTTP client,
    /// and huskarl-axum's README "Protect existing routes": `ValidatorLayer::authenticated()`,
    /// claims through `ValidatedToken<C>`. `build()` fetches the JWKS, so it is ready on return.
    pub(super) fn peer_huskarl(rt: &Runtime, issuer: &TestIssuer, token: &str) -> Router {
        use huskarl_axum::extractors::ValidatedToken;
        use huskarl_axum::layers::ValidatorLayer;
        use huskarl_axum::resource_server::validator::rfc9068::{
            Rfc9068AccessTokenClaims, Rfc9068Validator,
        };
        rt.block_on(async {
            let http_client = huskarl_reqwest::ReqwestClient::builder()
                .build()
                .await
                .unwrap();
            let validator = Rfc9068Validator::builder()
                .issuer(issuer.issuer())
                .audience(AUD)
                .jwks_uri(issuer.jwks_url().parse().unwrap())
                .jwks_source(http_client)
                .build()
                .await
                .unwrap();
            let auth = ValidatorLayer::builder().validator(validator).build();
            let router = Router::new()
                .route(
                    "/",
                    get(
                        |token: ValidatedToken<Rfc9068AccessTokenClaims>| async move {
                            black_box(token);
                            "ok"
                        },
                    ),
                )
                .layer(auth.authenticated());
            until_ok(&router, token).await;
            router
        })
    }
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
