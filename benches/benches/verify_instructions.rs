//! Instruction counts of one full verification against its signature floor, for
//! `valgrind --tool=callgrind`: what axioms adds to the cryptography is a few microseconds,
//! within the wall-clock noise of a shared machine; instruction counts show it exactly.
//!
//! `VERIFY_ALG` (`RS256`, `PS256`, `ES256`, `EdDSA`; default `RS256`) picks the key, and
//! `VERIFY_MODE` what is counted: `floor` (`jsonwebtoken::crypto::verify` alone: base64 of the
//! signature and the signature check, as in the criterion rows), `parsed_floor` (the same
//! with the key parsed once by aws-lc-rs, `ParsedPublicKey::verify_sig`: the signature check
//! and nothing else) or `axioms` (full verification, token cache off). `VERIFY_N`
//! verifications (default 200) are counted; divide by it:
//!
//! ```sh
//! cargo bench -p axioms-benches --bench verify_instructions --no-run   # prints the binary
//! for alg in RS256 PS256 ES256 EdDSA; do for mode in floor parsed_floor axioms; do
//!   echo "$alg $mode"; VERIFY_ALG=$alg VERIFY_MODE=$mode VERIFY_N=200 valgrind --tool=callgrind \
//!     --callgrind-out-file=/dev/null --toggle-collect='*measured*' \
//!     target/release/deps/verify_instructions-* 2>&1 | grep Collected
//! done; done
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

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Axioms};

#[path = "parsed_key.rs"]
mod parsed_key;
use parsed_key::parsed_key;

const ALGS: [Algorithm; 4] = [
    Algorithm::RS256,
    Algorithm::PS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

fn main() {
    let alg = std::env::var("VERIFY_ALG").unwrap_or_else(|_| "RS256".to_owned());
    let mode = std::env::var("VERIFY_MODE").unwrap_or_else(|_| "axioms".to_owned());
    let n: usize = std::env::var("VERIFY_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let index = ALGS
        .iter()
        .position(|a| a.as_str() == alg)
        .unwrap_or_else(|| panic!("VERIFY_ALG={alg}: use RS256, PS256, ES256 or EdDSA"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuer = rt.block_on(TestIssuer::start_with(&ALGS));
    let axioms = rt.block_on(async {
        let config = issuer.config("test-api").token_cache(0).build().unwrap();
        let axioms = Axioms::new(config).unwrap();
        assert!(axioms.ready(Duration::from_secs(10)).await);
        axioms
    });
    // The criterion rows' token: the issuer's default claims, signed with this key.
    let kid = format!("key-{}", index + 1);
    let token = issuer.token().signed_with(&kid).sign();
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(issuer.public_jwks()).unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap();
    let jwt_alg: jsonwebtoken::Algorithm = alg.parse().unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    assert!(jsonwebtoken::crypto::verify(signature, input.as_bytes(), &key, jwt_alg).unwrap());
    assert!(rt.block_on(axioms.verify(&token)).is_ok());
    match mode.as_str() {
        "floor" => floor_measured(signature, input.as_bytes(), &key, jwt_alg, n),
        "parsed_floor" => {
            let parsed = parsed_key(&issuer.public_jwks()["keys"][index], alg.as_str());
            parsed_floor_measured(signature, input.as_bytes(), &parsed, n);
        }
        "axioms" => measured(&rt, &axioms, &token, n),
        other => panic!("VERIFY_MODE={other}: use floor, parsed_floor or axioms"),
    }
}

/// The counted part of `parsed_floor`: base64 of the signature, and the signature check.
#[inline(never)]
fn parsed_floor_measured(
    signature: &str,
    input: &[u8],
    key: &aws_lc_rs::signature::ParsedPublicKey,
    n: usize,
) {
    use base64::Engine as _;
    for _ in 0..n {
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(black_box(signature))
            .unwrap();
        assert!(key.verify_sig(black_box(input), &signature).is_ok());
    }
}

/// The counted part of `floor` (callgrind `--toggle-collect='*measured*'`).
#[inline(never)]
fn floor_measured(
    signature: &str,
    input: &[u8],
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
    n: usize,
) {
    for _ in 0..n {
        assert!(
            jsonwebtoken::crypto::verify(black_box(signature), black_box(input), key, alg).unwrap()
        );
    }
}

/// The counted part of `axioms`: run callgrind with `--toggle-collect='*measured*'`.
#[inline(never)]
fn measured(rt: &tokio::runtime::Runtime, axioms: &Axioms, token: &str, n: usize) {
    for _ in 0..n {
        assert!(rt.block_on(axioms.verify(black_box(token))).is_ok());
    }
}
