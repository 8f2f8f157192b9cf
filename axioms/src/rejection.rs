//! Why a request was refused, and the RFC 6750 response that says so.
//!
//! An [`AuthError`] has two faces. The client sees the generic one: a status, an RFC 6750 error
//! code and a fixed description ([`AuthError::description`]), never anything taken from the
//! token. The operator sees the precise one: [`AuthError::reason`], logged once per rejection
//! by [`AuthError::log`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::response::{IntoResponse, Response};
use http::{HeaderName, HeaderValue, StatusCode, header};

use crate::check::Mode;
use crate::www_authenticate::{BearerChallenge, ErrorCode};

/// The class of an [`AuthError`]; decides the status code and the challenge.
///
/// # Example
///
/// ```
/// use axioms::{AuthError, AuthErrorKind, Reason};
/// let err = AuthError::new(Reason::MissingToken);
/// assert_eq!(err.kind(), AuthErrorKind::MissingToken);
/// assert_eq!(err.status(), http::StatusCode::UNAUTHORIZED);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthErrorKind {
    /// No credentials: 401 with a bare `Bearer realm="…"` challenge and no error code.
    MissingToken,
    /// A malformed request: 400 `invalid_request`.
    InvalidRequest,
    /// A token that cannot be trusted: 401 `invalid_token`.
    InvalidToken,
    /// A valid token without the needed privilege: 403 `insufficient_scope`.
    InsufficientScope,
    /// A valid token whose user authentication is too weak or too old: 401
    /// `insufficient_user_authentication` with `acr_values` / `max_age` (RFC 9470).
    InsufficientUserAuthentication,
    /// The DPoP proof is missing or invalid: 401 `invalid_dpop_proof` on the `DPoP`
    /// challenge (RFC 9449 §7.1).
    InvalidDpopProof,
    /// The proof lacks the server's current nonce: 401 `use_dpop_nonce` with a `DPoP-Nonce`
    /// header (RFC 9449 §9).
    UseDpopNonce,
    /// No signing key could ever be loaded from the issuer, or the DPoP replay store cannot be
    /// reached: 503 with `Retry-After`. The token may be perfectly good, so clients must not
    /// discard it.
    Unavailable,
    /// The token is larger than this server accepts: 431 `invalid_request`. Fetching a new
    /// token would not help (it would be as large), so the status is not 401; the operator
    /// raises `AXIOMS_MAX_TOKEN_BYTES` or trims the token at the IdP.
    TokenTooLarge,
    /// An ownership policy with `mismatch = 404` denied: 404, with no challenge, so the
    /// response does not reveal that the object exists.
    NotFound,
}

/// Declares [`Reason`] from one table: each reason with its documentation, its kind (which
/// decides the status and the challenge), its stable label, the operator's message and,
/// where the client may be told precisely, the client's description.
macro_rules! reasons {
    (
        $(#[$attr:meta])*
        pub enum Reason {
            $(
                $(#[$doc:meta])*
                $variant:ident => $kind:ident, $label:literal, $message:literal
                    $(, client = $client:literal)?;
            )*
        }
    ) => {
        $(#[$attr])*
        pub enum Reason {
            $( $(#[$doc])* $variant, )*
        }

        impl Reason {
            /// A stable `snake_case` name for the reason, for metrics labels and log queries
            /// (`invalid_signature`, `missing_scope`…).
            ///
            /// ```
            /// assert_eq!(axioms::Reason::InvalidSignature.label(), "invalid_signature");
            /// ```
            pub const fn label(self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )*
                }
            }

            /// The class of rejection this reason belongs to.
            pub const fn kind(self) -> AuthErrorKind {
                match self {
                    $( Self::$variant => AuthErrorKind::$kind, )*
                }
            }

            /// What the operator reads in the log line.
            const fn message(self) -> &'static str {
                match self {
                    $( Self::$variant => $message, )*
                }
            }

            /// What the client may be told of this reason precisely (how a token must be
            /// presented is no secret of the token); `None`: the description of its kind.
            const fn client_description(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => reasons!(@client $($client)?), )*
                }
            }
        }
    };
    (@client) => { None };
    (@client $client:literal) => { Some($client) };
}

reasons! {
    /// The precise, internal reason for a rejection. Logged, never sent to the client.
    ///
    /// No variant carries data from the token, so a `Reason` can be logged as-is.
    ///
    /// # Example
    ///
    /// ```
    /// use axioms::{AuthError, AuthErrorKind, Reason};
    /// let err = AuthError::new(Reason::Expired);
    /// assert_eq!(err.kind(), AuthErrorKind::InvalidToken);
    /// assert_eq!(err.reason().to_string(), "token expired (exp + leeway <= now)");
    /// ```
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[non_exhaustive]
    pub enum Reason {
        // --- transport (RFC 6750 §2.1) ---
        /// No `Authorization` header.
        MissingToken => MissingToken, "missing_token", "no Authorization header";
        /// An `Authorization` header with a scheme other than `Bearer`.
        NotBearer => MissingToken, "not_bearer", "Authorization scheme is not Bearer";
        /// More than one `Authorization` header.
        MultipleAuthorizationHeaders => InvalidRequest, "multiple_authorization_headers",
            "more than one Authorization header";
        /// `Bearer` followed by something that is not `1*SP b64token`.
        MalformedAuthorization => InvalidRequest, "malformed_authorization",
            "Authorization header is not `Bearer <b64token>` or `DPoP <b64token>`";
        // --- compact serialization ---
        /// The token is longer than the configured maximum.
        TokenTooLarge => TokenTooLarge, "token_too_large",
            "token longer than the configured maximum; raise AXIOMS_MAX_TOKEN_BYTES (at most \
             65536) or make the IdP issue smaller tokens";
        /// Not three dot-separated segments.
        MalformedToken => InvalidToken, "malformed_token",
            "token is not three dot-separated segments";
        /// Five segments: a JWE, which access tokens for axioms never are.
        EncryptedToken => InvalidToken, "encrypted_token",
            "token is a JWE (five segments); only JWS is accepted";
        /// A segment is not strict unpadded base64url.
        InvalidBase64 => InvalidToken, "invalid_base64", "token segment is not unpadded base64url";
        /// The JOSE header is not a JSON object of the expected shape.
        InvalidHeader => InvalidToken, "invalid_header", "JOSE header is not a valid JSON object";
        /// A JSON object in the header or payload repeats a member name.
        DuplicateMember => InvalidToken, "duplicate_member", "JSON object repeats a member name";
        /// The payload is not a JSON object.
        InvalidPayload => InvalidToken, "invalid_payload", "payload is not a JSON object";
        // --- JOSE header ---
        /// `alg` is `none`.
        AlgNone => InvalidToken, "alg_none", "alg is none";
        /// `alg` is symmetric (HS*): never accepted.
        SymmetricAlgorithm => InvalidToken, "symmetric_algorithm",
            "alg is symmetric (HS*), never accepted";
        /// `alg` is unknown or not in the configured allow-list.
        AlgorithmNotAllowed => InvalidToken, "algorithm_not_allowed",
            "alg is unknown or not allowed";
        /// `typ` is not an accepted access-token type.
        InvalidType => InvalidToken, "invalid_type", "typ is not an accepted access-token type";
        /// `crit` is present: axioms understands no JWS extension.
        CriticalHeader => InvalidToken, "critical_header",
            "crit header present; no extension is understood";
        /// `cty` is present: nested JWTs are not accepted.
        NestedToken => InvalidToken, "nested_token",
            "cty header present; nested tokens are not accepted";
        /// `b64`, `enc` or `zip` is present: not a plain JWS.
        ForbiddenHeader => InvalidToken, "forbidden_header", "b64, enc or zip header present";
        /// `kid` is longer than 256 bytes.
        KidTooLong => InvalidToken, "kid_too_long", "kid longer than 256 bytes";
        /// No `kid` while the key set holds more than one usable key.
        MissingKid => InvalidToken, "missing_kid", "no kid and the key set has several keys";
        /// `kid` names no key of the issuer, even after a refetch.
        UnknownKid => InvalidToken, "unknown_kid", "kid not found in the issuer's key set";
        /// `kid` names two different keys in the key set.
        AmbiguousKid => InvalidToken, "ambiguous_kid", "kid names several different keys";
        /// The header's `alg` differs from the one the key is pinned to.
        AlgorithmKeyMismatch => InvalidToken, "algorithm_key_mismatch",
            "alg differs from the algorithm the key is pinned to (its JWK `alg`; for an RSA key \
             without `alg`, AXIOMS_RSA_KEY_ALG, default RS256)";
        /// The signature does not verify.
        InvalidSignature => InvalidToken, "invalid_signature", "signature does not verify";
        // --- claims ---
        /// `iss` is absent.
        MissingIssuer => InvalidToken, "missing_issuer", "iss claim absent";
        /// `iss` is not the configured issuer.
        IssuerMismatch => InvalidToken, "issuer_mismatch", "iss is not the configured issuer";
        /// `tid` names an Entra tenant the multi-tenant issuer does not accept
        /// (`AXIOMS_TENANTS`).
        TenantNotAllowed => InvalidToken, "tenant_not_allowed", "tid is not an accepted tenant";
        /// `aud` is absent or empty.
        MissingAudience => InvalidToken, "missing_audience",
            "audience claim (aud, or client_id) absent or empty";
        /// `aud` names none of the configured audiences.
        AudienceMismatch => InvalidToken, "audience_mismatch", "aud names no configured audience";
        /// `exp` is absent.
        MissingExpiry => InvalidToken, "missing_expiry", "exp claim absent";
        /// `exp + leeway <= now`.
        Expired => InvalidToken, "expired", "token expired (exp + leeway <= now)";
        /// `nbf - leeway > now`.
        NotYetValid => InvalidToken, "not_yet_valid", "token not yet valid (nbf - leeway > now)";
        /// `iat - leeway > now`.
        IssuedInFuture => InvalidToken, "issued_in_future",
            "token issued in the future (iat - leeway > now)";
        /// A registered claim has the wrong JSON type (e.g. a numeric `aud`, a string `exp`).
        ClaimType => InvalidToken, "claim_type", "a claim has the wrong JSON type";
        /// A claim required by the strict RFC 9068 profile is absent.
        MissingRequiredClaim => InvalidToken, "missing_required_claim",
            "a claim required by RFC 9068 is absent";
        /// `sub` is absent (RFC 9068 §2.2 requires it).
        MissingSubject => InvalidToken, "missing_subject",
            "sub claim absent (RFC 9068 §2.2 requires it); fix the IdP (Keycloak 25+: add the \
             `basic` client scope, or turn off lightweight access tokens), or set \
             AXIOMS_ALLOW_TOKENS_WITHOUT_SUB=true";
        /// The token is an ID, refresh or logout token, not an access token: it carries
        /// `at_hash`/`c_hash`/`s_hash`, a `nonce` without an access-token type, a Keycloak `typ`
        /// claim such as `ID`, or a Cognito `token_use` other than `access`.
        NotAccessToken => InvalidToken, "not_access_token",
            "not an access token: at_hash/c_hash/s_hash, nonce, typ or token_use mark an ID, \
             refresh or logout token";
        /// The token is sender-constrained (`cnf`) in a way that cannot be checked here: a
        /// confirmation method other than `jkt` (DPoP) and `x5t#S256` (mTLS), or a token passed to
        /// [`Axioms::verify`](crate::Axioms::verify), which sees no request to check the proof of
        /// possession against.
        SenderConstrained => InvalidToken, "sender_constrained",
            "token is sender-constrained (cnf) and its proof of possession cannot be checked \
             here; it cannot be used as a bearer token";
        // --- sender-constrained tokens (RFC 9449 DPoP, RFC 8705 mTLS) ---
        /// A DPoP-bound token (`cnf.jkt`) sent with the `Bearer` scheme (RFC 9449 §7.2).
        BoundTokenAsBearer => InvalidToken, "bound_token_as_bearer",
            "DPoP-bound token (cnf.jkt) sent as a Bearer token (RFC 9449 §7.2)",
            client = "the access token is DPoP-bound: send it as `Authorization: DPoP` with a \
             DPoP proof";
        /// `Authorization: DPoP` with a token that is not DPoP-bound.
        TokenNotDpopBound => InvalidToken, "token_not_dpop_bound",
            "Authorization: DPoP with a token that is not DPoP-bound",
            client = "the access token is not DPoP-bound: send it as a Bearer token";
        /// The configuration or the route's policy (`dpop = required`) requires DPoP-bound
        /// tokens, and this one is not.
        DpopRequired => InvalidToken, "dpop_required",
            "DPoP-bound tokens are required (AXIOMS_DPOP_REQUIRED, or the route's `dpop = \
             required`) and this token is not",
            client = "this resource requires a DPoP-bound access token";
        /// A DPoP-bound token, and DPoP is off: this server has no canonical URL to check a
        /// proof's `htu` against.
        DpopNotConfigured => InvalidToken, "dpop_not_configured",
            "a DPoP-bound token, and DPoP is off: set AXIOMS_RESOURCE (or AXIOMS_DPOP_ORIGIN) to \
             this server's public URL to accept DPoP";
        /// `Authorization: DPoP` without a `DPoP` header.
        MissingDpopProof => InvalidDpopProof, "missing_dpop_proof",
            "Authorization: DPoP without a DPoP header";
        /// More than one `DPoP` header.
        MultipleDpopProofs => InvalidDpopProof, "multiple_dpop_proofs", "more than one DPoP header";
        /// The proof is not a well-formed JWS of the expected shape (size, segments, base64url,
        /// JSON, required members and their types).
        MalformedDpopProof => InvalidDpopProof, "malformed_dpop_proof",
            "DPoP proof is not a well-formed JWS with the required members";
        /// The proof's `typ` is not `dpop+jwt`.
        DpopProofType => InvalidDpopProof, "dpop_proof_type", "DPoP proof typ is not dpop+jwt";
        /// The proof's `alg` is `none`, symmetric, or not in the DPoP allow-list.
        DpopProofAlgorithm => InvalidDpopProof, "dpop_proof_algorithm",
            "DPoP proof alg is none, symmetric or not allowed (AXIOMS_DPOP_ALGORITHMS)";
        /// The proof's `jwk` is missing, private, weak, unsupported or does not fit `alg`.
        DpopProofKey => InvalidDpopProof, "dpop_proof_key",
            "DPoP proof jwk is missing, private, weak, unsupported or not for alg";
        /// The proof's signature does not verify with its `jwk`.
        DpopProofSignature => InvalidDpopProof, "dpop_proof_signature",
            "DPoP proof signature does not verify with its jwk";
        /// The proof's `htm` is not the request's method.
        DpopMethodMismatch => InvalidDpopProof, "dpop_method_mismatch",
            "DPoP proof htm is not the request method";
        /// The proof's `htu` is not this resource's URL for the request.
        DpopUriMismatch => InvalidDpopProof, "dpop_uri_mismatch",
            "DPoP proof htu is not this resource's URL for the request (origin from \
             AXIOMS_DPOP_ORIGIN or AXIOMS_RESOURCE, path from the request)";
        /// The proof's `iat` is outside the accepted window.
        DpopProofStale => InvalidDpopProof, "dpop_proof_stale",
            "DPoP proof iat outside the accepted window (AXIOMS_DPOP_PROOF_LIFETIME_SECS, plus \
             the leeway)";
        /// The proof's `ath` is absent or not the hash of the access token.
        DpopTokenHashMismatch => InvalidDpopProof, "dpop_token_hash_mismatch",
            "DPoP proof ath absent or not the hash of the access token";
        /// The proof's `jti` was seen before within the window: a replay.
        DpopProofReplayed => InvalidDpopProof, "dpop_proof_replayed",
            "DPoP proof jti seen before: a replayed proof";
        /// The proof lacks the server's current nonce (or carries an old or foreign one).
        DpopNonceRequired => UseDpopNonce, "dpop_nonce_required",
            "DPoP proof lacks the server's current nonce";
        /// The proof's key is not the key the token is bound to (`cnf.jkt`).
        DpopKeyMismatch => InvalidToken, "dpop_key_mismatch",
            "DPoP proof key is not the key the token is bound to (cnf.jkt)",
            client = "the DPoP proof is not signed with the key the access token is bound to";
        /// The DPoP replay store could not be reached in time (fails closed).
        ReplayStoreUnavailable => Unavailable, "replay_store_unavailable",
            "the DPoP replay store did not answer in time; refusing rather than risk a replay",
            client = "the DPoP replay check is unavailable; retry later";
        /// The in-memory DPoP replay store is full of unexpired proofs (fails closed).
        ReplayStoreFull => Unavailable, "replay_store_full",
            "the in-memory DPoP replay store is full of unexpired proofs; refusing rather than \
             forget one (raise the capacity, or use the Redis store)",
            client = "the DPoP replay check is unavailable; retry later";
        /// The proof's client key holds its whole share of the DPoP replay store (it sends
        /// proofs faster than they expire); every other key's proofs still pass.
        DpopKeyQuota => Unavailable, "dpop_key_quota",
            "this DPoP client key holds its whole share of the replay store \
             (AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY): it sends proofs faster than they expire",
            client = "the DPoP replay check is unavailable; retry later";
        /// A certificate-bound token (`cnf["x5t#S256"]`) on a request without a client
        /// certificate.
        MissingClientCertificate => InvalidToken, "missing_client_certificate",
            "certificate-bound token (cnf x5t#S256) without a client certificate on the request",
            client = "the access token is bound to a client certificate this request does not \
             present";
        /// The client certificate is not the one the token is bound to.
        ClientCertificateMismatch => InvalidToken, "client_certificate_mismatch",
            "the client certificate is not the one the token is bound to (cnf x5t#S256)",
            client = "the access token is bound to a client certificate this request does not \
             present";
        /// The trusted client-certificate header is malformed or repeated.
        MalformedClientCertificate => InvalidRequest, "malformed_client_certificate",
            "the trusted client-certificate header is malformed",
            client = "the client certificate could not be read";
        // --- API keys ---
        /// The API key is not one of the configured keys.
        InvalidApiKey => InvalidToken, "invalid_api_key",
            "the API key is not one of the configured keys",
            client = "the API key is not valid";
        /// The API-key header is repeated, empty, too long or not visible ASCII.
        MalformedApiKey => InvalidRequest, "malformed_api_key",
            "the API-key header is repeated, empty, too long or not ASCII",
            client = "the API-key header is malformed";
        /// Both an `Authorization` credential and an API key: one credential per request.
        MultipleCredentials => InvalidRequest, "multiple_credentials",
            "both an Authorization credential and an API key",
            client = "send one credential: an Authorization header or an API key, not both";
        /// The API-key store could not answer.
        ApiKeyStoreUnavailable => Unavailable, "api_key_store_unavailable",
            "the API-key store did not answer",
            client = "API keys cannot be checked now; retry later";
        /// The route's policy does not accept this kind of credential (`credentials = …`).
        CredentialNotAccepted => InsufficientScope, "credential_not_accepted",
            "the route does not accept this kind of credential",
            client = "this resource does not accept this kind of credential";
        /// The route's policy does not accept tokens of the issuer that vouched for this one
        /// (`issuer = …`).
        IssuerNotAccepted => InsufficientScope, "issuer_not_accepted",
            "the route does not accept tokens of this issuer (issuer = …)",
            client = "this resource does not accept tokens of this issuer";
        /// The route's policy does not accept this token's actor, or accepts no delegated
        /// token (`actor = …`, RFC 8693 §4.1).
        ActorNotAccepted => InsufficientScope, "actor_not_accepted",
            "the route does not accept this token's actor (actor = …)",
            client = "this resource does not accept tokens obtained by this party";
        // --- token sources ---
        /// The configured token header or cookie is repeated, or not a token.
        MalformedTokenSource => InvalidRequest, "malformed_token_source",
            "the token header or cookie is repeated or not a token",
            client = "the access token header or cookie is malformed";
        /// A token from a cookie on a method that changes state, without an allowed `Origin`
        /// (cross-site request forgery).
        CrossSiteRequest => InvalidRequest, "cross_site_request",
            "a state-changing request with the token cookie, without an allowed Origin",
            client = "a request that changes state with the token cookie must come from an \
             allowed Origin";
        // --- keys ---
        /// The JWKS has never been loaded (the issuer is unreachable).
        KeysUnavailable => Unavailable, "keys_unavailable",
            "no signing keys have been loaded from the issuer";
        // --- opaque tokens (RFC 7662) ---
        /// The issuer's introspection endpoint says the token is not active (expired, revoked,
        /// unknown).
        TokenInactive => InvalidToken, "token_inactive",
            "the introspection endpoint says the token is not active",
            client = "the access token is not active";
        /// The introspection endpoint could not be asked, or did not answer usably.
        IntrospectionUnavailable => Unavailable, "introspection_unavailable",
            "the introspection endpoint did not answer usably",
            client = "the access token cannot be checked now; retry later";
        // --- authorization ---
        /// A required scope is missing.
        MissingScope => InsufficientScope, "missing_scope", "required scope missing";
        /// A required role is missing.
        MissingRole => InsufficientScope, "missing_role", "required role missing";
        /// A required permission is missing.
        MissingPermission => InsufficientScope, "missing_permission", "required permission missing";
        /// The caller does not own the object.
        NotOwner => InsufficientScope, "not_owner", "caller does not own the object";
        /// The caller does not own the object, and the policy hides its existence
        /// (`mismatch = 404`; an MCP resource is answered "Resource not found").
        NotOwnerHidden => NotFound, "not_owner_hidden",
            "caller does not own the object (its existence hidden: 404, or MCP \"Resource not found\")";
        /// A policy denied the request.
        PolicyDenied => InsufficientScope, "policy_denied", "policy denied the request";
        /// The user's authentication does not meet the policy's `acr` or `max_age` (step-up).
        InsufficientUserAuthentication => InsufficientUserAuthentication,
            "insufficient_user_authentication",
            "the user's authentication is too weak (acr) or too old (auth_time) for the policy's \
             acr / max_age";
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// A refused request: what the client is told, and the precise reason behind it.
///
/// `AuthError` implements [`IntoResponse`] with the RFC 6750 response: the status of its
/// [`kind`](Self::kind), a `WWW-Authenticate: Bearer` challenge, and a JSON body
/// `{"error": "…", "error_description": "…"}` — except a hidden ownership denial
/// ([`AuthErrorKind::NotFound`]), which is a bare `404` exactly like a fetch function's `None`.
/// To render your own format, see
/// [`Axioms::with_error_renderer`](crate::Axioms::with_error_renderer): it renders every
/// rejection, the hidden 404 included (render it as your application's own not-found).
///
/// # Example
///
/// ```
/// use axioms::{AuthError, Reason};
/// use axum::response::IntoResponse;
///
/// let err = AuthError::new(Reason::MissingScope).with_scopes(["read:data"]);
/// let response = err.into_response();
/// assert_eq!(response.status(), 403);
/// assert_eq!(
///     response.headers()["www-authenticate"],
///     r#"Bearer realm="api", error="insufficient_scope", error_description="the access token does not grant this request: it needs the scope in `scope`", scope="read:data""#
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AuthError(
    /// Boxed: a rejection is the rare path, and inline its fields would make every
    /// `Result<Claims, AuthError>` — and every request's future that holds a verdict — over a
    /// hundred bytes larger.
    Box<details::AuthError>,
);

impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

mod details {
    use super::*;

    /// What an [`AuthError`](super::AuthError) says.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub(super) struct AuthError {
        pub(super) reason: Reason,
        pub(super) realm: Arc<str>,
        pub(super) scopes: Option<Arc<[Box<str>]>>,
        /// How the scopes combine: one of them (`any`) or all of them.
        pub(super) scope_mode: Mode,
        /// `resource_metadata` of the challenge (RFC 9728 §5.1), when a resource is configured.
        pub(super) resource_metadata: Option<Arc<str>>,
        /// `acr_values` and `max_age` of a step-up challenge (RFC 9470).
        /// (Boxed: rare, and it would make every `Result<_, AuthError>` larger.)
        pub(super) step_up: Option<Box<(&'static [&'static str], Option<u64>)>>,
        pub(super) retry_after: Option<Duration>,
        /// The scheme the request used, once known: the challenge carrying the error is that one.
        pub(super) scheme: Option<Scheme>,
        /// The DPoP challenge offered beside (or instead of) `Bearer`, when DPoP is on.
        pub(super) dpop: Option<Arc<DpopOffer>>,
        /// The `DPoP-Nonce` of a `use_dpop_nonce` answer.
        pub(super) dpop_nonce: Option<Arc<str>>,
        /// Operator-only context for the log line (never sent): e.g. which key refused which
        /// algorithm. Holds no token material beyond an escaped `kid`.
        pub(super) detail: Option<Arc<str>>,
    }
}

impl AuthError {
    /// An error for `reason`, with the default realm `"api"`.
    pub fn new(reason: Reason) -> Self {
        Self(Box::new(details::AuthError {
            reason,
            realm: Arc::from("api"),
            scopes: None,
            scope_mode: Mode::All,
            resource_metadata: None,
            step_up: None,
            retry_after: None,
            scheme: None,
            dpop: None,
            dpop_nonce: None,
            detail: None,
        }))
    }

    /// Records the authentication scheme the request used, so that the error information
    /// goes on that challenge (RFC 9449 §7.2).
    #[must_use]
    pub(crate) fn presented_with(mut self, scheme: Scheme) -> Self {
        self.0.scheme = Some(scheme);
        self
    }

    /// Offers the `DPoP` scheme in the challenge.
    #[must_use]
    pub(crate) fn with_dpop(mut self, offer: Arc<DpopOffer>) -> Self {
        self.0.dpop = Some(offer);
        self
    }

    /// Sets the `DPoP-Nonce` header of the response.
    #[must_use]
    pub(crate) fn with_dpop_nonce(mut self, nonce: impl Into<Arc<str>>) -> Self {
        self.0.dpop_nonce = Some(nonce.into());
        self
    }

    /// The `DPoP-Nonce` the response carries (a `use_dpop_nonce` answer), if any.
    pub fn dpop_nonce(&self) -> Option<&str> {
        self.0.dpop_nonce.as_deref()
    }

    /// Names the scopes of which **one** would have satisfied the request (a policy's
    /// `scopes = any(…)`); the description says so.
    #[must_use]
    pub fn with_alternative_scopes<I, S>(self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut err = self.with_scopes(scopes);
        err.0.scope_mode = Mode::Any;
        err
    }

    /// Names the scopes a policy requires, combined as `mode` says: all of them
    /// ([`with_scopes`](Self::with_scopes)), or one of them
    /// ([`with_alternative_scopes`](Self::with_alternative_scopes)).
    #[must_use]
    pub(crate) fn with_scope_requirement<I, S>(self, scopes: I, mode: Mode) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        match mode {
            Mode::Any => self.with_alternative_scopes(scopes),
            Mode::All => self.with_scopes(scopes),
        }
    }

    /// Points the challenge at the resource's metadata document (`resource_metadata`,
    /// RFC 9728 §5.1). [`Axioms`](crate::Axioms) sets it on every error when a resource is
    /// configured.
    #[must_use]
    pub fn with_resource_metadata(mut self, url: impl Into<Arc<str>>) -> Self {
        self.0.resource_metadata = Some(url.into());
        self
    }

    /// What a step-up challenge asks for (RFC 9470): `acr_values` and `max_age`.
    #[must_use]
    pub fn with_step_up(
        mut self,
        acr_values: &'static [&'static str],
        max_age: Option<u64>,
    ) -> Self {
        self.0.step_up = Some(Box::new((acr_values, max_age)));
        self
    }

    /// The `resource_metadata` URL of the challenge, if any.
    pub fn resource_metadata(&self) -> Option<&str> {
        self.0.resource_metadata.as_deref()
    }

    /// Adds operator-only context to the log line.
    pub(crate) fn with_detail(mut self, detail: impl Into<Arc<str>>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Sets the realm named in the challenge.
    #[must_use]
    pub fn with_realm(mut self, realm: Arc<str>) -> Self {
        self.0.realm = realm;
        self
    }

    /// Names the scopes that together would have satisfied the request (the challenge's
    /// `scope`).
    #[must_use]
    pub fn with_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let v: Vec<Box<str>> = scopes.into_iter().map(|s| Box::from(s.as_ref())).collect();
        self.0.scopes = (!v.is_empty()).then(|| Arc::from(v));
        self.0.scope_mode = Mode::All;
        self
    }

    /// Sets the `Retry-After` of an [`AuthErrorKind::Unavailable`] response.
    #[must_use]
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.0.retry_after = Some(after);
        self
    }

    /// The class of the rejection.
    pub fn kind(&self) -> AuthErrorKind {
        self.0.reason.kind()
    }

    /// The precise internal reason. Safe to log; never contains token material.
    pub fn reason(&self) -> Reason {
        self.0.reason
    }

    /// The realm named in the challenge.
    pub fn realm(&self) -> &str {
        &self.0.realm
    }

    /// The scopes named in the challenge, if any.
    pub fn scopes(&self) -> &[Box<str>] {
        self.0.scopes.as_deref().unwrap_or(&[])
    }

    /// The `Retry-After` delay of an unavailable response.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The HTTP status: 400, 401, 403, 404 (a hidden ownership denial), 431 (an oversized
    /// token) or 503.
    pub fn status(&self) -> StatusCode {
        match self.kind() {
            AuthErrorKind::MissingToken
            | AuthErrorKind::InvalidToken
            | AuthErrorKind::InvalidDpopProof
            | AuthErrorKind::UseDpopNonce
            | AuthErrorKind::InsufficientUserAuthentication => StatusCode::UNAUTHORIZED,
            AuthErrorKind::InvalidRequest => StatusCode::BAD_REQUEST,
            AuthErrorKind::InsufficientScope => StatusCode::FORBIDDEN,
            AuthErrorKind::NotFound => StatusCode::NOT_FOUND,
            AuthErrorKind::TokenTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            AuthErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The RFC 6750 error code, if the response carries one. A request without credentials gets
    /// none (RFC 6750 §3.1), nor does an unavailable issuer.
    pub fn code(&self) -> Option<ErrorCode> {
        match self.kind() {
            AuthErrorKind::MissingToken | AuthErrorKind::Unavailable | AuthErrorKind::NotFound => {
                None
            }
            AuthErrorKind::InvalidRequest | AuthErrorKind::TokenTooLarge => {
                Some(ErrorCode::InvalidRequest)
            }
            AuthErrorKind::InvalidToken => Some(ErrorCode::InvalidToken),
            AuthErrorKind::InsufficientScope => Some(ErrorCode::InsufficientScope),
            AuthErrorKind::InsufficientUserAuthentication => {
                Some(ErrorCode::InsufficientUserAuthentication)
            }
            AuthErrorKind::InvalidDpopProof => Some(ErrorCode::InvalidDpopProof),
            AuthErrorKind::UseDpopNonce => Some(ErrorCode::UseDpopNonce),
        }
    }

    /// The generic description sent to the client. It depends only on the kind (and, for a
    /// missing privilege, on how the listed scopes combine), so it cannot leak why a token
    /// failed (that is [`reason`](Self::reason), for the logs).
    pub fn description(&self) -> &'static str {
        if let Some(precise) = self.0.reason.client_description() {
            return precise;
        }
        match self.kind() {
            AuthErrorKind::MissingToken => "a bearer access token is required",
            AuthErrorKind::InvalidRequest => "the Authorization header is malformed",
            AuthErrorKind::InvalidToken => "the access token is invalid or expired",
            AuthErrorKind::InsufficientScope => match (self.scopes().len(), self.0.scope_mode) {
                (0, _) => "the access token does not grant this request",
                (1, _) => {
                    "the access token does not grant this request: it needs the scope in `scope`"
                }
                (_, Mode::Any) => {
                    "the access token does not grant this request: it needs one of the scopes in `scope`"
                }
                (_, Mode::All) => {
                    "the access token does not grant this request: it needs every scope in `scope`"
                }
            },
            AuthErrorKind::NotFound => "not found",
            AuthErrorKind::InvalidDpopProof => "the DPoP proof is missing or invalid",
            AuthErrorKind::UseDpopNonce => {
                "the DPoP proof must carry the nonce of the `DPoP-Nonce` header"
            }
            AuthErrorKind::InsufficientUserAuthentication => {
                "a stronger or more recent authentication is required (see `acr_values` and \
                 `max_age`)"
            }
            AuthErrorKind::TokenTooLarge => {
                "the access token is larger than this server accepts; a new token would not help"
            }
            AuthErrorKind::Unavailable => {
                "the authorization server's keys are unavailable; retry later"
            }
        }
    }

    /// The `WWW-Authenticate` challenge for this error (none for 503, nor for a hidden 404).
    pub fn challenge(&self) -> Option<HeaderValue> {
        if matches!(
            self.kind(),
            AuthErrorKind::Unavailable | AuthErrorKind::NotFound
        ) {
            return None;
        }
        let bearer_offered = self.0.dpop.as_ref().is_none_or(|offer| offer.bearer);
        // The error goes on the challenge of the scheme the request used; when that is not
        // known (e.g. two `Authorization` headers), on both (RFC 9449 §7.2).
        let carries_error = |scheme: Scheme| match self.0.scheme {
            None => true,
            Some(Scheme::Bearer) => scheme == Scheme::Bearer || !bearer_offered,
            Some(Scheme::DPoP) => scheme == Scheme::DPoP,
        };
        let build = |scheme: Scheme| {
            let mut challenge = BearerChallenge::new(&*self.0.realm).scheme(scheme.as_str());
            if carries_error(scheme) {
                if let Some(code) = self.code() {
                    challenge = challenge.error(code).description(self.description());
                }
                if let Some(scopes) = &self.0.scopes {
                    challenge = challenge.scope(scopes.iter());
                }
                if let Some(&(acr, max_age)) = self.0.step_up.as_deref() {
                    challenge = challenge.step_up(acr, max_age);
                }
            }
            if scheme == Scheme::DPoP
                && let Some(offer) = &self.0.dpop
            {
                challenge = challenge.algs(&*offer.algs);
            }
            if let Some(url) = &self.0.resource_metadata {
                challenge = challenge.resource_metadata(&**url);
            }
            challenge.to_string()
        };
        let mut value = String::new();
        if bearer_offered {
            value.push_str(&build(Scheme::Bearer));
        }
        if self.0.dpop.is_some() {
            if !value.is_empty() {
                value.push_str(", ");
            }
            value.push_str(&build(Scheme::DPoP));
        }
        // Only printable ASCII was written, so this cannot fail; fall back to the bare
        // scheme rather than panic if that invariant is ever broken.
        Some(HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer")))
    }

    /// Emits the one tracing event of this rejection, at a level that cannot flood the logs:
    /// `debug` for missing credentials and insufficient privileges (routine), `info` for bad
    /// tokens and malformed requests, `warn` when the issuer's keys are unavailable or a
    /// token exceeds the size limit (both need the operator).
    pub fn log(&self) {
        let reason = self.0.reason;
        let status = self.status().as_u16();
        crate::metrics::rejection(status, reason.label());
        let detail = self.0.detail.as_deref().unwrap_or("");
        match self.kind() {
            AuthErrorKind::MissingToken
            | AuthErrorKind::InsufficientScope
            | AuthErrorKind::InsufficientUserAuthentication
            | AuthErrorKind::NotFound => {
                tracing::debug!(target: "axioms", %reason, status, detail, "request rejected");
            }
            AuthErrorKind::InvalidRequest
            | AuthErrorKind::InvalidToken
            | AuthErrorKind::InvalidDpopProof
            | AuthErrorKind::UseDpopNonce => {
                tracing::info!(target: "axioms", %reason, status, detail, "request rejected");
            }
            AuthErrorKind::Unavailable | AuthErrorKind::TokenTooLarge => {
                tracing::warn!(target: "axioms", %reason, status, detail, "request rejected");
            }
        }
    }

    /// The JSON body `{"error", "error_description"}`.
    pub fn body(&self) -> serde_json::Value {
        let error = match self.kind() {
            AuthErrorKind::MissingToken => "unauthorized",
            AuthErrorKind::NotFound => "not_found",
            AuthErrorKind::Unavailable => "temporarily_unavailable",
            _ => self.code().map_or("unauthorized", ErrorCode::as_str),
        };
        serde_json::json!({ "error": error, "error_description": self.description() })
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status(), self.0.reason)
    }
}

impl std::error::Error for AuthError {}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        if self.kind() == AuthErrorKind::NotFound {
            // Exactly what a fetch function's `None` answers, so that "not yours" and "does
            // not exist" cannot be told apart (an error renderer may render both its way).
            return StatusCode::NOT_FOUND.into_response();
        }
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(challenge) = self.challenge() {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(nonce) = self
            .0
            .dpop_nonce
            .as_deref()
            .and_then(|n| HeaderValue::from_str(n).ok())
        {
            headers.insert(HeaderName::from_static("dpop-nonce"), nonce);
        }
        if let Some(after) = self.0.retry_after {
            headers.insert(
                header::RETRY_AFTER,
                HeaderValue::from(after.as_secs().max(1)),
            );
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// An authentication scheme of the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    /// `Bearer` (RFC 6750).
    Bearer,
    /// `DPoP` (RFC 9449 §7.1).
    DPoP,
}

impl Scheme {
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::DPoP => "DPoP",
        }
    }
}

/// How the challenge offers DPoP: its `algs`, and whether `Bearer` is offered too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DpopOffer {
    /// The proof algorithms, space-separated.
    pub(crate) algs: Arc<str>,
    /// `Bearer` is offered beside `DPoP` (false when DPoP is required).
    pub(crate) bearer: bool,
}

/// A function that renders an [`AuthError`] as your application's response.
///
/// ```
/// use axioms::{AuthError, ErrorRenderer};
/// use axum::response::IntoResponse;
/// use std::sync::Arc;
/// let plain: ErrorRenderer = Arc::new(|err: &AuthError| (err.status(), err.description()).into_response());
/// # let _ = plain;
/// ```
pub type ErrorRenderer = Arc<dyn Fn(&AuthError) -> Response + Send + Sync>;

/// The rejection of the axioms extractors: an [`AuthError`] plus the application's renderer.
///
/// Its [`IntoResponse`] uses the renderer installed with
/// [`Axioms::with_error_renderer`](crate::Axioms::with_error_renderer), or the RFC 6750 default.
///
/// # Example
///
/// ```
/// use axioms::{AuthError, Reason, Rejection};
/// let rejection = Rejection::from(AuthError::new(Reason::Expired));
/// assert_eq!(rejection.error().status(), 401);
/// ```
#[derive(Clone)]
pub struct Rejection {
    error: AuthError,
    renderer: Option<ErrorRenderer>,
}

impl Rejection {
    pub(crate) fn new(error: AuthError, renderer: Option<ErrorRenderer>) -> Self {
        Self { error, renderer }
    }

    /// The underlying error.
    pub fn error(&self) -> &AuthError {
        &self.error
    }

    /// Takes the underlying error.
    pub fn into_error(self) -> AuthError {
        self.error
    }
}

impl From<AuthError> for Rejection {
    fn from(error: AuthError) -> Self {
        Self::new(error, None)
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("error", &self.error)
            .field("custom_renderer", &self.renderer.is_some())
            .finish()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for Rejection {}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match &self.renderer {
            Some(render) => render(&self.error),
            None => self.error.into_response(),
        }
    }
}
