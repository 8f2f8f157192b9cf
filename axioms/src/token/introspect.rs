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
use crate::claims::Claims;
use crate::config::Config;
use crate::config::introspection::{Endpoint, Introspection};
use crate::jwks::fetch::{FetchError, Fetcher};
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
    /// The issuer's configuration: how answers are read and checked.
    config: Config,
    /// Who vouches for the answers: the issuer's slot in the trust registry, and its name.
    vouch: (usize, Option<Arc<str>>),
    /// The endpoint, once discovered.
    resolved: ArcSwapOption<Url>,
    cache: Mutex<Cache>,
    flights: Mutex<HashMap<Digest, Flight>>,
    /// Calls made to the endpoint.
    calls: std::sync::atomic::AtomicU64,
}

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
    pub(crate) fn new(
        config: &Config,
        settings: Introspection,
        vouch: (usize, Option<Arc<str>>),
    ) -> Result<Self, FetchError> {
        let resolved = ArcSwapOption::empty();
        if let Endpoint::Fixed(url) = &settings.endpoint {
            resolved.store(Some(Arc::new(url.clone())));
        }
        Ok(Self {
            fetcher: Fetcher::new(&config.http)?,
            settings,
            config: config.clone(),
            vouch,
            resolved,
            cache: Mutex::new(Cache::default()),
            flights: Mutex::new(HashMap::new()),
            calls: std::sync::atomic::AtomicU64::new(0),
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
                if claims.expires_at().is_some() {
                    verify::check_time(&self.config.validation, &claims)?;
                }
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
                    let this = Arc::clone(self);
                    let token = token.to_owned();
                    // A task of its own: a client that disconnects does not cancel the call
                    // the others wait for.
                    let task = tokio::spawn(async move {
                        let answer = this.ask(&token).await;
                        this.land(digest, &answer);
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

    /// Caches an answer and ends its flight.
    fn land(&self, digest: Digest, answer: &Result<Answer, Reason>) {
        if let Ok(answer) = answer {
            let ttl = match answer {
                Answer::Active(claims) => {
                    let now = self.config.validation.clock.now();
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
        self.flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&digest);
    }

    fn store(&self, digest: Digest, answer: Answer, ttl: Duration) {
        let bytes = ENTRY_OVERHEAD
            + match &answer {
                Answer::Active(claims) => claims.heap_bytes(),
                Answer::Inactive(_) => 0,
            };
        let Some(until) = Instant::now().checked_add(ttl) else {
            return;
        };
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        let cache = &mut *cache;
        if let Some(old) = cache.entries.remove(&digest) {
            cache.bytes = cache.bytes.saturating_sub(old.bytes);
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
        if bytes > self.settings.bytes {
            return;
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
        Ok(match interpret(&self.config, body) {
            Answer::Active(claims) => {
                let (slot, name) = &self.vouch;
                Answer::Active(claims.vouch(*slot, name.as_ref()))
            }
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
        let url = self
            .fetcher
            .discover_endpoint(
                discovery,
                self.config.validation.issuer.as_deref(),
                "introspection_endpoint",
            )
            .await
            .map_err(|err| {
                tracing::warn!(
                    target: "axioms::introspection",
                    error = %err,
                    "introspection endpoint not discovered"
                );
                Reason::IntrospectionUnavailable
            })?;
        self.resolved.store(Some(Arc::new(url.clone())));
        Ok(url)
    }
}

/// An introspection answer as claims, or why the token is refused.
fn interpret(config: &Config, mut body: Map<String, Value>) -> Answer {
    // RFC 7662 §2.2: `active` is REQUIRED and a boolean; anything but `true` is inactive.
    if body.remove("active") != Some(Value::Bool(true)) {
        return Answer::Inactive(Reason::TokenInactive);
    }
    // An access token, not a refresh token or an ID token that the endpoint also knows.
    match body.get("token_type") {
        None => {}
        Some(Value::String(t))
            if t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("dpop") => {}
        Some(_) => return Answer::Inactive(Reason::NotAccessToken),
    }
    // RFC 9068 §2.2: without a resource owner, the subject is the client.
    if !body.contains_key("sub")
        && let Some(client) = body.get("client_id").and_then(Value::as_str)
    {
        let client = client.to_owned();
        body.insert("sub".into(), Value::String(client));
    }
    let validation = &config.validation;
    let claims = match Claims::build(body, &validation.claim_names) {
        Ok(claims) => claims,
        Err(_) => return Answer::Inactive(Reason::ClaimType),
    };
    match verify::check_introspected(validation, &claims) {
        Ok(()) => Answer::Active(claims),
        Err(reason) => Answer::Inactive(reason),
    }
}

fn digest(token: &str) -> Digest {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    hash.as_ref().try_into().unwrap_or([0; 32])
}

/// Whether `token` is opaque: not a JWS (three segments) or JWE (five), so only
/// introspection can read it.
pub(crate) fn is_opaque(token: &str) -> bool {
    !token.contains('.')
}
