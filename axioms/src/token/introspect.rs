//! Opaque access tokens through the issuer's introspection endpoint (RFC 7662).
//!
//! * **One call per token at a time.** Concurrent requests with the same new token share one
//!   introspection (single-flight); the answer is cached, keyed by the token's SHA-256 (the
//!   token itself is not kept).
//! * **Cached within bounds.** An active answer until the earlier of its `exp` and the
//!   configured bound (so a revoked token keeps working at most that long), an inactive one
//!   briefly; at most so many entries and bytes, what has expired dropped first, then the
//!   oldest. Failures of the endpoint are never cached.
//! * **A flood of unknown tokens cannot starve known ones.** Inactive answers have a cache of
//!   their own, so random tokens never evict an active answer; at most so many calls are in
//!   flight, a request waits briefly for a free one rather than failing at once, and a token
//!   whose last answer was active has calls of its own in reserve, so its next answer does not
//!   queue behind strangers' tokens.
//! * **Down is 503, not 401.** A network error, a timeout, a status other than 200 or an
//!   answer that is not JSON says nothing about the token.
//! * **The answer is the issuer's word** over an authenticated connection (the endpoint is
//!   configured or discovered from the issuer's own metadata, https only), then checked like a
//!   JWT's claims: `iss` if present, audience, times, `sub`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use serde_json::{Map, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use url::Url;

use super::verify::{self, Failure};
use crate::claims::{Claims, Voucher};
use crate::config::http::Http;
use crate::config::introspection::{Endpoint, Introspection};
use crate::config::validation::Validation;
use crate::defaults::{
    INTROSPECTION_FLIGHTS, INTROSPECTION_NEGATIVE_CACHE_ENTRIES, INTROSPECTION_RESERVED_FLIGHTS,
    INTROSPECTION_SLOT_WAIT,
};
use crate::fetch::{ClientError, Fetcher};
use crate::rejection::Reason;

/// SHA-256 of a token.
type Digest = [u8; 32];

/// What the endpoint said: the active token's claims, or inactive.
#[derive(Clone)]
enum Answer {
    Active(Claims),
    Inactive(Reason),
}

type Flight = Shared<BoxFuture<'static, Result<Answer, Reason>>>;

/// One issuer's introspection client and its cache.
pub(crate) struct Introspector {
    fetcher: Fetcher,
    settings: Introspection,
    /// How the issuer's answers are read and checked.
    validation: Validation,
    /// Who vouches for the answers: the issuer.
    voucher: Arc<Voucher>,
    /// The endpoint, once discovered.
    resolved: ArcSwapOption<Url>,
    /// Active answers, fresh or not: a token found here was active when last asked.
    active: Mutex<Cache>,
    /// Inactive answers, in a budget of their own.
    inactive: Mutex<Cache>,
    flights: Mutex<HashMap<Digest, Flight>>,
    /// Calls to the endpoint any token may make at once.
    slots: Arc<Semaphore>,
    /// Calls kept for tokens whose last answer was active.
    reserved: Arc<Semaphore>,
    /// When the endpoint's saturation was last logged (at most once a second).
    saturation_logged: Mutex<Option<Instant>>,
    /// Calls made to the endpoint.
    calls: std::sync::atomic::AtomicU64,
    /// When discovering the endpoint last failed: retried at most every few seconds.
    discovery_failed: Mutex<Option<Instant>>,
}

/// How long a failed discovery of the endpoint is not retried.
const DISCOVERY_RETRY: Duration = Duration::from_secs(5);

/// One cache of answers, bounded in entries and bytes: when full, what has expired goes first,
/// then the oldest.
struct Cache {
    entries: HashMap<Digest, Entry>,
    /// Insertion order, for eviction; a digest whose entry was replaced appears with an old
    /// sequence number and is skipped.
    order: VecDeque<(Digest, u64)>,
    next: u64,
    bytes: usize,
    max_entries: usize,
    max_bytes: usize,
    /// When expired entries were last purged: a full cache of live entries is scanned at most
    /// once a second.
    purged: Option<Instant>,
}

struct Entry {
    answer: Answer,
    /// Until when the answer is reused.
    fresh: Instant,
    /// Until when the entry is kept: for an active answer, until the token expires (it marks
    /// the token as one that was active); for an inactive one, `fresh`.
    keep: Instant,
    seq: u64,
    bytes: usize,
}

/// What the caches know of a token.
enum Lookup {
    /// An answer to reuse.
    Fresh(Answer),
    /// No answer to reuse, but the last one was active.
    Known,
    Unknown,
}

/// How long a token whose last answer was active, without `exp`, counts as known.
const KNOWN_WITHOUT_EXP: Duration = Duration::from_secs(3600);

/// How often a full cache of live entries is scanned for expired ones.
const PURGE_EVERY: Duration = Duration::from_secs(1);

impl Cache {
    fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: HashMap::new(),
            order: VecDeque::new(),
            next: 0,
            bytes: 0,
            max_entries,
            max_bytes,
            purged: None,
        }
    }

    fn get(&self, digest: &Digest, now: Instant) -> Option<&Entry> {
        self.entries.get(digest).filter(|e| e.keep > now)
    }

    fn remove(&mut self, digest: &Digest) {
        if let Some(old) = self.entries.remove(digest) {
            self.bytes = self.bytes.saturating_sub(old.bytes);
        }
    }

    fn full(&self, bytes: usize) -> bool {
        self.entries.len() >= self.max_entries || self.bytes + bytes > self.max_bytes
    }

    fn insert(
        &mut self,
        digest: Digest,
        answer: Answer,
        fresh: Instant,
        keep: Instant,
        now: Instant,
    ) {
        let bytes = ENTRY_OVERHEAD
            + match &answer {
                Answer::Active(claims) => claims.heap_bytes(),
                Answer::Inactive(_) => 0,
            };
        // An answer larger than the whole budget is not kept, and evicts nothing.
        if bytes > self.max_bytes || self.max_entries == 0 {
            return;
        }
        self.remove(&digest);
        // A replaced entry leaves a stale record in `order`: drop them before they outnumber
        // the live ones, so the queue stays within about twice the entries.
        if self.order.len() > 2 * self.entries.len() + 16 {
            let entries = &self.entries;
            self.order
                .retain(|(d, seq)| entries.get(d).is_some_and(|e| e.seq == *seq));
        }
        if self.full(bytes)
            && self
                .purged
                .is_none_or(|at| now.duration_since(at) >= PURGE_EVERY)
        {
            self.purged = Some(now);
            let before = self.bytes;
            self.entries.retain(|_, e| e.keep > now);
            let bytes_left: usize = self.entries.values().map(|e| e.bytes).sum();
            self.bytes = bytes_left.min(before);
        }
        while self.full(bytes) {
            let Some((oldest, seq)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&oldest).is_some_and(|e| e.seq == seq) {
                self.remove(&oldest);
            }
        }
        let seq = self.next;
        self.next += 1;
        self.order.push_back((digest, seq));
        self.bytes += bytes;
        self.entries.insert(
            digest,
            Entry {
                answer,
                fresh,
                keep: keep.max(fresh),
                seq,
                bytes,
            },
        );
    }
}

/// Bookkeeping per entry, besides the claims.
const ENTRY_OVERHEAD: usize = 160;

impl Introspector {
    /// The introspection client of the issuer whose tokens `validation` checks and `voucher`
    /// vouches for, reached as `http` says.
    pub(crate) fn new(
        settings: Introspection,
        http: &Http,
        validation: Validation,
        voucher: Arc<Voucher>,
    ) -> Result<Self, ClientError> {
        let resolved = ArcSwapOption::empty();
        if let Endpoint::Fixed(url) = &settings.endpoint {
            resolved.store(Some(Arc::new(url.clone())));
        }
        let negative_entries = settings.entries.min(INTROSPECTION_NEGATIVE_CACHE_ENTRIES);
        Ok(Self {
            fetcher: Fetcher::new(http)?,
            active: Mutex::new(Cache::new(settings.entries, settings.bytes)),
            inactive: Mutex::new(Cache::new(
                negative_entries,
                negative_entries.saturating_mul(ENTRY_OVERHEAD),
            )),
            settings,
            validation,
            voucher,
            resolved,
            flights: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(INTROSPECTION_FLIGHTS)),
            reserved: Arc::new(Semaphore::new(INTROSPECTION_RESERVED_FLIGHTS)),
            saturation_logged: Mutex::new(None),
            calls: std::sync::atomic::AtomicU64::new(0),
            discovery_failed: Mutex::new(None),
        })
    }

    /// The claims of an opaque `token`, from the cache or the endpoint.
    pub(crate) async fn introspect(self: &Arc<Self>, token: &str) -> Result<Claims, Failure> {
        let digest = digest(token);
        let answer = match self.lookup(&digest) {
            Lookup::Fresh(answer) => answer,
            Lookup::Known => self.flight(digest, token, true).await?,
            Lookup::Unknown => self.flight(digest, token, false).await?,
        };
        match answer {
            Answer::Active(claims) => {
                // The cache never outlives `exp`, but the clock is the configured one.
                verify::check_times_given(&self.validation, &claims)?;
                Ok(claims)
            }
            Answer::Inactive(reason) => Err(reason.into()),
        }
    }

    /// The number of calls made to the endpoint.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn lookup(&self, digest: &Digest) -> Lookup {
        let now = Instant::now();
        let active = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = active.get(digest, now) {
            return if entry.fresh > now {
                Lookup::Fresh(entry.answer.clone())
            } else {
                Lookup::Known
            };
        }
        drop(active);
        let inactive = self.inactive.lock().unwrap_or_else(PoisonError::into_inner);
        match inactive.get(digest, now) {
            Some(entry) if entry.fresh > now => Lookup::Fresh(entry.answer.clone()),
            _ => Lookup::Unknown,
        }
    }

    fn fresh(&self, digest: &Digest) -> Option<Answer> {
        match self.lookup(digest) {
            Lookup::Fresh(answer) => Some(answer),
            Lookup::Known | Lookup::Unknown => None,
        }
    }

    /// Joins the introspection of this token in flight, or starts one once a call is free.
    async fn flight(
        self: &Arc<Self>,
        digest: Digest,
        token: &str,
        known: bool,
    ) -> Result<Answer, Reason> {
        let joined = self
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&digest)
            .cloned();
        if let Some(flight) = joined {
            return flight.await;
        }
        let permit = self.slot(known).await?;
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            match flights.get(&digest) {
                // Started while this request waited for a call: join it (the permit is
                // released).
                Some(flight) => flight.clone(),
                None => {
                    // A flight may have landed since the cache was read.
                    if let Some(answer) = self.fresh(&digest) {
                        return Ok(answer);
                    }
                    let this = Arc::clone(self);
                    let token = token.to_owned();
                    // A task of its own: a client that disconnects does not cancel the call
                    // the others wait for. The guard ends the flight however the task ends
                    // (an answer, a panic, the runtime shutting down), so no later request
                    // joins a finished failure; the permit goes with it.
                    let task = tokio::spawn(async move {
                        let landed = Landed {
                            introspector: Arc::clone(&this),
                            digest,
                            _permit: permit,
                        };
                        let answer = this.ask(&token).await;
                        crate::metrics::introspection(match &answer {
                            Ok(Answer::Active(_)) => "active",
                            Ok(Answer::Inactive(_)) => "inactive",
                            Err(_) => "error",
                        });
                        this.remember(digest, &answer);
                        drop(landed);
                        answer
                    });
                    let flight =
                        async move { task.await.unwrap_or(Err(Reason::IntrospectionUnavailable)) }
                            .boxed()
                            .shared();
                    flights.insert(digest, flight.clone());
                    flight
                }
            }
        };
        flight.await
    }

    /// A call to the endpoint: one of the shared ones, waiting briefly for it; for a token
    /// whose last answer was active, a free shared one or else one of the reserve. Distinct
    /// new tokens each cost a call: beyond this many at once they are answered 503, not
    /// passed on.
    async fn slot(&self, known: bool) -> Result<OwnedSemaphorePermit, Reason> {
        let shared = Arc::clone(&self.slots);
        let waited = if known {
            match shared.try_acquire_owned() {
                Ok(permit) => return Ok(permit),
                Err(_) => {
                    tokio::time::timeout(
                        INTROSPECTION_SLOT_WAIT,
                        Arc::clone(&self.reserved).acquire_owned(),
                    )
                    .await
                }
            }
        } else {
            tokio::time::timeout(INTROSPECTION_SLOT_WAIT, shared.acquire_owned()).await
        };
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            // Timed out (or closed, which these semaphores never are).
            _ => {
                self.log_saturation();
                Err(Reason::IntrospectionUnavailable)
            }
        }
    }

    /// Says that the endpoint is saturated, at most once a second: a flood must not flood the
    /// logs too.
    fn log_saturation(&self) {
        let now = Instant::now();
        let mut logged = self
            .saturation_logged
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if logged.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
            *logged = Some(now);
            tracing::warn!(
                target: "axioms::introspection",
                "every introspection call is in use; answering 503 to tokens that cannot wait"
            );
        }
    }

    /// Caches an answer; a failure never. An inactive answer also forgets that the token was
    /// active (a revoked token loses its reserve).
    fn remember(&self, digest: Digest, answer: &Result<Answer, Reason>) {
        let Ok(answer) = answer else {
            return;
        };
        let now = Instant::now();
        match answer {
            Answer::Active(claims) => {
                let left = claims.expires_at().map(|exp| {
                    let now = self.validation.clock.now();
                    Duration::from_secs(u64::try_from(exp.saturating_sub(now)).unwrap_or(0))
                });
                let fresh = left.map_or(self.settings.cache, |left| left.min(self.settings.cache));
                let keep = left.unwrap_or(KNOWN_WITHOUT_EXP);
                if keep.is_zero() {
                    return;
                }
                let (Some(fresh), Some(keep)) = (now.checked_add(fresh), now.checked_add(keep))
                else {
                    return;
                };
                self.active
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(digest, answer.clone(), fresh, keep, now);
            }
            Answer::Inactive(_) => {
                self.active
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&digest);
                let Some(until) = now.checked_add(self.settings.negative_cache) else {
                    return;
                };
                if !self.settings.negative_cache.is_zero() {
                    self.inactive
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(digest, answer.clone(), until, until, now);
                }
            }
        }
    }

    /// The sizes of the active cache (entries, order records), for tests.
    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        let cache = self.active.lock().unwrap_or_else(PoisonError::into_inner);
        (cache.entries.len(), cache.order.len())
    }

    /// One call to the endpoint, and what its answer means.
    async fn ask(&self, token: &str) -> Result<Answer, Reason> {
        let endpoint = self.endpoint().await?;
        self.calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let fetched = self
            .fetcher
            .post_form(
                &endpoint,
                &self.settings.authorization,
                &[("token", token), ("token_type_hint", "access_token")],
            )
            .await
            .map_err(|err| {
                tracing::warn!(target: "axioms::introspection", error = %err, "introspection failed");
                Reason::IntrospectionUnavailable
            })?;
        let Value::Object(body) = fetched.body else {
            return Err(Reason::IntrospectionUnavailable);
        };
        Ok(match interpret(&self.validation, body)? {
            Answer::Active(claims) => Answer::Active(claims.vouch(&self.voucher)),
            inactive => inactive,
        })
    }

    /// The endpoint: configured, or discovered once from the issuer's metadata.
    async fn endpoint(&self) -> Result<Url, Reason> {
        if let Some(url) = self.resolved.load_full() {
            return Ok((*url).clone());
        }
        let Endpoint::Discover(discovery) = &self.settings.endpoint else {
            return Err(Reason::IntrospectionUnavailable);
        };
        let recently = self
            .discovery_failed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|at| at.elapsed() < DISCOVERY_RETRY);
        if recently {
            return Err(Reason::IntrospectionUnavailable);
        }
        let url = self
            .fetcher
            .discover_endpoint(
                discovery,
                self.validation.issuer.as_ref().map(|i| i.as_str()),
                "introspection_endpoint",
            )
            .await
            .map_err(|err| {
                tracing::warn!(
                    target: "axioms::introspection",
                    error = %err,
                    "introspection endpoint not discovered"
                );
                *self
                    .discovery_failed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                Reason::IntrospectionUnavailable
            })?;
        self.resolved.store(Some(Arc::new(url.clone())));
        Ok(url)
    }
}

/// An introspection answer as claims, or why the token is refused; `Err` when the answer is
/// not one (RFC 7662 §2.2 makes `active` a required boolean): that says nothing about the
/// token, so it is a 503, and not cached.
fn interpret(validation: &Validation, mut body: Map<String, Value>) -> Result<Answer, Reason> {
    match body.remove("active") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return Ok(Answer::Inactive(Reason::TokenInactive)),
        _ => {
            tracing::warn!(
                target: "axioms::introspection",
                "introspection answer without a boolean `active`"
            );
            return Err(Reason::IntrospectionUnavailable);
        }
    }
    // An access token, not a refresh token or an ID token that the endpoint also knows.
    let typed = match body.get("token_type") {
        None => false,
        Some(Value::String(t))
            if t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("dpop") =>
        {
            true
        }
        Some(_) => return Ok(Answer::Inactive(Reason::NotAccessToken)),
    };
    // The endpoint is the issuer's: an answer without `iss` is the issuer's word, and its
    // claims say so like a JWT's do (a multi-tenant template names no one issuer).
    if !body.contains_key("iss")
        && let Some(issuer) = validation.issuer.as_ref().and_then(|i| i.exact())
    {
        body.insert("iss".into(), Value::String(issuer.to_owned()));
    }
    // RFC 9068 §2.2: without a resource owner, the subject is the client.
    if !body.contains_key("sub")
        && let Some(client) = body.get("client_id").and_then(Value::as_str)
    {
        let client = client.to_owned();
        body.insert("sub".into(), Value::String(client));
    }
    let claims = match Claims::build(body, &validation.claim_names) {
        Ok(claims) => claims,
        Err(_) => return Ok(Answer::Inactive(Reason::ClaimType)),
    };
    Ok(
        match verify::check_introspected(validation, &claims, typed) {
            Ok(()) => Answer::Active(claims),
            Err(reason) => Answer::Inactive(reason),
        },
    )
}

/// Ends a flight when its task ends, whatever the way, and frees its call.
struct Landed {
    introspector: Arc<Introspector>,
    digest: Digest,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Landed {
    fn drop(&mut self) {
        self.introspector
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.digest);
    }
}

fn digest(token: &str) -> Digest {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0; 32];
    // SHA-256 is 32 bytes: every byte of `out` is written.
    for (o, b) in out.iter_mut().zip(hash.as_ref()) {
        *o = *b;
    }
    out
}

/// Whether `token` is opaque: not a JWS (three segments) or JWE (five), so only
/// introspection can read it (ORY Hydra's `ory_at_….…` has two).
pub(crate) fn is_opaque(token: &str) -> bool {
    !matches!(token.bytes().filter(|&b| b == b'.').count(), 2 | 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> crate::Issuer {
        let issuer = crate::Issuer::builder()
            .issuer("https://issuer.example/")
            .audience("api")
            .introspection("rs", "secret")
            .introspection_endpoint("http://127.0.0.1:9/introspect");
        crate::Config::builder(issuer)
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
            .primary()
            .clone()
    }

    fn answer(body: serde_json::Value) -> Result<Answer, Reason> {
        match body {
            Value::Object(map) => interpret(&config().validation, map),
            _ => panic!("not an object"),
        }
    }

    fn refused(body: serde_json::Value) -> Option<Reason> {
        match answer(body) {
            Ok(Answer::Inactive(reason)) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn answers_are_read_strictly() {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock);
        let good = json!({"active": true, "aud": "api", "client_id": "c", "exp": now + 60});
        match answer(good.clone()) {
            Ok(Answer::Active(claims)) => {
                assert_eq!(claims.subject(), Some("c"), "sub from client_id");
                assert_eq!(claims.issuer(), Some("https://issuer.example/"));
            }
            _ => panic!("an active answer refused"),
        }
        // `active` missing or not a boolean: no answer at all (503), not an inactive token.
        for bad in [
            json!({"aud": "api"}),
            json!({"active": "true", "aud": "api"}),
        ] {
            assert_eq!(answer(bad).err(), Some(Reason::IntrospectionUnavailable));
        }
        assert_eq!(
            refused(json!({"active": false})),
            Some(Reason::TokenInactive)
        );
        let with = |k: &str, v: Value| {
            let mut body = good.clone();
            body[k] = v;
            body
        };
        for (what, body, reason) in [
            (
                "refresh token_type",
                with("token_type", json!("refresh_token")),
                Reason::NotAccessToken,
            ),
            (
                "Hydra refresh",
                with("token_use", json!("refresh_token")),
                Reason::NotAccessToken,
            ),
            (
                "Keycloak refresh",
                with("typ", json!("Refresh")),
                Reason::NotAccessToken,
            ),
            (
                "nbf in the future",
                with("nbf", json!(now + 3600)),
                Reason::NotYetValid,
            ),
            (
                "other audience",
                with("aud", json!("other")),
                Reason::AudienceMismatch,
            ),
            (
                "other issuer",
                with("iss", json!("https://evil.example/")),
                Reason::IssuerMismatch,
            ),
            ("expired", with("exp", json!(now - 3600)), Reason::Expired),
        ] {
            assert_eq!(refused(body), Some(reason), "{what}");
        }
        // Hydra's access tokens say `token_use: access_token`.
        assert!(matches!(
            answer(with("token_use", json!("access_token"))),
            Ok(Answer::Active(_))
        ));
        // Without `exp`, the other times still count.
        let mut no_exp = good.clone();
        no_exp.as_object_mut().map(|m| m.remove("exp"));
        assert!(matches!(answer(no_exp.clone()), Ok(Answer::Active(_))));
        no_exp["iat"] = json!(now + 3600);
        assert_eq!(refused(no_exp), Some(Reason::IssuedInFuture));
    }

    fn introspector() -> Introspector {
        let config = config();
        let settings = config.introspection.clone().unwrap_or_else(|| panic!("on"));
        Introspector::new(
            settings,
            &config.http,
            config.validation.clone(),
            Arc::clone(&config.voucher),
        )
        .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn active(sub: &str) -> Answer {
        match answer(json!({"active": true, "aud": "api", "sub": sub})) {
            Ok(answer @ Answer::Active(_)) => answer,
            _ => panic!("not active"),
        }
    }

    #[test]
    fn re_introspected_tokens_do_not_grow_the_cache() {
        let introspector = introspector();
        let now = Instant::now();
        for round in 0..1000 {
            for token in 0..3u8 {
                let until = now + Duration::from_secs(60 + round);
                introspector.active.lock().unwrap().insert(
                    [token; 32],
                    active("u"),
                    until,
                    until,
                    now,
                );
            }
        }
        let (entries, order) = introspector.sizes();
        assert_eq!(entries, 3);
        assert!(
            order <= 2 * entries + 17,
            "{order} order records for {entries} entries"
        );
    }

    #[test]
    fn inactive_answers_never_evict_active_ones() {
        let introspector = introspector();
        introspector.remember([0; 32], &Ok(active("alice")));
        // Many times more random tokens than either cache holds, each answered inactive.
        for i in 0..30_000u32 {
            let mut digest = [1; 32];
            digest[..4].copy_from_slice(&i.to_be_bytes());
            introspector.remember(digest, &Ok(Answer::Inactive(Reason::TokenInactive)));
        }
        assert!(matches!(
            introspector.lookup(&[0; 32]),
            Lookup::Fresh(Answer::Active(_))
        ));
        let inactive = introspector.inactive.lock().unwrap().entries.len();
        assert_eq!(inactive, INTROSPECTION_NEGATIVE_CACHE_ENTRIES);
        // Revoked: the token is no longer known as active.
        introspector.remember([0; 32], &Ok(Answer::Inactive(Reason::TokenInactive)));
        assert!(matches!(
            introspector.lookup(&[0; 32]),
            Lookup::Fresh(Answer::Inactive(_))
        ));
        assert_eq!(introspector.sizes().0, 0);
    }

    #[test]
    fn a_full_cache_drops_what_has_expired_before_the_oldest() {
        let mut cache = Cache::new(3, usize::MAX);
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        // The oldest lives long; the next two expire at 10 s.
        cache.insert([1; 32], active("a"), at(100), at(100), start);
        cache.insert([2; 32], active("b"), at(10), at(10), start);
        cache.insert([3; 32], active("c"), at(10), at(10), start);
        // Full at 20 s: the two expired go, the oldest (live) stays.
        cache.insert([4; 32], active("d"), at(120), at(120), at(20));
        assert!(cache.get(&[1; 32], at(20)).is_some());
        assert!(cache.get(&[4; 32], at(20)).is_some());
        assert_eq!(cache.entries.len(), 2);
        // Full of live entries: the oldest goes.
        cache.insert([5; 32], active("e"), at(120), at(120), at(30));
        cache.insert([6; 32], active("f"), at(120), at(120), at(30));
        assert!(cache.get(&[1; 32], at(30)).is_none());
        assert_eq!(cache.entries.len(), 3);
        // A stale active answer (past `fresh`) is kept until `keep`: the token stays known.
        let mut cache = Cache::new(3, usize::MAX);
        cache.insert([7; 32], active("g"), at(60), at(3600), start);
        let entry = cache.get(&[7; 32], at(120));
        assert!(entry.is_some_and(|e| e.fresh <= at(120)));
    }

    #[test]
    fn opaque_is_anything_but_a_compact_serialization() {
        assert!(is_opaque("o5e6r-dIE_NbW9ZjVdz0GtgCRmEMUWAHyIRReNAp1iX"));
        assert!(is_opaque("ory_at_abc.def"));
        assert!(!is_opaque("a.b.c"));
        assert!(!is_opaque("a.b.c.d.e"));
        assert!(is_opaque("a.b.c.d"));
    }
}
