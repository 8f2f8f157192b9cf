//! Configuration: a builder, and [`Config::from_env`] for the `AXIOMS_*` variables.
//!
//! Settings come in groups, each in its own module with its defaults and checks beside it:
//! [`keys`] (where signing keys come from and how they are refreshed), [`validation`] (whose
//! tokens, for whom, of which kind), [`http`] (how the authorization server is reached) and
//! [`requests`] (how requests are answered). The JWKS cache and the verifier borrow their
//! group; nothing copies fields out of it.
//!
//! Every problem is found by [`ConfigBuilder::build`], at startup, with a message that names
//! the setting (and its environment variable) and says how to fix it — never at the first
//! request.

pub(crate) mod dpop;
mod env;
pub(crate) mod http;
pub(crate) mod introspection;
pub(crate) mod keys;
mod local;
pub(crate) mod requests;
pub(crate) mod validation;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ::http::{HeaderName, Method};
use url::Url;

use crate::algorithm::Algorithm;
use crate::check::ScopeMatcher;
use crate::clock::Clock;
use crate::pipeline::SafeMethods;

pub(crate) use keys::{KeySource, Keys};
pub(crate) use validation::Validation;
pub use validation::{AudienceClaim, TokenType};

/// The defaults, in one place (documented in the README's configuration table).
///
/// ```
/// assert_eq!(axioms::defaults::MAX_TOKEN_BYTES, 32 * 1024);
/// assert!(axioms::defaults::SAFE_METHODS.is_empty());
/// ```
pub mod defaults {
    pub use super::dpop::{
        DPOP_PROOF_LIFETIME, DPOP_REPLAY_ENTRIES, MAX_DPOP_PROOF_BYTES, MAX_DPOP_PROOF_LIFETIME,
    };
    pub use super::http::{CONNECT_TIMEOUT, MAX_BODY_BYTES as MAX_JWKS_BYTES, REQUEST_TIMEOUT};
    pub use super::introspection::{
        INTROSPECTION_CACHE, INTROSPECTION_CACHE_BYTES, INTROSPECTION_CACHE_ENTRIES,
        INTROSPECTION_NEGATIVE_CACHE,
    };
    pub use super::keys::{
        MAX_KEYS, MAX_REFRESH_INTERVAL, MAX_STALE, MIN_REFRESH_INTERVAL, REFRESH_INTERVAL,
        RETRY_MAX_BACKOFF, RSA_KEY_ALG, UNKNOWN_KID_COOLDOWN,
    };
    pub use super::requests::{REALM, TOKEN_CACHE_BYTES, TOKEN_CACHE_ENTRIES};
    pub use super::validation::{LEEWAY, MAX_TOKEN_BYTES};

    /// Methods that need no token: none. CORS preflight is answered before routing by
    /// `tower_http::cors::CorsLayer` (see the README), not by skipping authentication.
    pub const SAFE_METHODS: &[http::Method] = &[];
}

/// Validated configuration of an [`Axioms`](crate::Axioms) verifier.
///
/// Build one with [`Config::builder`] or [`Config::from_env`].
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use axioms::Config;
///
/// let config = Config::builder()
///     .issuer("https://tenant.eu.auth0.com/")
///     .audience("https://api.example.com")
///     .roles_claims(["https://example.com/roles"])
///     .leeway(Duration::from_secs(30))
///     .build()?;
/// assert_eq!(config.jwks_url().map(|u| u.as_str()), Some("https://tenant.eu.auth0.com/.well-known/jwks.json"));
/// # Ok::<(), axioms::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) keys: Arc<Keys>,
    pub(crate) http: http::Http,
    pub(crate) validation: Validation,
    pub(crate) requests: requests::Requests,
    pub(crate) dpop: dpop::Dpop,
    pub(crate) api_keys: ApiKeySource,
    pub(crate) sources: TokenSources,
    /// Opaque tokens: this issuer's introspection endpoint (RFC 7662), when on.
    pub(crate) introspection: Option<introspection::Introspection>,
}

/// Where an access token may come from besides `Authorization` (opt-in).
#[derive(Clone, Debug, Default)]
pub(crate) struct TokenSources {
    /// A header holding the bare token.
    pub(crate) header: Option<HeaderName>,
    /// A cookie holding the token (a backend-for-frontend's session).
    pub(crate) cookie: Option<String>,
    /// The origins whose state-changing requests may use the cookie.
    pub(crate) origins: Vec<url::Origin>,
}

/// Where API keys come from: a header, and the store that knows them.
#[derive(Clone, Default)]
pub(crate) struct ApiKeySource {
    pub(crate) header: Option<HeaderName>,
    pub(crate) store: Option<Arc<dyn crate::api_key::ApiKeyStore>>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("audiences", &self.validation.audiences)
            .field("issuer", &self.validation.issuer)
            .field("key_source", &self.keys.source)
            .field("algorithms", &self.keys.algorithms)
            .field("token_type", &self.validation.token_type)
            .field("leeway", &self.validation.leeway)
            .field("safe_methods", &self.requests.safe_methods)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Starts a builder with every default.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads the `AXIOMS_*` environment variables (see the README's table) and validates them.
    ///
    /// ```no_run
    /// let config = axioms::Config::from_env()?;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        ConfigBuilder::from_env()?.build()
    }

    /// Every trusted issuer the environment names, for [`Axioms::trusting`]: first the one
    /// of the plain `AXIOMS_*` variables ([`Config::from_env`]), then one per name in
    /// `AXIOMS_TRUST` (comma-separated), read from the same variables with the name after
    /// `AXIOMS_`: `AXIOMS_TRUST=KEYCLOAK` reads `AXIOMS_KEYCLOAK_ISS_URL`,
    /// `AXIOMS_KEYCLOAK_AUDIENCE`, `AXIOMS_KEYCLOAK_ROLES_CLAIMS`…
    ///
    /// A named issuer takes only issuer settings (issuer, keys, audiences, claim names,
    /// algorithms, leeway, token type, HTTP); request settings (`RESOURCE`, `REALM`,
    /// `SAFE_METHODS`, `DPOP_*`, `API_KEY*`, `TOKEN_*`) are set once, unprefixed, and one set
    /// under a name is an error rather than ignored.
    ///
    /// [`Axioms::trusting`]: crate::Axioms::trusting
    ///
    /// ```no_run
    /// let configs = axioms::Config::trusted_from_env()?;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn trusted_from_env() -> Result<Vec<Self>, ConfigError> {
        Self::trusted_from_vars(|name| std::env::var(name).ok())
    }

    /// [`trusted_from_env`](Self::trusted_from_env) with variables looked up by `var`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([
    ///     ("AXIOMS_ISS_URL", "https://example.eu.auth0.com/"),
    ///     ("AXIOMS_AUDIENCE", "https://api.example.com"),
    ///     ("AXIOMS_TRUST", "KEYCLOAK"),
    ///     ("AXIOMS_KEYCLOAK_ISS_URL", "https://sso.example.com/realms/main"),
    ///     ("AXIOMS_KEYCLOAK_AUDIENCE", "api"),
    ///     ("AXIOMS_KEYCLOAK_ROLES_CLAIMS", "/realm_access/roles"),
    /// ]);
    /// let configs = axioms::Config::trusted_from_vars(|k| vars.get(k).map(|v| v.to_string()))?;
    /// assert_eq!(configs[1].issuer(), Some("https://sso.example.com/realms/main"));
    /// assert_eq!(configs[1].audiences(), ["api"]);
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn trusted_from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Vec<Self>, ConfigError> {
        let mut configs = vec![ConfigBuilder::from_vars(&var)?.build()?];
        let Some(names) = var("AXIOMS_TRUST").filter(|v| !v.trim().is_empty()) else {
            return Ok(configs);
        };
        for name in names.split(',').map(str::trim) {
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(ConfigError::new(
                    "AXIOMS_TRUST",
                    format!("`{name}` is not a name for an issuer's variables"),
                    "use upper-case letters, digits and `_`, e.g. AXIOMS_TRUST=KEYCLOAK,PARTNER_A",
                ));
            }
            let named = |setting: &str| {
                setting
                    .strip_prefix("AXIOMS_")
                    .and_then(|rest| var(&format!("AXIOMS_{name}_{rest}")))
            };
            for setting in env::REQUEST_SETTINGS {
                if named(setting).is_some_and(|v| !v.trim().is_empty()) {
                    let rest = setting.strip_prefix("AXIOMS_").unwrap_or(setting);
                    return Err(ConfigError::new(
                        "AXIOMS_TRUST",
                        format!(
                            "AXIOMS_{name}_{rest} is a request setting, which all issuers share"
                        ),
                        format!("set {setting} once, without the issuer's name"),
                    ));
                }
            }
            let builder = ConfigBuilder::from_vars(|setting| {
                if env::REQUEST_SETTINGS.contains(&setting) {
                    None
                } else {
                    named(setting)
                }
            })
            .map_err(|e| e.named(name))?;
            configs.push(builder.build().map_err(|e| e.named(name))?);
        }
        Ok(configs)
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.validation.audiences
    }

    /// Which claim carries the audience.
    pub fn audience_claim(&self) -> AudienceClaim {
        self.validation.audience_claim
    }

    /// The issuer every token's `iss` must equal exactly.
    pub fn issuer(&self) -> Option<&str> {
        self.validation.issuer.as_deref()
    }

    /// The JWKS URL, unless keys are located by OIDC discovery.
    pub fn jwks_url(&self) -> Option<&Url> {
        match &self.keys.source {
            KeySource::Jwks(url) => Some(url),
            KeySource::Discovery(_) | KeySource::Local(_) => None,
        }
    }

    /// The discovery document URL, when discovery is on.
    pub fn discovery_url(&self) -> Option<&Url> {
        match &self.keys.source {
            KeySource::Discovery(url) => Some(url),
            KeySource::Jwks(_) | KeySource::Local(_) => None,
        }
    }

    /// The accepted `typ` values.
    pub fn token_type(&self) -> TokenType {
        self.validation.token_type
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.keys.algorithms
    }

    /// The algorithm RSA keys published without `alg` are pinned to.
    pub fn rsa_key_alg(&self) -> Algorithm {
        self.keys.rsa_key_alg
    }

    /// Whether tokens must carry `sub` (the default; see
    /// [`ConfigBuilder::allow_tokens_without_subject`]).
    pub fn requires_subject(&self) -> bool {
        self.validation.require_subject
    }

    /// The largest token accepted, in bytes.
    pub fn max_token_bytes(&self) -> usize {
        self.validation.max_token_bytes
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.requests.realm
    }

    /// How a granted scope satisfies a required one in policies (default
    /// [`Exact`](crate::check::Exact)).
    pub fn scope_matcher(&self) -> &dyn ScopeMatcher {
        &*self.requests.scope_matcher
    }

    /// The canonical URI of this protected resource, if configured (see
    /// [`ConfigBuilder::resource`]).
    pub fn resource(&self) -> Option<&str> {
        self.requests.resource.as_ref().map(|r| &*r.uri)
    }

    /// The URL of this resource's metadata document (RFC 9728), if a resource is configured.
    pub fn resource_metadata_url(&self) -> Option<&str> {
        self.requests.resource.as_ref().map(|r| &*r.metadata_url)
    }

    /// Every token must be DPoP-bound ([`ConfigBuilder::require_dpop`]).
    pub fn dpop_required(&self) -> bool {
        self.dpop.required
    }

    /// The public origin DPoP proofs' `htu` is checked against; `None` when DPoP is off
    /// (no [`ConfigBuilder::resource`] nor [`ConfigBuilder::dpop_origin`]).
    pub fn dpop_origin(&self) -> Option<&str> {
        self.dpop.origin.as_deref()
    }

    /// The algorithms accepted for DPoP proofs.
    pub fn dpop_algorithms(&self) -> &[Algorithm] {
        &self.dpop.algorithms
    }

    /// The header API keys are read from, when API keys are on
    /// ([`ConfigBuilder::api_keys`]); lowercase.
    pub fn api_key_header(&self) -> Option<&str> {
        self.api_keys.header.as_ref().map(HeaderName::as_str)
    }

    /// The first request setting this configuration sets, for a trust registry, where only
    /// the first configuration decides them.
    pub(crate) fn request_setting_set(&self) -> Option<&'static str> {
        let requests = &self.requests;
        let dpop = &self.dpop;
        [
            (requests.resource.is_some(), "AXIOMS_RESOURCE"),
            (&*requests.realm != requests::REALM, "AXIOMS_REALM"),
            (!requests.safe_methods.is_empty(), "AXIOMS_SAFE_METHODS"),
            (
                dpop.origin.is_some() || dpop.required || dpop.redis_url.is_some(),
                "AXIOMS_DPOP_*",
            ),
            (
                dpop.client_cert_header.is_some(),
                "AXIOMS_TRUSTED_CLIENT_CERT_HEADER",
            ),
            (self.api_keys.store.is_some(), "AXIOMS_API_KEYS"),
            (self.sources.header.is_some(), "AXIOMS_TOKEN_HEADER"),
            (self.sources.cookie.is_some(), "AXIOMS_TOKEN_COOKIE"),
            (
                self.validation.max_token_bytes != validation::MAX_TOKEN_BYTES,
                "AXIOMS_MAX_TOKEN_BYTES",
            ),
        ]
        .into_iter()
        .find_map(|(set, name)| set.then_some(name))
    }

    /// The methods on which policies and [`AxiomsLayer::require`](crate::AxiomsLayer::require)
    /// let requests through without a token (none by default). The [`Claims`](crate::Claims)
    /// extractor always requires a token: take `Option<Claims>` on such routes.
    pub fn safe_methods(&self) -> SafeMethods {
        self.requests.safe_methods
    }
}

/// A configuration problem: which setting, what is wrong, and how to fix it.
///
/// # Example
///
/// ```
/// let err = axioms::Config::builder().issuer("https://issuer.example").build().unwrap_err();
/// assert_eq!(err.setting(), "AXIOMS_AUDIENCE");
/// assert!(err.to_string().contains("AXIOMS_AUDIENCE"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("axioms configuration: {setting}: {problem}. Fix: {fix}")]
pub struct ConfigError {
    setting: &'static str,
    problem: String,
    fix: String,
}

impl ConfigError {
    pub(crate) fn new(
        setting: &'static str,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            setting,
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// The environment variable (or builder method) at fault.
    pub fn setting(&self) -> &'static str {
        self.setting
    }

    /// The error of a named issuer's variables (`AXIOMS_TRUST`): the problem says whose.
    fn named(mut self, name: &str) -> Self {
        let rest = self.setting.strip_prefix("AXIOMS_").unwrap_or(self.setting);
        self.problem = format!("AXIOMS_{name}_{rest}: {}", self.problem);
        self
    }
}

/// Builds a [`Config`]. Every setting has a secure default; see each method.
///
/// # Example
///
/// ```
/// use axioms::{Algorithm, Config};
/// let config = Config::builder()
///     .issuer("https://login.example.com/realms/demo")
///     .audience("account")
///     .algorithms([Algorithm::RS256])
///     .roles_claims(["/realm_access/roles"])
///     .discovery(true)
///     .build()
///     .unwrap();
/// assert!(config.discovery_url().is_some());
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct ConfigBuilder {
    issuer: Option<String>,
    jwks_url: Option<String>,
    domain: Option<String>,
    discovery: bool,
    insecure_skip_issuer: bool,
    local_keys: Option<local::LocalKeys>,
    /// Both public keys and an HMAC secret were given: a startup error, never the weaker one.
    local_keys_and_secret: bool,
    introspection: introspection::IntrospectionSettings,
    keys: keys::KeySettings,
    http: http::Http,
    validation: validation::ValidationSettings,
    requests: requests::RequestSettings,
    dpop: dpop::DpopSettings,
    api_key_header: Option<String>,
    api_keys: Option<Arc<dyn crate::api_key::ApiKeyStore>>,
    token_header: Option<String>,
    token_cookie: Option<String>,
    cookie_origins: Vec<String>,
}

impl ConfigBuilder {
    /// A builder seeded from the process environment (see [`ConfigBuilder::from_vars`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// A builder seeded from variables looked up by `var` — the environment, a `.env` map, a
    /// test fixture. Unset or empty variables keep their defaults. Reads:
    ///
    /// `AXIOMS_AUDIENCE` (comma-separated), `AXIOMS_AUDIENCE_CLAIM`, `AXIOMS_ISS_URL`,
    /// `AXIOMS_JWKS_URL`, `AXIOMS_DOMAIN` (deprecated), `AXIOMS_DISCOVERY` (`true`/`false`),
    /// `AXIOMS_SCOPE_CLAIMS`, `AXIOMS_ROLES_CLAIMS`, `AXIOMS_PERMISSIONS_CLAIMS`
    /// (comma-separated, tried in order), `AXIOMS_LEEWAY_SECS`, `AXIOMS_ALGORITHMS`,
    /// `AXIOMS_RSA_KEY_ALG`, `AXIOMS_TOKEN_TYPE` (`jwt` or `rfc9068`),
    /// `AXIOMS_ALLOW_TOKENS_WITHOUT_SUB`, `AXIOMS_MAX_TOKEN_BYTES`, `AXIOMS_JWKS_REFRESH_SECS`,
    /// `AXIOMS_JWKS_COOLDOWN_SECS`, `AXIOMS_HTTP_TIMEOUT_SECS`, `AXIOMS_RESOURCE`, `AXIOMS_REALM`,
    /// `AXIOMS_SAFE_METHODS`, `AXIOMS_TOKEN_CACHE_ENTRIES`, `AXIOMS_INSECURE_ALLOW_HTTP`,
    /// `AXIOMS_DPOP_REQUIRED`, `AXIOMS_DPOP_ALGORITHMS`, `AXIOMS_DPOP_PROOF_LIFETIME_SECS`,
    /// `AXIOMS_DPOP_NONCE_SECRET` (32 bytes, base64url), `AXIOMS_DPOP_ORIGIN`,
    /// `AXIOMS_DPOP_REPLAY_ENTRIES`, `AXIOMS_DPOP_REDIS_URL` (feature `redis`),
    /// `AXIOMS_TRUSTED_CLIENT_CERT_HEADER`, `AXIOMS_API_KEYS_FILE`, `AXIOMS_API_KEYS`,
    /// `AXIOMS_API_KEY_HEADER`, `AXIOMS_TOKEN_HEADER`, `AXIOMS_TOKEN_COOKIE`,
    /// `AXIOMS_TOKEN_COOKIE_ORIGINS`, `AXIOMS_LOCAL_KEYS_FILE`, `AXIOMS_HMAC_SECRET`,
    /// `AXIOMS_HMAC_ALG`, `AXIOMS_INTROSPECTION_CLIENT_ID`, `AXIOMS_INTROSPECTION_CLIENT_SECRET`,
    /// `AXIOMS_INTROSPECTION_URL`, `AXIOMS_INTROSPECTION_CACHE_SECS`,
    /// `AXIOMS_INTROSPECTION_NEGATIVE_CACHE_SECS`, `AXIOMS_INTROSPECTION_CACHE_ENTRIES`. Several
    /// issuers (`AXIOMS_TRUST`): [`Config::trusted_from_vars`].
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([
    ///     ("AXIOMS_AUDIENCE", "api"),
    ///     ("AXIOMS_ISS_URL", "https://issuer.example"),
    ///     ("AXIOMS_ROLES_CLAIMS", "cognito:groups, roles"),
    /// ]);
    /// let config = axioms::ConfigBuilder::from_vars(|k| vars.get(k).map(|v| v.to_string()))?.build()?;
    /// assert_eq!(config.audiences(), ["api"]);
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        env::read(Self::default(), var)
    }

    /// The one audience every token's `aud` must contain (`AXIOMS_AUDIENCE`). Required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.validation.audiences = vec![audience.into()];
        self
    }

    /// Several accepted audiences: a token must name at least one of them.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.validation.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Which claim carries the audience (`AXIOMS_AUDIENCE_CLAIM`: `aud`, the default, or
    /// `client_id` for AWS Cognito access tokens).
    pub fn audience_claim(mut self, claim: AudienceClaim) -> Self {
        self.validation.audience_claim = claim;
        self
    }

    /// The issuer (`AXIOMS_ISS_URL`): every token's `iss` must equal it exactly, trailing
    /// slash included. Unless a JWKS URL is given, keys are fetched from
    /// `<issuer>/.well-known/jwks.json`.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// The JWKS URL (`AXIOMS_JWKS_URL`); takes precedence over every other way of finding keys.
    pub fn jwks_url(mut self, url: impl Into<String>) -> Self {
        self.jwks_url = Some(url.into());
        self
    }

    /// Deprecated: the issuer's host name (`AXIOMS_DOMAIN`). Sets the issuer to
    /// `https://<domain>` and keys to `https://<domain>/.well-known/jwks.json`. Prefer
    /// [`issuer`](Self::issuer), which also covers issuers with a path or a trailing slash.
    #[deprecated(note = "use `issuer` (AXIOMS_ISS_URL) instead")]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Locates keys by OIDC discovery (`AXIOMS_DISCOVERY=true`): `jwks_uri` is read from
    /// `<issuer>/.well-known/openid-configuration`, whose `issuer` must equal the configured
    /// issuer exactly. Needed for IdPs whose keys are not at `/.well-known/jwks.json`
    /// (Keycloak, Okta, Entra). An explicit JWKS URL still wins.
    pub fn discovery(mut self, on: bool) -> Self {
        self.discovery = on;
        self
    }

    /// Verifies with public keys configured here instead of fetched
    /// (`AXIOMS_LOCAL_KEYS_FILE`): a JWK Set document, one JWK, or one PEM public key
    /// (`-----BEGIN PUBLIC KEY-----`), for an issuer that publishes no JWKS (a service that
    /// signs its own tokens, an air-gapped deployment). The keys are admitted under the same
    /// rules as a fetched set (public signature keys only, RSA of at least 2048 bits, an
    /// allowed algorithm; a PEM key, which names no algorithm, is pinned like a JWK without
    /// `alg`: RSA to [`rsa_key_alg`](Self::rsa_key_alg), EC to its curve's, Ed25519 to
    /// EdDSA), never refreshed, and verify only tokens whose `iss` is this issuer.
    ///
    /// ```
    /// // RFC 7517, appendix A.1.
    /// let jwks = r#"{"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "1",
    ///     "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
    ///     "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}"#;
    /// let config = axioms::Config::builder()
    ///     .issuer("https://billing.internal.example")
    ///     .audience("reports")
    ///     .local_keys(jwks)
    ///     .build()?;
    /// assert_eq!(config.jwks_url(), None);
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn local_keys(mut self, jwk_or_jwks: impl Into<String>) -> Self {
        self.local_keys_and_secret |=
            matches!(self.local_keys, Some(local::LocalKeys::Hmac { .. }));
        self.local_keys = Some(local::LocalKeys::Jwks(jwk_or_jwks.into()));
        self
    }

    /// **A shared secret, opt-in.** Verifies HMAC-signed tokens (`alg`, exactly `alg` here:
    /// HS256, HS384 or HS512) with `secret` (`AXIOMS_HMAC_SECRET`, its UTF-8 bytes, and
    /// `AXIOMS_HMAC_ALG`, default HS256): for tokens your own service signs, as
    /// fastapi-views' `JWTAuth` quick start does. Whoever holds the secret can mint any
    /// token, so prefer [`local_keys`](Self::local_keys) with a key pair.
    ///
    /// The secret must be at least as long as the hash (32, 48 or 64 bytes, RFC 7518 §3.2)
    /// and must not be a public key; the issuer's algorithm allow-list becomes that one
    /// algorithm; tokens must name this issuer (a `kid` they carry is not used: the secret is
    /// the issuer's one key). A JWKS issuer never
    /// accepts HS* (so an RSA public key used as an HMAC secret cannot pass), and `none` is
    /// never accepted.
    ///
    /// ```
    /// use axioms::{Algorithm, Config};
    /// let secret = "a-secret-of-at-least-32-bytes-from-your-vault";
    /// let config = Config::builder()
    ///     .issuer("https://orders.internal.example")
    ///     .audience("orders")
    ///     .hmac_secret(secret, Algorithm::HS256)
    ///     .build()?;
    /// assert_eq!(config.algorithms(), [Algorithm::HS256]);
    ///
    /// let short = Config::builder().issuer("https://o.example").audience("o")
    ///     .hmac_secret("too-short", Algorithm::HS256).build();
    /// assert_eq!(short.unwrap_err().setting(), "AXIOMS_HMAC_SECRET");
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn hmac_secret(mut self, secret: impl AsRef<[u8]>, alg: Algorithm) -> Self {
        self.local_keys_and_secret |= matches!(self.local_keys, Some(local::LocalKeys::Jwks(_)));
        self.local_keys = Some(local::LocalKeys::Hmac {
            secret: secret.as_ref().to_vec(),
            alg,
        });
        self
    }

    /// Opaque access tokens (RFC 7662): a token that is not a JWT is sent to this issuer's
    /// introspection endpoint, authenticated as `client_id` with `client_secret`
    /// (`client_secret_basic`; `AXIOMS_INTROSPECTION_CLIENT_ID`,
    /// `AXIOMS_INTROSPECTION_CLIENT_SECRET`). The endpoint is the issuer's discovered
    /// `introspection_endpoint` unless [`introspection_endpoint`](Self::introspection_endpoint)
    /// names it. With several trusted issuers, only the first may introspect: every bearer
    /// credential that is not a JWT goes there.
    ///
    /// The answer becomes the same [`Claims`](crate::Claims) a JWT gives (`scope`, `sub` —
    /// the `client_id` when the answer has none, as RFC 9068 §2.2 does for client
    /// credentials —, `aud`, `exp`, `client_id`, `cnf`…), checked the same way (issuer,
    /// audience, times, an access token and not a refresh token), and cached: an active answer until the earlier of its `exp` and
    /// [`introspection_cache`](Self::introspection_cache) (default 60 s, the longest a revoked
    /// token keeps working), an inactive one 5 s. `active: false` is 401 `invalid_token`; the
    /// endpoint down or failing is 503, never 401. Concurrent requests with one new token make
    /// one call.
    ///
    /// ```
    /// let config = axioms::Config::builder()
    ///     .issuer("https://sso.example.com/realms/main")
    ///     .audience("orders")
    ///     .introspection("orders-api", "its-secret")
    ///     .build()?;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn introspection(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.introspection.client = Some((client_id.into(), client_secret.into()));
        self
    }

    /// The introspection endpoint (`AXIOMS_INTROSPECTION_URL`), instead of the discovered
    /// one.
    pub fn introspection_endpoint(mut self, url: impl Into<String>) -> Self {
        self.introspection.endpoint = Some(url.into());
        self
    }

    /// How long introspection answers are reused: an active one at most `active` (and never
    /// past its `exp`; `AXIOMS_INTROSPECTION_CACHE_SECS`, default 60 s, at most 1 h, 0 asks
    /// every time), an inactive one `inactive` (`AXIOMS_INTROSPECTION_NEGATIVE_CACHE_SECS`,
    /// default 5 s, at most 60 s).
    pub fn introspection_cache(mut self, active: Duration, inactive: Duration) -> Self {
        self.introspection.cache = Some(active);
        self.introspection.negative_cache = Some(inactive);
        self
    }

    /// The most introspection answers kept (`AXIOMS_INTROSPECTION_CACHE_ENTRIES`; default
    /// 10 000, 0 keeps none); the oldest go first. They also hold at most 8 MiB.
    pub fn introspection_cache_entries(mut self, entries: usize) -> Self {
        self.introspection.entries = Some(entries);
        self
    }

    /// **Weakens security.** Accepts tokens from any `iss`, trusting the key set alone. Only
    /// for a JWKS that no other issuer shares; required when no issuer is configured.
    pub fn insecure_skip_issuer_check(mut self) -> Self {
        self.insecure_skip_issuer = true;
        self
    }

    /// Claims holding scopes, tried in order (`AXIOMS_SCOPE_CLAIMS`; default `scope`, `scp`).
    /// See [`ClaimName`](crate::ClaimName) for nested and namespaced names.
    pub fn scope_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.validation.scope_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Claims holding roles, tried in order (`AXIOMS_ROLES_CLAIMS`; default `roles`).
    pub fn roles_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.validation.roles_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Claims holding permissions, tried in order (`AXIOMS_PERMISSIONS_CLAIMS`; default
    /// `permissions`).
    pub fn permissions_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.validation.permissions_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf`, `iat` (`AXIOMS_LEEWAY_SECS`; default 60 s, at
    /// most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.validation.leeway = leeway;
        self
    }

    /// The algorithm allow-list (`AXIOMS_ALGORITHMS`; default: all ten asymmetric ones).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.keys.algorithms = algorithms.into_iter().collect();
        self
    }

    /// The algorithm that RSA keys published **without `alg`** are pinned to
    /// (`AXIOMS_RSA_KEY_ALG`; default RS256). Each key verifies exactly one algorithm
    /// (RFC 8725 §3.1); set `PS256` for an IdP that signs RSASSA-PSS with such keys (FAPI
    /// profiles). Keys that name their `alg` keep it.
    pub fn rsa_key_alg(mut self, alg: Algorithm) -> Self {
        self.keys.rsa_key_alg = alg;
        self
    }

    /// Accepted `typ` values (`AXIOMS_TOKEN_TYPE`; default [`TokenType::AccessOrJwt`]).
    pub fn token_type(mut self, token_type: TokenType) -> Self {
        self.validation.token_type = token_type;
        self
    }

    /// Accepts access tokens that carry no `sub` (`AXIOMS_ALLOW_TOKENS_WITHOUT_SUB=true`).
    ///
    /// By default `sub` is required, as RFC 9068 §2.2 makes it: without it a token names no
    /// principal, and ownership and auditing have nothing to go on. Some IdP settings omit it
    /// (Keycloak 25+ clients without the `basic` client scope, Keycloak's lightweight access
    /// tokens); fix the IdP if you can, use this only if you cannot.
    pub fn allow_tokens_without_subject(mut self) -> Self {
        self.validation.require_subject = false;
        self
    }

    /// Largest token accepted, checked before any decoding (`AXIOMS_MAX_TOKEN_BYTES`;
    /// default 32 KiB, between 1 KiB and 64 KiB). A larger token is answered
    /// `431 Request Header Fields Too Large` and logged with this setting's name.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.validation.max_token_bytes = bytes;
        self
    }

    /// Background refresh period when the JWKS response has no usable `Cache-Control`
    /// (`AXIOMS_JWKS_REFRESH_SECS`; default 5 min, at most 24 h). A `max-age` is honoured
    /// within [`refresh_bounds`](Self::refresh_bounds).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.keys.refresh_interval = interval;
        self
    }

    /// Bounds within which a JWKS `Cache-Control: max-age` is honoured (default 60 s – 1 h;
    /// the upper bound at most 24 h).
    pub fn refresh_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.keys.min_refresh = min;
        self.keys.max_refresh = max;
        self
    }

    /// Minimum time between refetches caused by unknown `kid`s (`AXIOMS_JWKS_COOLDOWN_SECS`;
    /// default 10 s, at most 30 s so that new keys are accepted within 30 s).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.keys.cooldown = cooldown;
        self
    }

    /// Longest wait between retries while the IdP fails (default 15 s, at most 30 s).
    pub fn retry_max_backoff(mut self, backoff: Duration) -> Self {
        self.keys.max_backoff = backoff;
        self
    }

    /// How long the last good keys keep serving while refreshes fail (default 24 h, at most
    /// 7 days).
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.keys.max_stale = max_stale;
        self
    }

    /// Connect and whole-request timeouts of JWKS and discovery fetches (default 5 s and 10 s,
    /// each at most 60 s; `AXIOMS_HTTP_TIMEOUT_SECS` sets the whole-request one). A request
    /// that needs a key fetch in flight waits at most the whole-request timeout.
    pub fn http_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.http.connect_timeout = connect;
        self.http.request_timeout = request;
        self
    }

    /// Largest JWKS or discovery body read (default 512 KiB) and most keys taken (default 100).
    pub fn jwks_limits(mut self, max_bytes: usize, max_keys: usize) -> Self {
        self.http.max_body_bytes = max_bytes;
        self.keys.max_keys = max_keys;
        self
    }

    /// **Weakens security.** Allows `http://` issuer, JWKS and discovery URLs on hosts other
    /// than loopback (`AXIOMS_INSECURE_ALLOW_HTTP`). Loopback (`127.0.0.0/8`, `::1`,
    /// `localhost`) is always allowed, for development and tests.
    pub fn insecure_allow_http(mut self, allow: bool) -> Self {
        self.http.allow_insecure_http = allow;
        self
    }

    /// The canonical URI of this protected resource (`AXIOMS_RESOURCE`), e.g.
    /// `https://mcp.example.com/mcp` (RFC 8707, RFC 9728).
    ///
    /// * It is the **audience** tokens must carry: with no audience set, the accepted audience
    ///   is exactly this URI; with audiences set explicitly, they must include it (extra ones
    ///   are for migrations).
    /// * Every 401 and 403 challenge points to its metadata document with
    ///   `resource_metadata="<origin>/.well-known/oauth-protected-resource<path>"`, which
    ///   [`ResourceMetadata`](crate::ResourceMetadata) serves.
    ///
    /// It is canonicalized (lowercase scheme and host, no default port, no trailing slash on
    /// an empty path) and must be `https` (or `http` on loopback), without query or fragment.
    /// Required by MCP servers (the MCP authorization specification).
    pub fn resource(mut self, uri: impl Into<String>) -> Self {
        self.requests.resource = Some(uri.into());
        self
    }

    /// The realm of `WWW-Authenticate` challenges (`AXIOMS_REALM`; default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.requests.realm = realm.into();
        self
    }

    /// Methods on which policies and [`AxiomsLayer::require`](crate::AxiomsLayer::require)
    /// let requests through without a token (`AXIOMS_SAFE_METHODS`; default **none**).
    ///
    /// Only `GET`, `HEAD`, `OPTIONS` and `TRACE` may be listed (RFC 9110 §9.2.1 safe methods);
    /// anything else is an error at [`build`](Self::build). `GET` makes `HEAD` safe too (axum
    /// answers `HEAD` with the `GET` handler); `HEAD` without `GET` is an error, since it would
    /// run the `GET` handler for anonymous callers while `GET` itself needs a token.
    ///
    /// On a safe method the handler runs without a policy; a token that is present is still
    /// verified (an invalid one is `401`) so that `Option<Claims>` can personalize. For CORS
    /// preflight, use `tower_http::cors::CorsLayer` instead: it answers `OPTIONS` before
    /// routing, and no handler runs.
    pub fn safe_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.requests.safe_methods = methods.into_iter().collect();
        self
    }

    /// The clock of `exp`/`nbf`/`iat` checks (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.validation.clock = Arc::new(clock);
        self
    }

    /// How policies match scopes (default [`Exact`](crate::check::Exact)); e.g.
    /// [`Hierarchical`](crate::check::Hierarchical) for `items:*` and `*:read`. Roles and
    /// permissions always compare exactly.
    pub fn scope_matcher(mut self, matcher: impl ScopeMatcher + 'static) -> Self {
        self.requests.scope_matcher = Arc::new(matcher);
        self
    }

    /// The verified-token cache (`AXIOMS_TOKEN_CACHE_ENTRIES`): at most `entries` tokens
    /// (default 4096) in at most 8 MiB. `0` turns it off. A hit costs a hash and a comparison
    /// instead of a signature verification, and re-checks `exp`/`nbf`/`iat` and the key; see
    /// the README's "Verified-token cache" section for why it is safe.
    pub fn token_cache(mut self, entries: usize) -> Self {
        self.requests.token_cache_entries = entries;
        self
    }

    /// The token cache's memory ceiling in bytes (default 8 MiB). Each entry is counted with
    /// its token and its parsed claims, so the bound holds for claim-heavy tokens too.
    pub fn token_cache_bytes(mut self, bytes: usize) -> Self {
        self.requests.token_cache_bytes = bytes;
        self
    }

    /// Requires every token to be DPoP-bound (`AXIOMS_DPOP_REQUIRED`; default off: a
    /// DPoP-bound token must come with its proof, an unbound one may come as `Bearer`).
    /// Challenges then offer only the `DPoP` scheme. Needs [`resource`](Self::resource) (or
    /// [`dpop_origin`](Self::dpop_origin)).
    ///
    /// ```
    /// let config = axioms::Config::builder()
    ///     .issuer("https://issuer.example")
    ///     .resource("https://api.example.com")
    ///     .require_dpop()
    ///     .build()?;
    /// assert!(config.dpop_required());
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn require_dpop(mut self) -> Self {
        self.dpop.required = true;
        self
    }

    /// The algorithms accepted for DPoP proofs (`AXIOMS_DPOP_ALGORITHMS`; default every
    /// supported asymmetric one). `EdDSA` also accepts proofs labelled `Ed25519`.
    pub fn dpop_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.dpop.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How long after its `iat` a proof is accepted (`AXIOMS_DPOP_PROOF_LIFETIME_SECS`;
    /// default 60 s, at most 300 s), plus the [`leeway`](Self::leeway) either side. The replay
    /// store remembers each proof that long.
    pub fn dpop_proof_lifetime(mut self, lifetime: Duration) -> Self {
        self.dpop.proof_lifetime = lifetime;
        self
    }

    /// Turns on server nonces (RFC 9449 §9) with this 32-byte secret
    /// (`AXIOMS_DPOP_NONCE_SECRET`, base64url): a proof must carry a nonce this server issued
    /// in the last three minutes, or gets `401 use_dpop_nonce` with a fresh `DPoP-Nonce`.
    /// Nonces are derived from the secret and the time, so instances that share the secret
    /// accept each other's nonces without sharing state.
    pub fn dpop_nonce_secret(mut self, secret: [u8; 32]) -> Self {
        self.dpop.nonce_secret = Some(secret.to_vec());
        self
    }

    /// The public origin (`https://api.example.com`) the `htu` of DPoP proofs is checked
    /// against (`AXIOMS_DPOP_ORIGIN`; default the origin of [`resource`](Self::resource)).
    /// The path is always the request's. Never taken from `Host` or `X-Forwarded-*`.
    pub fn dpop_origin(mut self, origin: impl Into<String>) -> Self {
        self.dpop.origin = Some(origin.into());
        self
    }

    /// How many proofs the in-memory replay store remembers (`AXIOMS_DPOP_REPLAY_ENTRIES`;
    /// default 100 000). When it is full of unexpired proofs, DPoP requests get 503 rather
    /// than a store that forgets.
    pub fn dpop_replay_entries(mut self, entries: usize) -> Self {
        self.dpop.replay_entries = entries;
        self
    }

    /// Shares the DPoP replay store between instances through Redis
    /// (`AXIOMS_DPOP_REDIS_URL`, feature `redis`), e.g. `redis://127.0.0.1:6379/0`. Without
    /// it, each instance remembers only its own proofs, and a proof replayed to another
    /// instance behind the same load balancer passes.
    pub fn dpop_redis_url(mut self, url: impl Into<String>) -> Self {
        self.dpop.redis_url = Some(url.into());
        self
    }

    /// Trusts the client certificate a TLS-terminating proxy passes in header `name`
    /// (`AXIOMS_TRUSTED_CLIENT_CERT_HEADER`, e.g. `Client-Cert`, RFC 9440) for
    /// certificate-bound tokens (RFC 8705). **Off by default**: turn it on only behind a proxy
    /// that removes any such header from the client's request, or anyone can claim any
    /// certificate.
    pub fn trust_client_cert_header(mut self, name: impl Into<String>) -> Self {
        self.dpop.client_cert_header = Some(name.into());
        self
    }

    /// Accepts API keys from `store` ([`ApiKeys`](crate::api_key::ApiKeys) of digests, or
    /// your own [`ApiKeyStore`](crate::api_key::ApiKeyStore)), in the header `X-API-Key`
    /// unless [`api_key_header`](Self::api_key_header) says otherwise. From the environment:
    /// `AXIOMS_API_KEYS_FILE` (a file holding the key list) or `AXIOMS_API_KEYS` (the list).
    /// Each key's principal becomes the request's [`Claims`](crate::Claims), so the same
    /// policies apply.
    ///
    /// ```
    /// use axioms::api_key::{ApiKeyPrincipal, ApiKeys};
    /// let keys = ApiKeys::new().with(
    ///     &ApiKeys::digest("a long random key of the CI runner"),
    ///     ApiKeyPrincipal::new("ci", "svc-ci").with_roles(["deployer"]),
    /// )?;
    /// let config = axioms::Config::builder()
    ///     .issuer("https://issuer.example")
    ///     .audience("api")
    ///     .api_keys(keys)
    ///     .build()?;
    /// assert_eq!(config.api_key_header(), Some("x-api-key"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn api_keys(mut self, store: impl crate::api_key::ApiKeyStore) -> Self {
        self.api_keys = Some(Arc::new(store));
        self
    }

    /// The header API keys come in (`AXIOMS_API_KEY_HEADER`; default `X-API-Key`).
    pub fn api_key_header(mut self, name: impl Into<String>) -> Self {
        self.api_key_header = Some(name.into());
        self
    }

    /// Also reads the access token from header `name` (`AXIOMS_TOKEN_HEADER`), holding the
    /// bare token, when the request has no `Authorization` — for a gateway that passes it
    /// there. Off by default.
    pub fn token_header(mut self, name: impl Into<String>) -> Self {
        self.token_header = Some(name.into());
        self
    }

    /// Also reads the access token from cookie `name` (`AXIOMS_TOKEN_COOKIE`) when the
    /// request has neither `Authorization` nor the [`token_header`](Self::token_header) — a
    /// backend-for-frontend that keeps the token in an `HttpOnly` cookie. Off by default.
    ///
    /// A browser sends cookies on cross-site requests too, so a token from the cookie counts
    /// on a method that changes state (not GET, HEAD, OPTIONS, TRACE) only when the request's
    /// `Origin` is one of [`cookie_origins`](Self::cookie_origins) (default: the origin of
    /// [`resource`](Self::resource)); otherwise the request is refused (400), never run.
    ///
    /// ```
    /// let config = axioms::Config::builder()
    ///     .issuer("https://issuer.example")
    ///     .audience("api")
    ///     .token_cookie("__Host-access_token")
    ///     .cookie_origins(["https://app.example.com"])
    ///     .build()?;
    /// # let _ = config;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn token_cookie(mut self, name: impl Into<String>) -> Self {
        self.token_cookie = Some(name.into());
        self
    }

    /// The origins (`https://app.example.com`) whose state-changing requests may carry the
    /// [`token_cookie`](Self::token_cookie) (`AXIOMS_TOKEN_COOKIE_ORIGINS`, comma-separated).
    pub fn cookie_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cookie_origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Validates everything and returns the [`Config`].
    pub fn build(mut self) -> Result<Config, ConfigError> {
        let allow_http = self.http.allow_insecure_http;
        let issuer = self.resolve_issuer(allow_http)?;
        if self.keys.algorithms.iter().any(|a| a.is_hmac()) {
            return Err(ConfigError::new(
                "AXIOMS_ALGORITHMS",
                "HS256, HS384 and HS512 are never accepted from an allow-list",
                "for tokens your service signs itself with a secret, use \
                 ConfigBuilder::hmac_secret (AXIOMS_HMAC_SECRET), which pins one of them",
            ));
        }
        let source = self.key_source(issuer.as_deref(), allow_http)?;
        if let Some(local::LocalKeys::Hmac { alg, .. }) = &self.local_keys {
            // The secret verifies its one algorithm, and the issuer accepts nothing else.
            self.keys.algorithms = vec![*alg];
        }
        let resource = self
            .requests
            .resource
            .as_deref()
            .map(|raw| requests::Resource::parse(raw, allow_http))
            .transpose()?;
        if let Some(resource) = &resource {
            let audiences = &mut self.validation.audiences;
            if audiences.is_empty() {
                // RFC 8707: a token for this resource names it as its audience.
                audiences.push(resource.uri.to_string());
            } else if !audiences.iter().any(|a| **a == *resource.uri) {
                return Err(ConfigError::new(
                    "AXIOMS_AUDIENCE",
                    format!(
                        "the accepted audiences do not include the resource `{}`, which tokens \
                         requested for it carry as `aud` (RFC 8707)",
                        resource.uri
                    ),
                    "leave AXIOMS_AUDIENCE unset (it defaults to AXIOMS_RESOURCE), or list the \
                     resource among the audiences (e.g. while migrating from an older one)",
                ));
            }
        }
        let introspection = self.introspection.check(issuer.as_deref(), allow_http)?;
        let validation = self.validation.check(issuer)?;
        let keys = self.keys.check(source)?;
        let http = self.http.check()?;
        let dpop = self.dpop.check(resource.as_ref(), allow_http)?;
        let requests = self.requests.check(resource)?;
        let api_keys = match (self.api_keys, self.api_key_header) {
            (None, None) => ApiKeySource::default(),
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "AXIOMS_API_KEY_HEADER",
                    "an API-key header without API keys",
                    "list the keys in AXIOMS_API_KEYS_FILE (or AXIOMS_API_KEYS), or unset the header",
                ));
            }
            (Some(store), name) => {
                let name = name.unwrap_or_else(|| "x-api-key".to_owned());
                let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ConfigError::new(
                        "AXIOMS_API_KEY_HEADER",
                        format!("`{name}` is not a header name"),
                        "use a header such as X-API-Key",
                    )
                })?;
                if header == ::http::header::AUTHORIZATION || header == ::http::header::COOKIE {
                    return Err(ConfigError::new(
                        "AXIOMS_API_KEY_HEADER",
                        format!("`{name}` carries other credentials"),
                        "use a header of its own, such as X-API-Key",
                    ));
                }
                ApiKeySource {
                    header: Some(header),
                    store: Some(store),
                }
            }
        };
        let sources = token_sources(
            self.token_header.as_deref(),
            self.token_cookie,
            &self.cookie_origins,
            requests.resource.as_ref().map(|r| &*r.uri),
            allow_http,
            api_keys.header.as_ref(),
        )?;
        Ok(Config {
            keys: Arc::new(keys),
            http,
            validation,
            requests,
            dpop,
            api_keys,
            sources,
            introspection,
        })
    }

    /// The issuer, from `issuer` or the deprecated `domain`, checked.
    fn resolve_issuer(&self, allow_http: bool) -> Result<Option<String>, ConfigError> {
        let mut issuer = self.issuer.clone();
        if issuer.is_none()
            && let Some(domain) = &self.domain
        {
            tracing::warn!(
                target: "axioms",
                "AXIOMS_DOMAIN is deprecated; set AXIOMS_ISS_URL to the exact issuer instead"
            );
            if domain.contains('/') || domain.contains(':') {
                return Err(ConfigError::new(
                    "AXIOMS_DOMAIN",
                    format!("`{domain}` is not a bare host name"),
                    "give only the host (auth.example.com), or better set AXIOMS_ISS_URL",
                ));
            }
            issuer = Some(format!("https://{domain}"));
        }
        match &issuer {
            Some(iss) => {
                // A multi-tenant template (`{tenantid}`) is validated with a sample tenant.
                let sample = iss.replace(
                    crate::token::verify::TENANT_PLACEHOLDER,
                    "00000000-0000-0000-0000-000000000000",
                );
                let url = parse_url("AXIOMS_ISS_URL", &sample, allow_http)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(ConfigError::new(
                        "AXIOMS_ISS_URL",
                        "an issuer has no query or fragment (RFC 8414 §2)",
                        "remove the `?…` / `#…` part",
                    ));
                }
            }
            None if !self.insecure_skip_issuer => {
                return Err(ConfigError::new(
                    "AXIOMS_ISS_URL",
                    "no issuer is set, so tokens from any issuer sharing the keys would be \
                     accepted",
                    "set AXIOMS_ISS_URL to the exact `iss` of your tokens (e.g. \
                     `https://tenant.auth0.com/`), or call `.insecure_skip_issuer_check()` if \
                     you really mean it",
                ));
            }
            None => {}
        }
        Ok(issuer)
    }

    /// Where keys come from: the JWKS URL, or derived from the issuer (directly or by
    /// discovery).
    fn key_source(&self, issuer: Option<&str>, allow_http: bool) -> Result<KeySource, ConfigError> {
        if let Some(local) = &self.local_keys {
            if self.local_keys_and_secret {
                return Err(ConfigError::new(
                    "AXIOMS_HMAC_SECRET",
                    "both local public keys and an HMAC secret: one issuer has one kind of key",
                    "keep the public keys (AXIOMS_LOCAL_KEYS_FILE), or the secret; trust a \
                     second issuer for the other (Axioms::trusting)",
                ));
            }
            if self.jwks_url.is_some() || self.discovery {
                return Err(ConfigError::new(
                    "AXIOMS_LOCAL_KEYS_FILE",
                    "local keys and a fetched key set at once: keys of the two must never mix",
                    "configure either local keys (or an HMAC secret) or AXIOMS_JWKS_URL / \
                     AXIOMS_DISCOVERY; trust a second issuer for the other (Axioms::trusting)",
                ));
            }
            if issuer.is_none() {
                return Err(ConfigError::new(
                    "AXIOMS_ISS_URL",
                    "local keys verify only tokens that name their issuer, and none is set",
                    "set AXIOMS_ISS_URL to the `iss` your service puts in its tokens",
                ));
            }
            let set = local.clone().load(
                &self.keys.algorithms,
                self.keys.rsa_key_alg,
                self.keys.max_keys,
            )?;
            return Ok(KeySource::Local(Arc::new(set)));
        }
        if let Some(jwks) = &self.jwks_url {
            return Ok(KeySource::Jwks(parse_url(
                "AXIOMS_JWKS_URL",
                jwks,
                allow_http,
            )?));
        }
        let Some(iss) = issuer else {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_URL",
                "there is nowhere to fetch signing keys from",
                "set AXIOMS_ISS_URL (keys at <issuer>/.well-known/jwks.json, or by discovery \
                 with AXIOMS_DISCOVERY=true) or AXIOMS_JWKS_URL",
            ));
        };
        if iss.contains(crate::token::verify::TENANT_PLACEHOLDER) {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_URL",
                "a multi-tenant issuer template has no key location of its own",
                "set AXIOMS_JWKS_URL, e.g. \
                 https://login.microsoftonline.com/common/discovery/v2.0/keys (or use \
                 ConfigBuilder::entra_multi_tenant)",
            ));
        }
        let base = iss.trim_end_matches('/');
        Ok(if self.discovery {
            KeySource::Discovery(parse_url(
                "AXIOMS_ISS_URL",
                &format!("{base}/.well-known/openid-configuration"),
                allow_http,
            )?)
        } else {
            KeySource::Jwks(parse_url(
                "AXIOMS_ISS_URL",
                &format!("{base}/.well-known/jwks.json"),
                allow_http,
            )?)
        })
    }
}

/// `true` for `localhost` and loopback IP literals.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether a URL is `https`, or `http` on loopback (or anywhere if allowed).
pub(crate) fn check_url_scheme(url: &Url, allow_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => allow_http || is_loopback(url),
        _ => false,
    }
}

/// The token header and cookie, checked.
fn token_sources(
    header: Option<&str>,
    cookie: Option<String>,
    origins: &[String],
    resource: Option<&str>,
    allow_http: bool,
    api_key_header: Option<&HeaderName>,
) -> Result<TokenSources, ConfigError> {
    let header = header
        .map(|name| {
            let parsed = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConfigError::new(
                    "AXIOMS_TOKEN_HEADER",
                    format!("`{name}` is not a header name"),
                    "use the header your gateway sets, e.g. X-Access-Token",
                )
            })?;
            if parsed == ::http::header::AUTHORIZATION
                || parsed == ::http::header::COOKIE
                || Some(&parsed) == api_key_header
            {
                return Err(ConfigError::new(
                    "AXIOMS_TOKEN_HEADER",
                    format!("`{name}` already carries credentials"),
                    "use a header of its own, e.g. X-Access-Token",
                ));
            }
            Ok(parsed)
        })
        .transpose()?;
    let Some(cookie) = cookie else {
        if !origins.is_empty() {
            return Err(ConfigError::new(
                "AXIOMS_TOKEN_COOKIE_ORIGINS",
                "cookie origins without a token cookie",
                "set AXIOMS_TOKEN_COOKIE too, or unset the origins",
            ));
        }
        return Ok(TokenSources {
            header,
            ..TokenSources::default()
        });
    };
    let name_ok = !cookie.is_empty()
        && cookie
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !name_ok {
        return Err(ConfigError::new(
            "AXIOMS_TOKEN_COOKIE",
            format!("`{cookie}` is not a cookie name"),
            "use a name such as __Host-access_token",
        ));
    }
    let raw: Vec<&str> = if origins.is_empty() {
        resource.into_iter().collect()
    } else {
        origins.iter().map(String::as_str).collect()
    };
    if raw.is_empty() {
        return Err(ConfigError::new(
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
            "a token cookie needs the origins allowed to send state-changing requests with it",
            "list your front end's origins, e.g. https://app.example.com (or set AXIOMS_RESOURCE)",
        ));
    }
    let origins = raw
        .into_iter()
        .map(|o| {
            let origin = parse_url("AXIOMS_TOKEN_COOKIE_ORIGINS", o, allow_http)?.origin();
            Ok(origin)
        })
        .collect::<Result<Vec<_>, ConfigError>>()?;
    Ok(TokenSources {
        header,
        cookie: Some(cookie),
        origins,
    })
}

pub(crate) fn parse_url(
    setting: &'static str,
    raw: &str,
    allow_http: bool,
) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| {
        ConfigError::new(
            setting,
            format!("`{raw}` is not a URL ({e})"),
            "give an absolute URL such as `https://auth.example.com/`",
        )
    })?;
    if !check_url_scheme(&url, allow_http) {
        return Err(ConfigError::new(
            setting,
            format!("`{raw}` is not https"),
            "use an https:// URL; plain http is allowed only on loopback, or everywhere with \
             AXIOMS_INSECURE_ALLOW_HTTP=true (never in production)",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::ClaimName;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ConfigBuilder::from_vars(|k| map.get(k).cloned())?.build()
    }

    #[test]
    fn jwks_url_hierarchy() {
        let c = from(&[
            ("AXIOMS_AUDIENCE", "a"),
            ("AXIOMS_ISS_URL", "https://i.example/"),
            ("AXIOMS_JWKS_URL", "https://keys.example/jwks"),
        ])
        .unwrap();
        assert_eq!(c.jwks_url().unwrap().as_str(), "https://keys.example/jwks");

        let c = from(&[
            ("AXIOMS_AUDIENCE", "a"),
            ("AXIOMS_ISS_URL", "https://i.example/t/"),
        ])
        .unwrap();
        assert_eq!(
            c.jwks_url().unwrap().as_str(),
            "https://i.example/t/.well-known/jwks.json"
        );
        assert_eq!(c.issuer(), Some("https://i.example/t/"));

        let c = from(&[("AXIOMS_AUDIENCE", "a"), ("AXIOMS_DOMAIN", "d.example")]).unwrap();
        assert_eq!(
            c.jwks_url().unwrap().as_str(),
            "https://d.example/.well-known/jwks.json"
        );
        assert_eq!(c.issuer(), Some("https://d.example"));

        let c = from(&[
            ("AXIOMS_AUDIENCE", "a"),
            ("AXIOMS_ISS_URL", "https://i.example/realms/x"),
            ("AXIOMS_DISCOVERY", "true"),
        ])
        .unwrap();
        assert_eq!(
            c.discovery_url().unwrap().as_str(),
            "https://i.example/realms/x/.well-known/openid-configuration"
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("AXIOMS_ISS_URL", "https://i/")], "AXIOMS_AUDIENCE"),
            (&[("AXIOMS_AUDIENCE", "a")], "AXIOMS_ISS_URL"),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "http://idp.example"),
                ],
                "AXIOMS_ISS_URL",
            ),
            (
                &[("AXIOMS_AUDIENCE", "a"), ("AXIOMS_ISS_URL", "not a url")],
                "AXIOMS_ISS_URL",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_JWKS_URL", "http://k.example/"),
                ],
                "AXIOMS_JWKS_URL",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_LEEWAY_SECS", "301"),
                ],
                "AXIOMS_LEEWAY_SECS",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_LEEWAY_SECS", "x"),
                ],
                "AXIOMS_LEEWAY_SECS",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_ALGORITHMS", "HS256"),
                ],
                "AXIOMS_ALGORITHMS",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_ROLES_CLAIMS", "/a//b"),
                ],
                "AXIOMS_ROLES_CLAIMS",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_MAX_TOKEN_BYTES", "10"),
                ],
                "AXIOMS_MAX_TOKEN_BYTES",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_JWKS_COOLDOWN_SECS", "60"),
                ],
                "AXIOMS_JWKS_COOLDOWN_SECS",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/"),
                    ("AXIOMS_DISCOVERY", "maybe"),
                ],
                "AXIOMS_DISCOVERY",
            ),
            (
                &[
                    ("AXIOMS_AUDIENCE", "a"),
                    ("AXIOMS_ISS_URL", "https://i/?x=1"),
                ],
                "AXIOMS_ISS_URL",
            ),
        ];
        for (vars, setting) in cases {
            let err = from(vars).expect_err("should fail");
            assert_eq!(err.setting(), *setting, "{vars:?}: {err}");
            assert!(err.to_string().contains("Fix:"), "{err}");
        }
    }

    #[test]
    fn http_allowed_on_loopback_and_by_opt_in() {
        for iss in [
            "http://127.0.0.1:8080",
            "http://localhost:1/x",
            "http://[::1]:9/",
        ] {
            assert!(
                from(&[("AXIOMS_AUDIENCE", "a"), ("AXIOMS_ISS_URL", iss)]).is_ok(),
                "{iss}"
            );
        }
        assert!(
            from(&[
                ("AXIOMS_AUDIENCE", "a"),
                ("AXIOMS_ISS_URL", "http://idp.internal"),
                ("AXIOMS_INSECURE_ALLOW_HTTP", "true"),
            ])
            .is_ok()
        );
    }

    #[test]
    fn no_issuer_needs_an_explicit_opt_out() {
        let c = Config::builder()
            .audience("a")
            .jwks_url("https://k.example/jwks")
            .insecure_skip_issuer_check()
            .build()
            .unwrap();
        assert_eq!(c.issuer(), None);
    }

    #[test]
    fn claim_lists_are_parsed_in_order() {
        let c = from(&[
            ("AXIOMS_AUDIENCE", "a, b"),
            ("AXIOMS_ISS_URL", "https://i/"),
            ("AXIOMS_ROLES_CLAIMS", "cognito:groups, /realm_access/roles"),
        ])
        .unwrap();
        assert_eq!(c.audiences(), ["a", "b"]);
        let names: Vec<&str> = c
            .validation
            .claim_names
            .roles
            .iter()
            .map(ClaimName::as_str)
            .collect();
        assert_eq!(names, ["cognito:groups", "/realm_access/roles"]);
    }

    #[test]
    fn bounded_durations_and_new_settings() {
        let base = [("AXIOMS_AUDIENCE", "a"), ("AXIOMS_ISS_URL", "https://i/")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v: Vec<(&str, &str)> = base.to_vec();
            v.extend_from_slice(extra);
            from(&v)
        };
        for (vars, setting) in [
            (
                &[("AXIOMS_JWKS_REFRESH_SECS", "18446744073709551615")][..],
                "AXIOMS_JWKS_REFRESH_SECS",
            ),
            (
                &[("AXIOMS_HTTP_TIMEOUT_SECS", "100000")][..],
                "AXIOMS_HTTP_TIMEOUT_SECS",
            ),
            (&[("AXIOMS_RSA_KEY_ALG", "ES256")][..], "AXIOMS_RSA_KEY_ALG"),
            (
                &[
                    ("AXIOMS_RSA_KEY_ALG", "PS256"),
                    ("AXIOMS_ALGORITHMS", "RS256"),
                ][..],
                "AXIOMS_RSA_KEY_ALG",
            ),
            (
                &[("AXIOMS_SAFE_METHODS", "GET,POST")][..],
                "AXIOMS_SAFE_METHODS",
            ),
            (
                &[("AXIOMS_SAFE_METHODS", "HEAD")][..],
                "AXIOMS_SAFE_METHODS",
            ),
            (
                &[("AXIOMS_SAFE_METHODS", "PROPFIND")][..],
                "AXIOMS_SAFE_METHODS",
            ),
            (
                &[
                    ("AXIOMS_ALLOW_TOKENS_WITHOUT_SUB", "true"),
                    ("AXIOMS_TOKEN_TYPE", "rfc9068"),
                ][..],
                "AXIOMS_ALLOW_TOKENS_WITHOUT_SUB",
            ),
        ] {
            let err = with(vars).expect_err("should fail");
            assert_eq!(err.setting(), setting, "{vars:?}: {err}");
        }
        assert!(
            Config::builder()
                .issuer("https://i/")
                .audience("a")
                .max_stale(Duration::from_secs(u64::MAX))
                .build()
                .is_err()
        );
        let c = with(&[
            ("AXIOMS_RSA_KEY_ALG", "PS256"),
            ("AXIOMS_SAFE_METHODS", "GET, OPTIONS"),
            ("AXIOMS_ALLOW_TOKENS_WITHOUT_SUB", "yes"),
        ])
        .unwrap();
        assert_eq!(c.rsa_key_alg(), Algorithm::PS256);
        assert!(c.safe_methods().contains(&Method::HEAD));
        assert!(!c.requires_subject());
        let c = with(&[]).unwrap();
        assert!(c.safe_methods().is_empty());
        assert!(c.requires_subject());
        assert_eq!(c.max_token_bytes(), 32 * 1024);
    }

    #[test]
    fn the_resource_is_canonical_and_names_the_audience() {
        let build = |resource: &str, audience: Option<&str>| {
            let b = Config::builder()
                .issuer("https://i.example/")
                .resource(resource);
            match audience {
                Some(a) => b.audience(a),
                None => b,
            }
            .build()
        };
        for (given, uri, metadata) in [
            (
                "https://MCP.Example.com:443/mcp",
                "https://mcp.example.com/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
            ),
            (
                "https://api.example.com/",
                "https://api.example.com",
                "https://api.example.com/.well-known/oauth-protected-resource",
            ),
            (
                "http://127.0.0.1:8000",
                "http://127.0.0.1:8000",
                "http://127.0.0.1:8000/.well-known/oauth-protected-resource",
            ),
            (
                "https://host.example/tenant/mcp/",
                "https://host.example/tenant/mcp/",
                "https://host.example/.well-known/oauth-protected-resource/tenant/mcp/",
            ),
        ] {
            let c = build(given, None).unwrap();
            assert_eq!(c.resource(), Some(uri), "{given}");
            assert_eq!(c.resource_metadata_url(), Some(metadata), "{given}");
            assert_eq!(c.audiences(), [uri], "the resource is the audience");
        }
        for bad in [
            "https://a.example/mcp?x=1",
            "https://a.example/mcp#f",
            "http://a.example/mcp",
            "https://u:p@a.example/mcp",
            "mcp",
        ] {
            assert_eq!(
                build(bad, None).unwrap_err().setting(),
                "AXIOMS_RESOURCE",
                "{bad}"
            );
        }
        let err = build("https://a.example/mcp", Some("old-api")).unwrap_err();
        assert_eq!(err.setting(), "AXIOMS_AUDIENCE");
        let both = Config::builder()
            .issuer("https://i.example/")
            .resource("https://a.example/mcp")
            .audiences(["old-api", "https://a.example/mcp"])
            .build()
            .unwrap();
        assert_eq!(both.audiences().len(), 2);
    }
}
