//! JWKS parsing and key admission: the input is the key set of
//! `axioms::__private::verify_jws_signature` (which parses and admits it like a fetched one),
//! which then verifies a malformed token and one real token per fixed key against it.
//!
//! Input: JSON bytes (through `serde_json` first, whatever they are), or a structured input
//! whose binary key material is encoded by the target (see `axioms_fuzz::jwks_from_input`).
//!
//! Oracle: a token verifies against the fuzzed set only if the set holds the key that signed
//! it (the private keys are gone; nothing else can verify).
#![no_main]

use std::sync::LazyLock;

use axioms::__private::verify_jws_signature;
use axioms_fuzz::{SignedToken, holds_fixed_key, jwks_from_input, signed_tokens};
use libfuzzer_sys::fuzz_target;

/// The plain valid tokens: one per fixed key, and one without a `kid`.
static TOKENS: LazyLock<Vec<SignedToken>> = LazyLock::new(|| {
    signed_tokens()
        .into_iter()
        .filter(|t| t.label == "basic" || t.label == "no-kid")
        .collect()
});

fuzz_target!(|data: &[u8]| {
    let Some(doc) = jwks_from_input(data) else {
        return;
    };
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
