//! Calling other APIs for the user (feature `exchange`): a token of the downstream API's own
//! audience, obtained for the caller by token exchange (RFC 8693) or Microsoft Entra's
//! on-behalf-of flow — never the caller's token passed on.
//!
//! The incoming token's audience is this API (RFC 8707), so a downstream API refuses it, and
//! must: passing tokens on lets any API that receives one act as the user everywhere. The MCP
//! authorization specification forbids it outright ("token passthrough"). Instead the API asks
//! its authorization server for a token for the downstream audience and scopes, authenticating
//! itself as a client, with the caller's token as the subject; the issued token names this API
//! as the actor (`act`), which the downstream can require with `actor = …`.
//!
//! [`TokenExchange`] does that, per trusted issuer:
//!
//! * the request: RFC 8693 (`subject_token` the incoming access token, `audience`,
//!   `resource`, `scope`), or Entra's on-behalf-of (`grant_type` jwt-bearer,
//!   `requested_token_use=on_behalf_of`) with
//!   [`TokenExchangeBuilder::entra_on_behalf_of`];
//! * the client authentication: [`ClientAuth`] — a secret (basic or post) or a signed
//!   assertion (`private_key_jwt`, [`ClientKey`]);
//! * the token endpoint: configured, or from the issuer's discovery document;
//! * the cache: exchanged tokens kept by (the SHA-256 of the subject token, the downstream)
//!   until 30 s before they expire and never past the subject token's own `exp`, within an
//!   entry and byte budget; concurrent requests for one key wait for one exchange;
//! * DPoP, for a downstream that requires it: [`TokenExchangeBuilder::dpop`] with the API's
//!   own [`ProofKey`];
//! * the errors: [`ExchangeError`], which a handler returns as is — the server refused: 403;
//!   it is down or answers nonsense: 503 with `Retry-After`. Tokens are never logged.
//!
//! ```no_run
//! use axioms::exchange::{ClientAuth, Downstream, ExchangeError, SubjectToken, TokenExchange};
//! use axioms::{Axioms, protected};
//! use axum::extract::{FromRef, State};
//!
//! #[derive(Clone, FromRef)]
//! struct AppState {
//!     axioms: Axioms,
//!     billing: TokenExchange,
//!     http: reqwest::Client,
//! }
//!
//! #[protected(scopes = "orders:read")]
//! async fn invoices(
//!     State(state): State<AppState>,
//!     subject: SubjectToken,
//! ) -> Result<String, ExchangeError> {
//!     let billing = Downstream::audience("https://billing.example.com").scopes(["invoices:read"]);
//!     let request = state.http.get("https://billing.example.com/invoices");
//!     let request = state.billing.authorize(&subject, &billing, request).await?;
//!     Ok(request.send().await.map_err(ExchangeError::downstream)?.text().await.unwrap_or_default())
//! }
//!
//! # fn f(axioms: Axioms) -> Result<(), axioms::ConfigError> {
//! let billing = TokenExchange::builder(&axioms, ClientAuth::secret_basic("orders-api", "…"))
//!     .build()?; // the token endpoint from the primary issuer's discovery document
//! # let _ = billing; Ok(()) }
//! ```

mod cache;
mod client;
mod dpop;
mod subject;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwapOption;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;
use url::Url;

pub use client::{ClientAuth, ClientKey};
pub use dpop::ProofKey;
pub use subject::SubjectToken;

use crate::clock::Clock;
use crate::config::ConfigError;
use crate::fetch::{FetchError, Fetcher, check_url_scheme};
use crate::verifier::Axioms;

/// RFC 8693's grant type.
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The token type of an OAuth access token (RFC 8693 §3).
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Entra's on-behalf-of grant type (RFC 7523's JWT bearer grant).
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// An exchanged token is not served in its last 30 s: it must still be valid when the
/// downstream API checks it.
const EXPIRY_MARGIN: i64 = 30;
/// A token answered without `expires_in` is kept at most this long (and never past the
/// subject token's `exp`).
const UNKNOWN_LIFETIME: i64 = 60;

/// How many exchanged tokens are kept by default: 10,000.
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;
/// How many bytes of exchanged tokens are kept by default: 16 MiB.
pub const DEFAULT_CACHE_BYTES: usize = 16 << 20;

/// Which grant the token endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// RFC 8693.
    TokenExchange,
    /// Entra's on-behalf-of (jwt-bearer with `requested_token_use=on_behalf_of`).
    EntraOnBehalfOf,
}

/// Where the token endpoint is.
enum Endpoint {
    Configured(Url),
    /// From this discovery document (whose `issuer` must be `issuer`), resolved once.
    Discover {
        document: Url,
        issuer: Option<Box<str>>,
        resolved: ArcSwapOption<Url>,
    },
}

/// The API's own access token, sent as `actor_token`, and when it stops being used.
type ActorToken = (Arc<str>, i64);

/// Obtains tokens for downstream APIs on the caller's behalf from one trusted issuer's token
/// endpoint; cheap to clone (put it in your state). See the [module](self).
///
/// ```no_run
/// # fn f(axioms: axioms::Axioms) -> Result<(), axioms::ConfigError> {
/// use axioms::exchange::{ClientAuth, TokenExchange};
/// let exchange = TokenExchange::builder(&axioms, ClientAuth::secret_basic("orders-api", "…"))
///     .token_endpoint("https://idp.example.com/oauth2/token")
///     .build()?;
/// # let _ = exchange; Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenExchange {
    inner: Arc<Inner>,
}

struct Inner {
    fetcher: Fetcher,
    endpoint: Endpoint,
    client: ClientAuth,
    grant: Grant,
    /// The name of the trusted issuer whose tokens this exchanges.
    issuer: Box<str>,
    /// The API's DPoP key: tokens bound to it are asked for, and sent with proofs.
    dpop: Option<Arc<ProofKey>>,
    /// Whether the API's own token goes with each exchange as `actor_token`, and that
    /// token while it lasts (with when it stops being used).
    actor: Option<std::sync::Mutex<Option<ActorToken>>>,
    cache: cache::Cache,
    clock: Arc<dyn Clock>,
    calls: AtomicU64,
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("issuer", &self.inner.issuer)
            .field("grant", &self.inner.grant)
            .field("client", &self.inner.client)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`TokenExchange`].
///
/// ```no_run
/// # fn f(axioms: axioms::Axioms) -> Result<(), axioms::ConfigError> {
/// use axioms::exchange::{ClientAuth, TokenExchange};
/// let exchange = TokenExchange::builder(&axioms, ClientAuth::secret_post("app-id", "…"))
///     .entra_on_behalf_of()
///     .cache_entries(1_000)
///     .build()?;
/// # let _ = exchange; Ok(()) }
/// ```
#[must_use]
pub struct TokenExchangeBuilder {
    axioms: Axioms,
    client: ClientAuth,
    issuer: String,
    endpoint: Option<String>,
    grant: Grant,
    entries: usize,
    bytes: usize,
    dpop: Option<ProofKey>,
    actor_token: bool,
}

impl fmt::Debug for TokenExchangeBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchangeBuilder")
            .field("issuer", &self.issuer)
            .field("endpoint", &self.endpoint)
            .field("grant", &self.grant)
            .finish_non_exhaustive()
    }
}

impl TokenExchange {
    /// Starts the settings of an exchange at the primary issuer of `axioms`, authenticated as
    /// `client`.
    ///
    /// ```no_run
    /// # fn f(axioms: axioms::Axioms) {
    /// let builder = axioms::exchange::TokenExchange::builder(
    ///     &axioms,
    ///     axioms::exchange::ClientAuth::secret_basic("orders-api", "…"),
    /// );
    /// # let _ = builder; }
    /// ```
    pub fn builder(axioms: &Axioms, client: ClientAuth) -> TokenExchangeBuilder {
        TokenExchangeBuilder {
            axioms: axioms.clone(),
            client,
            issuer: crate::config::Issuer::PRIMARY.to_owned(),
            endpoint: None,
            grant: Grant::TokenExchange,
            entries: DEFAULT_CACHE_ENTRIES,
            bytes: DEFAULT_CACHE_BYTES,
            dpop: None,
            actor_token: false,
        }
    }

    /// A token for `target`, for the caller whose token is `subject`: from the cache, or
    /// from one exchange (concurrent callers with the same key wait for it).
    ///
    /// # Errors
    ///
    /// [`ExchangeError`]: the server refused, is unavailable or answered nonsense; or the
    /// subject token cannot be exchanged here.
    ///
    /// ```no_run
    /// # async fn f(exchange: axioms::exchange::TokenExchange, subject: axioms::exchange::SubjectToken) -> Result<(), axioms::exchange::ExchangeError> {
    /// use axioms::exchange::Downstream;
    /// let token = exchange.token_for(&subject, &Downstream::audience("billing")).await?;
    /// assert!(!token.secret().is_empty());
    /// # Ok(()) }
    /// ```
    pub async fn token_for(
        &self,
        subject: &SubjectToken,
        target: &Downstream,
    ) -> Result<ExchangedToken, ExchangeError> {
        let inner = &*self.inner;
        if subject.issuer() != &*inner.issuer {
            return Err(ExchangeError::NotExchangeable(
                "the token's issuer is not the one this exchange serves",
            ));
        }
        let key = cache::Key {
            subject: subject.hash(),
            target: Arc::clone(&target.key),
        };
        if let Some(token) = inner.cache.get(&key, inner.clock.now()) {
            crate::metrics::token_exchange("cached");
            return Ok(token);
        }
        let flight = inner.cache.flight(&key);
        let _one_at_a_time = flight.lock().await;
        if let Some(token) = inner.cache.get(&key, inner.clock.now()) {
            crate::metrics::token_exchange("cached");
            return Ok(token);
        }
        let result = self.exchange(subject, target).await;
        crate::metrics::token_exchange(match &result {
            Ok(_) => "exchanged",
            Err(ExchangeError::Refused { .. }) => "refused",
            Err(_) => "unavailable",
        });
        let token = result?;
        let now = inner.clock.now();
        let until = (token.expires_at - EXPIRY_MARGIN).min(subject.expires_at());
        inner.cache.insert(key, token.clone(), until, now);
        Ok(token)
    }

    /// `request` with the `Authorization` header of a token for `target` (see
    /// [`token_for`](Self::token_for)).
    ///
    /// # Errors
    ///
    /// As [`token_for`](Self::token_for).
    ///
    /// ```no_run
    /// # async fn f(exchange: axioms::exchange::TokenExchange, subject: axioms::exchange::SubjectToken) -> Result<(), axioms::exchange::ExchangeError> {
    /// use axioms::exchange::{Downstream, ExchangeError};
    /// let billing = Downstream::audience("https://billing.example.com");
    /// let request = reqwest::Client::new().get("https://billing.example.com/invoices");
    /// let response = exchange
    ///     .authorize(&subject, &billing, request)
    ///     .await?
    ///     .send()
    ///     .await
    ///     .map_err(ExchangeError::downstream)?;
    /// # let _ = response; Ok(()) }
    /// ```
    pub async fn authorize(
        &self,
        subject: &SubjectToken,
        target: &Downstream,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::RequestBuilder, ExchangeError> {
        let token = self.token_for(subject, target).await?;
        let (Some(key), true) = (&self.inner.dpop, token.is_dpop_bound()) else {
            return Ok(request.header(http::header::AUTHORIZATION, token.authorization()));
        };
        // A DPoP-bound token goes with a proof of the API's key for this very request.
        let (client, built) = request.build_split();
        let mut built = built.map_err(ExchangeError::downstream)?;
        let proof = key
            .proof(
                built.method().as_str(),
                built.url(),
                Some(token.secret()),
                None,
                self.inner.clock.now(),
            )
            .map_err(ExchangeError::InvalidResponse)?;
        let proof = HeaderValue::from_str(&proof)
            .map_err(|_| ExchangeError::InvalidResponse("the DPoP proof is not a header value"))?;
        let headers = built.headers_mut();
        headers.insert(http::header::AUTHORIZATION, token.authorization());
        headers.insert("dpop", proof);
        Ok(reqwest::RequestBuilder::from_parts(client, built))
    }

    /// How many requests this exchange has sent to the token endpoint (cache misses).
    ///
    /// ```no_run
    /// # fn f(exchange: axioms::exchange::TokenExchange) {
    /// println!("{} exchanges", exchange.calls());
    /// # }
    /// ```
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// The exchanged tokens cached: entries and bytes.
    ///
    /// ```no_run
    /// # fn f(exchange: axioms::exchange::TokenExchange) {
    /// let (entries, bytes) = exchange.cached();
    /// # let _ = (entries, bytes); }
    /// ```
    pub fn cached(&self) -> (usize, usize) {
        self.inner.cache.size()
    }

    /// One request to the token endpoint.
    async fn exchange(
        &self,
        subject: &SubjectToken,
        target: &Downstream,
    ) -> Result<ExchangedToken, ExchangeError> {
        let inner = &*self.inner;
        let endpoint = self.endpoint().await?;
        let mut form: Vec<(&'static str, String)> = Vec::new();
        match inner.grant {
            Grant::TokenExchange => {
                form.push(("grant_type", TOKEN_EXCHANGE.to_owned()));
                form.push(("subject_token", subject.secret().to_owned()));
                form.push(("subject_token_type", ACCESS_TOKEN_TYPE.to_owned()));
                form.push(("requested_token_type", ACCESS_TOKEN_TYPE.to_owned()));
                for audience in &target.audiences {
                    form.push(("audience", audience.to_string()));
                }
                if let Some(resource) = &target.resource {
                    form.push(("resource", resource.to_string()));
                }
            }
            Grant::EntraOnBehalfOf => {
                form.push(("grant_type", JWT_BEARER.to_owned()));
                form.push(("assertion", subject.secret().to_owned()));
                form.push(("requested_token_use", "on_behalf_of".to_owned()));
            }
        }
        if !target.scopes.is_empty() {
            form.push(("scope", target.scopes.join(" ")));
        }
        if inner.actor.is_some() {
            let actor = self.actor_token(&endpoint).await?;
            form.push(("actor_token", actor.to_string()));
            form.push(("actor_token_type", ACCESS_TOKEN_TYPE.to_owned()));
        }
        self.post(&endpoint, form).await
    }

    /// The API's own access token (client credentials at the same endpoint), reused until
    /// 30 s before it expires.
    async fn actor_token(&self, endpoint: &Url) -> Result<Arc<str>, ExchangeError> {
        let inner = &*self.inner;
        let Some(slot) = &inner.actor else {
            return Err(ExchangeError::InvalidResponse(
                "no actor token is configured",
            ));
        };
        let now = inner.clock.now();
        if let Some((token, until)) = &*slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            && now < *until
        {
            return Ok(Arc::clone(token));
        }
        let form = vec![("grant_type", "client_credentials".to_owned())];
        let token = self.post(endpoint, form).await?;
        let secret: Arc<str> = Arc::from(token.secret());
        let until = token.expires_at - EXPIRY_MARGIN;
        *slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Arc::clone(&secret), until));
        Ok(secret)
    }

    /// One request of `form` to the token endpoint, authenticated as the client, with a
    /// DPoP proof if the exchange holds a key.
    async fn post(
        &self,
        endpoint: &Url,
        form: Vec<(&'static str, String)>,
    ) -> Result<ExchangedToken, ExchangeError> {
        let inner = &*self.inner;
        let entra = inner.grant == Grant::EntraOnBehalfOf;
        // At most twice: a DPoP server may first answer `use_dpop_nonce` (RFC 9449 §8).
        let mut nonce: Option<String> = None;
        loop {
            let now = inner.clock.now();
            let mut headers = HeaderMap::new();
            let mut form = form.clone();
            inner
                .client
                .apply(endpoint.as_str(), now, entra, &mut headers, &mut form)
                .map_err(ExchangeError::InvalidResponse)?;
            if let Some(key) = &inner.dpop {
                let proof = key
                    .proof("POST", endpoint, None, nonce.as_deref(), now)
                    .map_err(ExchangeError::InvalidResponse)?;
                let proof = HeaderValue::from_str(&proof).map_err(|_| {
                    ExchangeError::InvalidResponse("the DPoP proof is not a header value")
                })?;
                headers.insert("dpop", proof);
            }
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            inner.calls.fetch_add(1, Ordering::Relaxed);
            let (status, response_headers, body) = inner
                .fetcher
                .post_oauth_form(endpoint, headers, &pairs)
                .await
                .map_err(|err| {
                    tracing::warn!(target: "axioms::exchange", error = %err, "the token endpoint failed");
                    ExchangeError::Unavailable(err.to_string().into())
                })?;
            let asks_nonce = inner.dpop.is_some()
                && nonce.is_none()
                && status == StatusCode::BAD_REQUEST
                && body.get("error").and_then(Value::as_str) == Some("use_dpop_nonce");
            let server_nonce = response_headers
                .get("dpop-nonce")
                .and_then(|v| v.to_str().ok())
                .filter(|n| !n.is_empty() && n.len() <= 512);
            if let (true, Some(server_nonce)) = (asks_nonce, server_nonce) {
                nonce = Some(server_nonce.to_owned());
                continue;
            }
            return answer(status, &body, now, inner.dpop.is_some());
        }
    }

    /// The token endpoint: configured, or discovered once.
    async fn endpoint(&self) -> Result<Url, ExchangeError> {
        match &self.inner.endpoint {
            Endpoint::Configured(url) => Ok(url.clone()),
            Endpoint::Discover {
                document,
                issuer,
                resolved,
            } => {
                if let Some(url) = resolved.load_full() {
                    return Ok((*url).clone());
                }
                let url = self
                    .inner
                    .fetcher
                    .discover_endpoint(document, issuer.as_deref(), "token_endpoint")
                    .await
                    .map_err(|err: FetchError| {
                        tracing::warn!(target: "axioms::exchange", error = %err, "token endpoint discovery failed");
                        ExchangeError::Unavailable(err.to_string().into())
                    })?;
                resolved.store(Some(Arc::new(url.clone())));
                Ok(url)
            }
        }
    }
}

/// The token endpoint's answer as a token or a precise error.
fn answer(
    status: StatusCode,
    body: &Value,
    now: i64,
    dpop: bool,
) -> Result<ExchangedToken, ExchangeError> {
    if status == StatusCode::OK {
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty() && crate::token::bearer::is_b64token(t.as_bytes()))
            .ok_or(ExchangeError::InvalidResponse("no usable `access_token`"))?;
        let issued = body.get("issued_token_type").and_then(Value::as_str);
        if issued.is_some_and(|t| t != ACCESS_TOKEN_TYPE) {
            return Err(ExchangeError::InvalidResponse(
                "the issued token is not an access token",
            ));
        }
        let token_type = match body.get("token_type").and_then(Value::as_str) {
            Some(t) if t.eq_ignore_ascii_case("bearer") => "Bearer",
            Some(t) if t.eq_ignore_ascii_case("dpop") && dpop => "DPoP",
            Some(t) if t.eq_ignore_ascii_case("dpop") => {
                return Err(ExchangeError::InvalidResponse(
                    "the issued token is DPoP-bound to a key this API does not hold",
                ));
            }
            Some(_) | None => {
                return Err(ExchangeError::InvalidResponse(
                    "the issued token's `token_type` is not Bearer",
                ));
            }
        };
        let lifetime = match body.get("expires_in") {
            None | Some(Value::Null) => UNKNOWN_LIFETIME + EXPIRY_MARGIN,
            Some(v) => {
                v.as_i64()
                    .filter(|secs| *secs > 0)
                    .ok_or(ExchangeError::InvalidResponse(
                        "`expires_in` is not a positive number",
                    ))?
            }
        };
        return Ok(ExchangedToken::new(
            token,
            token_type,
            now.saturating_add(lifetime),
        ));
    }
    let error = body
        .get("error")
        .and_then(Value::as_str)
        .map(sanitize)
        .unwrap_or_default();
    // RFC 6749 §5.2 answers a refusal with 400 (401 for the client's credentials); Entra
    // and others use 403 too. Anything else is a server in trouble (or a wrong URL).
    if !matches!(status.as_u16(), 400 | 401 | 403) {
        return Err(ExchangeError::Unavailable(
            format!("the token endpoint answered HTTP {}", status.as_u16()).into(),
        ));
    }
    if status == StatusCode::UNAUTHORIZED || error == "invalid_client" {
        tracing::error!(target: "axioms::exchange", status = status.as_u16(), error = %error, "the token endpoint refused this API's client credentials: check the client id, secret or key");
    }
    Err(ExchangeError::Refused {
        status: status.as_u16(),
        error: error.into(),
    })
}

/// An error code from the token endpoint, kept to its grammar (RFC 6749 §5.2: `%x20-21 /
/// %x23-5B / %x5D-7E`), without spaces, at most 64 characters: safe for a log line.
fn sanitize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .take(64)
        .collect()
}

impl TokenExchangeBuilder {
    /// Exchanges the tokens of the trusted issuer named `name` (the primary by default): a
    /// token of another issuer is [`ExchangeError::NotExchangeable`].
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) {
    /// let b = b.issuer("partner");
    /// # let _ = b; }
    /// ```
    pub fn issuer(mut self, name: &str) -> Self {
        self.issuer = name.to_owned();
        self
    }

    /// The token endpoint's URL (https, or http on loopback); by default it is read from
    /// the issuer's discovery document (`token_endpoint`).
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) {
    /// let b = b.token_endpoint("https://idp.example.com/token");
    /// # let _ = b; }
    /// ```
    pub fn token_endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.to_owned());
        self
    }

    /// Microsoft Entra's on-behalf-of flow instead of RFC 8693: `grant_type` jwt-bearer, the
    /// incoming token as `assertion`, `requested_token_use=on_behalf_of`, `client_id` in the
    /// form. Entra reads only the scopes of a [`Downstream`] (`api://billing/.default`).
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) {
    /// let b = b.entra_on_behalf_of();
    /// # let _ = b; }
    /// ```
    pub fn entra_on_behalf_of(mut self) -> Self {
        self.grant = Grant::EntraOnBehalfOf;
        self
    }

    /// Asks for tokens bound to the API's DPoP `key` (RFC 9449): each request to the token
    /// endpoint carries a proof (with the server's nonce when it asks for one), and
    /// [`TokenExchange::authorize`] sends a bound token with a proof for its request. Needed
    /// when the downstream API requires DPoP; a bound token is useless to anyone who steals
    /// it without the key.
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder, pem: &[u8]) -> Result<(), axioms::ConfigError> {
    /// let b = b.dpop(axioms::exchange::ProofKey::from_pem(axioms::Algorithm::ES256, pem)?);
    /// # let _ = b; Ok(()) }
    /// ```
    pub fn dpop(mut self, key: ProofKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// Sends the API's own identity with each exchange as `actor_token` (RFC 8693 §2.1): an
    /// access token the API obtains for itself by the client credentials grant at the same
    /// token endpoint (reused until 30 s before it expires), `actor_token_type` access token.
    /// For servers that name the actor from it (delegation, `act`) rather than from the
    /// client's authentication. Not for Entra's on-behalf-of, which has no actor token.
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) {
    /// let b = b.actor_token();
    /// # let _ = b; }
    /// ```
    pub fn actor_token(mut self) -> Self {
        self.actor_token = true;
        self
    }

    /// At most this many exchanged tokens cached ([`DEFAULT_CACHE_ENTRIES`]); 0 turns the
    /// cache off.
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) {
    /// let b = b.cache_entries(100);
    /// # let _ = b; }
    /// ```
    pub fn cache_entries(mut self, entries: usize) -> Self {
        self.entries = entries;
        self
    }

    /// At most this many bytes of exchanged tokens cached ([`DEFAULT_CACHE_BYTES`]).
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) {
    /// let b = b.cache_bytes(1 << 20);
    /// # let _ = b; }
    /// ```
    pub fn cache_bytes(mut self, bytes: usize) -> Self {
        self.bytes = bytes;
        self
    }

    /// The exchange.
    ///
    /// # Errors
    ///
    /// If the issuer is not trusted by the verifier, the token endpoint is not an https URL
    /// (or http on loopback), or neither it nor a discovery document is known.
    ///
    /// ```no_run
    /// # fn f(b: axioms::exchange::TokenExchangeBuilder) -> Result<(), axioms::ConfigError> {
    /// let exchange = b.build()?;
    /// # let _ = exchange; Ok(()) }
    /// ```
    pub fn build(self) -> Result<TokenExchange, ConfigError> {
        if self.actor_token && self.grant == Grant::EntraOnBehalfOf {
            return Err(ConfigError::new(
                "TokenExchangeBuilder::actor_token",
                "Entra's on-behalf-of flow has no actor token",
                "leave actor_token out with entra_on_behalf_of",
            ));
        }
        let config = self.axioms.config();
        let issuer = config.issuer(&self.issuer).ok_or_else(|| {
            ConfigError::new(
                "TokenExchange::issuer",
                "no trusted issuer has this name",
                "name a trusted issuer (\"primary\", or a name given to ConfigBuilder::trust)",
            )
        })?;
        let allow_http = issuer.http.allow_insecure_http;
        let endpoint = match (&self.endpoint, issuer.discovery_url(), issuer.issuer()) {
            (Some(url), _, _) => {
                let url = Url::parse(url)
                    .ok()
                    .filter(|url| check_url_scheme(url, allow_http))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "TokenExchange::token_endpoint",
                            "not an https URL (or http on loopback)",
                            "give the token endpoint's full URL, e.g. https://idp.example.com/oauth2/token",
                        )
                    })?;
                Endpoint::Configured(url)
            }
            (None, discovery, iss) => {
                let document = discovery.cloned().or_else(|| {
                    iss.and_then(|iss| {
                        Url::parse(&format!(
                            "{}/.well-known/openid-configuration",
                            iss.trim_end_matches('/')
                        ))
                        .ok()
                    })
                });
                let document = document
                    .filter(|url| check_url_scheme(url, allow_http))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "TokenExchange::token_endpoint",
                            "the issuer has no discovery document to read the token endpoint from",
                            "give the token endpoint with TokenExchangeBuilder::token_endpoint",
                        )
                    })?;
                Endpoint::Discover {
                    document,
                    issuer: iss.map(Box::from),
                    resolved: ArcSwapOption::empty(),
                }
            }
        };
        let fetcher = Fetcher::new(&issuer.http).map_err(|err| {
            ConfigError::new(
                "TokenExchange",
                "the HTTP client could not be built",
                &err.0,
            )
        })?;
        Ok(TokenExchange {
            inner: Arc::new(Inner {
                fetcher,
                endpoint,
                client: self.client,
                grant: self.grant,
                issuer: self.issuer.into_boxed_str(),
                dpop: self.dpop.map(Arc::new),
                actor: self.actor_token.then(|| std::sync::Mutex::new(None)),
                cache: cache::Cache::new(self.entries, self.bytes),
                clock: Arc::clone(&config.clock),
                calls: AtomicU64::new(0),
            }),
        })
    }
}

/// The API to call: its audience(s) or resource indicator, and the scopes to ask for.
///
/// ```
/// use axioms::exchange::Downstream;
/// let billing = Downstream::audience("https://billing.example.com").scopes(["invoices:read"]);
/// let graph = Downstream::scopes_only(["https://graph.microsoft.com/.default"]); // Entra
/// # let _ = (billing, graph);
/// ```
#[derive(Clone, Debug)]
pub struct Downstream {
    audiences: Vec<Box<str>>,
    resource: Option<Box<str>>,
    scopes: Vec<Box<str>>,
    /// The canonical form: the cache key.
    key: Arc<str>,
}

impl Downstream {
    fn new(audiences: Vec<Box<str>>, resource: Option<Box<str>>, scopes: Vec<Box<str>>) -> Self {
        let mut sorted: Vec<&str> = scopes.iter().map(|s| &**s).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let mut audience_list: Vec<&str> = audiences.iter().map(|s| &**s).collect();
        audience_list.sort_unstable();
        let key = serde_json::json!([audience_list, resource, sorted]).to_string();
        Self {
            audiences,
            resource,
            scopes,
            key: Arc::from(key),
        }
    }

    /// A downstream named by its audience (RFC 8693 `audience`: a logical name or URI the
    /// authorization server knows).
    ///
    /// ```
    /// let billing = axioms::exchange::Downstream::audience("billing-api");
    /// # let _ = billing;
    /// ```
    pub fn audience(audience: &str) -> Self {
        Self::new(vec![Box::from(audience)], None, Vec::new())
    }

    /// A downstream named by its resource indicator (RFC 8693 `resource`, RFC 8707: the API's
    /// URI).
    ///
    /// ```
    /// let billing = axioms::exchange::Downstream::resource("https://billing.example.com/");
    /// # let _ = billing;
    /// ```
    pub fn resource(uri: &str) -> Self {
        Self::new(Vec::new(), Some(Box::from(uri)), Vec::new())
    }

    /// A downstream named by scopes only (Entra's on-behalf-of: `api://<app>/.default`).
    ///
    /// ```
    /// let graph = axioms::exchange::Downstream::scopes_only(["https://graph.microsoft.com/User.Read"]);
    /// # let _ = graph;
    /// ```
    pub fn scopes_only<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(
            Vec::new(),
            None,
            scopes.into_iter().map(|s| Box::from(s.as_ref())).collect(),
        )
    }

    /// The scopes to ask for (space-separated in the request).
    ///
    /// ```
    /// let billing = axioms::exchange::Downstream::audience("billing").scopes(["invoices:read"]);
    /// # let _ = billing;
    /// ```
    pub fn scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::new(
            self.audiences,
            self.resource,
            scopes.into_iter().map(|s| Box::from(s.as_ref())).collect(),
        )
    }
}

/// A token for a downstream API. Its `Debug` never shows the token.
///
/// ```
/// # fn f(token: axioms::exchange::ExchangedToken) {
/// let header = token.authorization(); // `Bearer …`, marked sensitive
/// assert!(header.is_sensitive());
/// # }
/// ```
#[derive(Clone)]
pub struct ExchangedToken {
    token: Arc<str>,
    token_type: &'static str,
    expires_at: i64,
}

impl fmt::Debug for ExchangedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangedToken")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl ExchangedToken {
    pub(crate) fn new(token: &str, token_type: &'static str, expires_at: i64) -> Self {
        Self {
            token: Arc::from(token),
            token_type,
            expires_at,
        }
    }

    /// The access token itself: send it, never log it.
    ///
    /// ```
    /// # fn f(token: axioms::exchange::ExchangedToken) { let _ = token.secret(); }
    /// ```
    pub fn secret(&self) -> &str {
        &self.token
    }

    /// Whether it is bound to the API's DPoP key (`token_type` DPoP): it is then sent with a
    /// proof ([`TokenExchange::authorize`] does).
    ///
    /// ```
    /// # fn f(token: axioms::exchange::ExchangedToken) { let _ = token.is_dpop_bound(); }
    /// ```
    pub fn is_dpop_bound(&self) -> bool {
        self.token_type == "DPoP"
    }

    /// When it expires (seconds since the Unix epoch), as the token endpoint said.
    ///
    /// ```
    /// # fn f(token: axioms::exchange::ExchangedToken) { let _ = token.expires_at(); }
    /// ```
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The `Authorization` header value, `Bearer <token>` (or `DPoP <token>`, which needs
    /// a proof beside it), marked sensitive.
    ///
    /// ```
    /// # fn f(token: axioms::exchange::ExchangedToken) { let _ = token.authorization(); }
    /// ```
    pub fn authorization(&self) -> HeaderValue {
        let mut value = HeaderValue::from_str(&format!("{} {}", self.token_type, self.token))
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        value.set_sensitive(true);
        value
    }
}

/// Why no token for the downstream API could be had. As a handler's error it answers the
/// caller without a detail of the token service: 403 if the server refused, 503 with
/// `Retry-After` if it is unavailable.
///
/// ```
/// use axioms::exchange::ExchangeError;
/// use axum::response::IntoResponse;
/// let refused = ExchangeError::Refused { status: 400, error: "invalid_target".into() };
/// assert_eq!(refused.into_response().status(), 403);
/// let down = ExchangeError::Unavailable("connection refused".into());
/// assert_eq!(down.into_response().status(), 503);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// The token endpoint refused: its HTTP status and `error` code (`invalid_grant`,
    /// `invalid_target`, Entra's `interaction_required`, …).
    #[error("the token endpoint refused the exchange: HTTP {status}, error `{error}`")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The `error` code, kept to its grammar.
        error: Box<str>,
    },
    /// The token endpoint (or its discovery document) could not be reached or failed.
    #[error("the token endpoint is unavailable: {0}")]
    Unavailable(Box<str>),
    /// The token endpoint answered something that is not a usable access token.
    #[error("the token endpoint's answer is unusable: {0}")]
    InvalidResponse(&'static str),
    /// This request's token cannot be exchanged here (another issuer's, an API key, a
    /// DPoP-bound token).
    #[error("this token cannot be exchanged: {0}")]
    NotExchangeable(&'static str),
    /// The call to the downstream API itself failed (see [`ExchangeError::downstream`]).
    #[error("the downstream API could not be reached: {0}")]
    Downstream(Box<str>),
}

impl ExchangeError {
    /// A failed call to the downstream API, for `?` after `send()`.
    ///
    /// ```
    /// # async fn f(request: reqwest::RequestBuilder) -> Result<(), axioms::exchange::ExchangeError> {
    /// let response = request.send().await.map_err(axioms::exchange::ExchangeError::downstream)?;
    /// # let _ = response; Ok(()) }
    /// ```
    pub fn downstream(err: reqwest::Error) -> Self {
        // Without the URL: it may carry what the handler put in it.
        Self::Downstream(err.without_url().to_string().into())
    }
}

impl IntoResponse for ExchangeError {
    fn into_response(self) -> Response {
        tracing::warn!(target: "axioms::exchange", error = %self, "no token for the downstream API");
        let (status, error, description) = match &self {
            Self::Refused { .. } | Self::NotExchangeable(_) => (
                StatusCode::FORBIDDEN,
                "access_denied",
                "the service this request needs refused to act for this caller",
            ),
            Self::Unavailable(_) | Self::InvalidResponse(_) | Self::Downstream(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                "a service this request needs is unavailable; retry later",
            ),
        };
        let body = serde_json::json!({"error": error, "error_description": description});
        let mut response = (
            status,
            [(http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_token_answer_is_read_strictly() {
        let ok = json!({"access_token": "abc", "token_type": "Bearer", "expires_in": 300,
                        "issued_token_type": ACCESS_TOKEN_TYPE, "refresh_token": null});
        let token = answer(StatusCode::OK, &ok, 1000, false).unwrap();
        assert_eq!((token.secret(), token.expires_at()), ("abc", 1300));
        let no_expiry = json!({"access_token": "abc", "token_type": "bearer"});
        assert_eq!(
            answer(StatusCode::OK, &no_expiry, 1000, false)
                .unwrap()
                .expires_at(),
            1000 + UNKNOWN_LIFETIME + EXPIRY_MARGIN
        );
        // A DPoP-bound token only for an exchange that holds a DPoP key.
        let bound = json!({"access_token": "abc", "token_type": "DPoP", "expires_in": 60});
        assert!(
            answer(StatusCode::OK, &bound, 0, true)
                .unwrap()
                .is_dpop_bound()
        );
        assert!(matches!(
            answer(StatusCode::OK, &bound, 0, false),
            Err(ExchangeError::InvalidResponse(_))
        ));
        for bad in [
            json!({"token_type": "Bearer"}),
            json!({"access_token": "", "token_type": "Bearer"}),
            json!({"access_token": "a b", "token_type": "Bearer"}),
            json!({"access_token": "abc", "token_type": "N_A"}),
            json!({"access_token": "abc", "token_type": "DPoP"}),
            json!({"access_token": "abc", "token_type": "Bearer", "expires_in": -5}),
            json!({"access_token": "abc", "token_type": "Bearer", "expires_in": "300"}),
            json!({"access_token": "abc", "token_type": "Bearer",
                   "issued_token_type": "urn:ietf:params:oauth:token-type:id_token"}),
        ] {
            assert!(
                matches!(
                    answer(StatusCode::OK, &bad, 0, false),
                    Err(ExchangeError::InvalidResponse(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn an_error_answer_is_refused_or_unavailable() {
        let refused = answer(
            StatusCode::BAD_REQUEST,
            &json!({"error": "invalid_target"}),
            0,
            false,
        );
        assert!(
            matches!(refused, Err(ExchangeError::Refused { status: 400, ref error }) if &**error == "invalid_target")
        );
        let hostile = answer(
            StatusCode::FORBIDDEN,
            &json!({"error": "x\" y\\z\n".repeat(40)}),
            0,
            false,
        );
        let Err(ExchangeError::Refused { error, .. }) = hostile else {
            panic!("{hostile:?}")
        };
        assert!(error.len() <= 64 && !error.contains(['"', ' ', '\\', '\n']));
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::BAD_GATEWAY,
        ] {
            assert!(matches!(
                answer(status, &json!({}), 0, false),
                Err(ExchangeError::Unavailable(_))
            ));
        }
    }

    #[test]
    fn a_downstream_s_key_ignores_the_order_of_its_scopes() {
        let a = Downstream::audience("billing").scopes(["b", "a"]);
        let b = Downstream::audience("billing").scopes(["a", "b", "a"]);
        assert_eq!(a.key, b.key);
        assert_ne!(a.key, Downstream::audience("billing").scopes(["a"]).key);
        assert_ne!(
            a.key,
            Downstream::resource("billing").scopes(["a", "b"]).key
        );
    }
}
