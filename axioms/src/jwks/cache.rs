//! The JWKS cache: lock-free reads, single-flight refetches, cooldown, background refresh,
//! retry with backoff, stale-if-error.
//!
//! * Reads load an `Arc` snapshot through `ArcSwap`: no lock, no await.
//! * An unknown `kid` triggers at most one fetch per cooldown; concurrent misses, and misses
//!   during any fetch in flight, wait for that one fetch and share its result (an async mutex
//!   taken only on the miss path, never by readers of known keys).
//! * A background task refreshes on the IdP's `Cache-Control: max-age` (within bounds) or the
//!   configured interval; after a failure it retries after 1 s, 2 s, 4 s … up to the maximum
//!   backoff, so service resumes within seconds of the IdP's recovery.
//! * A failed refresh keeps the last good keys for `max_stale`; after that they are dropped
//!   and requests get 503.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use url::Url;

use super::fetch::{FetchError, Fetcher};
use super::key::VerifyingKey;
use super::set::KeySet;
use crate::algorithm::Algorithm;
use crate::config::{Config, KeySource};
use crate::rejection::Reason;

/// One published state of the cache.
#[derive(Debug, Default)]
struct Snapshot {
    keys: Option<Arc<KeySet>>,
    last_success: Option<Instant>,
}

pub(crate) struct KeyCache {
    state: ArcSwap<Snapshot>,
    fetch_lock: tokio::sync::Mutex<()>,
    /// Incremented after every fetch attempt, so that waiters know one happened.
    generation: std::sync::atomic::AtomicU64,
    last_miss_fetch: Mutex<Option<Instant>>,
    next_attempt: Mutex<Option<Instant>>,
    resolved_jwks: ArcSwapOption<Url>,
    fetcher: Fetcher,
    source: KeySource,
    issuer: Option<String>,
    algorithms: Vec<Algorithm>,
    max_keys: usize,
    cooldown: Duration,
    refresh_interval: Duration,
    min_refresh: Duration,
    max_refresh: Duration,
    max_backoff: Duration,
    max_stale: Duration,
}

use std::sync::atomic::Ordering;

impl KeyCache {
    pub(crate) fn new(config: &Config) -> Result<Self, FetchError> {
        Ok(Self {
            state: ArcSwap::from_pointee(Snapshot::default()),
            fetch_lock: tokio::sync::Mutex::new(()),
            generation: std::sync::atomic::AtomicU64::new(0),
            last_miss_fetch: Mutex::new(None),
            next_attempt: Mutex::new(None),
            resolved_jwks: ArcSwapOption::empty(),
            fetcher: Fetcher::new(config)?,
            source: config.key_source.clone(),
            issuer: config.issuer.clone(),
            algorithms: config.algorithms.clone(),
            max_keys: config.max_keys,
            cooldown: config.unknown_kid_cooldown,
            refresh_interval: config.refresh_interval,
            min_refresh: config.min_refresh_interval,
            max_refresh: config.max_refresh_interval,
            max_backoff: config.retry_max_backoff,
            max_stale: config.max_stale,
        })
    }

    /// Finds the key for `kid`, refetching once (subject to the cooldown) if it is unknown or
    /// no keys are loaded.
    pub(crate) async fn lookup(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, Reason> {
        {
            let snapshot = self.state.load();
            if let Some(keys) = &snapshot.keys {
                match keys.find(kid) {
                    Ok(key) => return Ok(Arc::clone(key)),
                    Err(Reason::UnknownKid) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        self.refetch_for_miss().await;
        let snapshot = self.state.load();
        match &snapshot.keys {
            Some(keys) => keys.find(kid).map(Arc::clone),
            None => Err(Reason::KeysUnavailable),
        }
    }

    /// Whether `key` is still the key its `kid` selects in the current key set.
    pub(crate) fn still_published(&self, key: &Arc<VerifyingKey>) -> bool {
        let snapshot = self.state.load();
        snapshot.keys.as_ref().is_some_and(|keys| {
            keys.find(key.kid.as_deref())
                .is_ok_and(|current| Arc::ptr_eq(current, key))
        })
    }

    /// Whether any key set is loaded.
    pub(crate) fn is_loaded(&self) -> bool {
        self.state.load().keys.is_some()
    }

    /// The number of usable keys loaded.
    pub(crate) fn key_count(&self) -> usize {
        self.state.load().keys.as_ref().map_or(0, |k| k.len())
    }

    /// Seconds a client should wait before retrying while no keys are loaded.
    pub(crate) fn retry_after(&self) -> Duration {
        let next = *self
            .next_attempt
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let wait = next.map_or(Duration::from_secs(1), |t| {
            t.saturating_duration_since(Instant::now())
        });
        wait.clamp(Duration::from_secs(1), Duration::from_secs(30))
    }

    fn in_cooldown(&self) -> bool {
        self.last_miss_fetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|t| t.elapsed() < self.cooldown)
    }

    async fn refetch_for_miss(&self) {
        let seen = self.generation.load(Ordering::Acquire);
        // Waiting here also means waiting for a fetch already in flight, whose result is
        // then shared (single-flight) instead of answering from the stale snapshot.
        let _flight = self.fetch_lock.lock().await;
        if self.generation.load(Ordering::Acquire) != seen || self.in_cooldown() {
            // Another request fetched while we waited, or the cooldown is running: use what
            // is loaded now.
            return;
        }
        *self
            .last_miss_fetch
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        tracing::debug!(target: "axioms::jwks", "unknown kid: refetching the key set");
        if let Err(err) = self.fetch_and_store().await {
            tracing::warn!(target: "axioms::jwks", error = %err, "JWKS refetch failed");
        }
    }

    /// Fetches the key set and publishes it. Callers hold `fetch_lock`.
    async fn fetch_and_store(&self) -> Result<Option<Duration>, FetchError> {
        let result = self.fetch().await;
        match &result {
            Ok((set, _)) => {
                tracing::info!(target: "axioms::jwks", keys = set.len(), "JWKS loaded");
            }
            Err(_) => {
                self.resolved_jwks.store(None);
                let snapshot = self.state.load();
                let expired = snapshot
                    .last_success
                    .is_some_and(|t| t.elapsed() > self.max_stale);
                if expired && snapshot.keys.is_some() {
                    tracing::error!(
                        target: "axioms::jwks",
                        "JWKS unreachable for longer than max_stale; dropping the stale keys"
                    );
                    self.state.store(Arc::new(Snapshot {
                        keys: None,
                        last_success: snapshot.last_success,
                    }));
                }
            }
        }
        let out = result.map(|(set, max_age)| {
            self.state.store(Arc::new(Snapshot {
                keys: Some(Arc::new(set)),
                last_success: Some(Instant::now()),
            }));
            max_age
        });
        self.generation.fetch_add(1, Ordering::AcqRel);
        out
    }

    async fn fetch(&self) -> Result<(KeySet, Option<Duration>), FetchError> {
        let url = match &self.source {
            KeySource::Jwks(url) => url.clone(),
            KeySource::Discovery(discovery) => match self.resolved_jwks.load_full() {
                Some(url) => (*url).clone(),
                None => {
                    let url = self
                        .fetcher
                        .discover(discovery, self.issuer.as_deref())
                        .await?;
                    self.resolved_jwks.store(Some(Arc::new(url.clone())));
                    url
                }
            },
        };
        let fetched = self.fetcher.get_json(&url).await?;
        let previous = self.state.load().keys.clone();
        let set = KeySet::parse(
            &fetched.body,
            &self.algorithms,
            self.max_keys,
            previous.as_deref(),
        )
        .map_err(|e| FetchError::KeySet(e.to_string()))?;
        Ok((set, fetched.max_age))
    }

    /// The background refresher. Holds only a weak reference, so it ends when the last
    /// [`Axioms`](crate::Axioms) handle is dropped (it is also aborted then).
    pub(crate) async fn run(cache: std::sync::Weak<KeyCache>) {
        let mut delay = Duration::ZERO;
        let mut backoff = Duration::from_secs(1);
        loop {
            tokio::time::sleep(delay).await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            let seen = cache.generation.load(Ordering::Acquire);
            let result = {
                let _flight = cache.fetch_lock.lock().await;
                let fresh = cache
                    .state
                    .load()
                    .last_success
                    .is_some_and(|t| t.elapsed() < cache.min_refresh);
                if fresh || (cache.generation.load(Ordering::Acquire) != seen && cache.is_loaded())
                {
                    // A request fetched the keys just now (at start-up, typically): do not
                    // fetch them again.
                    Ok(None)
                } else {
                    cache.fetch_and_store().await
                }
            };
            delay = match result {
                Ok(max_age) => {
                    backoff = Duration::from_secs(1);
                    max_age.map_or(cache.refresh_interval, |age| {
                        age.clamp(cache.min_refresh, cache.max_refresh)
                    })
                }
                Err(err) => {
                    tracing::warn!(
                        target: "axioms::jwks",
                        error = %err,
                        retry_in_secs = backoff.as_secs(),
                        "JWKS refresh failed; keeping the last good keys"
                    );
                    let d = backoff;
                    backoff = (backoff * 2).min(cache.max_backoff);
                    d
                }
            };
            *cache
                .next_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + delay);
        }
    }
}
