//! Replay detection of DPoP proofs: each proof's `jti` is remembered for as long as the
//! proof would be accepted, and a second use is refused (RFC 9449 §11.1).

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use futures_util::future::BoxFuture;

/// What a replay store remembers of a proof: the SHA-256 of its key thumbprint and `jti`,
/// so a store holds no proof material and every key is 32 bytes however long the `jti`.
///
/// # Example
///
/// ```
/// use axioms::dpop::ReplayKey;
/// let a = ReplayKey::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "e1j3V_bKic8-LAEB");
/// let b = ReplayKey::new("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "another-jti");
/// assert_ne!(a, b);
/// assert_eq!(a.to_string().len(), 64);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReplayKey([u8; 32]);

impl ReplayKey {
    /// The key of the proof with key thumbprint `jkt` and identifier `jti`.
    pub fn new(jkt: &str, jti: &str) -> Self {
        let mut input = Vec::with_capacity(jkt.len() + 1 + jti.len());
        input.extend_from_slice(jkt.as_bytes());
        // A separator no thumbprint contains, so that (jkt, jti) pairs cannot collide.
        input.push(b' ');
        input.extend_from_slice(jti.as_bytes());
        let mut out = [0; 32];
        out.copy_from_slice(digest(&SHA256, &input).as_ref());
        Self(out)
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Lowercase hex: the form a shared store keys on.
impl fmt::Display for ReplayKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
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
/// [`ReplayStoreError::Full`] (503) until some expire. With several instances behind a
/// load balancer, use a shared store instead (a proof replayed to another instance would
/// pass).
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
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    seen: HashSet<ReplayKey>,
    /// In insertion order; with one TTL per configuration, also expiry order.
    expiries: VecDeque<(Instant, ReplayKey)>,
}

impl MemoryReplayStore {
    /// A store that remembers at most `capacity` unexpired proofs.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Entries::default()),
        }
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
        while let Some(&(expiry, old)) = entries.expiries.front() {
            if expiry > now {
                break;
            }
            entries.expiries.pop_front();
            entries.seen.remove(&old);
        }
        if entries.seen.contains(&key) {
            return Ok(false);
        }
        if entries.seen.len() >= self.capacity {
            return Err(ReplayStoreError::Full);
        }
        entries.seen.insert(key);
        entries.expiries.push_back((now + ttl, key));
        Ok(true)
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("capacity", &self.capacity)
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
        let store = MemoryReplayStore::new(2);
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
    fn keys_separate_jkt_and_jti() {
        assert_ne!(ReplayKey::new("ab", "c"), ReplayKey::new("a", "bc"));
    }
}
