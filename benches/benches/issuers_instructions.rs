//! Instruction counts of full verification with 1 or 10 trusted issuers, for
//! `valgrind --tool=callgrind`: the difference being measured (choosing the issuer by `iss`)
//! is far below the wall-clock noise of a shared machine; instruction counts show it.
//!
//! `ISSUERS` (1 or 10, default 10) issuers are trusted; the token is the last one's, so with
//! 10 the choice scans them all. `ISSUERS_N` verifications (default 100, ES256, token cache
//! off) are counted; divide by it:
//!
//! ```sh
//! cargo bench -p axioms-benches --bench issuers_instructions --no-run   # prints the binary
//! for n in 1 10; do
//!   ISSUERS=$n ISSUERS_N=200 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     --toggle-collect='*measured*' target/release/deps/issuers_instructions-* 2>&1 | grep Collected
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

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Axioms, Config, Issuer, Trust};

fn main() {
    let trusted: usize = std::env::var("ISSUERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10)
        .clamp(1, 10);
    let n: usize = std::env::var("ISSUERS_N")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let issuers: Vec<TestIssuer> = rt.block_on(async {
        let mut all = Vec::new();
        for i in 0..10 {
            let issuer = TestIssuer::start_with(&[Algorithm::ES256]).await;
            issuer.set_issuer(format!("https://issuer-{i}.bench.test/"));
            all.push(issuer);
        }
        all
    });
    // The last `trusted` issuers, the primary first; the token is the last one's.
    let chosen = &issuers[10 - trusted..];
    let issuer_config = |issuer: &TestIssuer| {
        Issuer::builder()
            .issuer(issuer.issuer())
            .jwks_url(issuer.jwks_url())
            .audience("test-api")
    };
    let mut config = Config::builder(issuer_config(&chosen[0])).token_cache(0);
    for (i, issuer) in chosen.iter().enumerate().skip(1) {
        config = config.trust(
            format!("issuer_{i}"),
            issuer_config(issuer),
            Trust::partner(),
        );
    }
    let config = config.build().unwrap();
    let axioms = rt.block_on(async {
        let axioms = Axioms::new(config).unwrap();
        assert!(axioms.ready(Duration::from_secs(10)).await);
        axioms
    });
    let last = issuers.last().unwrap();
    let token = last.token().scope("read:data").sign();
    let claims = rt.block_on(axioms.verify(&token)).unwrap();
    assert_eq!(claims.issuer(), Some(last.issuer().as_str()));
    measured(&rt, &axioms, &token, n);
}

/// The counted part: run callgrind with `--toggle-collect='*measured*'` to count only it.
#[inline(never)]
fn measured(rt: &tokio::runtime::Runtime, axioms: &Axioms, token: &str, n: usize) {
    for _ in 0..n {
        assert!(rt.block_on(axioms.verify(black_box(token))).is_ok());
    }
}
