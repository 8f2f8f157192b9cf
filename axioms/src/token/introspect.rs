//! Opaque access tokens through the issuer's introspection endpoint (RFC 7662).
//!
//! * **One call per token at a time.** Concurrent requests with the same new token share one
//!   introspection (single-flight); the answer is cached, keyed by the token's SHA-256 (the
//!   token itself is not kept).
//! * **Cached within bounds.** An active answer until the earlier of its `exp` and the
//!   configured bound (so a revoked token keeps working at most that long), an inactive one
//!   briefly; at most so many entries and bytes, the oldest dropped first. Failures of the
//!   endpoint are never cached.
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
use url::Url;

use super::verify::{self, Failure};
use crate::claims::{Claims, Voucher};
use crate::config::http::Http;
use crate::config::introspection::{Endpoint, Introspection};
use crate::config::validation::Validation;
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
    cache: Mutex<Cache>,
    flights: Mutex<HashMap<Digest, Flight>>,
    /// Calls made to the endpoint.
    calls: std::sync::atomic::AtomicU64,
    /// When discovering the endpoint last failed: retried at most every few seconds.
    discovery_failed: Mutex<Option<Instant>>,
}

/// How long a failed discovery of the endpoint is not retried.
const DISCOVERY_RETRY: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Cache {
    entries: HashMap<Digest, Entry>,
    /// Insertion order, for eviction; a digest whose entry was replaced appears with an old
    /// sequence number and is skipped.
    order: VecDeque<(Digest, u64)>,
    next: u64,
    bytes: usize,
}

struct Entry {
    answer: Answer,
    until: Instant,
    seq: u64,
    bytes: usize,
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
        Ok(Self {
            fetcher: Fetcher::new(http)?,
            settings,
            validation,
            voucher,
            resolved,
            cache: Mutex::new(Cache::default()),
            flights: Mutex::new(HashMap::new()),
            calls: std::sync::atomic::AtomicU64::new(0),
            discovery_failed: Mutex::new(None),
        })
    }

    /// The claims of an opaque `token`, from the cache or the endpoint.
    pub(crate) async fn introspect(self: &Arc<Self>, token: &str) -> Result<Claims, Failure> {
        let digest = digest(token);
        let answer = match self.cached(&digest) {
            Some(answer) => answer,
            None => self.flight(digest, token).await?,
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

    fn cached(&self, digest: &Digest) -> Option<Answer> {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entries
            .get(digest)
            .filter(|e| e.until > Instant::now())
            .map(|e| e.answer.clone())
    }

    /// Joins the introspection of this token in flight, or starts one.
    async fn flight(self: &Arc<Self>, digest: Digest, token: &str) -> Result<Answer, Reason> {
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            match flights.get(&digest) {
                Some(flight) => flight.clone(),
                None => {
                    // A flight may have landed since the cache was read.
                    if let Some(answer) = self.cached(&digest) {
                        return Ok(answer);
                    }
                    // Distinct new tokens each cost a call to the endpoint: beyond this many
                    // at once they are answered 503, not passed on.
                    if flights.len() >= MAX_FLIGHTS {
                        tracing::warn!(
                            target: "axioms::introspection",
                            "too many introspections in flight; answering 503"
                        );
                        return Err(Reason::IntrospectionUnavailable);
                    }
                    let this = Arc::clone(self);
                    let token = token.to_owned();
                    // A task of its own: a client that disconnects does not cancel the call
                    // the others wait for. The guard ends the flight however the task ends
                    // (an answer, a panic, the runtime shutting down), so no later request
                    // joins a finished failure.
                    let task = tokio::spawn(async move {
                        let landed = Landed {
                            introspector: Arc::clone(&this),
                            digest,
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

    /// Caches an answer; a failure never.
    fn remember(&self, digest: Digest, answer: &Result<Answer, Reason>) {
        let Ok(answer) = answer else {
            return;
        };
        let ttl = match answer {
            Answer::Active(claims) => {
                let now = self.validation.clock.now();
                let left = claims.expires_at().map_or(self.settings.cache, |exp| {
                    Duration::from_secs(u64::try_from(exp.saturating_sub(now)).unwrap_or(0))
                });
                left.min(self.settings.cache)
            }
            Answer::Inactive(_) => self.settings.negative_cache,
        };
        if !ttl.is_zero() && self.settings.entries > 0 {
            self.store(digest, answer.clone(), ttl);
        }
    }

    fn store(&self, digest: Digest, answer: Answer, ttl: Duration) {
        let bytes = ENTRY_OVERHEAD
            + match &answer {
                Answer::Active(claims) => claims.heap_bytes(),
                Answer::Inactive(_) => 0,
            };
        // An answer larger than the whole budget is not kept, and evicts nothing.
        if bytes > self.settings.bytes {
            return;
        }
        let Some(until) = Instant::now().checked_add(ttl) else {
            return;
        };
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let cache = &mut *cache;
        if let Some(old) = cache.entries.remove(&digest) {
            cache.bytes = cache.bytes.saturating_sub(old.bytes);
        }
        // A replaced entry leaves a stale record in `order`: drop them before they outnumber
        // the live ones, so the queue stays within about twice the entries.
        if cache.order.len() > 2 * cache.entries.len() + 16 {
            let entries = &cache.entries;
            cache
                .order
                .retain(|(d, seq)| entries.get(d).is_some_and(|e| e.seq == *seq));
        }
        while cache.entries.len() >= self.settings.entries
            || cache.bytes + bytes > self.settings.bytes
        {
            let Some((oldest, seq)) = cache.order.pop_front() else {
                break;
            };
            if cache.entries.get(&oldest).is_some_and(|e| e.seq == seq)
                && let Some(old) = cache.entries.remove(&oldest)
            {
                cache.bytes = cache.bytes.saturating_sub(old.bytes);
            }
        }
        let seq = cache.next;
        cache.next += 1;
        cache.order.push_back((digest, seq));
        cache.bytes += bytes;
        cache.entries.insert(
            digest,
            Entry {
                answer,
                until,
                seq,
                bytes,
            },
        );
    }

    /// The sizes of the cache (entries, order records), for tests.
    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        let cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
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

/// Ends a flight when its task ends, whatever the way.
struct Landed {
    introspector: Arc<Introspector>,
    digest: Digest,
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

/// Introspections in flight at most (distinct new tokens at once).
const MAX_FLIGHTS: usize = 64;

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

    #[test]
    fn re_introspected_tokens_do_not_grow_the_cache() {
        let config = config();
        let settings = config.introspection.clone().unwrap_or_else(|| panic!("on"));
        let introspector = Introspector::new(
            settings,
            &config.http,
            config.validation.clone(),
            Arc::clone(&config.voucher),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        for round in 0..1000 {
            for token in 0..3u8 {
                let answer = Answer::Inactive(Reason::TokenInactive);
                introspector.store([token; 32], answer, Duration::from_secs(60 + round));
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
    fn opaque_is_anything_but_a_compact_serialization() {
        assert!(is_opaque("o5e6r-dIE_NbW9ZjVdz0GtgCRmEMUWAHyIRReNAp1iX"));
        assert!(is_opaque("ory_at_abc.def"));
        assert!(!is_opaque("a.b.c"));
        assert!(!is_opaque("a.b.c.d.e"));
        assert!(is_opaque("a.b.c.d"));
    }
}
