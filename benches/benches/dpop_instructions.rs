//! Instruction counts of a DPoP request, for `valgrind --tool=callgrind`: wall-clock medians
//! of a ~100 µs request on a shared 2-vCPU machine move by ±20 % between runs; instruction
//! counts do not.
//!
//! `DPOP_MODE` picks what runs `DPOP_N` times (default 100) after the same setup:
//!
//! * `floor` — the proof's ES256 signature verified alone (`jsonwebtoken::crypto::verify`);
//! * `bearer` — a request with a bearer token through `#[protected]` (token-cache hit);
//! * `dpop` — the same request with a DPoP-bound token and a fresh proof (token-cache hit,
//!   every proof check, the replay store).
//!
//! Requests and proofs are made before the counted loop (`measured`), so only the requests
//! (or verifications) themselves are counted; divide by `DPOP_N`:
//!
//! ```sh
//! cargo bench -p axioms-benches --bench dpop_instructions --no-run   # prints the binary
//! for mode in floor bearer dpop; do
//!   DPOP_MODE=$mode DPOP_N=2000 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*measured*' target/release/deps/dpop_instructions-* 2>&1 | grep Collected
//! done
//! ```
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use axioms::testing::{DpopKey, TestIssuer};
use axioms::{Algorithm, Axioms, protected};
use axum::Router;
use axum::routing::get;
use serde_json::json;
use tower::ServiceExt as _;

const RESOURCE: &str = "https://api.example.com";
/// Requests prepared, whatever `DPOP_N` is.
const PREPARED: usize = 3000;

#[protected(
    scopes = any("openid", "profile"),
    roles = any("editor"),
    permissions = any("resource:write")
)]
async fn strict() -> &'static str {
    "ok"
}

fn main() {
    let mode = std::env::var("DPOP_MODE").unwrap_or_else(|_| "dpop".to_owned());
    let n: usize = std::env::var("DPOP_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100)
        .min(PREPARED);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start());
    let axioms = rt.block_on(async {
        let config = issuer.config(RESOURCE).resource(RESOURCE).build().unwrap();
        let axioms = Axioms::new(config).unwrap();
        assert!(axioms.ready(Duration::from_secs(10)).await);
        axioms
    });
    let router = Router::new().route("/", get(strict)).with_state(axioms);
    let token = |key: Option<&DpopKey>| {
        let t = issuer
            .token()
            .audience(RESOURCE)
            .scope("openid profile")
            .claim("roles", json!(["editor"]))
            .claim("permissions", json!(["resource:write"]));
        match key {
            Some(key) => t.bound_to(key).sign(),
            None => t.sign(),
        }
    };
    let key = DpopKey::generate(Algorithm::ES256);
    let bearer = token(None);
    let bound = token(Some(&key));
    let proofs: Vec<String> = (0..PREPARED)
        .map(|_| {
            key.proof("GET", &format!("{RESOURCE}/"))
                .access_token(&bound)
                .sign()
        })
        .collect();
    let requests: Vec<http::Request<axum::body::Body>> = (0..PREPARED)
        .map(|i| {
            let builder = http::Request::get("/");
            let builder = if mode == "dpop" {
                builder
                    .header("authorization", format!("DPoP {bound}"))
                    .header("dpop", &proofs[i])
            } else {
                builder.header("authorization", format!("Bearer {bearer}"))
            };
            builder.body(axum::body::Body::empty()).unwrap()
        })
        .collect();
    // Warm the token cache (and check both requests are accepted) before counting.
    let send = |req: http::Request<axum::body::Body>| {
        rt.block_on(router.clone().oneshot(req)).unwrap().status()
    };
    let warm = |auth: String, proof: Option<String>| {
        let mut b = http::Request::get("/").header("authorization", auth);
        if let Some(p) = proof {
            b = b.header("dpop", p);
        }
        b.body(axum::body::Body::empty()).unwrap()
    };
    assert_eq!(send(warm(format!("Bearer {bearer}"), None)), 200);
    let extra = key
        .proof("GET", &format!("{RESOURCE}/"))
        .access_token(&bound)
        .sign();
    assert_eq!(send(warm(format!("DPoP {bound}"), Some(extra))), 200);

    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk()).unwrap();
    let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
    let (input, signature) = proofs[0].rsplit_once('.').unwrap();
    measured(&mode, n, &decoding, (input, signature), requests, &send);
}

/// The counted part: run callgrind with `--toggle-collect='*measured*'` to count only it.
#[inline(never)]
fn measured(
    mode: &str,
    n: usize,
    decoding: &jsonwebtoken::DecodingKey,
    (input, signature): (&str, &str),
    requests: Vec<http::Request<axum::body::Body>>,
    send: &dyn Fn(http::Request<axum::body::Body>) -> http::StatusCode,
) {
    match mode {
        "floor" => {
            for _ in 0..n {
                let ok = jsonwebtoken::crypto::verify(
                    black_box(signature),
                    black_box(input.as_bytes()),
                    decoding,
                    jsonwebtoken::Algorithm::ES256,
                );
                assert!(ok.unwrap());
            }
        }
        "bearer" | "dpop" => {
            for req in requests.into_iter().take(n) {
                assert_eq!(send(req), 200);
            }
        }
        other => panic!("DPOP_MODE={other}: use floor, bearer or dpop"),
    }
}
