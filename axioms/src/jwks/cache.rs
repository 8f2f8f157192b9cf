//! The JWKS cache: lock-free reads, single-flight refetches, cooldown, background refresh,
//! retry with backoff, stale-if-error.
//!
//! * Reads load an `Arc` snapshot through `ArcSwap`: no lock, no await.
//! * A fetch runs in a task of its own and is shared: an unknown `kid` starts one (at most one
//!   per cooldown) or joins the one in flight, whatever started it. No lock is held while it
//!   runs; a request waits for it at most the whole-request fetch timeout, then answers from
//!   what is loaded.
//! * A background task refreshes on the IdP's `Cache-Control: max-age` (within bounds) or the
//!   configured interval; after a failure it retries after 1 s, 2 s, 4 s … up to the maximum
//!   backoff, so service resumes within seconds of the IdP's recovery. A failed fetch started
//!   by a request keeps the backoff going; only a success resets it.
//! * Each refresher iteration is panic-proof: a panic is logged and retried with backoff, so
//!   the refresher never dies quietly.
//! * A failed refresh keeps the last good keys for `max_stale`; after that they are dropped
//!   and requests get 503.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, ArcSwapOption};
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use url::Url;

use super::key::VerifyingKey;
use super::set::KeySet;
use crate::config::http::Http;
use crate::config::keys::{KeySource, Keys};
use crate::fetch::{ClientError, FetchError, Fetcher};
use crate::rejection::Reason;

/// One published state of the cache.
#[derive(Debug, Default)]
struct Snapshot {
    keys: Option<Arc<KeySet>>,
    last_success: Option<Instant>,
    /// The `max-age` of the last successful fetch.
    max_age: Option<Duration>,
}

/// The outcome of one fetch, shared by everyone who waited for it.
type Outcome = Result<Option<Duration>, FetchError>;
type Flight = Shared<BoxFuture<'static, Outcome>>;

pub(crate) struct KeyCache {
    state: ArcSwap<Snapshot>,
    /// The fetch in flight, if any. A std mutex, held only to start or join a fetch.
    flight: Mutex<Option<Flight>>,
    last_miss_fetch: Mutex<Option<Instant>>,
    next_attempt: Mutex<Option<Instant>>,
    resolved_jwks: ArcSwapOption<Url>,
    fetcher: Fetcher,
    /// The key settings, shared with the issuer's configuration.
    config: Arc<Keys>,
    /// The issuer a discovery document must name, and the metrics' label.
    issuer: Option<String>,
    /// How long a request waits for a fetch in flight.
    wait: Duration,
}

/// Clears the flight slot when the fetch task ends, even by a panic.
struct Landed(Arc<KeyCache>);

impl Drop for Landed {
    fn drop(&mut self) {
        *self.0.flight.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl KeyCache {
    /// The cache of the keys `keys` describes, fetched as `http` says, of `issuer`.
    pub(crate) fn new(
        keys: &Arc<Keys>,
        http: &Http,
        issuer: Option<&str>,
    ) -> Result<Self, ClientError> {
        // Local keys are loaded once, here, and never fetched.
        let snapshot = match &keys.source {
            KeySource::Local(set) => Snapshot {
                keys: Some(Arc::clone(set)),
                last_success: Some(Instant::now()),
                max_age: None,
            },
            KeySource::Jwks(_) | KeySource::Discovery(_) => Snapshot::default(),
        };
        Ok(Self {
            state: ArcSwap::from_pointee(snapshot),
            flight: Mutex::new(None),
            last_miss_fetch: Mutex::new(None),
            next_attempt: Mutex::new(None),
            resolved_jwks: ArcSwapOption::empty(),
            fetcher: Fetcher::new(http)?,
            config: Arc::clone(keys),
            issuer: issuer.map(str::to_owned),
            wait: http.request_timeout,
        })
    }

    /// Finds the key for `kid`, refetching once (subject to the cooldown) if it is unknown or
    /// no keys are loaded.
    pub(crate) async fn lookup(
        self: &Arc<Self>,
        kid: Option<&str>,
    ) -> Result<Arc<VerifyingKey>, Reason> {
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

    /// Whether `key` is still the key the token selects in the current key set: by its
    /// `kid` (`named_kid`), or, for a token without one, as the set's only key — so a cached
    /// token is refused exactly when a fresh verification would be.
    pub(crate) fn still_published(&self, key: &Arc<VerifyingKey>, named_kid: bool) -> bool {
        let snapshot = self.state.load();
        let kid = if named_kid { key.kid.as_deref() } else { None };
        snapshot.keys.as_ref().is_some_and(|keys| {
            keys.find(kid)
                .is_ok_and(|current| Arc::ptr_eq(current, key))
        })
    }

    /// Whether the keys are configured locally (never fetched).
    fn is_local(&self) -> bool {
        matches!(self.config.source, KeySource::Local(_))
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

    /// Joins the fetch in flight, or starts one unless the unknown-kid cooldown is running.
    async fn refetch_for_miss(self: &Arc<Self>) {
        if self.is_local() {
            return;
        }
        let flight = {
            let mut slot = self.flight.lock().unwrap_or_else(PoisonError::into_inner);
            match &*slot {
                // Waiting for the fetch in flight shares its result (single-flight) instead
                // of answering from the stale snapshot.
                Some(flight) => flight.clone(),
                None => {
                    let mut last = self
                        .last_miss_fetch
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    if last.is_some_and(|t| t.elapsed() < self.config.cooldown) {
                        return;
                    }
                    *last = Some(Instant::now());
                    tracing::debug!(target: "axioms::jwks", "unknown kid: refetching the key set");
                    self.start(&mut slot)
                }
            }
        };
        // A request waits no longer than it would for a fetch of its own.
        match tokio::time::timeout(self.wait, flight).await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => {
                tracing::warn!(target: "axioms::jwks", error = %err, "JWKS refetch failed");
            }
            Err(_) => {
                tracing::warn!(
                    target: "axioms::jwks",
                    "JWKS fetch still running after the request timeout; answering from the keys loaded"
                );
            }
        }
    }

    /// The fetch in flight, or a new one.
    fn join_or_start(self: &Arc<Self>) -> Flight {
        let mut slot = self.flight.lock().unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some(flight) => flight.clone(),
            None => self.start(&mut slot),
        }
    }

    /// Spawns a fetch and puts it in the (locked, empty) slot.
    fn start(self: &Arc<Self>, slot: &mut Option<Flight>) -> Flight {
        let landed = Landed(Arc::clone(self));
        let task = tokio::spawn(async move {
            let outcome = landed.0.fetch_and_store().await;
            drop(landed);
            outcome
        });
        let flight = async move {
            task.await
                .unwrap_or(Err(FetchError::Internal("the key fetch task panicked")))
        }
        .boxed()
        .shared();
        *slot = Some(flight.clone());
        flight
    }

    /// Fetches the key set and publishes it; on failure, drops keys older than `max_stale`.
    async fn fetch_and_store(&self) -> Outcome {
        match self.fetch().await {
            Ok((set, max_age)) => {
                tracing::info!(target: "axioms::jwks", keys = set.len(), "JWKS loaded");
                crate::metrics::jwks_fetch(self.issuer.as_deref(), Some(set.len()));
                self.state.store(Arc::new(Snapshot {
                    keys: Some(Arc::new(set)),
                    last_success: Some(Instant::now()),
                    max_age,
                }));
                Ok(max_age)
            }
            Err(err) => {
                crate::metrics::jwks_fetch(self.issuer.as_deref(), None);
                self.resolved_jwks.store(None);
                let snapshot = self.state.load();
                let expired = snapshot
                    .last_success
                    .is_some_and(|t| t.elapsed() > self.config.max_stale);
                if expired && snapshot.keys.is_some() {
                    tracing::error!(
                        target: "axioms::jwks",
                        "JWKS unreachable for longer than max_stale; dropping the stale keys"
                    );
                    crate::metrics::jwks_dropped(self.issuer.as_deref());
                    self.state.store(Arc::new(Snapshot {
                        keys: None,
                        last_success: snapshot.last_success,
                        max_age: snapshot.max_age,
                    }));
                }
                Err(err)
            }
        }
    }

    async fn fetch(&self) -> Result<(KeySet, Option<Duration>), FetchError> {
        let url = match &self.config.source {
            KeySource::Jwks(url) => url.clone(),
            KeySource::Local(_) => {
                return Err(FetchError::Internal("local keys are never fetched"));
            }
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
            &self.config.algorithms,
            self.config.rsa_key_alg,
            self.config.max_keys,
            previous.as_deref(),
        )
        .map_err(|e| FetchError::KeySet(e.to_string()))?;
        Ok((set, fetched.max_age))
    }

    /// Any JSON document of the authorization server, with the hardened client.
    #[cfg(feature = "utoipa")]
    pub(crate) async fn fetch_json(&self, url: &Url) -> Result<serde_json::Value, FetchError> {
        self.fetcher.get_json(url).await.map(|f| f.body)
    }

    /// The refresh period after a successful fetch with this `max-age`.
    fn period(&self, max_age: Option<Duration>) -> Duration {
        max_age.map_or(self.config.refresh_interval, |age| {
            age.clamp(self.config.min_refresh, self.config.max_refresh)
        })
    }

    /// One refresher iteration: fetch (or join a fetch in flight) unless a fetch succeeded
    /// just now, and say how long to sleep.
    async fn refresh(self: &Arc<Self>, backoff: &mut Duration) -> Duration {
        let snapshot = self.state.load_full();
        if let Some(at) = snapshot.last_success
            && at.elapsed() < self.config.min_refresh
        {
            // A request fetched the keys just now (at start-up, typically): do not fetch
            // them again; refresh one period after that fetch.
            *backoff = Duration::from_secs(1);
            return self
                .period(snapshot.max_age)
                .saturating_sub(at.elapsed())
                .max(Duration::from_secs(1));
        }
        match self.join_or_start().await {
            Ok(max_age) => {
                *backoff = Duration::from_secs(1);
                self.period(max_age)
            }
            Err(err) => {
                let delay = *backoff;
                tracing::warn!(
                    target: "axioms::jwks",
                    error = %err,
                    retry_in_secs = delay.as_secs(),
                    "JWKS refresh failed; keeping the last good keys"
                );
                *backoff = delay.saturating_mul(2).min(self.config.max_backoff);
                delay
            }
        }
    }

    /// The background refresher. Holds only a weak reference, so it ends when the last
    /// [`Axioms`](crate::Axioms) handle is dropped (it is also aborted then).
    pub(crate) async fn run(cache: Weak<KeyCache>) {
        let mut delay = Duration::ZERO;
        let mut backoff = Duration::from_secs(1);
        loop {
            tokio::time::sleep(delay).await;
            let Some(cache) = cache.upgrade() else {
                return;
            };
            if cache.is_local() {
                return;
            }
            delay = match AssertUnwindSafe(cache.refresh(&mut backoff))
                .catch_unwind()
                .await
            {
                Ok(delay) => delay,
                Err(_) => {
                    let delay = backoff;
                    tracing::error!(
                        target: "axioms::jwks",
                        retry_in_secs = delay.as_secs(),
                        "JWKS refresher iteration panicked; retrying"
                    );
                    backoff = delay.saturating_mul(2).min(cache.config.max_backoff);
                    delay
                }
            };
            // Every delay is bounded by the configuration (at most 24 h), but never trust an
            // addition to an `Instant`.
            *cache
                .next_attempt
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Instant::now().checked_add(delay);
        }
    }
}
