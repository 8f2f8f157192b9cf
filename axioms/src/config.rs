//! Configuration: a builder, and [`Config::from_env`] for the `AXIOMS_*` variables.
//!
//! Every problem is found by [`ConfigBuilder::build`], at startup, with a message that names
//! the setting (and its environment variable) and says how to fix it — never at the first
//! request.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use http::Method;
use url::Url;

use crate::algorithm::Algorithm;
use crate::check::{Exact, ScopeMatcher};
use crate::claims::{ClaimName, ClaimNames};
use crate::clock::{Clock, SystemClock};

/// Which `typ` header values are accepted.
///
/// # Example
///
/// ```
/// use axioms::{Config, TokenType};
/// let config = Config::builder()
///     .issuer("https://issuer.example/")
///     .audience("api")
///     .token_type(TokenType::Rfc9068)
///     .build()
///     .unwrap();
/// assert_eq!(config.token_type(), TokenType::Rfc9068);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenType {
    /// `at+jwt`, `application/at+jwt` (case-insensitively), `JWT`, or no `typ` at all: what
    /// Auth0, Cognito, Entra, Okta and Keycloak issue today. The default.
    #[default]
    AccessOrJwt,
    /// RFC 9068 strict: `typ` must be `at+jwt` or `application/at+jwt`, and the claims
    /// `iss`, `exp`, `aud`, `sub`, `client_id`, `iat` and `jti` must be present. Rejects ID
    /// tokens and every other JWT kind presented as an access token.
    Rfc9068,
}

/// Which claim carries the audience.
///
/// # Example
///
/// ```
/// use axioms::{AudienceClaim, Config};
/// // AWS Cognito access tokens have no `aud`: the app client is in `client_id`.
/// let config = Config::builder()
///     .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf")
///     .audience("1example23456789")
///     .audience_claim(AudienceClaim::ClientId)
///     .build()
///     .unwrap();
/// assert_eq!(config.audience_claim(), AudienceClaim::ClientId);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudienceClaim {
    /// `aud` (a string or an array of strings) must name an accepted audience. The default,
    /// and what RFC 9068 requires.
    #[default]
    Aud,
    /// `client_id` must equal an accepted audience (AWS Cognito access tokens, which carry no
    /// `aud`). `aud`, if present anyway, must still be well-typed.
    ClientId,
}

/// Where the signing keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// A JWKS URL, given or derived.
    Jwks(Url),
    /// OIDC discovery at this URL; its `issuer` must equal the configured one exactly.
    Discovery(Url),
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
    pub(crate) audiences: Vec<String>,
    pub(crate) audience_claim: AudienceClaim,
    pub(crate) issuer: Option<String>,
    pub(crate) key_source: KeySource,
    pub(crate) claim_names: ClaimNames,
    pub(crate) leeway: i64,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) token_type: TokenType,
    pub(crate) max_token_bytes: usize,
    pub(crate) refresh_interval: Duration,
    pub(crate) min_refresh_interval: Duration,
    pub(crate) max_refresh_interval: Duration,
    pub(crate) unknown_kid_cooldown: Duration,
    pub(crate) retry_max_backoff: Duration,
    pub(crate) max_stale: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_jwks_bytes: usize,
    pub(crate) max_keys: usize,
    pub(crate) allow_insecure_http: bool,
    pub(crate) realm: Arc<str>,
    pub(crate) safe_methods: Vec<Method>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) scope_matcher: Arc<dyn ScopeMatcher>,
    pub(crate) token_cache_entries: usize,
    pub(crate) token_cache_bytes: usize,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("audiences", &self.audiences)
            .field("issuer", &self.issuer)
            .field("key_source", &self.key_source)
            .field("algorithms", &self.algorithms)
            .field("token_type", &self.token_type)
            .field("leeway", &self.leeway)
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

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Which claim carries the audience.
    pub fn audience_claim(&self) -> AudienceClaim {
        self.audience_claim
    }

    /// The issuer every token's `iss` must equal exactly.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The JWKS URL, unless keys are located by OIDC discovery.
    pub fn jwks_url(&self) -> Option<&Url> {
        match &self.key_source {
            KeySource::Jwks(url) => Some(url),
            KeySource::Discovery(_) => None,
        }
    }

    /// The discovery document URL, when discovery is on.
    pub fn discovery_url(&self) -> Option<&Url> {
        match &self.key_source {
            KeySource::Discovery(url) => Some(url),
            KeySource::Jwks(_) => None,
        }
    }

    /// The accepted `typ` values.
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The allowed algorithms.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The realm named in `WWW-Authenticate` challenges.
    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// How a granted scope satisfies a required one in policies (default [`Exact`]).
    pub fn scope_matcher(&self) -> &dyn ScopeMatcher {
        &*self.scope_matcher
    }

    /// The methods that pass without a token through the [`Claims`](crate::Claims) extractor
    /// and the [`AxiomsLayer`](crate::AxiomsLayer).
    pub fn safe_methods(&self) -> &[Method] {
        &self.safe_methods
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
    fn new(setting: &'static str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
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
#[derive(Clone)]
#[must_use]
pub struct ConfigBuilder {
    audiences: Vec<String>,
    audience_claim: AudienceClaim,
    issuer: Option<String>,
    jwks_url: Option<String>,
    domain: Option<String>,
    discovery: bool,
    insecure_skip_issuer: bool,
    scope_claims: Option<Vec<String>>,
    roles_claims: Option<Vec<String>>,
    permissions_claims: Option<Vec<String>>,
    leeway: Duration,
    algorithms: Vec<Algorithm>,
    token_type: TokenType,
    max_token_bytes: usize,
    refresh_interval: Duration,
    min_refresh_interval: Duration,
    max_refresh_interval: Duration,
    unknown_kid_cooldown: Duration,
    retry_max_backoff: Duration,
    max_stale: Duration,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_jwks_bytes: usize,
    max_keys: usize,
    allow_insecure_http: bool,
    realm: String,
    safe_methods: Vec<Method>,
    clock: Arc<dyn Clock>,
    scope_matcher: Arc<dyn ScopeMatcher>,
    token_cache_entries: usize,
    token_cache_bytes: usize,
}

/// The defaults, in one place (documented in the README's configuration table).
///
/// ```
/// assert_eq!(axioms::defaults::MAX_TOKEN_BYTES, 8 * 1024);
/// ```
pub mod defaults {
    use std::time::Duration;

    /// Clock skew tolerated on `exp`, `nbf` and `iat`: 60 s (at most 300 s).
    pub const LEEWAY: Duration = Duration::from_secs(60);
    /// Largest token accepted, before any decoding: 8 KiB (at most 64 KiB).
    pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
    /// Background JWKS refresh period when the IdP sends no `Cache-Control`: 5 min.
    pub const REFRESH_INTERVAL: Duration = Duration::from_secs(300);
    /// Lower bound on a `Cache-Control: max-age` honoured for refreshes: 60 s.
    pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
    /// Upper bound on a `Cache-Control: max-age` honoured for refreshes: 1 h.
    pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(3600);
    /// Minimum time between two refetches caused by unknown `kid`s: 10 s. A key newly
    /// published by the IdP is accepted at most this long after its first use.
    pub const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(10);
    /// Longest wait between retries while the IdP fails: 15 s (retries start at 1 s and double).
    pub const RETRY_MAX_BACKOFF: Duration = Duration::from_secs(15);
    /// How long the last good keys keep serving while every refresh fails: 24 h.
    pub const MAX_STALE: Duration = Duration::from_secs(24 * 3600);
    /// TCP + TLS connect timeout of JWKS and discovery fetches: 5 s.
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Whole-request timeout of JWKS and discovery fetches: 10 s.
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
    /// Largest JWKS or discovery body read: 512 KiB.
    pub const MAX_JWKS_BYTES: usize = 512 * 1024;
    /// Most keys taken from one JWKS: 100.
    pub const MAX_KEYS: usize = 100;
    /// Verified tokens kept in the token cache: 4096 (0 turns the cache off).
    pub const TOKEN_CACHE_ENTRIES: usize = 4096;
    /// Memory ceiling of the token cache: 8 MiB.
    pub const TOKEN_CACHE_BYTES: usize = 8 * 1024 * 1024;
    /// Realm of the `WWW-Authenticate` challenge: `api`.
    pub const REALM: &str = "api";
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Self {
            audiences: Vec::new(),
            audience_claim: AudienceClaim::Aud,
            issuer: None,
            jwks_url: None,
            domain: None,
            discovery: false,
            insecure_skip_issuer: false,
            scope_claims: None,
            roles_claims: None,
            permissions_claims: None,
            leeway: defaults::LEEWAY,
            algorithms: Algorithm::ALL.to_vec(),
            token_type: TokenType::default(),
            max_token_bytes: defaults::MAX_TOKEN_BYTES,
            refresh_interval: defaults::REFRESH_INTERVAL,
            min_refresh_interval: defaults::MIN_REFRESH_INTERVAL,
            max_refresh_interval: defaults::MAX_REFRESH_INTERVAL,
            unknown_kid_cooldown: defaults::UNKNOWN_KID_COOLDOWN,
            retry_max_backoff: defaults::RETRY_MAX_BACKOFF,
            max_stale: defaults::MAX_STALE,
            connect_timeout: defaults::CONNECT_TIMEOUT,
            request_timeout: defaults::REQUEST_TIMEOUT,
            max_jwks_bytes: defaults::MAX_JWKS_BYTES,
            max_keys: defaults::MAX_KEYS,
            allow_insecure_http: false,
            realm: defaults::REALM.to_owned(),
            safe_methods: vec![Method::OPTIONS],
            clock: Arc::new(SystemClock),
            scope_matcher: Arc::new(Exact),
            token_cache_entries: defaults::TOKEN_CACHE_ENTRIES,
            token_cache_bytes: defaults::TOKEN_CACHE_BYTES,
        }
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ConfigBuilder {
    /// A builder seeded from the process environment (see [`ConfigBuilder::from_vars`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// A builder seeded from variables looked up by `var` — the environment, a `.env` map, a
    /// test fixture. Unset or empty variables keep their defaults. Reads:
    ///
    /// `AXIOMS_AUDIENCE` (comma-separated), `AXIOMS_AUDIENCE_CLAIM`, `AXIOMS_ISS_URL`, `AXIOMS_JWKS_URL`,
    /// `AXIOMS_DOMAIN` (deprecated), `AXIOMS_DISCOVERY` (`true`/`false`),
    /// `AXIOMS_SCOPE_CLAIMS`, `AXIOMS_ROLES_CLAIMS`, `AXIOMS_PERMISSIONS_CLAIMS`
    /// (comma-separated, tried in order), `AXIOMS_LEEWAY_SECS`, `AXIOMS_ALGORITHMS`,
    /// `AXIOMS_TOKEN_TYPE` (`jwt` or `rfc9068`), `AXIOMS_MAX_TOKEN_BYTES`,
    /// `AXIOMS_JWKS_REFRESH_SECS`, `AXIOMS_JWKS_COOLDOWN_SECS`, `AXIOMS_HTTP_TIMEOUT_SECS`,
    /// `AXIOMS_REALM`, `AXIOMS_TOKEN_CACHE_ENTRIES`, `AXIOMS_INSECURE_ALLOW_HTTP`.
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
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut b = Self::default();
        if let Some(v) = get("AXIOMS_AUDIENCE") {
            b.audiences = list(&v);
        }
        if let Some(v) = get("AXIOMS_AUDIENCE_CLAIM") {
            b.audience_claim = match v.as_str() {
                "aud" => AudienceClaim::Aud,
                "client_id" => AudienceClaim::ClientId,
                _ => {
                    return Err(ConfigError::new(
                        "AXIOMS_AUDIENCE_CLAIM",
                        format!("`{v}` is not an audience claim"),
                        "use `aud` (the default) or `client_id` (AWS Cognito access tokens)",
                    ));
                }
            };
        }
        b.issuer = get("AXIOMS_ISS_URL");
        b.jwks_url = get("AXIOMS_JWKS_URL");
        b.domain = get("AXIOMS_DOMAIN");
        if let Some(v) = get("AXIOMS_DISCOVERY") {
            b.discovery = parse_bool("AXIOMS_DISCOVERY", &v)?;
        }
        b.scope_claims = get("AXIOMS_SCOPE_CLAIMS").map(|v| list(&v));
        b.roles_claims = get("AXIOMS_ROLES_CLAIMS").map(|v| list(&v));
        b.permissions_claims = get("AXIOMS_PERMISSIONS_CLAIMS").map(|v| list(&v));
        if let Some(v) = get("AXIOMS_LEEWAY_SECS") {
            b.leeway = Duration::from_secs(parse_num("AXIOMS_LEEWAY_SECS", &v)?);
        }
        if let Some(v) = get("AXIOMS_ALGORITHMS") {
            b.algorithms = list(&v)
                .iter()
                .map(|a| {
                    a.parse::<Algorithm>().map_err(|e| {
                        ConfigError::new(
                            "AXIOMS_ALGORITHMS",
                            e.to_string(),
                            "list algorithms separated by commas, e.g. `RS256,ES256`",
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("AXIOMS_TOKEN_TYPE") {
            b.token_type = match v.to_ascii_lowercase().as_str() {
                "jwt" | "default" => TokenType::AccessOrJwt,
                "rfc9068" | "at+jwt" | "strict" => TokenType::Rfc9068,
                _ => {
                    return Err(ConfigError::new(
                        "AXIOMS_TOKEN_TYPE",
                        format!("`{v}` is not a token type"),
                        "use `jwt` (at+jwt, JWT or no typ) or `rfc9068` (at+jwt only)",
                    ));
                }
            };
        }
        if let Some(v) = get("AXIOMS_MAX_TOKEN_BYTES") {
            b.max_token_bytes =
                usize::try_from(parse_num("AXIOMS_MAX_TOKEN_BYTES", &v)?).unwrap_or(usize::MAX);
        }
        if let Some(v) = get("AXIOMS_JWKS_REFRESH_SECS") {
            b.refresh_interval = Duration::from_secs(parse_num("AXIOMS_JWKS_REFRESH_SECS", &v)?);
        }
        if let Some(v) = get("AXIOMS_JWKS_COOLDOWN_SECS") {
            b.unknown_kid_cooldown =
                Duration::from_secs(parse_num("AXIOMS_JWKS_COOLDOWN_SECS", &v)?);
        }
        if let Some(v) = get("AXIOMS_HTTP_TIMEOUT_SECS") {
            b.request_timeout = Duration::from_secs(parse_num("AXIOMS_HTTP_TIMEOUT_SECS", &v)?);
        }
        if let Some(v) = get("AXIOMS_TOKEN_CACHE_ENTRIES") {
            b.token_cache_entries =
                usize::try_from(parse_num("AXIOMS_TOKEN_CACHE_ENTRIES", &v)?).unwrap_or(usize::MAX);
        }
        if let Some(v) = get("AXIOMS_REALM") {
            b.realm = v;
        }
        if let Some(v) = get("AXIOMS_INSECURE_ALLOW_HTTP") {
            b.allow_insecure_http = parse_bool("AXIOMS_INSECURE_ALLOW_HTTP", &v)?;
        }
        Ok(b)
    }

    /// The one audience every token's `aud` must contain (`AXIOMS_AUDIENCE`). Required.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences = vec![audience.into()];
        self
    }

    /// Several accepted audiences: a token must name at least one of them.
    pub fn audiences<I, S>(mut self, audiences: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.audiences = audiences.into_iter().map(Into::into).collect();
        self
    }

    /// Which claim carries the audience (`AXIOMS_AUDIENCE_CLAIM`: `aud`, the default, or
    /// `client_id` for AWS Cognito access tokens).
    pub fn audience_claim(mut self, claim: AudienceClaim) -> Self {
        self.audience_claim = claim;
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

    /// **Weakens security.** Accepts tokens from any `iss`, trusting the key set alone. Only
    /// for a JWKS that no other issuer shares; required when no issuer is configured.
    pub fn insecure_skip_issuer_check(mut self) -> Self {
        self.insecure_skip_issuer = true;
        self
    }

    /// Claims holding scopes, tried in order (`AXIOMS_SCOPE_CLAIMS`; default `scope`, `scp`).
    /// See [`ClaimName`] for nested and namespaced names.
    pub fn scope_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scope_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Claims holding roles, tried in order (`AXIOMS_ROLES_CLAIMS`; default `roles`).
    pub fn roles_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Claims holding permissions, tried in order (`AXIOMS_PERMISSIONS_CLAIMS`; default
    /// `permissions`).
    pub fn permissions_claims<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.permissions_claims = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Clock skew tolerated on `exp`, `nbf`, `iat` (`AXIOMS_LEEWAY_SECS`; default 60 s, at
    /// most 300 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The algorithm allow-list (`AXIOMS_ALGORITHMS`; default: all nine asymmetric ones).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// Accepted `typ` values (`AXIOMS_TOKEN_TYPE`; default [`TokenType::AccessOrJwt`]).
    pub fn token_type(mut self, token_type: TokenType) -> Self {
        self.token_type = token_type;
        self
    }

    /// Largest token accepted, checked before any decoding (`AXIOMS_MAX_TOKEN_BYTES`;
    /// default 8 KiB, between 1 KiB and 64 KiB).
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Background refresh period when the JWKS response has no usable `Cache-Control`
    /// (`AXIOMS_JWKS_REFRESH_SECS`; default 5 min). A `max-age` is honoured within
    /// [`refresh_bounds`](Self::refresh_bounds).
    pub fn refresh_interval(mut self, interval: Duration) -> Self {
        self.refresh_interval = interval;
        self
    }

    /// Bounds within which a JWKS `Cache-Control: max-age` is honoured (default 60 s – 1 h).
    pub fn refresh_bounds(mut self, min: Duration, max: Duration) -> Self {
        self.min_refresh_interval = min;
        self.max_refresh_interval = max;
        self
    }

    /// Minimum time between refetches caused by unknown `kid`s (`AXIOMS_JWKS_COOLDOWN_SECS`;
    /// default 10 s, at most 30 s so that new keys are accepted within 30 s).
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.unknown_kid_cooldown = cooldown;
        self
    }

    /// Longest wait between retries while the IdP fails (default 15 s, at most 30 s).
    pub fn retry_max_backoff(mut self, backoff: Duration) -> Self {
        self.retry_max_backoff = backoff;
        self
    }

    /// How long the last good keys keep serving while refreshes fail (default 24 h).
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.max_stale = max_stale;
        self
    }

    /// Connect and whole-request timeouts of JWKS and discovery fetches (default 5 s and 10 s;
    /// `AXIOMS_HTTP_TIMEOUT_SECS` sets the whole-request one).
    pub fn http_timeouts(mut self, connect: Duration, request: Duration) -> Self {
        self.connect_timeout = connect;
        self.request_timeout = request;
        self
    }

    /// Largest JWKS or discovery body read (default 512 KiB) and most keys taken (default 100).
    pub fn jwks_limits(mut self, max_bytes: usize, max_keys: usize) -> Self {
        self.max_jwks_bytes = max_bytes;
        self.max_keys = max_keys;
        self
    }

    /// **Weakens security.** Allows `http://` issuer, JWKS and discovery URLs on hosts other
    /// than loopback (`AXIOMS_INSECURE_ALLOW_HTTP`). Loopback (`127.0.0.0/8`, `::1`,
    /// `localhost`) is always allowed, for development and tests.
    pub fn insecure_allow_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The realm of `WWW-Authenticate` challenges (`AXIOMS_REALM`; default `api`).
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Methods that pass without a token (default `OPTIONS`, for CORS preflight). Pass an
    /// empty list to require a token on every method.
    pub fn safe_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.safe_methods = methods.into_iter().collect();
        self
    }

    /// The clock of `exp`/`nbf`/`iat` checks (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How policies match scopes (default [`Exact`]); e.g.
    /// [`Hierarchical`](crate::check::Hierarchical) for `items:*` and `*:read`. Roles and
    /// permissions always compare exactly.
    pub fn scope_matcher(mut self, matcher: impl ScopeMatcher + 'static) -> Self {
        self.scope_matcher = Arc::new(matcher);
        self
    }

    /// The verified-token cache (`AXIOMS_TOKEN_CACHE_ENTRIES`): at most `entries` tokens
    /// (default 4096) in at most 8 MiB. `0` turns it off. A hit costs a hash and a comparison
    /// instead of a signature verification, and re-checks `exp`/`nbf`/`iat` and the key; see
    /// the README's "Verified-token cache" section for why it is safe.
    pub fn token_cache(mut self, entries: usize) -> Self {
        self.token_cache_entries = entries;
        self
    }

    /// The token cache's memory ceiling in bytes (default 8 MiB).
    pub fn token_cache_bytes(mut self, bytes: usize) -> Self {
        self.token_cache_bytes = bytes;
        self
    }

    /// Validates everything and returns the [`Config`].
    pub fn build(self) -> Result<Config, ConfigError> {
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::new(
                "AXIOMS_AUDIENCE",
                "no audience is set",
                "set AXIOMS_AUDIENCE (or `.audience(…)`) to your API's identifier, the value \
                 your authorization server puts in the `aud` claim",
            ));
        }
        let allow_http = self.allow_insecure_http;
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
        if let Some(iss) = &issuer {
            // A multi-tenant template (`{tenantid}`) is validated with a sample tenant.
            let sample = iss.replace("{tenantid}", "00000000-0000-0000-0000-000000000000");
            let url = parse_url("AXIOMS_ISS_URL", &sample, allow_http)?;
            if url.query().is_some() || url.fragment().is_some() {
                return Err(ConfigError::new(
                    "AXIOMS_ISS_URL",
                    "an issuer has no query or fragment (RFC 8414 §2)",
                    "remove the `?…` / `#…` part",
                ));
            }
        } else if !self.insecure_skip_issuer {
            return Err(ConfigError::new(
                "AXIOMS_ISS_URL",
                "no issuer is set, so tokens from any issuer sharing the keys would be accepted",
                "set AXIOMS_ISS_URL to the exact `iss` of your tokens (e.g. \
                 `https://tenant.auth0.com/`), or call `.insecure_skip_issuer_check()` if you \
                 really mean it",
            ));
        }
        if self.jwks_url.is_none() && issuer.as_deref().is_some_and(|i| i.contains("{tenantid}")) {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_URL",
                "a multi-tenant issuer template has no key location of its own",
                "set AXIOMS_JWKS_URL, e.g. https://login.microsoftonline.com/common/discovery/v2.0/keys (or use ConfigBuilder::entra_multi_tenant)",
            ));
        }
        let key_source = if let Some(jwks) = &self.jwks_url {
            KeySource::Jwks(parse_url("AXIOMS_JWKS_URL", jwks, allow_http)?)
        } else if let Some(iss) = &issuer {
            let base = iss.trim_end_matches('/');
            if self.discovery {
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
            }
        } else {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_URL",
                "there is nowhere to fetch signing keys from",
                "set AXIOMS_ISS_URL (keys at <issuer>/.well-known/jwks.json, or by discovery \
                 with AXIOMS_DISCOVERY=true) or AXIOMS_JWKS_URL",
            ));
        };
        let claim_names = {
            let defaults = ClaimNames::default();
            ClaimNames {
                scopes: claim_list("AXIOMS_SCOPE_CLAIMS", self.scope_claims, defaults.scopes)?,
                roles: claim_list("AXIOMS_ROLES_CLAIMS", self.roles_claims, defaults.roles)?,
                permissions: claim_list(
                    "AXIOMS_PERMISSIONS_CLAIMS",
                    self.permissions_claims,
                    defaults.permissions,
                )?,
            }
        };
        if self.leeway > Duration::from_secs(300) {
            return Err(ConfigError::new(
                "AXIOMS_LEEWAY_SECS",
                format!(
                    "{} s of leeway lets expired tokens live too long",
                    self.leeway.as_secs()
                ),
                "use at most 300 seconds; 30 to 60 is typical",
            ));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::new(
                "AXIOMS_ALGORITHMS",
                "the algorithm allow-list is empty, so no token could ever verify",
                "list at least one algorithm, e.g. `RS256`",
            ));
        }
        if !(1024..=64 * 1024).contains(&self.max_token_bytes) {
            return Err(ConfigError::new(
                "AXIOMS_MAX_TOKEN_BYTES",
                format!("{} bytes is out of range", self.max_token_bytes),
                "use a size between 1024 and 65536 bytes (default 8192)",
            ));
        }
        if self.unknown_kid_cooldown > Duration::from_secs(30) {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_COOLDOWN_SECS",
                "a cooldown over 30 s delays newly published keys for too long",
                "use at most 30 seconds (default 10)",
            ));
        }
        if self.retry_max_backoff.is_zero() || self.retry_max_backoff > Duration::from_secs(30) {
            return Err(ConfigError::new(
                "retry_max_backoff",
                "the retry backoff must be between 1 and 30 seconds",
                "use the default (15 s) or a value in that range",
            ));
        }
        if self.refresh_interval < Duration::from_secs(1)
            || self.min_refresh_interval < Duration::from_secs(1)
            || self.min_refresh_interval > self.max_refresh_interval
        {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_REFRESH_SECS",
                "the refresh interval and its lower bound must be at least 1 s, and the bounds ordered (min <= max)",
                "use the default (300 s) or a positive interval",
            ));
        }
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(ConfigError::new(
                "AXIOMS_HTTP_TIMEOUT_SECS",
                "a zero timeout would fail every fetch",
                "use a positive timeout (default 10 s)",
            ));
        }
        if self.max_jwks_bytes < 1024 || self.max_keys == 0 {
            return Err(ConfigError::new(
                "jwks_limits",
                "the JWKS size or key-count limit is too small to hold any key",
                "allow at least 1024 bytes and 1 key",
            ));
        }
        if self
            .realm
            .chars()
            .any(|c| !matches!(c, '\x20'..='\x7e') || c == '"' || c == '\\')
        {
            return Err(ConfigError::new(
                "AXIOMS_REALM",
                "the realm must be printable ASCII without `\"` or `\\`",
                "use a plain name such as `api`",
            ));
        }
        Ok(Config {
            audiences: self.audiences,
            audience_claim: self.audience_claim,
            issuer,
            key_source,
            claim_names,
            #[allow(clippy::cast_possible_wrap)]
            leeway: self.leeway.as_secs() as i64,
            algorithms: self.algorithms,
            token_type: self.token_type,
            max_token_bytes: self.max_token_bytes,
            refresh_interval: self.refresh_interval,
            min_refresh_interval: self.min_refresh_interval,
            max_refresh_interval: self.max_refresh_interval,
            unknown_kid_cooldown: self.unknown_kid_cooldown,
            retry_max_backoff: self.retry_max_backoff,
            max_stale: self.max_stale,
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            max_jwks_bytes: self.max_jwks_bytes,
            max_keys: self.max_keys,
            allow_insecure_http: self.allow_insecure_http,
            realm: Arc::from(self.realm),
            safe_methods: self.safe_methods,
            clock: self.clock,
            scope_matcher: self.scope_matcher,
            token_cache_entries: self.token_cache_entries,
            token_cache_bytes: self.token_cache_bytes,
        })
    }
}

fn parse_bool(setting: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            setting,
            format!("`{v}` is not a boolean"),
            "use `true` or `false`",
        )),
    }
}

fn parse_num(setting: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.parse().map_err(|_| {
        ConfigError::new(
            setting,
            format!("`{v}` is not a whole non-negative number"),
            "give a number such as `60`",
        )
    })
}

fn claim_list(
    setting: &'static str,
    given: Option<Vec<String>>,
    default: Vec<ClaimName>,
) -> Result<Vec<ClaimName>, ConfigError> {
    let Some(given) = given else {
        return Ok(default);
    };
    if given.is_empty() {
        return Err(ConfigError::new(
            setting,
            "the list of claim names is empty",
            "name at least one claim, or unset the variable to use the default",
        ));
    }
    given
        .iter()
        .map(|n| {
            n.parse::<ClaimName>().map_err(|e| {
                ConfigError::new(
                    setting,
                    e.to_string(),
                    "use a member name (`roles`, `cognito:groups`, `https://x/roles`) or a JSON \
                     Pointer (`/realm_access/roles`)",
                )
            })
        })
        .collect()
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

/// Parses a URL that must be `https`, or `http` on loopback (or anywhere if allowed).
pub(crate) fn check_url_scheme(url: &Url, allow_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => allow_http || is_loopback(url),
        _ => false,
    }
}

fn parse_url(setting: &'static str, raw: &str, allow_http: bool) -> Result<Url, ConfigError> {
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
        let names: Vec<&str> = c.claim_names.roles.iter().map(ClaimName::as_str).collect();
        assert_eq!(names, ["cognito:groups", "/realm_access/roles"]);
    }
}
