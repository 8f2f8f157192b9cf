//! [`Axioms`], the verifier: the handle shared by extractors, guards, layers and your own code.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::claims::Claims;
use crate::config::{Config, Issuer};
use crate::dpop::{MemoryReplayStore, ReplayStore};
use crate::jwks::cache::KeyCache;
use crate::rejection::{AuthError, ErrorRenderer, Reason, Rejection};
use crate::token::cache::{TokenCache, TokenCacheStats};
use crate::token::introspect::{self, Introspector};
use crate::token::verify;

/// The token verifier of one resource server: its configuration, and for each trusted issuer
/// a JWKS cache and its background refresher.
///
/// Create one at startup and put it in your router state; cloning is cheap (an `Arc`).
/// Extractors find it through [`FromRef`](axum::extract::FromRef). The background refreshers
/// stop when the last clone is dropped, or at [`Axioms::shutdown`].
///
/// # Example
///
/// ```no_run
/// use axioms::{Axioms, Claims, Config};
/// use axum::{Router, routing::get};
///
/// async fn me(claims: Claims) -> String {
///     format!("hello {}", claims.subject().unwrap_or("?"))
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let axioms = Axioms::new(Config::from_env()?)?;
/// let app: Router = Router::new().route("/me", get(me)).with_state(axioms);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Axioms {
    inner: Arc<Inner>,
    renderer: Option<ErrorRenderer>,
    /// Where DPoP proofs are remembered (RFC 9449 §11.1).
    replay: Arc<dyn ReplayStore>,
}

struct Inner {
    id: VerifierId,
    config: Config,
    /// The keys and caches of every trusted issuer, in the order of `config.issuers()`.
    issuers: Box<[Trusted]>,
    tokens: Option<TokenCache>,
    /// DPoP proof headers already checked (their keys and thumbprints).
    dpop_headers: crate::dpop::proof::HeaderCache,
}

/// Identifies one [`Axioms`] instance (clones share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VerifierId(u64);

impl VerifierId {
    /// A new identity, never given out before in this process.
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// One trusted issuer: its settings, its own key cache and refresher. Keys never cross
/// issuers: a token is verified only with the keys of the issuer its `iss` names.
struct Trusted {
    issuer: Issuer,
    keys: Arc<KeyCache>,
    /// The headers of its tokens verified so far, parsed.
    headers: verify::HeaderMemo,
    refresher: tokio::task::JoinHandle<()>,
    /// Opaque tokens: the issuer's introspection client, when configured.
    introspector: Option<Arc<Introspector>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        for issuer in &*self.issuers {
            issuer.refresher.abort();
        }
    }
}

/// Why an [`Axioms`] could not start.
///
/// # Example
///
/// ```
/// // Outside a Tokio runtime there is nothing to run the key refresher on.
/// use axioms::{Config, Issuer};
/// let config = Config::builder(Issuer::builder().issuer("https://i.example/").audience("api"))
///     .build()
///     .unwrap();
/// assert!(matches!(axioms::Axioms::new(config), Err(axioms::InitError::NoRuntime)));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InitError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::ConfigError),
    /// `Axioms::new` was called outside a Tokio runtime.
    #[error(
        "axioms: Axioms::new must be called inside a Tokio runtime (it spawns the JWKS refresher); call it from your async main"
    )]
    NoRuntime,
    /// The crypto backend failed its known-answer self-test.
    #[error("axioms: the crypto backend failed its startup self-test: {0}")]
    CryptoSelfTest(&'static str),
    /// The HTTP client of key fetches and introspection could not be built (its TLS
    /// backend failed to start).
    #[error("axioms: could not build the HTTP client: {0}")]
    HttpClient(String),
    /// The Redis replay store could not be set up (`AXIOMS_DPOP_REDIS_URL`).
    #[cfg(feature = "redis")]
    #[error("axioms: AXIOMS_DPOP_REDIS_URL: {0}")]
    Redis(#[from] redis::RedisError),
}

impl From<crate::fetch::ClientError> for InitError {
    fn from(err: crate::fetch::ClientError) -> Self {
        Self::HttpClient(err.0)
    }
}

impl Axioms {
    /// Starts a verifier: self-tests the crypto backend, then spawns one JWKS refresher per
    /// trusted issuer, which fetches its keys at once. Requests that arrive before the first
    /// fetch completes wait for it (single-flight), or get 503 if the issuer is unreachable.
    ///
    /// With several trusted issuers ([`ConfigBuilder::trust`](crate::ConfigBuilder::trust)),
    /// a token's issuer is chosen by its `iss` before any key is looked up; a token is
    /// verified only with its issuer's keys, and one issuer being down leaves the others
    /// working.
    ///
    /// # Errors
    ///
    /// [`InitError::Config`] when a policy of the binary names an issuer that is not trusted
    /// (`issuer = "partner"` without a `partner`), or a partner is trusted for a policy the
    /// binary does not have; [`InitError::NoRuntime`] outside a Tokio runtime; the others
    /// when the crypto backend, the HTTP client or the Redis replay store cannot start.
    pub fn new(config: Config) -> Result<Self, InitError> {
        crypto_self_test()?;
        check_policies(&config)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| InitError::NoRuntime)?;
        let mut issuers = Vec::with_capacity(1 + config.others.len());
        for issuer in config.issuers() {
            let keys = Arc::new(KeyCache::new(&issuer.keys, &issuer.http, issuer.issuer())?);
            let refresher = runtime.spawn(KeyCache::run(Arc::downgrade(&keys)));
            let introspector = match &issuer.introspection {
                Some(settings) => Some(Arc::new(Introspector::new(
                    settings.clone(),
                    &issuer.http,
                    issuer.validation.clone(),
                    Arc::clone(&issuer.voucher),
                )?)),
                None => None,
            };
            issuers.push(Trusted {
                issuer: issuer.clone(),
                keys,
                headers: verify::HeaderMemo::new(),
                refresher,
                introspector,
            });
        }
        let requests = &config.requests;
        let replay: Arc<dyn ReplayStore> = match &config.dpop.redis_url {
            #[cfg(feature = "redis")]
            Some(url) => Arc::new(
                crate::dpop::RedisReplayStore::new(url)?
                    .with_key_quota(config.dpop.replay_entries_per_key),
            ),
            _ => Arc::new(
                MemoryReplayStore::new(config.dpop.replay_entries)
                    .with_key_quota(config.dpop.replay_entries_per_key),
            ),
        };
        Ok(Self {
            inner: Arc::new(Inner {
                id: VerifierId::next(),
                tokens: (requests.token_cache_entries > 0).then(|| {
                    TokenCache::new(requests.token_cache_entries, requests.token_cache_bytes)
                }),
                config,
                issuers: issuers.into_boxed_slice(),
                dpop_headers: crate::dpop::proof::HeaderCache::new(),
            }),
            renderer: None,
            replay,
        })
    }

    /// Replaces the DPoP replay store (default: a [`MemoryReplayStore`] of
    /// `AXIOMS_DPOP_REPLAY_ENTRIES`, or the Redis store of `AXIOMS_DPOP_REDIS_URL`). Instances
    /// behind one load balancer must share one, or a proof replayed to another instance
    /// passes.
    ///
    /// ```no_run
    /// # async fn f(axioms: axioms::Axioms) {
    /// use axioms::dpop::MemoryReplayStore;
    /// let axioms = axioms.with_replay_store(MemoryReplayStore::new(1_000_000));
    /// # }
    /// ```
    #[must_use]
    pub fn with_replay_store(mut self, store: impl ReplayStore) -> Self {
        self.replay = Arc::new(store);
        self
    }

    /// The DPoP replay store.
    pub(crate) fn replay_store(&self) -> &dyn ReplayStore {
        &*self.replay
    }

    /// The verifier the environment describes ([`Config::from_env`]: the service, the
    /// primary issuer, and one more trusted issuer for each name in `AXIOMS_TRUST`).
    pub fn from_env() -> Result<Self, InitError> {
        Self::new(Config::from_env()?)
    }

    /// Replaces the RFC 6750 JSON response of every rejection with your own. The status,
    /// challenge and reason are all available on the [`AuthError`].
    ///
    /// ```no_run
    /// # async fn f(axioms: axioms::Axioms) {
    /// use axum::response::IntoResponse;
    /// let axioms = axioms.with_error_renderer(|err| {
    ///     (err.status(), format!("denied: {}", err.description())).into_response()
    /// });
    /// # }
    /// ```
    #[must_use]
    pub fn with_error_renderer<F>(mut self, render: F) -> Self
    where
        F: Fn(&AuthError) -> axum::response::Response + Send + Sync + 'static,
    {
        self.renderer = Some(Arc::new(render));
        self
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Verifies a raw token and returns its claims. Every failure is an [`AuthError`] whose
    /// [`reason`](AuthError::reason) says precisely why.
    ///
    /// ```no_run
    /// # async fn f(axioms: axioms::Axioms, token: &str) {
    /// match axioms.verify(token).await {
    ///     Ok(claims) => println!("{:?}", claims.subject()),
    ///     Err(err) => println!("rejected: {}", err.reason()),
    /// }
    /// # }
    /// ```
    ///
    /// A sender-constrained token (`cnf`: DPoP- or certificate-bound) is refused with
    /// [`Reason::SenderConstrained`]: its proof of possession is in the request, which this
    /// method does not see. [`authenticate`](Self::authenticate) checks it.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let claims = self.verify_token(token).await?;
        if claims.as_map().contains_key("cnf") {
            return Err(self.error(Reason::SenderConstrained));
        }
        Ok(claims)
    }

    /// [`verify`](Self::verify) without the refusal of sender-constrained tokens: for the
    /// pipeline, which checks their binding next.
    pub(crate) async fn verify_token(&self, token: &str) -> Result<Claims, AuthError> {
        match self.cached(token.as_bytes()) {
            Some(claims) => Ok(claims),
            None => self.verify_uncached(token).await,
        }
    }

    /// The token cache's claims for `token`, if it holds them and they are still valid (time
    /// and key re-checked). The bytes need no other check: a hit compares them with a token
    /// that passed all of verification.
    pub(crate) fn cached(&self, token: &[u8]) -> Option<Claims> {
        let inner = &*self.inner;
        let cache = inner.tokens.as_ref()?;
        let hit = if token.len() <= inner.config.max_token_bytes {
            cache.get(token, |claims, key, named_kid| {
                claims
                    .vouched_slot()
                    .and_then(|slot| inner.issuers.get(slot))
                    .is_some_and(|t| {
                        verify::check_time(&t.issuer.validation, claims).is_ok()
                            && t.keys.still_published(key, named_kid)
                    })
            })
        } else {
            None
        };
        crate::metrics::token_cache(hit.is_some());
        hit
    }

    /// Verifies `token` in full (after [`Axioms::cached`] missed), and caches what passes.
    pub(crate) async fn verify_uncached(&self, token: &str) -> Result<Claims, AuthError> {
        let inner = &*self.inner;
        let max_bytes = inner.config.max_token_bytes;
        let failed = |failure: verify::Failure| {
            let err = self.error(failure.reason);
            match failure.detail {
                Some(detail) => err.with_detail(detail),
                None => err,
            }
        };
        // A token that is not a JWT: only the primary issuer (the API's own) may introspect it.
        // An opaque token does not say whose it is, so every one goes there; never to another
        // trusted issuer (a customer's IdP, say).
        if let Some(introspector) = &inner.issuers.first().and_then(|t| t.introspector.as_ref())
            && introspect::is_opaque(token)
        {
            if token.len() > max_bytes {
                return Err(failed(Reason::TokenTooLarge.into()));
            }
            return introspector.introspect(token).await.map_err(failed);
        }
        // One issuer: its keys, as always. Several: the token's `iss` chooses whose keys
        // are asked, before any lookup.
        let (slot, payload) = if inner.issuers.len() == 1 {
            (0, None)
        } else {
            let ids = inner
                .issuers
                .iter()
                .map(|t| t.issuer.validation.issuer.as_ref());
            let (slot, payload) = verify::choose_issuer(ids, max_bytes, token)
                .map_err(|reason| failed(reason.into()))?;
            (slot, Some(payload))
        };
        let trusted = inner
            .issuers
            .get(slot)
            .ok_or_else(|| self.error(Reason::IssuerMismatch))?;
        let started = crate::metrics::TIMED.then(std::time::Instant::now);
        let verified = verify::verify_with(
            &trusted.issuer.validation,
            &trusted.issuer.keys.algorithms,
            &trusted.keys,
            &trusted.headers,
            token,
            payload,
        )
        .await;
        if let Some(started) = started {
            crate::metrics::verification(started.elapsed().as_secs_f64());
        }
        let verified = verified.map_err(failed)?;
        let claims = verified.claims.vouch(&trusted.issuer.voucher);
        if let Some(cache) = &inner.tokens {
            cache.insert(token.as_bytes(), &claims, &verified.key, verified.named_kid);
        }
        Ok(claims)
    }

    /// The calls made to the introspection endpoint for opaque tokens (0 when introspection
    /// is off): with the cache and single-flight, at most one per token and cache period.
    ///
    /// ```no_run
    /// # fn f(axioms: axioms::Axioms) {
    /// println!("introspection calls: {}", axioms.introspection_calls());
    /// # }
    /// ```
    pub fn introspection_calls(&self) -> u64 {
        self.inner
            .issuers
            .iter()
            .filter_map(|t| t.introspector.as_ref())
            .map(|i| i.calls())
            .sum()
    }

    /// Hit and miss counts of the verified-token cache (all zero when it is off).
    pub fn token_cache_stats(&self) -> TokenCacheStats {
        self.inner
            .tokens
            .as_ref()
            .map(TokenCache::stats)
            .unwrap_or_default()
    }

    /// The issuer's OpenID Connect / OAuth metadata (its discovery document), read with the
    /// hardened key-fetch client; `None` if it cannot be read or names another issuer.
    #[cfg(feature = "utoipa")]
    pub(crate) async fn issuer_metadata(
        &self,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        let trusted = self.inner.issuers.first()?;
        let issuer = trusted.issuer.validation.issuer.as_ref()?.exact()?;
        let url = match trusted.issuer.discovery_url() {
            Some(url) => url.clone(),
            None => url::Url::parse(&format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            ))
            .ok()?,
        };
        let doc = trusted.keys.fetch_json(&url).await.ok()?;
        let doc = doc.as_object()?;
        (doc.get("issuer").and_then(serde_json::Value::as_str) == Some(issuer)).then(|| doc.clone())
    }

    /// This verifier's identity in recorded verdicts.
    pub(crate) fn id(&self) -> VerifierId {
        self.inner.id
    }

    /// An [`AuthError`] for `reason` with this verifier's realm (and `Retry-After` when the
    /// keys are unavailable): for checks written by hand.
    ///
    /// ```no_run
    /// use axioms::{Axioms, Claims, Reason};
    /// use axum::{extract::State, response::{IntoResponse, Response}};
    ///
    /// async fn export(State(axioms): State<Axioms>, claims: Claims) -> Response {
    ///     if !claims.has_scope("export") {
    ///         return axioms.error(Reason::MissingScope).with_scopes(["export"]).into_response();
    ///     }
    ///     "data".into_response()
    /// }
    /// ```
    pub fn error(&self, reason: Reason) -> AuthError {
        let requests = &self.inner.config.requests;
        let mut err = AuthError::new(reason).with_realm(Arc::clone(&requests.realm));
        if let Some(resource) = &requests.resource {
            err = err.with_resource_metadata(Arc::clone(&resource.metadata_url));
        }
        if let Some(offer) = &self.inner.config.dpop.offer {
            err = err.with_dpop(Arc::clone(offer));
        }
        match reason {
            Reason::KeysUnavailable => err.with_retry_after(
                self.inner
                    .issuers
                    .iter()
                    .map(|t| t.keys.retry_after())
                    .min()
                    .unwrap_or(Duration::from_secs(1)),
            ),
            Reason::ReplayStoreUnavailable
            | Reason::ReplayStoreFull
            | Reason::ApiKeyStoreUnavailable
            | Reason::IntrospectionUnavailable => err.with_retry_after(Duration::from_secs(1)),
            _ => err,
        }
    }

    /// An [`AuthError`] for a policy's denial of `claims`: on the challenge of the scheme the
    /// token came with (a DPoP-bound token can only have come as `DPoP`).
    pub(crate) fn denial(&self, reason: Reason, claims: &Claims) -> AuthError {
        // A route that requires DPoP answers a bearer token on the DPoP challenge: that is
        // the scheme it must use.
        let scheme = if claims.is_dpop_bound() || reason == Reason::DpopRequired {
            crate::rejection::Scheme::DPoP
        } else {
            crate::rejection::Scheme::Bearer
        };
        self.error(reason).presented_with(scheme)
    }

    /// Wraps an error as the extractors' [`Rejection`], with this verifier's renderer. Does
    /// not log: the pipeline logs each rejection once, where it is decided.
    pub(crate) fn reject(&self, error: AuthError) -> Rejection {
        Rejection::new(error, self.renderer.clone())
    }

    /// The DPoP proof headers this verifier has checked.
    pub(crate) fn dpop_headers(&self) -> &crate::dpop::proof::HeaderCache {
        &self.inner.dpop_headers
    }

    /// Waits until every trusted issuer's key set is loaded, at most `timeout`; `true` if
    /// they are. Useful in readiness probes and tests; requests never need it.
    pub async fn ready(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.inner.issuers.iter().all(|t| t.keys.is_loaded()) {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The number of usable keys currently loaded, of every trusted issuer.
    pub fn key_count(&self) -> usize {
        self.inner.issuers.iter().map(|t| t.keys.key_count()).sum()
    }

    /// Stops the background refreshers. Keys already loaded keep verifying; unknown `kid`s
    /// still trigger (cooldown-limited) refetches.
    pub fn shutdown(&self) {
        for issuer in &*self.inner.issuers {
            issuer.refresher.abort();
        }
    }
}

impl fmt::Debug for Axioms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Axioms")
            .field("config", &self.inner.config)
            .field("keys", &self.key_count())
            .finish_non_exhaustive()
    }
}

/// What the binary's policies say of the trusted issuers: every issuer a policy names
/// (`issuer = "partner"`) is trusted, and every policy the operator extends to a partner
/// (`Trust::partner_for`, `AXIOMS_<NAME>_TRUSTED_FOR`) exists — a startup error naming both,
/// rather than a route that silently refuses everyone or an extension that does nothing.
fn check_policies(config: &Config) -> Result<(), crate::ConfigError> {
    let error = |problem: String, fix: &str| crate::ConfigError::new("AXIOMS_TRUST", problem, fix);
    for (policy, name) in crate::policy::registered_issuers() {
        if config.issuer(name).is_none() {
            let trusted: Vec<&str> = config.issuers().map(Issuer::name).collect();
            return Err(error(
                format!(
                    "the policy `{policy}` names the issuer `{name}`, which is not trusted \
                     (trusted: {})",
                    trusted.join(", ")
                ),
                "trust it (AXIOMS_TRUST=<NAME> with AXIOMS_<NAME>_ISS_URL…, or \
                 ConfigBuilder::trust), or remove it from the policy",
            ));
        }
    }
    for issuer in config.issuers() {
        if let Some(policy) = issuer
            .trusted_for()
            .find(|p| !crate::policy::is_registered(p))
        {
            return Err(error(
                format!(
                    "the issuer `{}` is trusted for the policy `{policy}`, which this binary does \
                     not have",
                    issuer.name()
                ),
                "name a `#[protected]` handler or a `policy!` (AXIOMS_<NAME>_TRUSTED_FOR), \
                 exactly as written in the code",
            ));
        }
    }
    Ok(())
}

/// Checks the signature verifier on a known answer before the first token reaches it: the
/// very path verification takes (a key parsed once by aws-lc-rs, `VerifyingKey::verify`), on
/// RFC 8037's Ed25519 example — a broken or mislinked backend refuses to start, rather
/// than refusing (or accepting) every token.
fn crypto_self_test() -> Result<(), InitError> {
    use crate::algorithm::Algorithm;
    use crate::jwks::key::VerifyingKey;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    // RFC 8037 Appendix A.2 (the public key) and A.4 (the signature over A.4's input).
    const X: &[u8] = &[
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07,
        0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
        0x51, 0x1a,
    ];
    const INPUT: &[u8] = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    const SIG: &str =
        "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";
    let broken =
        InitError::CryptoSelfTest("a known-good signature was refused or a bad one accepted");
    let (Some(key), Ok(mut signature)) = (
        crate::jwks::key::PublicKey::parse(Algorithm::EdDSA, X),
        URL_SAFE_NO_PAD.decode(SIG),
    ) else {
        return Err(broken);
    };
    let key = VerifyingKey {
        kid: None,
        alg: Algorithm::EdDSA,
        implied_alg: true,
        key,
        material: X.to_vec(),
    };
    let good = key.verify(INPUT, &signature);
    if let Some(last) = signature.last_mut() {
        *last ^= 1;
    }
    match (good, key.verify(INPUT, &signature)) {
        (true, false) => Ok(()),
        _ => Err(broken),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn self_test_passes() {
        assert!(super::crypto_self_test().is_ok());
    }

    /// Only a header whose token's signature verified is remembered, and a remembered
    /// header decides nothing the parse would not: its token is still refused for anything
    /// else.
    #[cfg(feature = "testing")]
    #[tokio::test]
    async fn the_header_memo_holds_only_verified_headers() {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let issuer = crate::testing::TestIssuer::start().await;
        let config = issuer.config("test-api").token_cache(0).build().unwrap();
        let axioms = super::Axioms::new(config).unwrap();
        assert!(axioms.ready(std::time::Duration::from_secs(10)).await);
        let memo = &axioms.inner.issuers[0].headers;
        let token = issuer.token().sign();
        let (head, rest) = token.split_once('.').unwrap();
        let (payload, signature) = rest.split_once('.').unwrap();

        // A forged signature: refused, and its header not remembered.
        let mut forged = URL_SAFE_NO_PAD.decode(signature).unwrap();
        forged[0] ^= 1;
        let forged = format!("{head}.{payload}.{}", URL_SAFE_NO_PAD.encode(&forged));
        let err = axioms.verify(&forged).await.unwrap_err();
        assert_eq!(err.reason(), crate::Reason::InvalidSignature);
        assert_eq!(memo.len(), 0);

        axioms.verify(&token).await.unwrap();
        assert_eq!(memo.len(), 1);
        // Remembered: the same forgery is still refused, now with the header looked up.
        let err = axioms.verify(&forged).await.unwrap_err();
        assert_eq!(err.reason(), crate::Reason::InvalidSignature);
        // And so is an expired token under the remembered header.
        let expired = issuer.token().expires_in(-3600).sign();
        assert!(expired.starts_with(&format!("{head}.")));
        let err = axioms.verify(&expired).await.unwrap_err();
        assert_eq!(err.reason(), crate::Reason::Expired);
        assert_eq!(memo.len(), 1);
        // A header never seen is parsed and checked as always.
        let untyped = issuer
            .token()
            .header("typ", serde_json::json!("id+jwt"))
            .sign();
        let err = axioms.verify(&untyped).await.unwrap_err();
        assert_eq!(err.reason(), crate::Reason::InvalidType);
        assert_eq!(memo.len(), 1);
    }
}
