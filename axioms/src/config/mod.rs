//! Configuration: one resource server ([`ConfigBuilder`], set once per service) trusting one
//! or more issuers ([`IssuerBuilder`], one per trusted issuer), and [`Config::from_env`] for
//! the `AXIOMS_*` variables.
//!
//! The two parts say what they configure: a setting about requests (resource, realm, safe
//! methods, token sources, API keys, DPoP, caches, the clock) can only be written on the
//! service, a setting about an issuer (keys, validation, claim names, introspection, tenants)
//! only on an issuer. Settings come in groups, each in its own module with its defaults and
//! checks beside it: [`keys`] (where signing keys come from and how they are refreshed),
//! [`validation`] (whose tokens, for whom, of which kind), [`http`] (how the authorization
//! server is reached) and [`requests`] (how requests are answered).
//!
//! Every problem is found by [`ConfigBuilder::build`], at startup, with a message that names
//! the setting (and its environment variable) and says how to fix it — never at the first
//! request.

pub(crate) mod dpop;
mod env;
pub(crate) mod http;
pub(crate) mod introspection;
mod issuer;
pub(crate) mod keys;
mod local;
pub(crate) mod requests;
pub(crate) mod validation;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ::http::{HeaderName, Method};
use url::Url;

use crate::algorithm::Algorithm;
use crate::check::ScopeMatcher;
use crate::claims::{PRIMARY, is_issuer_name};
use crate::clock::{Clock, SystemClock};
use crate::fetch::check_url_scheme;
use crate::safe::SafeMethods;

pub use issuer::{Issuer, IssuerBuilder, Trust};
pub use validation::{AudienceClaim, TokenType};

/// Validated configuration of an [`Axioms`](crate::Axioms) verifier: one resource server and
/// the issuers it trusts, the primary first.
///
/// Build one with [`Config::builder`] or [`Config::from_env`].
///
/// # Example
///
/// ```
/// use axioms::{Config, Issuer, Trust};
///
/// let config = Config::builder(Issuer::auth0("example.eu.auth0.com", "https://api.example.com"))
///     .realm("notes")
///     .trust(
///         "partner",
///         Issuer::keycloak("https://sso.partner.example", "main", "https://api.example.com"),
///         Trust::partner(),
///     )
///     .build()?;
/// let names: Vec<&str> = config.issuers().map(|i| i.name()).collect();
/// assert_eq!(names, ["primary", "partner"]);
/// assert_eq!(config.realm(), "notes");
/// # Ok::<(), axioms::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Config {
    /// The primary issuer, which every configuration has.
    pub(crate) primary: Issuer,
    /// The other trusted issuers, in the order tokens are matched to them (after the
    /// primary).
    pub(crate) others: Arc<[Issuer]>,
    pub(crate) requests: requests::Requests,
    pub(crate) dpop: dpop::Dpop,
    pub(crate) api_keys: ApiKeySource,
    pub(crate) sources: TokenSources,
    /// The largest token accepted, before anything is decoded (every issuer's too).
    pub(crate) max_token_bytes: usize,
    /// The clock of every time check and of `max_age` policies.
    pub(crate) clock: Arc<dyn Clock>,
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
            .field("primary", &self.primary)
            .field("others", &self.others)
            .field("resource", &self.resource())
            .field("safe_methods", &self.requests.safe_methods)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Starts a builder for a service whose primary issuer is `primary`; every other setting
    /// has its default.
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let config = Config::builder(Issuer::okta("example.okta.com", "default", "api://default"))
    ///     .build()?;
    /// assert_eq!(config.primary().issuer(), Some("https://example.okta.com/oauth2/default"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn builder(primary: IssuerBuilder) -> ConfigBuilder {
        ConfigBuilder {
            primary,
            others: Vec::new(),
            requests: requests::RequestSettings::default(),
            dpop: dpop::DpopSettings::default(),
            max_token_bytes: crate::defaults::MAX_TOKEN_BYTES,
            clock: Arc::new(SystemClock),
            allow_http: false,
            api_key_header: None,
            api_keys: None,
            token_header: None,
            token_cookie: None,
            cookie_origins: Vec::new(),
        }
    }

    /// Reads the `AXIOMS_*` environment variables (see the README's table) and validates
    /// them: the service, the primary issuer, and one more trusted issuer per name in
    /// `AXIOMS_TRUST` ([`ConfigBuilder::from_vars`]).
    ///
    /// ```no_run
    /// let config = axioms::Config::from_env()?;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        ConfigBuilder::from_env()?.build()
    }

    /// [`from_env`](Self::from_env) with variables looked up by `var`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([
    ///     ("AXIOMS_ISS_URL", "https://example.eu.auth0.com/"),
    ///     ("AXIOMS_AUDIENCE", "https://api.example.com"),
    /// ]);
    /// let config = axioms::Config::from_vars(|k| vars.get(k).map(|v| v.to_string()))?;
    /// assert_eq!(config.primary().audiences(), ["https://api.example.com"]);
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        ConfigBuilder::from_vars(var)?.build()
    }

    /// Every trusted issuer, the primary first, in the order tokens are matched to them.
    pub fn issuers(&self) -> impl Iterator<Item = &Issuer> + Clone {
        std::iter::once(&self.primary).chain(self.others.iter())
    }

    /// The primary issuer: the one [`Config::builder`] took (or `AXIOMS_ISS_URL`'s).
    pub fn primary(&self) -> &Issuer {
        &self.primary
    }

    /// The trusted issuer called `name` (`"primary"`, or a name given to
    /// [`ConfigBuilder::trust`]).
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let config = Config::builder(Issuer::auth0("example.eu.auth0.com", "api")).build()?;
    /// assert!(config.issuer("primary").is_some() && config.issuer("partner").is_none());
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn issuer(&self, name: &str) -> Option<&Issuer> {
        self.issuers().find(|i| i.name() == name)
    }

    /// The largest token accepted, in bytes.
    pub fn max_token_bytes(&self) -> usize {
        self.max_token_bytes
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
/// use axioms::{Config, Issuer};
/// let err = Config::builder(Issuer::builder().issuer("https://issuer.example")).build().unwrap_err();
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

    /// The error of a trusted issuer other than the primary: the problem says whose, and
    /// under which variable (`AXIOMS_PARTNER_ISS_URL` for the issuer `partner`).
    fn named(mut self, name: &str) -> Self {
        let rest = self.setting.strip_prefix("AXIOMS_").unwrap_or(self.setting);
        let upper = name.to_ascii_uppercase();
        self.problem = format!(
            "the issuer `{name}` (AXIOMS_{upper}_{rest}): {}",
            self.problem
        );
        self
    }
}

/// Builds a [`Config`]: the settings of the service, set once, and the issuers it trusts.
/// Every setting has a secure default; see each method. Start with [`Config::builder`] (the
/// primary issuer in code) or [`ConfigBuilder::from_env`].
///
/// # Example
///
/// ```
/// use axioms::{Config, Issuer};
/// let config = Config::builder(Issuer::keycloak("https://sso.example.com", "demo", "notes"))
///     .resource("https://api.example.com")
///     .safe_methods([http::Method::GET])
///     .build();
/// // With a resource, it is the audience tokens must carry: "notes" alone is refused.
/// assert_eq!(config.unwrap_err().setting(), "AXIOMS_AUDIENCE");
/// ```
#[derive(Clone)]
#[must_use]
pub struct ConfigBuilder {
    primary: IssuerBuilder,
    /// The other trusted issuers, by name, with what each is trusted for.
    others: Vec<(String, IssuerBuilder, Trust)>,
    requests: requests::RequestSettings,
    dpop: dpop::DpopSettings,
    max_token_bytes: usize,
    clock: Arc<dyn Clock>,
    allow_http: bool,
    api_key_header: Option<String>,
    api_keys: Option<Arc<dyn crate::api_key::ApiKeyStore>>,
    token_header: Option<String>,
    token_cookie: Option<String>,
    cookie_origins: Vec<String>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = std::iter::once(PRIMARY)
            .chain(self.others.iter().map(|(name, ..)| name.as_str()))
            .collect();
        f.debug_struct("ConfigBuilder")
            .field("issuers", &names)
            .field("resource", &self.requests.resource)
            .finish_non_exhaustive()
    }
}

impl ConfigBuilder {
    /// A builder seeded from the process environment (see [`ConfigBuilder::from_vars`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// A builder seeded from variables looked up by `var` — the environment, a `.env` map, a
    /// test fixture. Unset or empty variables keep their defaults.
    ///
    /// * **The service**: `AXIOMS_RESOURCE`, `AXIOMS_REALM`, `AXIOMS_SAFE_METHODS`,
    ///   `AXIOMS_MAX_TOKEN_BYTES`, `AXIOMS_TOKEN_CACHE_ENTRIES`, `AXIOMS_INSECURE_ALLOW_HTTP`,
    ///   `AXIOMS_DPOP_REQUIRED`, `AXIOMS_DPOP_ALGORITHMS`, `AXIOMS_DPOP_PROOF_LIFETIME_SECS`,
    ///   `AXIOMS_DPOP_NONCE_SECRET` (32 bytes, base64url), `AXIOMS_DPOP_ORIGIN`,
    ///   `AXIOMS_DPOP_REPLAY_ENTRIES`, `AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY`,
    ///   `AXIOMS_DPOP_REDIS_URL` (feature `redis`),
    ///   `AXIOMS_TRUSTED_CLIENT_CERT_HEADER`, `AXIOMS_API_KEYS_FILE`, `AXIOMS_API_KEYS`,
    ///   `AXIOMS_API_KEY_HEADER`, `AXIOMS_TOKEN_HEADER`, `AXIOMS_TOKEN_COOKIE`,
    ///   `AXIOMS_TOKEN_COOKIE_ORIGINS`, `AXIOMS_TRUST`.
    /// * **The primary issuer**: `AXIOMS_ISS_URL`, `AXIOMS_AUDIENCE` (comma-separated),
    ///   `AXIOMS_AUDIENCE_CLAIM`, `AXIOMS_JWKS_URL`, `AXIOMS_DOMAIN` (deprecated),
    ///   `AXIOMS_DISCOVERY` (`true`/`false`), `AXIOMS_SCOPE_CLAIMS`, `AXIOMS_ROLES_CLAIMS`,
    ///   `AXIOMS_PERMISSIONS_CLAIMS` (comma-separated, tried in order), `AXIOMS_LEEWAY_SECS`,
    ///   `AXIOMS_ALGORITHMS`, `AXIOMS_RSA_KEY_ALG`, `AXIOMS_TOKEN_TYPE` (`jwt` or `rfc9068`),
    ///   `AXIOMS_ALLOW_TOKENS_WITHOUT_SUB`, `AXIOMS_JWKS_REFRESH_SECS`,
    ///   `AXIOMS_JWKS_COOLDOWN_SECS`, `AXIOMS_HTTP_TIMEOUT_SECS`, `AXIOMS_LOCAL_KEYS_FILE`,
    ///   `AXIOMS_HMAC_SECRET`, `AXIOMS_HMAC_ALG`, `AXIOMS_INTROSPECTION_CLIENT_ID`,
    ///   `AXIOMS_INTROSPECTION_CLIENT_SECRET`, `AXIOMS_INTROSPECTION_URL`,
    ///   `AXIOMS_INTROSPECTION_CACHE_SECS`, `AXIOMS_INTROSPECTION_NEGATIVE_CACHE_SECS`,
    ///   `AXIOMS_INTROSPECTION_CACHE_ENTRIES`, `AXIOMS_TENANTS`, `AXIOMS_ACCEPT_EVERY_TENANT`.
    /// * **Each other trusted issuer**, one per name in `AXIOMS_TRUST` (comma-separated,
    ///   upper-case letters, digits and `_`): the issuer variables with the name after
    ///   `AXIOMS_` (`AXIOMS_TRUST=PARTNER` reads `AXIOMS_PARTNER_ISS_URL`,
    ///   `AXIOMS_PARTNER_AUDIENCE`…), trusted under the lower-case name (`"partner"`), plus
    ///   `AXIOMS_PARTNER_SAME_DIRECTORY=true` ([`Trust::same_directory`]) or
    ///   `AXIOMS_PARTNER_TRUSTED_FOR=<policy>,…` ([`Trust::partner_for`]). A service
    ///   variable under an issuer's name (`AXIOMS_PARTNER_RESOURCE`) is an error naming it.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// let vars = HashMap::from([
    ///     ("AXIOMS_AUDIENCE", "api"),
    ///     ("AXIOMS_ISS_URL", "https://issuer.example"),
    ///     ("AXIOMS_ROLES_CLAIMS", "cognito:groups, roles"),
    ///     ("AXIOMS_TRUST", "KEYCLOAK"),
    ///     ("AXIOMS_KEYCLOAK_ISS_URL", "https://sso.example.com/realms/main"),
    ///     ("AXIOMS_KEYCLOAK_AUDIENCE", "api"),
    ///     ("AXIOMS_KEYCLOAK_SAME_DIRECTORY", "true"),
    /// ]);
    /// let config = axioms::ConfigBuilder::from_vars(|k| vars.get(k).map(|v| v.to_string()))?.build()?;
    /// assert_eq!(config.primary().audiences(), ["api"]);
    /// let keycloak = config.issuer("keycloak").unwrap();
    /// assert_eq!(keycloak.issuer(), Some("https://sso.example.com/realms/main"));
    /// assert_eq!(keycloak.directory(), "primary");
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        env::read(var)
    }

    /// Trusts one more issuer, under `name` (lower-case letters, digits and `_`; `primary` is
    /// the primary's), for what `trust` says. Issuers are matched to tokens by `iss` in the
    /// order they are trusted, the primary first: list exact issuers before a multi-tenant
    /// template that could match them.
    ///
    /// ```
    /// use axioms::{Config, Issuer, Trust};
    /// let config = Config::builder(Issuer::auth0("example.eu.auth0.com", "https://api.example.com"))
    ///     // Moving to Keycloak: the same users, trusted everywhere.
    ///     .trust("keycloak", Issuer::keycloak("https://sso.example.com", "main", "https://api.example.com"),
    ///         Trust::same_directory())
    ///     // A customer's IdP: only where a policy names it, and for `list_notes`.
    ///     .trust("acme", Issuer::okta("acme.okta.com", "default", "https://api.example.com"),
    ///         Trust::partner_for(["list_notes"]))
    ///     .build()?;
    /// let names: Vec<&str> = config.issuers().map(|i| i.name()).collect();
    /// assert_eq!(names, ["primary", "keycloak", "acme"]);
    /// // `Axioms::new(config)` checks the binary's policies against it: a `list_notes` that
    /// // no handler or `policy!` is called is a startup error, not an extension that does
    /// // nothing; so is a policy naming an issuer that is not trusted.
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn trust(mut self, name: impl Into<String>, issuer: IssuerBuilder, trust: Trust) -> Self {
        self.others.push((name.into(), issuer, trust));
        self
    }

    /// The canonical URI of this protected resource (`AXIOMS_RESOURCE`), e.g.
    /// `https://mcp.example.com/mcp` (RFC 8707, RFC 9728).
    ///
    /// * It is the **audience** tokens of every trusted issuer must carry: with no audience
    ///   set, the accepted audience is exactly this URI; with audiences set explicitly, they
    ///   must include it (extra ones are for migrations).
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

    /// The clock of every `exp`/`nbf`/`iat` check, of `max_age` policies and of DPoP proofs
    /// (default: the system clock).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How policies match scopes (default [`Exact`](crate::check::Exact)); e.g.
    /// [`Hierarchical`](crate::check::Hierarchical) for `items:*` and `*:read`. Roles and
    /// permissions always compare exactly.
    pub fn scope_matcher(mut self, matcher: impl ScopeMatcher + 'static) -> Self {
        self.requests.scope_matcher = Arc::new(matcher);
        self
    }

    /// Largest token accepted, checked before any decoding (`AXIOMS_MAX_TOKEN_BYTES`;
    /// default 32 KiB, between 1 KiB and 64 KiB). A larger token is answered
    /// `431 Request Header Fields Too Large` and logged with this setting's name.
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
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

    /// **Weakens security.** Allows `http://` issuer, JWKS, discovery, introspection and
    /// resource URLs on hosts other than loopback (`AXIOMS_INSECURE_ALLOW_HTTP`), for every
    /// trusted issuer. Loopback (`127.0.0.0/8`, `::1`, `localhost`) is always allowed, for
    /// development and tests.
    pub fn insecure_allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Requires every token to be DPoP-bound (`AXIOMS_DPOP_REQUIRED`; default off: a
    /// DPoP-bound token must come with its proof, an unbound one may come as `Bearer`).
    /// Challenges then offer only the `DPoP` scheme. Needs [`resource`](Self::resource) (or
    /// [`dpop_origin`](Self::dpop_origin)).
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let config = Config::builder(Issuer::builder().issuer("https://issuer.example"))
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
    /// default 60 s, at most 300 s), plus the leeway either side. The replay store remembers
    /// each proof that long.
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

    /// How many unexpired proofs of one client key the replay store holds at most
    /// (`AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY`; default a quarter of
    /// [`dpop_replay_entries`](Self::dpop_replay_entries)), in memory and in Redis alike. A
    /// key beyond its share gets 503 for its new proofs while every other key's pass: one
    /// client cannot fill the store for the others. A proof is remembered for its lifetime
    /// plus the leeway (about three minutes by default), so the default share lets one key
    /// make about 135 DPoP requests a second, sustained.
    ///
    /// ```
    /// # let issuer = axioms::Issuer::builder().issuer("https://idp.example.com/");
    /// let config = axioms::Config::builder(issuer)
    ///     .resource("https://api.example.com")
    ///     .dpop_replay_entries_per_key(5_000)
    ///     .build()?;
    /// # let _ = config;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn dpop_replay_entries_per_key(mut self, proofs: usize) -> Self {
        self.dpop.replay_entries_per_key = Some(proofs);
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
    /// Each key's principal becomes the request's [`Claims`](crate::Claims), of the primary
    /// directory, so the same policies apply.
    ///
    /// ```
    /// use axioms::api_key::{ApiKeyPrincipal, ApiKeys};
    /// use axioms::{Config, Issuer};
    /// let keys = ApiKeys::new().with(
    ///     &ApiKeys::digest("a long random key of the CI runner"),
    ///     ApiKeyPrincipal::new("ci", "svc-ci").with_roles(["deployer"]),
    /// )?;
    /// let config = Config::builder(Issuer::builder().issuer("https://issuer.example").audience("api"))
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
    /// use axioms::{Config, Issuer};
    /// let config = Config::builder(Issuer::builder().issuer("https://issuer.example").audience("api"))
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

    /// Validates the service and every trusted issuer, and returns the [`Config`]. What the
    /// binary's policies say about issuers is checked by [`Axioms::new`](crate::Axioms::new).
    pub fn build(self) -> Result<Config, ConfigError> {
        let allow_http = self.allow_http;
        if !(1024..=64 * 1024).contains(&self.max_token_bytes) {
            return Err(ConfigError::new(
                "AXIOMS_MAX_TOKEN_BYTES",
                format!("{} bytes is out of range", self.max_token_bytes),
                "use a size between 1024 and 65536 bytes (default 32768)",
            ));
        }
        let resource = self
            .requests
            .resource
            .as_deref()
            .map(|raw| requests::Resource::parse(raw, allow_http))
            .transpose()?;
        let service = issuer::ServiceContext {
            allow_http,
            resource: resource.as_ref().map(|r| &*r.uri),
            max_token_bytes: self.max_token_bytes,
            clock: &self.clock,
        };
        let primary = self
            .primary
            .check(&service, 0, PRIMARY, &Trust::same_directory())?;
        let mut others = Vec::with_capacity(self.others.len());
        for (slot, (name, builder, trust)) in self.others.into_iter().enumerate() {
            if !is_issuer_name(&name) || name == PRIMARY {
                return Err(ConfigError::new(
                    "AXIOMS_TRUST",
                    format!("`{name}` cannot name a trusted issuer"),
                    "use lower-case letters, digits and `_` (`primary` is the primary \
                     issuer's): AXIOMS_TRUST=PARTNER_A trusts `partner_a`",
                ));
            }
            let checked = builder
                .check(&service, slot + 1, &name, &trust)
                .map_err(|e| e.named(&name))?;
            others.push(checked);
        }
        check_registry(&primary, &others)?;
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
            primary,
            others: others.into(),
            requests,
            dpop,
            api_keys,
            sources,
            max_token_bytes: self.max_token_bytes,
            clock: self.clock,
        })
    }
}

/// What a list of trusted issuers must be: with several, each has an issuer (the `iss` is
/// how a token finds its keys) and is trusted once, only the primary introspects, and no
/// exact issuer comes after a template that matches it.
fn check_registry(primary: &Issuer, others: &[Issuer]) -> Result<(), ConfigError> {
    let error = |problem: String, fix: &str| ConfigError::new("AXIOMS_TRUST", problem, fix);
    let issuers: Vec<&Issuer> = std::iter::once(primary).chain(others).collect();
    let issuers = issuers.as_slice();
    if issuers.len() > 1 {
        for (at, issuer) in issuers.iter().enumerate() {
            let Some(id) = &issuer.validation.issuer else {
                return Err(error(
                    format!(
                        "the issuer `{}` skips the issuer check, and several are trusted",
                        issuer.name()
                    ),
                    "set the issuer of each: a token's `iss` chooses whose keys verify it",
                ));
            };
            let earlier = issuers.iter().take(at);
            if let Some(twin) = earlier.clone().find(|e| e.name() == issuer.name()) {
                return Err(error(
                    format!("two trusted issuers are named `{}`", twin.name()),
                    "give each trusted issuer a name of its own",
                ));
            }
            if let Some(twin) = earlier
                .clone()
                .find(|e| e.validation.issuer.as_ref() == Some(id))
            {
                return Err(error(
                    format!(
                        "`{id}` is trusted twice, as `{}` and as `{}`",
                        twin.name(),
                        issuer.name()
                    ),
                    "trust each issuer once; give it every audience it issues for",
                ));
            }
            if let Some(template) = earlier
                .filter_map(|e| e.validation.issuer.as_ref())
                .find(|t| t.shadows(id))
            {
                return Err(error(
                    format!("`{id}` comes after the template `{template}`, which matches it"),
                    "list exact issuers before a multi-tenant template",
                ));
            }
            if at > 0 && issuer.introspection.is_some() {
                return Err(error(
                    format!(
                        "the issuer `{}` introspects opaque tokens, and only the primary may",
                        issuer.name()
                    ),
                    "introspect with the primary issuer (your own): an opaque token does not \
                     say whose it is, so every one goes to the issuer that introspects — never \
                     let that be another party's",
                ));
            }
        }
    }
    Ok(())
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
        assert_eq!(
            c.primary().jwks_url().unwrap().as_str(),
            "https://keys.example/jwks"
        );

        let c = from(&[
            ("AXIOMS_AUDIENCE", "a"),
            ("AXIOMS_ISS_URL", "https://i.example/t/"),
        ])
        .unwrap();
        assert_eq!(
            c.primary().jwks_url().unwrap().as_str(),
            "https://i.example/t/.well-known/jwks.json"
        );
        assert_eq!(c.primary().issuer(), Some("https://i.example/t/"));

        let c = from(&[("AXIOMS_AUDIENCE", "a"), ("AXIOMS_DOMAIN", "d.example")]).unwrap();
        assert_eq!(
            c.primary().jwks_url().unwrap().as_str(),
            "https://d.example/.well-known/jwks.json"
        );
        assert_eq!(c.primary().issuer(), Some("https://d.example"));

        let c = from(&[
            ("AXIOMS_AUDIENCE", "a"),
            ("AXIOMS_ISS_URL", "https://i.example/realms/x"),
            ("AXIOMS_DISCOVERY", "true"),
        ])
        .unwrap();
        assert_eq!(
            c.primary().discovery_url().unwrap().as_str(),
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
        let c = Config::builder(
            Issuer::builder()
                .audience("a")
                .jwks_url("https://k.example/jwks")
                .insecure_skip_issuer_check(),
        )
        .build()
        .unwrap();
        assert_eq!(c.primary().issuer(), None);
    }

    #[test]
    fn claim_lists_are_parsed_in_order() {
        let c = from(&[
            ("AXIOMS_AUDIENCE", "a, b"),
            ("AXIOMS_ISS_URL", "https://i/"),
            ("AXIOMS_ROLES_CLAIMS", "cognito:groups, /realm_access/roles"),
        ])
        .unwrap();
        assert_eq!(c.primary().audiences(), ["a", "b"]);
        let names: Vec<&str> = c
            .primary()
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
            Config::builder(
                Issuer::builder()
                    .issuer("https://i/")
                    .audience("a")
                    .max_stale(Duration::from_secs(u64::MAX))
            )
            .build()
            .is_err()
        );
        let c = with(&[
            ("AXIOMS_RSA_KEY_ALG", "PS256"),
            ("AXIOMS_SAFE_METHODS", "GET, OPTIONS"),
            ("AXIOMS_ALLOW_TOKENS_WITHOUT_SUB", "yes"),
        ])
        .unwrap();
        assert_eq!(c.primary().rsa_key_alg(), Algorithm::PS256);
        assert!(c.safe_methods().contains(&Method::HEAD));
        assert!(!c.primary().requires_subject());
        let c = with(&[]).unwrap();
        assert!(c.safe_methods().is_empty());
        assert!(c.primary().requires_subject());
        assert_eq!(c.max_token_bytes(), 32 * 1024);
    }

    #[test]
    fn the_resource_is_canonical_and_names_the_audience() {
        let build = |resource: &str, audience: Option<&str>| {
            let issuer = Issuer::builder().issuer("https://i.example/");
            let issuer = match audience {
                Some(a) => issuer.audience(a),
                None => issuer,
            };
            Config::builder(issuer).resource(resource).build()
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
            assert_eq!(
                c.primary().audiences(),
                [uri],
                "the resource is the audience"
            );
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
        let both = Config::builder(
            Issuer::builder()
                .issuer("https://i.example/")
                .audiences(["old-api", "https://a.example/mcp"]),
        )
        .resource("https://a.example/mcp")
        .build()
        .unwrap();
        assert_eq!(both.primary().audiences().len(), 2);
    }
}
