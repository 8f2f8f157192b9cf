//! The verified-token cache: a token verified once is not verified again while it stays
//! valid.
//!
//! # Why this is safe
//!
//! * **Only fully verified tokens enter**, after signature, header and claim checks; failures
//!   are never cached, so an attacker cannot fill the cache without valid tokens.
//! * **Keyed by the whole token.** The hash (foldhash, seeded at random per process) only picks
//!   a bucket; a hit compares the complete token string byte for byte. Two different tokens
//!   can never share an entry (the flaw of caches keyed by a prefix or a digest, e.g. fast-jwt
//!   GHSA-rp9m-7r4c-75qg).
//! * **Time is re-checked on every hit**: `exp`, `nbf` and `iat` against the clock, with the
//!   configured leeway — an expired token is never served from the cache.
//! * **Keys are re-checked on every hit**: the entry remembers the key that verified it, and a
//!   hit requires that exact key to still be in the current key set. Removing a key from the
//!   JWKS invalidates every token it verified at the next refresh.
//! * **Bounded** in entries and bytes, so memory use has a fixed ceiling. An entry counts
//!   what it holds: the token, its parsed claims (every member, string and array of the claim
//!   set, with the allocator's overhead) and its bookkeeping, so a claim-heavy token costs what
//!   it weighs, not its length.
//! * Everything else verification checks (issuer, audience, type, algorithm) is a function of
//!   the token bytes and the configuration, which cannot change while the verifier lives, so
//!   re-verifying would give the same answer.
//!
//! Turn it off with `ConfigBuilder::token_cache(0)`.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::quality::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use crate::claims::Claims;
use crate::jwks::key::VerifyingKey;

const SHARDS: usize = 16;

struct Entry {
    token: Box<[u8]>,
    claims: Claims,
    key: Arc<VerifyingKey>,
    /// Whether the token's header named a `kid`.
    named_kid: bool,
}

impl Entry {
    /// What the entry holds on the heap, counted generously: the token, the claims it parsed
    /// to, and the map slot with its bookkeeping.
    fn bytes(&self) -> usize {
        self.token.len()
            + self.claims.heap_bytes()
            + std::mem::size_of::<(u64, Self)>()
            + SLOT_OVERHEAD
    }
}

/// A hash-map slot's control byte, spare capacity and the allocator's rounding.
const SLOT_OVERHEAD: usize = 64;

/// The map's keys are already keyed-hash outputs: hash them no further.
#[derive(Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[derive(Default)]
struct Shard {
    map: HashMap<u64, Entry, BuildHasherDefault<Prehashed>>,
    bytes: usize,
}

/// Hit and miss counters of the verified-token cache.
///
/// # Example
///
/// ```
/// let stats = axioms::TokenCacheStats::default();
/// assert_eq!(stats.hits + stats.misses, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenCacheStats {
    /// Verifications answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing valid: the token then ran through full verification (or
    /// was refused before it, e.g. a malformed one — the cache is asked first).
    pub misses: u64,
    /// Tokens currently cached.
    pub entries: usize,
    /// The bytes those entries are counted at (the quantity the byte ceiling bounds).
    pub bytes: usize,
}

pub(crate) struct TokenCache {
    shards: Box<[RwLock<Shard>]>,
    hasher: RandomState,
    max_entries: usize,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl TokenCache {
    /// A cache of at most `entries` tokens and `bytes` bytes in all.
    pub(crate) fn new(entries: usize, bytes: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
            hasher: RandomState::default(),
            max_entries: entries.div_ceil(SHARDS).max(1),
            max_bytes: bytes.div_ceil(SHARDS).max(1),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn shard(&self, hash: u64) -> Option<&RwLock<Shard>> {
        // The top four bits pick one of the 16 shards.
        self.shards.get((hash >> 60) as usize % SHARDS)
    }

    /// The cached claims of `token`, if it was verified and `still_valid` accepts the entry's
    /// claims, key and whether the token named a `kid`.
    pub(crate) fn get(
        &self,
        token: &[u8],
        still_valid: impl Fn(&Claims, &Arc<VerifyingKey>, bool) -> bool,
    ) -> Option<Claims> {
        let hash = self.hasher.hash_one(token);
        let hit = {
            let shard = self
                .shard(hash)?
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            shard
                .map
                .get(&hash)
                .filter(|e| *e.token == *token)
                .map(|e| (e.claims.clone(), Arc::clone(&e.key), e.named_kid))
        };
        match hit {
            Some((claims, key, named_kid)) if still_valid(&claims, &key, named_kid) => {
                self.hits.fetch_add(1, Ordering::Relaxed);
                Some(claims)
            }
            Some(_) => {
                // Expired, or its key left the key set: drop it.
                if let Some(shard) = self.shard(hash) {
                    let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
                    if let Some(e) = shard.map.remove(&hash) {
                        shard.bytes = shard.bytes.saturating_sub(e.bytes());
                    }
                }
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
            None => {
                self.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Caches a verified token (`named_kid`: its header named a `kid`).
    pub(crate) fn insert(
        &self,
        token: &[u8],
        claims: &Claims,
        key: &Arc<VerifyingKey>,
        named_kid: bool,
    ) {
        let hash = self.hasher.hash_one(token);
        let entry = Entry {
            token: Box::from(token),
            claims: claims.clone(),
            key: Arc::clone(key),
            named_kid,
        };
        let size = entry.bytes();
        if size > self.max_bytes {
            return;
        }
        let Some(shard) = self.shard(hash) else {
            return;
        };
        let mut shard = shard.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = shard.map.remove(&hash) {
            shard.bytes = shard.bytes.saturating_sub(old.bytes());
        }
        // Evict arbitrary entries (the map's order is random) until the new one fits.
        let mut evicted = 0;
        while shard.map.len() >= self.max_entries || shard.bytes + size > self.max_bytes {
            let Some(&victim) = shard.map.keys().next() else {
                break;
            };
            if let Some(e) = shard.map.remove(&victim) {
                shard.bytes = shard.bytes.saturating_sub(e.bytes());
                evicted += 1;
            }
        }
        if evicted > 0 {
            crate::metrics::token_cache_evictions(evicted);
        }
        shard.bytes += size;
        shard.map.insert(hash, entry);
    }

    pub(crate) fn stats(&self) -> TokenCacheStats {
        let (entries, bytes) = self.shards.iter().fold((0, 0), |(n, b), s| {
            let shard = s.read().unwrap_or_else(PoisonError::into_inner);
            (n + shard.map.len(), b + shard.bytes)
        });
        TokenCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries,
            bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithm::Algorithm;
    use serde_json::json;

    fn key() -> Arc<VerifyingKey> {
        Arc::new(VerifyingKey {
            kid: Some("k".into()),
            alg: Algorithm::HS256,
            implied_alg: true,
            key: crate::jwks::key::PublicKey::Hmac(Box::new(aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                &[0; 32],
            ))),
            material: vec![0; 32],
        })
    }

    fn claims() -> Claims {
        Claims::from_json_unverified(json!({"sub": "a", "exp": 10})).unwrap()
    }

    #[test]
    fn hit_requires_the_whole_token_and_validity() {
        let cache = TokenCache::new(100, 1 << 20);
        let k = key();
        cache.insert(b"a.b.c", &claims(), &k, true);
        assert!(cache.get(b"a.b.c", |_, _, _| true).is_some());
        assert!(cache.get(b"a.b.d", |_, _, _| true).is_none());
        assert!(cache.get(b"a.b.c", |_, _, _| false).is_none());
        // The invalid entry was dropped.
        assert!(cache.get(b"a.b.c", |_, _, _| true).is_none());
        let s = cache.stats();
        assert_eq!((s.hits, s.misses, s.entries), (1, 3, 0));
    }

    #[test]
    fn capacity_is_bounded() {
        let cache = TokenCache::new(32, 1 << 20);
        let k = key();
        for i in 0..1000 {
            cache.insert(format!("token-{i}").as_bytes(), &claims(), &k, true);
        }
        assert!(cache.stats().entries <= 32);
        let tiny = TokenCache::new(1000, 16 * 1024);
        for i in 0..1000 {
            tiny.insert(
                format!("{i}-{}", "x".repeat(500)).as_bytes(),
                &claims(),
                &k,
                true,
            );
        }
        let total: usize = tiny.shards.iter().map(|s| s.read().unwrap().bytes).sum();
        assert!(total <= 16 * 1024 + SHARDS * 1024, "{total}");
    }

    #[test]
    fn claims_count_toward_the_budget() {
        // A short token whose claims are large: the entry weighs its claims.
        let heavy = Claims::from_json_unverified(json!({
            "sub": "a", "exp": 10,
            "groups": (0..500).map(|i| format!("group-{i:04}")).collect::<Vec<_>>(),
        }))
        .unwrap();
        let cache = TokenCache::new(100, 1 << 20);
        cache.insert(b"short.token.x", &heavy, &key(), true);
        let stats = cache.stats();
        assert!(stats.bytes > 500 * 10, "{stats:?}");
    }
}
