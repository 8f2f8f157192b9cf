//! A binary of its own: a `#[global_allocator]` (`cap`) measures live heap bytes, which no
//! other test may allocate meanwhile.
//!
//! The token cache's byte budget counts what an entry really holds: a claim-heavy token costs
//! its claims, not its length. Measured against the allocator itself (live heap bytes).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::alloc::System;

use axioms::testing::TestIssuer;
use axioms::{Axioms, Config};
use cap::Cap;
use serde_json::json;

#[global_allocator]
static HEAP: Cap<System> = Cap::new(System, usize::MAX);

/// A token shaped like Keycloak's with many groups and roles: short fields, many of them.
fn heavy(issuer: &TestIssuer, i: usize) -> String {
    let groups: Vec<String> = (0..150).map(|g| format!("/org/team-{g:03}")).collect();
    let roles: Vec<String> = (0..100).map(|r| format!("role-{r:03}")).collect();
    issuer
        .token()
        .subject(&format!("user-{i}"))
        .claims(json!({
            "groups": groups,
            "realm_access": {"roles": roles},
            "resource_access": {"api": {"roles": ["read", "write"]}, "account": {"roles": ["view"]}},
        }))
        .sign()
}

#[test]
fn accounted_bytes_bound_the_real_heap_and_the_budget_holds() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let issuer = TestIssuer::start().await;
        // 16 shards of 1 MiB: the 12 tokens of the first part (about 35 KiB accounted each)
        // fit even if they all land in one shard; the 600 of the second (about 21 MiB) do not.
        let budget = 16 * 1024 * 1024;
        let axioms = Axioms::new(
            Config::builder(issuer.issuer_config("test-api").roles_claims(["/realm_access/roles"])).token_cache(4096).token_cache_bytes(budget).build().unwrap(),
        )
        .unwrap();
        assert!(axioms.ready(std::time::Duration::from_secs(10)).await);

        // Fill a part of the budget, measuring the heap the cache holds afterwards.
        let few: Vec<String> = (0..12).map(|i| heavy(&issuer, i)).collect();
        let many: Vec<String> = (12..600).map(|i| heavy(&issuer, i)).collect();
        let token_bytes: usize = few.iter().map(String::len).sum();
        let before = HEAP.allocated();
        for token in &few {
            axioms.verify(token).await.unwrap();
        }
        let held = HEAP.allocated().saturating_sub(before);
        let stats = axioms.token_cache_stats();
        assert_eq!(stats.entries, few.len());
        println!(
            "{} tokens of {} bytes on average: heap held {held} bytes, accounted {} bytes",
            few.len(),
            token_bytes / few.len(),
            stats.bytes
        );
        // The accounting bounds the real heap (a token's length alone is far below it)...
        assert!(stats.bytes >= held, "accounted {} < held {held}", stats.bytes);
        assert!(held > 3 * token_bytes, "held {held}: the claims weigh more than the tokens");
        // ...without overstating it so much that the budget would be wasted.
        assert!(stats.bytes <= 2 * held, "accounted {} vs held {held}", stats.bytes);

        // Far more claim-heavy tokens than fit: the accounted bytes stay within the budget,
        // and so does the heap the cache holds.
        for token in &many {
            axioms.verify(token).await.unwrap();
        }
        let full = axioms.token_cache_stats();
        let held = HEAP.allocated().saturating_sub(before);
        println!(
            "600 tokens offered: {} cached, accounted {} bytes, heap held {held} bytes, budget {budget}",
            full.entries, full.bytes
        );
        assert!(full.entries < 600, "the budget evicted nothing");
        assert!(full.bytes <= budget, "accounted {} over the budget", full.bytes);
        assert!(held <= budget + budget / 8, "heap {held} over the budget");
    });
}
