//! An in-process authorization server for your tests (feature `testing`).
//!
//! [`TestIssuer`] generates real RSA, EC and Ed25519 keys, mints tokens with any claims and
//! headers, and serves its JWKS and OIDC discovery document over real HTTP on an ephemeral
//! `127.0.0.1` port. It can rotate keys, serve a hand-written key set, answer slowly or with
//! errors, and go down and come back — everything a test of a protected API needs from an IdP,
//! without the network.
//!
//! It is for tests and local development only: keys live in memory and are never persisted.
//!
//! # Example
//!
//! ```
//! use axioms::testing::TestIssuer;
//! use axioms::Axioms;
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let issuer = TestIssuer::start().await;
//! let axioms = Axioms::new(issuer.config("my-api").build().unwrap()).unwrap();
//!
//! let token = issuer.token().audience("my-api").claim("scope", json!("read:data")).sign();
//! let claims = axioms.verify(&token).await.unwrap();
//! assert_eq!(claims.scopes()[0].as_ref(), "read:data");
//! assert_eq!(issuer.jwks_fetches(), 1);
//! # }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
    ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair,
};
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::algorithm::Algorithm;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigBuilder, Issuer, IssuerBuilder};

/// How the issuer's HTTP endpoints behave.
///
/// # Example
///
/// ```
/// use axioms::testing::Behavior;
/// use std::time::Duration;
/// let slow = Behavior::Delay(Duration::from_secs(30));
/// assert_ne!(slow, Behavior::Normal);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Behavior {
    /// Serve the documents.
    #[default]
    Normal,
    /// Answer every request with this status and an empty body.
    Status(u16),
    /// Wait this long before answering normally.
    Delay(Duration),
    /// Answer 200 with this exact body (e.g. not JSON, or huge).
    Body(String),
    /// Answer 302 to this location.
    Redirect(String),
}

/// A signing key of the test issuer.
enum Signer {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

struct Key {
    kid: String,
    alg: Algorithm,
    signer: Signer,
    jwk: Value,
}

impl Key {
    fn generate(kid: String, alg: Algorithm) -> Self {
        let signer = match alg {
            Algorithm::ES256 => Signer::Ec(must(EcdsaKeyPair::generate(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
            ))),
            Algorithm::ES384 => Signer::Ec(must(EcdsaKeyPair::generate(
                &ECDSA_P384_SHA384_FIXED_SIGNING,
            ))),
            Algorithm::ES512 => Signer::Ec(must(EcdsaKeyPair::generate(
                &ECDSA_P521_SHA512_FIXED_SIGNING,
            ))),
            Algorithm::EdDSA => Signer::Ed(must(Ed25519KeyPair::generate())),
            alg if alg.is_hmac() => must(Err(format!(
                "the test issuer signs with published keys; {alg} is for a secret of your own \
                 (IssuerBuilder::hmac_secret)"
            ))),
            _ => Signer::Rsa(must(RsaKeyPair::generate(KeySize::Rsa2048))),
        };
        let mut key = Self {
            kid,
            alg,
            signer,
            jwk: Value::Null,
        };
        key.jwk = public_jwk(&key);
        key
    }

    fn sign(&self, alg: Algorithm, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    Algorithm::PS512 => &signature::RSA_PSS_SHA512,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0; pair.public_modulus_len()];
                must(pair.sign(padding, &rng, message, &mut sig));
                sig
            }
            Signer::Ec(pair) => must(pair.sign(&rng, message)).as_ref().to_vec(),
            Signer::Ed(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }
}

/// Test-only: key generation and signing with a healthy RNG do not fail.
#[allow(clippy::panic)]
fn must<T, E: fmt::Debug>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("axioms::testing: crypto operation failed: {e:?}"),
    }
}

struct Shared {
    keys: Vec<Key>,
    /// The kid new tokens are signed with.
    current: String,
    /// A hand-written JWKS served instead of the real one.
    jwks_override: Option<Value>,
    behavior: Behavior,
    cache_control: Option<String>,
    issuer: String,
    next_kid: usize,
}

struct Inner {
    shared: Mutex<Shared>,
    jwks_fetches: AtomicUsize,
    discovery_fetches: AtomicUsize,
    addr: SocketAddr,
    server: Mutex<Option<tokio::task::JoinHandle<()>>>,
    clock: Arc<dyn Clock>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// An in-process OAuth2/OIDC issuer serving JWKS and discovery on `127.0.0.1`.
///
/// Dropping it (or [`stop`](Self::stop)) shuts the server down. See the
/// [module documentation](self) for an example.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axioms::{Algorithm, testing::{Behavior, TestIssuer}};
/// let issuer = TestIssuer::start_with(&[Algorithm::ES256]).await;
/// let new_kid = issuer.rotate(Algorithm::EdDSA);        // publish a key and sign with it
/// issuer.set_behavior(Behavior::Status(503));             // the IdP starts failing
/// assert!(issuer.jwks_url().starts_with("http://127.0.0.1:"));
/// # let _ = new_kid;
/// # }
/// ```
#[derive(Clone)]
pub struct TestIssuer {
    inner: Arc<Inner>,
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("issuer", &self.issuer())
            .finish_non_exhaustive()
    }
}

impl TestIssuer {
    /// Starts an issuer with one RS256 key (kid `key-1`).
    pub async fn start() -> Self {
        Self::start_with(&[Algorithm::RS256]).await
    }

    /// Starts an issuer with one key per algorithm (kids `key-1`, `key-2`, …); tokens are
    /// signed with the first.
    pub async fn start_with(algorithms: &[Algorithm]) -> Self {
        Self::start_with_clock(algorithms, Arc::new(SystemClock)).await
    }

    /// Like [`start_with`](Self::start_with), minting `iat`/`exp` from `clock` (share it with
    /// the verifier's [`ConfigBuilder::clock`] to test time rules).
    pub async fn start_with_clock(algorithms: &[Algorithm], clock: Arc<dyn Clock>) -> Self {
        let listener = must(tokio::net::TcpListener::bind("127.0.0.1:0").await);
        let addr = must(listener.local_addr());
        let keys: Vec<Key> = algorithms
            .iter()
            .enumerate()
            .map(|(i, alg)| Key::generate(format!("key-{}", i + 1), *alg))
            .collect();
        let current = keys.first().map(|k| k.kid.clone()).unwrap_or_default();
        let inner = Arc::new(Inner {
            shared: Mutex::new(Shared {
                next_kid: keys.len() + 1,
                keys,
                current,
                jwks_override: None,
                behavior: Behavior::Normal,
                cache_control: None,
                issuer: format!("http://{addr}"),
            }),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
            addr,
            server: Mutex::new(None),
            clock,
        });
        let issuer = Self { inner };
        issuer.serve(listener);
        issuer
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/.well-known/jwks.json", get(jwks_handler))
            .route("/.well-known/openid-configuration", get(discovery_handler))
            .with_state(Arc::clone(&self.inner));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *self
            .inner
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(task);
    }

    /// The issuer identifier, `http://127.0.0.1:<port>`: the `iss` of minted tokens.
    pub fn issuer(&self) -> String {
        self.inner.lock().issuer.clone()
    }

    /// Changes the `iss` of minted tokens and of the discovery document, e.g. to stand for a
    /// real issuer (`https://tenant.eu.auth0.com/`), a partner's, or to test an issuer
    /// mismatch. The server stays where it is, and [`issuer_config`](Self::issuer_config)
    /// keeps fetching keys from it: no address but this server's is ever contacted.
    ///
    /// ```
    /// use axioms::testing::TestIssuer;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let issuer = TestIssuer::start().await;
    /// issuer.set_issuer("https://partner.example/");
    /// let config = axioms::Config::builder(issuer.issuer_config("test-api")).build().unwrap();
    /// assert_eq!(config.primary().issuer(), Some("https://partner.example/"));
    /// assert_eq!(config.primary().jwks_url().map(|u| u.as_str()), Some(issuer.jwks_url().as_str()));
    /// # }
    /// ```
    pub fn set_issuer(&self, issuer: impl Into<String>) {
        self.inner.lock().issuer = issuer.into();
    }

    /// The JWKS URL.
    pub fn jwks_url(&self) -> String {
        format!("http://{}/.well-known/jwks.json", self.inner.addr)
    }

    /// The OIDC discovery URL.
    pub fn discovery_url(&self) -> String {
        format!(
            "http://{}/.well-known/openid-configuration",
            self.inner.addr
        )
    }

    /// The socket address of the server.
    pub fn addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// This issuer's settings for tokens of `audience`, to adjust and give to
    /// [`Config::builder`] (as the primary) or [`ConfigBuilder::trust`] (as another trusted
    /// issuer). Its `iss` is [`issuer`](Self::issuer); its keys are fetched from this server,
    /// whatever [`set_issuer`](Self::set_issuer) made the `iss` (discovery, when turned on,
    /// is read from this server only while the `iss` is its own address).
    pub fn issuer_config(&self, audience: &str) -> IssuerBuilder {
        let iss = self.issuer();
        let builder = Issuer::builder().issuer(&iss).audience(audience);
        if iss == format!("http://{}", self.inner.addr) {
            builder
        } else {
            builder.jwks_url(self.jwks_url())
        }
    }

    /// A [`ConfigBuilder`] with this issuer as the primary, for tokens of `audience`, ready
    /// to `build()` or adjust: [`Config::builder`] of [`issuer_config`](Self::issuer_config).
    pub fn config(&self, audience: &str) -> ConfigBuilder {
        Config::builder(self.issuer_config(audience))
    }

    /// Starts a token with the usual claims: `iss` (this issuer), `aud` `test-api`,
    /// `sub` `user-1`, `iat` now, `exp` in one hour, a fresh `jti`; header `typ` `at+jwt`,
    /// `alg` and `kid` of the current key.
    pub fn token(&self) -> TokenBuilder<'_> {
        let shared = self.inner.lock();
        let now = self.inner.clock.now();
        let key = shared.keys.iter().find(|k| k.kid == shared.current);
        let mut header = Map::new();
        if let Some(key) = key {
            header.insert("alg".into(), json!(key.alg.as_str()));
            header.insert("kid".into(), json!(key.kid));
        }
        header.insert("typ".into(), json!("at+jwt"));
        static JTI: AtomicUsize = AtomicUsize::new(1);
        let claims = json!({
            "iss": shared.issuer,
            "aud": "test-api",
            "sub": "user-1",
            "client_id": "test-client",
            "iat": now,
            "exp": now + 3600,
            "jti": format!("jti-{}", JTI.fetch_add(1, Ordering::Relaxed)),
        });
        TokenBuilder {
            issuer: self,
            header,
            claims: match claims {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            signing_kid: shared.current.clone(),
            signing_alg: None,
        }
    }

    /// Signs `header` and `payload` as given (any bytes), with key `kid`, as algorithm `alg`.
    /// Returns `None` if there is no such key. For tokens no well-behaved issuer would mint.
    pub fn sign_raw(
        &self,
        kid: &str,
        alg: Algorithm,
        header: &Value,
        payload: &[u8],
    ) -> Option<String> {
        let shared = self.inner.lock();
        let key = shared.keys.iter().find(|k| k.kid == kid)?;
        let header = serde_json::to_vec(header).ok()?;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let sig = key.sign(alg, input.as_bytes());
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }

    /// Publishes a new key and signs new tokens with it (the old keys stay published).
    /// Returns its kid.
    pub fn rotate(&self, alg: Algorithm) -> String {
        let kid = self.add_key(alg);
        self.inner.lock().current = kid.clone();
        kid
    }

    /// Publishes a new key without signing with it. Returns its kid.
    pub fn add_key(&self, alg: Algorithm) -> String {
        let kid = {
            let mut shared = self.inner.lock();
            let kid = format!("key-{}", shared.next_kid);
            shared.next_kid += 1;
            kid
        };
        let key = Key::generate(kid.clone(), alg);
        self.inner.lock().keys.push(key);
        kid
    }

    /// Generates a key that is **not** published; tokens can be signed with it through
    /// [`TokenBuilder::signed_with`] once it is added with [`publish`](Self::publish).
    /// Returns its kid.
    pub fn add_unpublished_key(&self, alg: Algorithm) -> String {
        let kid = self.add_key(alg);
        if let Some(key) = self.inner.lock().keys.iter_mut().find(|k| k.kid == kid) {
            key.jwk = Value::Null;
        }
        kid
    }

    /// Publishes a key made by [`add_unpublished_key`](Self::add_unpublished_key).
    pub fn publish(&self, kid: &str) {
        let mut shared = self.inner.lock();
        if let Some(key) = shared.keys.iter_mut().find(|k| k.kid == kid) {
            key.jwk = public_jwk(key);
        }
    }

    /// Removes a key from the JWKS (tokens signed with it stop verifying after a refresh).
    pub fn remove_key(&self, kid: &str) {
        let mut shared = self.inner.lock();
        shared.keys.retain(|k| k.kid != kid);
    }

    /// Serves `jwks` verbatim instead of the issuer's keys (`None` restores them).
    pub fn set_jwks(&self, jwks: Option<Value>) {
        self.inner.lock().jwks_override = jwks;
    }

    /// The public JWKS the issuer serves for its own keys.
    pub fn public_jwks(&self) -> Value {
        jwks_of(&self.inner.lock())
    }

    /// Changes how the endpoints answer.
    pub fn set_behavior(&self, behavior: Behavior) {
        self.inner.lock().behavior = behavior;
    }

    /// Sets the `Cache-Control` header of JWKS responses.
    pub fn set_cache_control(&self, value: Option<&str>) {
        self.inner.lock().cache_control = value.map(str::to_owned);
    }

    /// How many times the JWKS was requested.
    pub fn jwks_fetches(&self) -> usize {
        self.inner.jwks_fetches.load(Ordering::SeqCst)
    }

    /// How many times the discovery document was requested.
    pub fn discovery_fetches(&self) -> usize {
        self.inner.discovery_fetches.load(Ordering::SeqCst)
    }

    /// Stops the server: connections are refused until [`resume`](Self::resume).
    pub fn stop(&self) {
        if let Some(task) = self
            .inner
            .server
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }

    /// Starts the server again on the same port after [`stop`](Self::stop).
    pub async fn resume(&self) -> std::io::Result<()> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(self.inner.addr)?;
        let listener = socket.listen(128)?;
        self.serve(listener);
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = self
            .server
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

fn public_jwk(key: &Key) -> Value {
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let mut jwk = match &key.signer {
        Signer::Rsa(pair) => {
            let parts = signature::RsaPublicKeyComponents::<Vec<u8>>::from(pair.public_key());
            json!({"kty":"RSA","n":b64(&parts.n),"e":b64(&parts.e)})
        }
        Signer::Ec(pair) => {
            let (len, crv) = match key.alg {
                Algorithm::ES256 => (32, "P-256"),
                Algorithm::ES384 => (48, "P-384"),
                _ => (66, "P-521"),
            };
            let point = pair.public_key().as_ref();
            json!({"kty":"EC","crv": crv,
                   "x": b64(point.get(1..=len).unwrap_or_default()),
                   "y": b64(point.get(len + 1..).unwrap_or_default())})
        }
        Signer::Ed(pair) => {
            json!({"kty":"OKP","crv":"Ed25519","x":b64(pair.public_key().as_ref())})
        }
    };
    if let Some(obj) = jwk.as_object_mut() {
        obj.insert("kid".into(), json!(key.kid));
        obj.insert("alg".into(), json!(key.alg.as_str()));
        obj.insert("use".into(), json!("sig"));
    }
    jwk
}

fn jwks_of(shared: &Shared) -> Value {
    let keys: Vec<Value> = shared
        .keys
        .iter()
        .filter(|k| !k.jwk.is_null())
        .map(|k| k.jwk.clone())
        .collect();
    json!({ "keys": keys })
}

async fn behave(inner: &Inner) -> Option<Response> {
    let behavior = inner.lock().behavior.clone();
    match behavior {
        Behavior::Normal => None,
        Behavior::Status(code) => Some(
            StatusCode::from_u16(code)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                .into_response(),
        ),
        Behavior::Delay(d) => {
            tokio::time::sleep(d).await;
            None
        }
        Behavior::Body(body) => {
            Some(([(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Behavior::Redirect(to) => {
            Some((StatusCode::FOUND, [(header::LOCATION, to)]).into_response())
        }
    }
}

fn close(mut response: Response) -> Response {
    // No keep-alive: a stopped server must look stopped to clients at once.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

async fn jwks_handler(State(inner): State<Arc<Inner>>) -> Response {
    inner.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    if let Some(r) = behave(&inner).await {
        return close(r);
    }
    let (body, cache_control) = {
        let shared = inner.lock();
        let body = shared
            .jwks_override
            .clone()
            .unwrap_or_else(|| jwks_of(&shared));
        (body, shared.cache_control.clone())
    };
    let mut response = (
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response();
    if let Some(cc) = cache_control.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::CACHE_CONTROL, cc);
    }
    close(response)
}

async fn discovery_handler(State(inner): State<Arc<Inner>>) -> Response {
    inner.discovery_fetches.fetch_add(1, Ordering::SeqCst);
    if let Some(r) = behave(&inner).await {
        return close(r);
    }
    let issuer = inner.lock().issuer.clone();
    let body = json!({
        "issuer": issuer,
        "jwks_uri": format!("http://{}/.well-known/jwks.json", inner.addr),
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "EdDSA"],
    });
    close(
        (
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&body).unwrap_or_default(),
        )
            .into_response(),
    )
}

/// Builds one token. Start with [`TestIssuer::token`].
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axioms::testing::TestIssuer;
/// use serde_json::json;
/// let issuer = TestIssuer::start().await;
/// let token = issuer
///     .token()
///     .subject("alice")
///     .claim("roles", json!(["admin"]))
///     .expires_in(-10) // already expired
///     .sign();
/// assert_eq!(token.split('.').count(), 3);
/// # }
/// ```
#[must_use]
pub struct TokenBuilder<'a> {
    issuer: &'a TestIssuer,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    signing_kid: String,
    signing_alg: Option<Algorithm>,
}

impl fmt::Debug for TokenBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

impl TokenBuilder<'_> {
    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Sets several claims from a JSON object.
    pub fn claims(mut self, claims: Value) -> Self {
        if let Value::Object(map) = claims {
            self.claims.extend(map);
        }
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets `sub`.
    pub fn subject(self, sub: &str) -> Self {
        self.claim("sub", json!(sub))
    }

    /// Sets `aud`.
    pub fn audience(self, aud: &str) -> Self {
        self.claim("aud", json!(aud))
    }

    /// Sets `scope` (space-separated).
    pub fn scope(self, scope: &str) -> Self {
        self.claim("scope", json!(scope))
    }

    /// Sets `exp` to now + `secs` (negative for the past).
    pub fn expires_in(self, secs: i64) -> Self {
        let now = self.issuer.inner.clock.now();
        self.claim("exp", json!(now + secs))
    }

    /// Binds the token to a DPoP key: `cnf: {"jkt": <its thumbprint>}` (RFC 9449 §6.1).
    pub fn bound_to(self, key: &DpopKey) -> Self {
        self.claim("cnf", json!({ "jkt": key.thumbprint() }))
    }

    /// Binds the token to a client certificate (DER): `cnf: {"x5t#S256": …}` (RFC 8705 §3.1).
    pub fn bound_to_certificate(self, der: &[u8]) -> Self {
        let x5t = crate::mtls::ClientCertificate::from_der(der).thumbprint();
        self.claim("cnf", json!({ "x5t#S256": x5t }))
    }

    /// Sets (or replaces) a header parameter.
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header parameter.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with key `kid` (header `kid` and `alg` follow unless set explicitly after).
    pub fn signed_with(mut self, kid: &str) -> Self {
        let alg = self
            .issuer
            .inner
            .lock()
            .keys
            .iter()
            .find(|k| k.kid == kid)
            .map(|k| k.alg);
        self.signing_kid = kid.to_owned();
        if let Some(alg) = alg {
            self.header.insert("alg".into(), json!(alg.as_str()));
        }
        self.header.insert("kid".into(), json!(kid));
        self
    }

    /// Computes the signature with `alg` whatever the header says (to forge mismatches).
    pub fn signature_alg(mut self, alg: Algorithm) -> Self {
        self.signing_alg = Some(alg);
        self
    }

    /// Signs and returns the compact token. Returns an empty string if the signing key
    /// does not exist.
    pub fn sign(self) -> String {
        let alg = self.signing_alg.unwrap_or_else(|| {
            self.header
                .get("alg")
                .and_then(Value::as_str)
                .and_then(Algorithm::from_name)
                .unwrap_or(Algorithm::RS256)
        });
        let payload = serde_json::to_vec(&Value::Object(self.claims)).unwrap_or_default();
        self.issuer
            .sign_raw(
                &self.signing_kid,
                alg,
                &Value::Object(self.header),
                &payload,
            )
            .unwrap_or_default()
    }
}

/// A DPoP client key for your tests (RFC 9449): it makes proofs, and tokens bound to it.
///
/// # Example
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use axioms::Algorithm;
/// use axioms::testing::{DpopKey, TestIssuer};
///
/// let issuer = TestIssuer::start().await;
/// let key = DpopKey::generate(Algorithm::ES256);
/// let token = issuer.token().audience("https://api.example.com").bound_to(&key).sign();
/// let proof = key
///     .proof("GET", "https://api.example.com/orders")
///     .access_token(&token)
///     .sign();
/// // Send `Authorization: DPoP <token>` and `DPoP: <proof>`.
/// assert_eq!(proof.split('.').count(), 3);
/// # }
/// ```
pub struct DpopKey {
    key: Key,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.key.alg)
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh key for `alg` (RSA keys are 2048 bits).
    pub fn generate(alg: Algorithm) -> Self {
        Self {
            key: Key::generate(String::new(), alg),
            clock: Arc::new(SystemClock),
        }
    }

    /// Takes `iat` from `clock` (e.g. a [`ManualClock`](crate::ManualClock) shared with the
    /// verifier).
    #[must_use]
    pub fn with_clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The public JWK a proof carries (`kty` and the key's public members only).
    pub fn jwk(&self) -> Value {
        let mut jwk = public_jwk(&self.key);
        if let Some(obj) = jwk.as_object_mut() {
            for member in ["kid", "alg", "use"] {
                obj.remove(member);
            }
        }
        jwk
    }

    /// The RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key.
    pub fn thumbprint(&self) -> String {
        crate::dpop::thumbprint(&self.jwk()).unwrap_or_default()
    }

    /// Starts a proof for a request of `method` to `url` (its `htm` and `htu`), with a
    /// fresh `jti` and `iat` now.
    pub fn proof(&self, method: &str, url: &str) -> ProofBuilder<'_> {
        let mut jti = [0u8; 16];
        // A failing system RNG is a broken test machine.
        must(aws_lc_rs::rand::fill(&mut jti));
        let mut header = Map::new();
        header.insert("typ".into(), json!("dpop+jwt"));
        header.insert("alg".into(), json!(self.key.alg.as_str()));
        header.insert("jwk".into(), self.jwk());
        let mut claims = Map::new();
        claims.insert("jti".into(), json!(URL_SAFE_NO_PAD.encode(jti)));
        claims.insert("htm".into(), json!(method));
        claims.insert("htu".into(), json!(url));
        claims.insert("iat".into(), json!(self.clock.now()));
        ProofBuilder {
            key: self,
            header,
            claims,
        }
    }
}

/// Builds one DPoP proof. Start with [`DpopKey::proof`]; every member can be replaced or
/// removed, to test how a server refuses a bad proof.
#[must_use]
#[derive(Debug)]
pub struct ProofBuilder<'a> {
    key: &'a DpopKey,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

impl ProofBuilder<'_> {
    /// Sets `ath`, the hash of the access token the proof goes with.
    pub fn access_token(self, token: &str) -> Self {
        let ath = crate::jose::token_hash(token.as_bytes());
        self.claim("ath", json!(ath))
    }

    /// Sets `nonce`, the server's `DPoP-Nonce`.
    pub fn nonce(self, nonce: &str) -> Self {
        self.claim("nonce", json!(nonce))
    }

    /// Sets `iat` to now + `secs` (negative for the past).
    pub fn issued_in(self, secs: i64) -> Self {
        let iat = self.key.clock.now() + secs;
        self.claim("iat", json!(iat))
    }

    /// Sets (or replaces) a claim.
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.to_owned(), value);
        self
    }

    /// Removes a claim.
    pub fn without(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets (or replaces) a header parameter (`typ`, `alg`, `jwk`, …).
    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.to_owned(), value);
        self
    }

    /// Removes a header parameter.
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Signs with the key, with its algorithm whatever the header says.
    pub fn sign(self) -> String {
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default());
        let input = format!(
            "{}.{}",
            b64(&Value::Object(self.header)),
            b64(&Value::Object(self.claims))
        );
        let signature = self.key.key.sign(self.key.key.alg, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// Hooks for fuzzers and conformance tests (re-exported by `axioms::__private`): layers of
/// the pipeline on their own. Applications never need them.
pub(crate) mod hooks {
    use serde_json::Value;

    use crate::config::{Config, Issuer};
    use crate::jwks::set::KeySet;
    use crate::rejection::Reason;
    use crate::token::verify;

    /// Verifies only the signature layer of a compact JWS against a JWKS document: key
    /// admission, header checks, key selection and the signature — no claims. For conformance
    /// suites such as Wycheproof, whose payloads are not claim sets.
    ///
    /// # Example
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// use axioms::testing::TestIssuer;
    /// use axioms::__private::verify_jws_signature;
    /// let issuer = TestIssuer::start().await;
    /// let token = issuer.token().sign();
    /// assert!(verify_jws_signature(&issuer.public_jwks(), &token).is_ok());
    /// # }
    /// ```
    pub fn verify_jws_signature(jwks: &Value, token: &str) -> Result<(), Reason> {
        let config = Config::builder(
            Issuer::builder()
                .issuer("https://issuer.invalid")
                .audience("conformance"),
        )
        .max_token_bytes(64 * 1024)
        .build()
        .map_err(|_| Reason::InvalidHeader)?;
        let issuer = config.primary();
        let keys = &issuer.keys;
        let set = KeySet::parse(
            jwks,
            &keys.algorithms,
            keys.rsa_key_alg,
            keys.max_keys,
            None,
        )
        .map_err(|_| Reason::UnknownKid)?;
        let parts = verify::parse(&issuer.validation, &keys.algorithms, None, token)?;
        let key = set.find(parts.kid.as_deref())?;
        verify::check_signature(&parts, key)
    }

    /// The bearer token of request headers, per RFC 6750 §2.1: what the pipeline reads. For
    /// fuzzers and conformance tests; applications never need it.
    ///
    /// * `Ok(Some(token))`: one well-formed `Authorization: Bearer <b64token>` header;
    /// * `Ok(None)`: no `Authorization` header at all;
    /// * `Err(Reason::NotBearer)`: another scheme (treated as no credentials, RFC 6750 §3.1);
    /// * `Err(Reason::MultipleAuthorizationHeaders | Reason::MalformedAuthorization)`: 400.
    ///
    /// ```
    /// use axioms::Reason;
    /// use axioms::__private::bearer_token;
    /// use http::HeaderMap;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert("authorization", "bearer abc.def.ghi".parse().unwrap());
    /// assert_eq!(bearer_token(&headers), Ok(Some("abc.def.ghi")));
    ///
    /// headers.insert("authorization", "Bearer\tabc.def.ghi".parse().unwrap());
    /// assert_eq!(bearer_token(&headers), Err(Reason::MalformedAuthorization));
    /// ```
    pub fn bearer_token(headers: &http::HeaderMap) -> Result<Option<&str>, Reason> {
        match crate::token::bearer::credentials(headers, false)? {
            None => Ok(None),
            Some((crate::rejection::Scheme::Bearer, token)) => {
                crate::token::bearer::b64token(token).map(Some)
            }
            Some((crate::rejection::Scheme::DPoP, _)) => Err(Reason::NotBearer),
        }
    }
}
