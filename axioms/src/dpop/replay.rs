//! Replay detection of DPoP proofs: each proof's `jti` is remembered for as long as the
//! proof would be accepted, and a second use is refused (RFC 9449 §11.1).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use futures_util::future::BoxFuture;

/// What a replay store remembers of a proof: the SHA-256 of its key thumbprint and `jti`,
/// so a store holds no proof material and every key is 32 bytes however long the `jti`; and
/// which client key made it ([`client`](Self::client)), for a store's per-key quota.
///
/// # Example
///
/// ```
/// use axioms::dpop::ReplayKey;
/// let a = ReplayKey::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "e1j3V_bKic8-LAEB");
/// let b = ReplayKey::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "another-jti");
/// assert_ne!(a, b);
/// assert_eq!(a.client(), b.client());
/// assert_eq!(a.to_string().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplayKey {
    proof: [u8; 32],
    client: [u8; 16],
}

impl ReplayKey {
    /// The key of the proof with key thumbprint `jkt` and identifier `jti`.
    pub fn new(jkt: &str, jti: &str) -> Self {
        let mut input = Vec::with_capacity(jkt.len() + 1 + jti.len());
        input.extend_from_slice(jkt.as_bytes());
        // A separator no thumbprint contains, so that (jkt, jti) pairs cannot collide.
        input.push(b' ');
        input.extend_from_slice(jti.as_bytes());
        let mut proof = [0; 32];
        proof.copy_from_slice(digest(&SHA256, &input).as_ref());
        let mut client = [0; 16];
        for (c, b) in client
            .iter_mut()
            .zip(digest(&SHA256, jkt.as_bytes()).as_ref())
        {
            *c = *b;
        }
        Self { proof, client }
    }

    /// The 32 bytes that identify the proof.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.proof
    }

    /// The client key that made the proof: the first 16 bytes of the SHA-256 of its
    /// thumbprint, the same for every proof of one key.
    pub fn client(&self) -> &[u8; 16] {
        &self.client
    }
}

/// Lowercase hex: the form a shared store keys on.
impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.proof.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplayKey({self})")
    }
}

/// Why a replay store could not answer. The request is then refused with 503: a store that
/// cannot say "new" is never taken to have said it.
///
/// # Example
///
/// ```
/// use axioms::dpop::ReplayStoreError;
/// let err = ReplayStoreError::Unavailable("connection refused".into());
/// assert!(err.to_string().contains("connection refused"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayStoreError {
    /// The store could not be reached or did not answer in time.
    #[error("replay store unavailable: {0}")]
    Unavailable(String),
    /// The store is full of unexpired entries.
    #[error("replay store full")]
    Full,
    /// The proof's client key holds its whole share of the store: one client cannot fill it
    /// for every other.
    #[error("replay store: this client key's share is full")]
    KeyQuota,
}

/// Remembers DPoP proofs: shared by every instance that serves the same resource.
///
/// axioms calls [`first_use`](Self::first_use) once per DPoP request, after every other
/// check passed. [`MemoryReplayStore`] is the default;
/// [`RedisReplayStore`](crate::dpop::RedisReplayStore) (feature `redis`) shares it between
/// instances. Install another with [`Axioms::with_replay_store`](crate::Axioms::with_replay_store).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use axioms::dpop::{MemoryReplayStore, ReplayKey, ReplayStore};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = MemoryReplayStore::new(1000);
/// let key = ReplayKey::new("jkt", "jti-1");
/// assert_eq!(store.first_use(key, Duration::from_secs(60)).await, Ok(true));
/// assert_eq!(store.first_use(key, Duration::from_secs(60)).await, Ok(false));
/// # }
/// ```
pub trait ReplayStore: Send + Sync + fmt::Debug + 'static {
    /// Records `key` for `ttl`: `Ok(true)` if it was not recorded yet, `Ok(false)` if it
    /// was (a replay). Must be atomic across every instance sharing the store, and must
    /// answer in bounded time (an error, not a hang, when the backend is away).
    fn first_use(
        &self,
        key: ReplayKey,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, ReplayStoreError>>;
}

/// A shared store is a store: `Arc<S>` can be installed while the application keeps a
/// handle to the same `S`.
impl<S: ReplayStore + ?Sized> ReplayStore for std::sync::Arc<S> {
    fn first_use(
        &self,
        key: ReplayKey,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, ReplayStoreError>> {
        (**self).first_use(key, ttl)
    }
}

/// The default replay store: this process's memory, bounded.
///
/// It never forgets an unexpired proof: when it holds `capacity` of them, it answers
/// [`ReplayStoreError::Full`] (503) until some expire; and one client key may hold at most a
/// share of them (a quarter by default, [`with_key_quota`](Self::with_key_quota)) —
/// beyond it, that key's proofs get [`ReplayStoreError::KeyQuota`] while every other key's
/// pass. Entries expire each at its own time, so one store may serve verifiers with
/// different proof lifetimes. With several instances behind a load balancer, use a shared
/// store instead (a proof replayed to another instance would pass).
///
/// # Example
///
/// ```
/// use axioms::dpop::MemoryReplayStore;
/// let store = MemoryReplayStore::new(axioms::defaults::DPOP_REPLAY_ENTRIES);
/// assert_eq!(store.len(), 0);
/// ```
pub struct MemoryReplayStore {
    capacity: usize,
    per_key: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    seen: HashSet<ReplayKey>,
    /// Soonest expiry first.
    expiries: BinaryHeap<Reverse<(Instant, ReplayKey)>>,
    /// Unexpired proofs per client key.
    per_client: HashMap<[u8; 16], usize>,
}

impl MemoryReplayStore {
    /// A store that remembers at most `capacity` unexpired proofs, a quarter of them of any
    /// one client key.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            per_key: (capacity / 4).max(1),
            inner: Mutex::new(Entries::default()),
        }
    }

    /// At most `proofs` unexpired proofs of any one client key (at least 1).
    ///
    /// ```
    /// use axioms::dpop::MemoryReplayStore;
    /// let store = MemoryReplayStore::new(100_000).with_key_quota(10_000);
    /// # let _ = store;
    /// ```
    #[must_use]
    pub fn with_key_quota(mut self, proofs: usize) -> Self {
        self.per_key = proofs.max(1);
        self
    }

    /// How many proofs it remembers now (expired ones included until the next insert).
    pub fn len(&self) -> usize {
        self.lock().seen.len()
    }

    /// Whether it remembers nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn record(
        &self,
        key: ReplayKey,
        ttl: Duration,
        now: Instant,
    ) -> Result<bool, ReplayStoreError> {
        let mut entries = self.lock();
        let entries = &mut *entries;
        while let Some(&Reverse((expiry, old))) = entries.expiries.peek() {
            if expiry > now {
                break;
            }
            entries.expiries.pop();
            entries.seen.remove(&old);
            if let Some(count) = entries.per_client.get_mut(old.client()) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    entries.per_client.remove(old.client());
                }
            }
        }
        if entries.seen.contains(&key) {
            return Ok(false);
        }
        if entries.seen.len() >= self.capacity {
            return Err(ReplayStoreError::Full);
        }
        let held = entries.per_client.get(key.client()).copied().unwrap_or(0);
        if held >= self.per_key {
            return Err(ReplayStoreError::KeyQuota);
        }
        entries.seen.insert(key);
        entries.expiries.push(Reverse((now + ttl, key)));
        *entries.per_client.entry(*key.client()).or_insert(0) += 1;
        Ok(true)
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
            .field("per_key", &self.per_key)
            .field("len", &self.len())
            .finish()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn first_use(
        &self,
        key: ReplayKey,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, ReplayStoreError>> {
        let result = self.record(key, ttl, Instant::now());
        Box::pin(async move { result })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_until_expiry_and_fails_closed_when_full() {
        let store = MemoryReplayStore::new(2).with_key_quota(2);
        let t0 = Instant::now();
        let ttl = Duration::from_secs(60);
        let (a, b, c) = (
            ReplayKey::new("k", "a"),
            ReplayKey::new("k", "b"),
            ReplayKey::new("k", "c"),
        );
        assert_eq!(store.record(a, ttl, t0), Ok(true));
        assert_eq!(store.record(a, ttl, t0), Ok(false));
        assert_eq!(store.record(b, ttl, t0), Ok(true));
        // Full of unexpired proofs: refuse rather than forget one.
        assert_eq!(store.record(c, ttl, t0), Err(ReplayStoreError::Full));
        assert_eq!(store.record(a, ttl, t0 + ttl / 2), Ok(false));
        // Once they expire, room again, and `a` is new again (its proof is stale by then).
        assert_eq!(store.record(c, ttl, t0 + ttl), Ok(true));
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn one_client_key_cannot_fill_the_store_for_the_others() {
        let store = MemoryReplayStore::new(100).with_key_quota(10);
        let t0 = Instant::now();
        let ttl = Duration::from_secs(60);
        for i in 0..10 {
            assert_eq!(
                store.record(ReplayKey::new("flood", &i.to_string()), ttl, t0),
                Ok(true)
            );
        }
        // The flooding key is refused; a replay is still told as a replay.
        assert_eq!(
            store.record(ReplayKey::new("flood", "10"), ttl, t0),
            Err(ReplayStoreError::KeyQuota)
        );
        assert_eq!(
            store.record(ReplayKey::new("flood", "3"), ttl, t0),
            Ok(false)
        );
        // Every other key continues.
        for client in 0..9 {
            assert_eq!(
                store.record(ReplayKey::new(&format!("client-{client}"), "a"), ttl, t0),
                Ok(true)
            );
        }
        // Once its proofs expire, the key has its share again.
        assert_eq!(
            store.record(ReplayKey::new("flood", "10"), ttl, t0 + ttl),
            Ok(true)
        );
    }

    #[test]
    fn entries_expire_each_at_its_own_time() {
        // One store shared by a verifier with 10 s proofs and one with 300 s proofs: the long
        // entry first must not keep the short ones after them alive, nor the other way round.
        let store = MemoryReplayStore::new(3).with_key_quota(3);
        let t0 = Instant::now();
        let (long, short) = (Duration::from_secs(300), Duration::from_secs(10));
        assert_eq!(
            store.record(ReplayKey::new("k", "long"), long, t0),
            Ok(true)
        );
        assert_eq!(store.record(ReplayKey::new("k", "s1"), short, t0), Ok(true));
        assert_eq!(store.record(ReplayKey::new("k", "s2"), short, t0), Ok(true));
        assert_eq!(
            store.record(ReplayKey::new("k", "s3"), short, t0),
            Err(ReplayStoreError::Full)
        );
        // At 11 s the two short ones are gone though the long one, older, is not.
        assert_eq!(
            store.record(
                ReplayKey::new("k", "s3"),
                short,
                t0 + short + Duration::from_secs(1)
            ),
            Ok(true)
        );
        assert_eq!(store.len(), 2);
        assert_eq!(
            store.record(
                ReplayKey::new("k", "long"),
                long,
                t0 + Duration::from_secs(20)
            ),
            Ok(false),
            "the long-lived proof is still remembered"
        );
    }

    #[test]
    fn keys_separate_jkt_and_jti() {
        assert_ne!(ReplayKey::new("ab", "c"), ReplayKey::new("a", "bc"));
        assert_ne!(
            ReplayKey::new("ab", "c").client(),
            ReplayKey::new("a", "bc").client()
        );
    }
}
