//! The token verifier with a fixed key set (`fixtures/jwks.json`), at two layers:
//!
//! * `axioms::__private::verify_jws_signature`: segments, header, key selection, signature;
//! * `axioms::Axioms::verify`, the whole path with claims, against the same keys served by an
//!   in-process `TestIssuer` on 127.0.0.1 (no network), with a fixed clock — once without the
//!   verified-token cache and twice with it;
//!
//! and the payload segment through `axioms::Claims::from_json_unverified`.
//!
//! Input: the compact token, or a structured input (see `axioms_fuzz::token_from_input`).
//!
//! Oracles: no signature verifies unless its signing input was signed in the seed run (no
//! forgery); the two layers agree; the cache never changes an answer; accepted claims have the
//! configured issuer and audience and agree with `Claims::from_json_unverified`.
#![no_main]

use std::collections::HashSet;
use std::sync::LazyLock;
use std::time::Duration;

use axioms::__private::verify_jws_signature;
use axioms::testing::TestIssuer;
use axioms::{AuthError, Axioms, Claims, Config, Issuer, ManualClock};
use axioms_fuzz::{
    AUDIENCE, ISSUER, VERIFY_AT, jwks, known_signing_inputs, signing_input, token_from_input,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

struct Fixture {
    rt: tokio::runtime::Runtime,
    _issuer: TestIssuer,
    plain: Axioms,
    cached: Axioms,
    jwks: Value,
    known: HashSet<&'static str>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (issuer, plain, cached) = rt.block_on(async {
        // The issuer's own keys are never used: it serves the fixed set.
        let issuer = TestIssuer::start().await;
        issuer.set_jwks(Some(jwks()));
        let config = |entries| {
            Config::builder(
                Issuer::builder()
                    .issuer(ISSUER)
                    .audience(AUDIENCE)
                    .jwks_url(issuer.jwks_url()),
            )
            .clock(ManualClock::new(VERIFY_AT))
            .token_cache(entries)
            .build()
            .expect("config")
        };
        let plain = Axioms::new(config(0)).expect("verifier");
        let cached = Axioms::new(config(64)).expect("verifier");
        assert!(plain.ready(Duration::from_secs(10)).await, "keys load");
        assert!(cached.ready(Duration::from_secs(10)).await, "keys load");
        assert_eq!(plain.key_count(), 5);
        (issuer, plain, cached)
    });
    Fixture {
        rt,
        _issuer: issuer,
        plain,
        cached,
        jwks: jwks(),
        known: known_signing_inputs(),
    }
});

fn outcome(r: &Result<Claims, AuthError>) -> Result<Option<String>, axioms::Reason> {
    match r {
        Ok(c) => Ok(c.jwt_id().map(str::to_owned)),
        Err(e) => Err(e.reason()),
    }
}

/// Reads everything a handler might read; must not panic whatever the claims.
fn exercise(c: &Claims) {
    let _ = (c.issuer(), c.subject(), c.audience(), c.expires_at());
    let _ = (c.not_before(), c.issued_at(), c.jwt_id(), c.client_id());
    let _ = (
        c.scopes(),
        c.roles(),
        c.permissions(),
        c.has_scope("read:data"),
    );
    let _ = c.value("/realm_access/roles");
    let _ = c.value("/resource_access/fuzz-api/roles");
    let _ = c.get::<Vec<String>>("groups");
    let _ = c.get::<u64>("exp");
    let _ = format!("{c:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some(token) = token_from_input(data) else {
        return;
    };
    let f = &*FIXTURE;

    let signature = verify_jws_signature(&f.jwks, &token);
    if signature.is_ok() {
        assert!(
            f.known.contains(signing_input(&token)),
            "a signature verified over an input the keys never signed: {token}"
        );
    }

    let plain = f.rt.block_on(f.plain.verify(&token));
    let first = f.rt.block_on(f.cached.verify(&token));
    let second = f.rt.block_on(f.cached.verify(&token));
    assert_eq!(outcome(&plain), outcome(&first), "cache changed the answer");
    assert_eq!(
        outcome(&first),
        outcome(&second),
        "cache hit changed the answer"
    );

    // The payload as an application might read it, verified or not.
    let unverified = token
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
        .and_then(Claims::from_json_unverified);
    if let Some(c) = &unverified {
        exercise(c);
    }

    if let Ok(claims) = &plain {
        assert!(
            signature.is_ok(),
            "Axioms::verify accepted a token the signature layer refused ({signature:?})"
        );
        assert_eq!(claims.issuer(), Some(ISSUER));
        assert!(claims.audience().iter().any(|a| &**a == AUDIENCE));
        let exp = claims.expires_at().expect("exp is required");
        assert!(exp > VERIFY_AT - 60, "expired token accepted: exp {exp}");
        exercise(claims);
        let u = unverified.expect("an accepted payload is a valid claim set");
        assert_eq!(u.subject(), claims.subject());
        assert_eq!(u.scopes(), claims.scopes());
        assert_eq!(u.roles(), claims.roles());
        assert_eq!(u.permissions(), claims.permissions());
        assert_eq!(u.as_map(), claims.as_map());
    }
});
