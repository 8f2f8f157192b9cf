//! One trusted issuer: its keys, how its tokens are validated, its claim names, how it is
//! reached — and what it is trusted for.
//!
//! Only settings about an issuer can be written on an [`IssuerBuilder`]: everything about
//! requests (resource, realm, DPoP, safe methods, token sources, API keys, caches, the clock)
//! belongs to the [`ConfigBuilder`](super::ConfigBuilder) and is set once for the service.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::keys::{KeySettings, KeySource, Keys};
use super::validation::{Tenants, Validation, ValidationSettings};
use super::{AudienceClaim, ConfigError, TokenType, http, introspection, local, parse_url};
use crate::algorithm::Algorithm;
use crate::claims::{PRIMARY, Voucher};
use crate::issuer_id::{IssuerId, SAMPLE_TENANT, TENANT_PLACEHOLDER, is_guid};

/// A trusted issuer, validated: built by [`ConfigBuilder::build`](super::ConfigBuilder::build)
/// from an [`IssuerBuilder`], read through [`Config::issuers`](super::Config::issuers).
///
/// # Example
///
/// ```
/// use axioms::{Config, Issuer};
/// let config = Config::builder(Issuer::auth0("example.eu.auth0.com", "https://api.example.com"))
///     .build()?;
/// let primary = config.primary();
/// assert_eq!(primary.name(), "primary");
/// assert_eq!(primary.issuer(), Some("https://example.eu.auth0.com/"));
/// # Ok::<(), axioms::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Issuer {
    /// Its name, directory and the policies extended to it: what its claims carry.
    pub(crate) voucher: Arc<Voucher>,
    pub(crate) keys: Arc<Keys>,
    pub(crate) http: http::Http,
    pub(crate) validation: Validation,
    /// Opaque tokens: this issuer's introspection endpoint (RFC 7662), when on.
    pub(crate) introspection: Option<introspection::Introspection>,
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("name", &self.voucher.name)
            .field("directory", &self.voucher.directory)
            .field("issuer", &self.validation.issuer)
            .field("audiences", &self.validation.audiences)
            .field("key_source", &self.keys.source)
            .field("algorithms", &self.keys.algorithms)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// The name of the primary issuer (the one [`Config::builder`](super::Config::builder)
    /// takes, or `AXIOMS_ISS_URL`'s), and of the user directory it vouches for.
    pub const PRIMARY: &'static str = PRIMARY;

    /// Starts a builder for an issuer of your own; see the presets ([`Issuer::auth0`],
    /// [`Issuer::keycloak`], …) for the major providers.
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let issuer = Issuer::builder()
    ///     .issuer("https://login.example.com/realms/demo")
    ///     .audience("account")
    ///     .discovery(true);
    /// let config = Config::builder(issuer).build()?;
    /// assert!(config.primary().discovery_url().is_some());
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn builder() -> IssuerBuilder {
        IssuerBuilder::default()
    }

    /// The name it is trusted under: `"primary"`, or the name given to
    /// [`ConfigBuilder::trust`](super::ConfigBuilder::trust) (`AXIOMS_TRUST=PARTNER` →
    /// `"partner"`). Policies name it (`issuer = "partner"`); claims report it
    /// ([`Claims::vouched_by`](crate::Claims::vouched_by)).
    pub fn name(&self) -> &str {
        &self.voucher.name
    }

    /// The user directory its subjects belong to: `"primary"` for the primary issuer and the
    /// issuers that share its directory ([`Trust::same_directory`]), its own name for a
    /// partner.
    pub fn directory(&self) -> &str {
        &self.voucher.directory
    }

    /// The policies the operator extends to this partner issuer ([`Trust::partner_for`]).
    pub fn trusted_for(&self) -> impl Iterator<Item = &str> {
        self.voucher.policies.iter().map(|p| &**p)
    }

    /// The issuer every token's `iss` must equal exactly (a multi-tenant template as
    /// configured); `None` only with
    /// [`insecure_skip_issuer_check`](IssuerBuilder::insecure_skip_issuer_check).
    pub fn issuer(&self) -> Option<&str> {
        self.validation.issuer.as_ref().map(IssuerId::as_str)
    }

    /// The accepted audiences.
    pub fn audiences(&self) -> &[String] {
        &self.validation.audiences
    }

    /// Which claim carries the audience.
    pub fn audience_claim(&self) -> AudienceClaim {
        self.validation.audience_claim
    }

    /// The JWKS URL, unless keys are located by OIDC discovery or configured locally.
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
    /// [`IssuerBuilder::allow_tokens_without_subject`]).
    pub fn requires_subject(&self) -> bool {
        self.validation.require_subject
    }

    /// The Entra tenants (`tid`) a multi-tenant template accepts; `None` when it accepts
    /// every tenant ([`IssuerBuilder::accept_every_tenant`]) or the issuer is no template.
    pub fn tenants(&self) -> Option<&[String]> {
        match &self.validation.tenants {
            Tenants::Listed(tenants) => Some(tenants),
            Tenants::NotATemplate | Tenants::Every => None,
        }
    }
}

/// What a trusted issuer other than the primary is trusted for: how far a token it signs
/// reaches. Given to [`ConfigBuilder::trust`](super::ConfigBuilder::trust); from the
/// environment, `AXIOMS_<NAME>_SAME_DIRECTORY` and `AXIOMS_<NAME>_TRUSTED_FOR`.
///
/// * [`Trust::same_directory`]: the issuer vouches for **your** users — the same people,
///   subjects and roles as the primary (a move from Auth0 to Keycloak that accepts both for a
///   while, a second region of one IdP). Every policy accepts its tokens, and its subjects own
///   what the primary's own.
/// * [`Trust::partner`] (the default): a separate user directory — a customer's or partner's
///   IdP. Its tokens satisfy only policies that name it (`issuer = "partner"`, which also
///   lets the clauses beside it read its claims) or that the operator extends to it
///   ([`Trust::partner_for`]); its subjects own only objects whose owner is a
///   [`Principal`](crate::Principal) of its directory. Its `roles: ["admin"]` never makes
///   anyone an admin of yours, and its `sub: "alice"` is never your Alice.
///
/// # Example
///
/// ```
/// use axioms::Trust;
/// let partner = Trust::partner_for(["list_notes", "PartnerPortal"]);
/// assert!(!partner.is_same_directory());
/// assert!(Trust::same_directory().is_same_directory());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    same_directory: bool,
    policies: Vec<String>,
}

impl Trust {
    /// A separate user directory, trusted only where a policy names it.
    pub fn partner() -> Self {
        Self::default()
    }

    /// A separate user directory, trusted where a policy names it and by the policies named
    /// here (a handler's name for `#[protected]`, the policy's for `policy!`), as if it were
    /// the primary: their scopes, roles, permissions and step-up clauses accept its tokens.
    /// Ownership still compares within its directory. A name that no policy of the binary
    /// has is a startup error.
    pub fn partner_for<I, S>(policies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            same_directory: false,
            policies: policies.into_iter().map(Into::into).collect(),
        }
    }

    /// The primary's user directory: its users are yours, trusted by every policy.
    pub fn same_directory() -> Self {
        Self {
            same_directory: true,
            policies: Vec::new(),
        }
    }

    /// Whether the issuer shares the primary's user directory.
    pub fn is_same_directory(&self) -> bool {
        self.same_directory
    }
}

/// Builds the settings of one trusted issuer. Every setting has a secure default; see each
/// method. Start with [`Issuer::builder`] or a preset ([`Issuer::auth0`],
/// [`Issuer::cognito`], [`Issuer::entra`], [`Issuer::okta`], [`Issuer::keycloak`]).
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// use axioms::{Algorithm, Config, Issuer};
///
/// let issuer = Issuer::builder()
///     .issuer("https://tenant.eu.auth0.com/")
///     .audience("https://api.example.com")
///     .roles_claims(["https://example.com/roles"])
///     .algorithms([Algorithm::RS256])
///     .leeway(Duration::from_secs(30));
/// let config = Config::builder(issuer).build()?;
/// assert_eq!(
///     config.primary().jwks_url().map(|u| u.as_str()),
///     Some("https://tenant.eu.auth0.com/.well-known/jwks.json"),
/// );
/// # Ok::<(), axioms::ConfigError>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct IssuerBuilder {
    pub(super) issuer: Option<String>,
    pub(super) jwks_url: Option<String>,
    pub(super) domain: Option<String>,
    pub(super) discovery: bool,
    pub(super) insecure_skip_issuer: bool,
    pub(super) local_keys: Option<local::LocalKeys>,
    /// Both public keys and an HMAC secret were given: a startup error, never the weaker one.
    pub(super) local_keys_and_secret: bool,
    pub(super) introspection: introspection::IntrospectionSettings,
    pub(super) keys: KeySettings,
    pub(super) http: http::Http,
    pub(super) validation: ValidationSettings,
    pub(super) tenants: Option<Vec<String>>,
    pub(super) every_tenant: bool,
}

impl fmt::Debug for IssuerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerBuilder")
            .field("issuer", &self.issuer)
            .field("jwks_url", &self.jwks_url)
            .field("discovery", &self.discovery)
            .finish_non_exhaustive()
    }
}

impl IssuerBuilder {
    /// The one audience every token's `aud` must contain (`AXIOMS_AUDIENCE`). Required,
    /// unless the service names its resource ([`ConfigBuilder::resource`]), which is then the
    /// audience.
    ///
    /// [`ConfigBuilder::resource`]: super::ConfigBuilder::resource
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
    /// use axioms::{Config, Issuer};
    /// // RFC 7517, appendix A.1.
    /// let jwks = r#"{"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": "1",
    ///     "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
    ///     "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}]}"#;
    /// let issuer = Issuer::builder()
    ///     .issuer("https://billing.internal.example")
    ///     .audience("reports")
    ///     .local_keys(jwks);
    /// let config = Config::builder(issuer).build()?;
    /// assert_eq!(config.primary().jwks_url(), None);
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
    /// the issuer's one key). A JWKS issuer never accepts HS* (so an RSA public key used as an
    /// HMAC secret cannot pass), and `none` is never accepted.
    ///
    /// ```
    /// use axioms::{Algorithm, Config, Issuer};
    /// let secret = "a-secret-of-at-least-32-bytes-from-your-vault";
    /// let issuer = Issuer::builder()
    ///     .issuer("https://orders.internal.example")
    ///     .audience("orders")
    ///     .hmac_secret(secret, Algorithm::HS256);
    /// let config = Config::builder(issuer).build()?;
    /// assert_eq!(config.primary().algorithms(), [Algorithm::HS256]);
    ///
    /// let short = Issuer::builder().issuer("https://o.example").audience("o")
    ///     .hmac_secret("too-short", Algorithm::HS256);
    /// assert_eq!(Config::builder(short).build().unwrap_err().setting(), "AXIOMS_HMAC_SECRET");
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
    /// names it. Only the primary issuer may introspect: an opaque token does not say whose
    /// it is, so every bearer credential that is not a JWT goes there.
    ///
    /// The answer becomes the same [`Claims`](crate::Claims) a JWT gives (`scope`, `sub` —
    /// the `client_id` when the answer has none, as RFC 9068 §2.2 does for client
    /// credentials —, `aud`, `exp`, `client_id`, `cnf`…), checked the same way (issuer,
    /// audience, times, an access token and not a refresh token), and cached: an active
    /// answer until the earlier of its `exp` and
    /// [`introspection_cache`](Self::introspection_cache) (default 60 s, the longest a revoked
    /// token keeps working), an inactive one 5 s. `active: false` is 401 `invalid_token`; the
    /// endpoint down or failing is 503, never 401. Concurrent requests with one new token make
    /// one call.
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let issuer = Issuer::builder()
    ///     .issuer("https://sso.example.com/realms/main")
    ///     .audience("orders")
    ///     .introspection("orders-api", "its-secret");
    /// let config = Config::builder(issuer).build()?;
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
    /// for a JWKS that no other issuer shares, and only as the one trusted issuer: with
    /// several, the `iss` is how a token finds its keys.
    pub fn insecure_skip_issuer_check(mut self) -> Self {
        self.insecure_skip_issuer = true;
        self
    }

    /// The Entra tenants (`tid`, GUIDs) a multi-tenant issuer template accepts
    /// (`AXIOMS_TENANTS`, comma-separated). Required for a template
    /// ([`Issuer::entra_multi_tenant`]) unless [`accept_every_tenant`](Self::accept_every_tenant)
    /// says otherwise: any tenant's administrator can assign your application's roles to
    /// that tenant's users. A token of another tenant is 401 `invalid_token` before any
    /// policy runs.
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let issuer = Issuer::entra_multi_tenant("api://notes")
    ///     .tenants(["6e74172b-be56-4843-9ff4-e66a39bb12e3"]);
    /// let config = Config::builder(issuer).build()?;
    /// assert_eq!(config.primary().tenants().map(<[_]>::len), Some(1));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn tenants<I, S>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tenants = Some(tenants.into_iter().map(Into::into).collect());
        self
    }

    /// **Opens the API to every Entra tenant** (`AXIOMS_ACCEPT_EVERY_TENANT=true`): a
    /// multi-tenant template accepts tokens of any tenant, whose administrators can assign
    /// your app's roles to their own users. For a public multi-tenant SaaS whose policies
    /// and data are partitioned by `tid`; otherwise list the [`tenants`](Self::tenants).
    pub fn accept_every_tenant(mut self) -> Self {
        self.every_tenant = true;
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

    /// Validates the issuer's settings, for the service whose settings `service` holds: its
    /// place, its name and how far it is trusted.
    pub(super) fn check(
        mut self,
        service: &ServiceContext<'_>,
        slot: usize,
        name: &str,
        trust: &Trust,
    ) -> Result<Issuer, ConfigError> {
        let allow_http = service.allow_http;
        self.http.allow_insecure_http = allow_http;
        let issuer = self.resolve_issuer(allow_http)?;
        if self.keys.algorithms.iter().any(|a| a.is_hmac()) {
            return Err(ConfigError::new(
                "AXIOMS_ALGORITHMS",
                "HS256, HS384 and HS512 are never accepted from an allow-list",
                "for tokens your service signs itself with a secret, use \
                 IssuerBuilder::hmac_secret (AXIOMS_HMAC_SECRET), which pins one of them",
            ));
        }
        let source = self.key_source(issuer.as_ref(), allow_http)?;
        if let Some(local::LocalKeys::Hmac { alg, .. }) = &self.local_keys {
            // The secret verifies its one algorithm, and the issuer accepts nothing else.
            self.keys.algorithms = vec![*alg];
        }
        if let Some(resource) = service.resource {
            let audiences = &mut self.validation.audiences;
            if audiences.is_empty() {
                // RFC 8707: a token for this resource names it as its audience.
                audiences.push(resource.to_owned());
            } else if !audiences.iter().any(|a| a == resource) {
                return Err(ConfigError::new(
                    "AXIOMS_AUDIENCE",
                    format!(
                        "the accepted audiences do not include the resource `{resource}`, which \
                         tokens requested for it carry as `aud` (RFC 8707)"
                    ),
                    "leave AXIOMS_AUDIENCE unset (it defaults to AXIOMS_RESOURCE), or list the \
                     resource among the audiences (e.g. while migrating from an older one)",
                ));
            }
        }
        let tenants = self.check_tenants(issuer.as_ref())?;
        let introspection = self.introspection.check(issuer.as_ref(), allow_http)?;
        let validation = self.validation.check(
            issuer,
            tenants,
            service.max_token_bytes,
            Arc::clone(service.clock),
        )?;
        let keys = self.keys.check(source)?;
        let http = self.http.check()?;
        let directory = if trust.same_directory || slot == 0 {
            PRIMARY
        } else {
            name
        };
        Ok(Issuer {
            voucher: Arc::new(Voucher::new(
                slot,
                name,
                directory,
                trust.policies.iter().map(|p| Box::from(p.as_str())),
            )),
            keys: Arc::new(keys),
            http,
            validation,
            introspection,
        })
    }

    /// The tenant allow-list of a multi-tenant template.
    fn check_tenants(&self, issuer: Option<&IssuerId>) -> Result<Tenants, ConfigError> {
        let template = issuer.is_some_and(IssuerId::is_template);
        match (&self.tenants, self.every_tenant) {
            (Some(_), true) => Err(ConfigError::new(
                "AXIOMS_ACCEPT_EVERY_TENANT",
                "a tenant list and every tenant at once",
                "keep the list of the tenants you serve (AXIOMS_TENANTS), or accept every \
                 tenant, not both",
            )),
            (Some(_), false) | (None, true) if !template => Err(ConfigError::new(
                if self.every_tenant {
                    "AXIOMS_ACCEPT_EVERY_TENANT"
                } else {
                    "AXIOMS_TENANTS"
                },
                "tenants are chosen only for a multi-tenant issuer template \
                 (`https://login.microsoftonline.com/{tenantid}/v2.0`)",
                "remove the setting, or use the template (Issuer::entra_multi_tenant)",
            )),
            (None, false) if template => Err(ConfigError::new(
                "AXIOMS_TENANTS",
                "a multi-tenant issuer accepts tokens of every Entra tenant, and each tenant's \
                 administrators can assign your application's roles to their own users",
                "list the tenants you serve (AXIOMS_TENANTS=<tid>,… or \
                 IssuerBuilder::tenants), or accept every tenant on purpose \
                 (AXIOMS_ACCEPT_EVERY_TENANT=true or IssuerBuilder::accept_every_tenant)",
            )),
            (None, false) => Ok(Tenants::NotATemplate),
            (None, true) => {
                tracing::warn!(
                    target: "axioms",
                    issuer = issuer.map(IssuerId::as_str).unwrap_or_default(),
                    "accepting tokens of every Entra tenant (AXIOMS_ACCEPT_EVERY_TENANT)"
                );
                Ok(Tenants::Every)
            }
            (Some(list), false) => {
                if list.is_empty() {
                    return Err(ConfigError::new(
                        "AXIOMS_TENANTS",
                        "the tenant list is empty, so no token could ever verify",
                        "list the `tid` of each tenant you serve",
                    ));
                }
                let mut tenants = Vec::with_capacity(list.len());
                for tid in list {
                    if !is_guid(tid) {
                        return Err(ConfigError::new(
                            "AXIOMS_TENANTS",
                            format!("`{tid}` is not a tenant id (a GUID)"),
                            "list each tenant's `tid`, e.g. 6e74172b-be56-4843-9ff4-e66a39bb12e3",
                        ));
                    }
                    tenants.push(tid.to_ascii_lowercase());
                }
                Ok(Tenants::Listed(tenants))
            }
        }
    }

    /// The issuer, from `issuer` or the deprecated `AXIOMS_DOMAIN`, checked.
    fn resolve_issuer(&self, allow_http: bool) -> Result<Option<IssuerId>, ConfigError> {
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
        match issuer {
            Some(iss) => {
                // A multi-tenant template (`{tenantid}`) is validated with a sample tenant.
                let sample = iss.replace(TENANT_PLACEHOLDER, SAMPLE_TENANT);
                let url = parse_url("AXIOMS_ISS_URL", &sample, allow_http)?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(ConfigError::new(
                        "AXIOMS_ISS_URL",
                        "an issuer has no query or fragment (RFC 8414 §2)",
                        "remove the `?…` / `#…` part",
                    ));
                }
                Ok(Some(IssuerId::parse(&iss)))
            }
            None if !self.insecure_skip_issuer => Err(ConfigError::new(
                "AXIOMS_ISS_URL",
                "no issuer is set, so tokens from any issuer sharing the keys would be accepted",
                "set AXIOMS_ISS_URL to the exact `iss` of your tokens (e.g. \
                 `https://tenant.auth0.com/`), or call `.insecure_skip_issuer_check()` if you \
                 really mean it",
            )),
            None => Ok(None),
        }
    }

    /// Where keys come from: the JWKS URL, or derived from the issuer (directly or by
    /// discovery).
    fn key_source(
        &self,
        issuer: Option<&IssuerId>,
        allow_http: bool,
    ) -> Result<KeySource, ConfigError> {
        if let Some(local) = &self.local_keys {
            if self.local_keys_and_secret {
                return Err(ConfigError::new(
                    "AXIOMS_HMAC_SECRET",
                    "both local public keys and an HMAC secret: one issuer has one kind of key",
                    "keep the public keys (AXIOMS_LOCAL_KEYS_FILE), or the secret; trust a \
                     second issuer for the other (ConfigBuilder::trust)",
                ));
            }
            if self.jwks_url.is_some() || self.discovery {
                return Err(ConfigError::new(
                    "AXIOMS_LOCAL_KEYS_FILE",
                    "local keys and a fetched key set at once: keys of the two must never mix",
                    "configure either local keys (or an HMAC secret) or AXIOMS_JWKS_URL / \
                     AXIOMS_DISCOVERY; trust a second issuer for the other \
                     (ConfigBuilder::trust)",
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
        let Some(iss) = iss.exact() else {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_URL",
                "a multi-tenant issuer template has no key location of its own",
                "set AXIOMS_JWKS_URL, e.g. \
                 https://login.microsoftonline.com/common/discovery/v2.0/keys (or use \
                 Issuer::entra_multi_tenant)",
            ));
        };
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

/// What an issuer's checks need from the service's settings.
pub(super) struct ServiceContext<'a> {
    pub(super) allow_http: bool,
    /// The canonical resource URI, which every issuer's tokens must name as their audience.
    pub(super) resource: Option<&'a str>,
    pub(super) max_token_bytes: usize,
    pub(super) clock: &'a Arc<dyn crate::clock::Clock>,
}
