//! The integration tests, in one binary organized by behaviour (as axum's `routing/tests`):
//! one shared harness, and a module per behaviour.
//!
//! `common` (`tests/common/`) is the harness: one test client (`Req` and `Resp`, sent in
//! process with `oneshot` or over real HTTP on 127.0.0.1 by a `Transport`), the RFC 6750
//! expectations, the verifiers under test (`verifier`, `ready`, `issuer_with_verifier`) and
//! captured logs; with the standard application of the verification tests (`common::fixture`),
//! the state and handlers several modules mount (`common::apps`), and the example and Node.js
//! processes (`common::process`). A module holds cases, and at most a fixture of its own.
//!
//! The modules, from the request inwards:
//!
//! * `transport`: reading credentials from the request — the `Authorization` header, the token
//!   size limit, hostile values, a cookie or a gateway's header;
//! * `jose`: the JOSE layer — algorithms, header parameters, serialization, the signature, and
//!   the Wycheproof vectors;
//! * `claims`: `iss`, `aud`, `exp`/`nbf`/`iat`, claim types, `typ`, and the tokens that are not
//!   bearer access tokens;
//! * `keys`: the key cache — refetches, outages, admission, hostile endpoints, `Cache-Control`;
//! * `issuers`: who vouches — a verdict never crosses verifiers, self-issued tokens, provider
//!   profiles;
//! * `refusals`: what a refused request gets — the challenge, the realm, a renderer, one log
//!   line, nothing echoed;
//! * `policies`: `#[protected]` and `policy!` — clauses, composition, the guard before every
//!   extractor, named policies, every entry point alike, the property tests;
//! * `ownership`, `safe_methods`, `step_up`, `dpop` (with the Redis replay store), `mtls`,
//!   `api_keys`, `token_cache`, `opaque_tokens` (introspection under a flood), `mcp`, and
//!   `openapi` (with the resource metadata);
//! * `examples`: the example programs as processes, and the tutorial's route table in process;
//! * `interop`: real third-party software under Node.js (oidc-provider, jose);
//! * `fuzz_regressions` and `module_graph`.
//!
//! Every `#[protected]` handler and `policy!` linked into a binary registers under its bare
//! name (`inventory`); the OpenAPI document finds a handler's policy by that name, and
//! `Axioms::new` refuses to start while a registered policy names an issuer it does not trust.
//! So the names the `openapi` module resolves are unique in this binary, and no policy here
//! names an issuer. Three behaviours need a process of their own, in binaries of their own:
//! `tests/metrics.rs` (a process-global `metrics` recorder), `tests/token_cache_budget.rs` (a
//! `#[global_allocator]` counting live heap bytes) and `tests/trusted_issuers.rs` (policies
//! that name issuers).
//!
//! One module: `cargo test --test it jose::`.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "../common/mod.rs"]
mod common;

mod api_keys;
mod claims;
mod dpop;
mod examples;
mod exchange;
mod fuzz_regressions;
mod grpc;
mod interop;
mod issuers;
mod jose;
mod keys;
mod mcp;
mod module_graph;
mod mtls;
mod opaque_tokens;
mod openapi;
mod ownership;
mod policies;
mod refusals;
mod safe_methods;
mod step_up;
mod token_cache;
mod transport;
