//! JWKS parsing and key admission: the input is the key set of
//! `axioms::testing::verify_jws_signature` (which parses and admits it like a fetched one),
//! which then verifies a malformed token and one real token per fixed key against it.
//!
//! Input: JSON bytes (through `serde_json` first, whatever they are), or a structured input
//! whose binary key material is encoded by the target (see `axioms_fuzz::jwks_from_input`).
//!
//! Oracle: a token verifies against the fuzzed set only if the set holds the key that signed
//! it (the private keys are gone; nothing else can verify).
#![no_main]

use std::sync::LazyLock;

use axioms::testing::verify_jws_signature;
use axioms_fuzz::{SignedToken, holds_fixed_key, jwks_from_input, signed_tokens};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// The plain valid tokens: one per fixed key, and one without a `kid`.
static TOKENS: LazyLock<Vec<SignedToken>> = LazyLock::new(|| {
    signed_tokens()
        .into_iter()
        .filter(|t| t.label == "basic" || t.label == "no-kid")
        .collect()
});

/// `AXIOMS_FUZZ_SKIP_KNOWN=1` skips inputs that hit bugs already reported (each one a test in
/// `tests/fuzz_regressions.rs`), to keep fuzzing past them at full speed until they are fixed.
static SKIP_KNOWN: LazyLock<bool> =
    LazyLock::new(|| std::env::var_os("AXIOMS_FUZZ_SKIP_KNOWN").is_some_and(|v| v == "1"));

/// Known bug: an RSA modulus that is empty once leading zero octets are dropped (`"n": ""`,
/// `"AA"`, …) underflows the bit-length computation in key admission (`jwks/key.rs`).
fn hits_known_bug(doc: &Value) -> bool {
    doc.get("keys")
        .and_then(Value::as_array)
        .is_some_and(|keys| {
            keys.iter().any(|k| {
                k.get("kty").and_then(Value::as_str) == Some("RSA")
                    && k.get("n")
                        .and_then(Value::as_str)
                        .and_then(|n| URL_SAFE_NO_PAD.decode(n).ok())
                        .is_some_and(|n| n.iter().all(|&b| b == 0))
            })
        })
}

fuzz_target!(|data: &[u8]| {
    let Some(doc) = jwks_from_input(data) else {
        return;
    };
    if *SKIP_KNOWN && hits_known_bug(&doc) {
        return;
    }
    let _ = verify_jws_signature(&doc, "a.b.c");
    for t in TOKENS.iter() {
        if verify_jws_signature(&doc, t.token).is_ok() {
            assert!(
                holds_fixed_key(&doc, t.kid),
                "token {} ({}) verified against a set without its key: {doc}",
                t.label,
                t.kid
            );
        }
    }
});
