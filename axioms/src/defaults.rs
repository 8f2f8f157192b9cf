//! The defaults, in one place (documented in the README's configuration table). Every
//! setting's default and bound is here; the settings' groups and the components read them.
//!
//! ```
//! assert_eq!(axioms::defaults::MAX_TOKEN_BYTES, 32 * 1024);
//! assert!(axioms::defaults::SAFE_METHODS.is_empty());
//! ```

use std::time::Duration;

use crate::algorithm::Algorithm;

// Tokens.

/// Clock skew tolerated on `exp`, `nbf` and `iat`: 60 s (at most 300 s).
pub const LEEWAY: Duration = Duration::from_secs(60);
/// Largest token accepted, before any decoding: 32 KiB (between 1 KiB and 64 KiB). Fits the
/// largest tokens real IdPs emit (Keycloak with hundreds of roles and groups); a larger one is
/// answered `431` so that clients do not loop fetching a same-sized token.
pub const MAX_TOKEN_BYTES: usize = 32 * 1024;

/// The longest delegation chain (`act` nested in `act`, RFC 8693 §4.1) a token may carry:
/// 16. A deeper one is refused as malformed (`claim_type`): no real chain of services is this
/// long, and the bound limits the work of reading it.
pub const MAX_ACTORS: usize = 16;

// Keys and their refresh.

/// Background JWKS refresh period when the IdP sends no `Cache-Control`: 5 min (at most 24 h).
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(300);
/// Lower bound on a `Cache-Control: max-age` honoured for refreshes: 60 s.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// Upper bound on a `Cache-Control: max-age` honoured for refreshes: 1 h (at most 24 h).
pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(3600);
/// Minimum time between two refetches caused by unknown `kid`s: 10 s (at most 30 s). A key
/// newly published by the IdP is accepted at most this long after its first use.
pub const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(10);
/// Longest wait between retries while the IdP fails: 15 s (retries start at 1 s and double;
/// at most 30 s).
pub const RETRY_MAX_BACKOFF: Duration = Duration::from_secs(15);
/// How long the last good keys keep serving while every refresh fails: 24 h (at most 7 days).
pub const MAX_STALE: Duration = Duration::from_secs(24 * 3600);
/// Most keys taken from one JWKS: 100.
pub const MAX_KEYS: usize = 100;
/// The algorithm an RSA key without `alg` is pinned to: RS256.
pub const RSA_KEY_ALG: Algorithm = Algorithm::RS256;

// Fetching from the authorization server.

/// TCP + TLS connect timeout of JWKS and discovery fetches: 5 s.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Whole-request timeout of JWKS and discovery fetches: 10 s (at most 60 s). A request waiting
/// for a key fetch in flight waits at most this long.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest JWKS or discovery body read: 512 KiB.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;

// Requests.

/// Verified tokens kept in the token cache: 4096 (0 turns the cache off).
pub const TOKEN_CACHE_ENTRIES: usize = 4096;
/// Memory ceiling of the token cache, counting each token and its parsed claims: 8 MiB.
pub const TOKEN_CACHE_BYTES: usize = 8 * 1024 * 1024;
/// Realm of the `WWW-Authenticate` challenge: `api`.
pub const REALM: &str = "api";

// DPoP (RFC 9449).

/// How long after its `iat` a DPoP proof is accepted: 60 s (plus the leeway). RFC 9449 §11.1
/// asks for "seconds or minutes"; a proof is made for one request.
pub const DPOP_PROOF_LIFETIME: Duration = Duration::from_secs(60);
/// Longest accepted proof lifetime: 5 minutes.
pub const MAX_DPOP_PROOF_LIFETIME: Duration = Duration::from_secs(300);
/// Proofs remembered by the in-memory replay store: 100 000 (about 10 MiB).
pub const DPOP_REPLAY_ENTRIES: usize = 100_000;
/// Largest accepted `DPoP` header: 8 KiB (an RSA-4096 proof is under 2 KiB).
pub const MAX_DPOP_PROOF_BYTES: usize = 8 * 1024;

// Opaque tokens (RFC 7662).

/// Longest an active introspection answer is reused: 60 s (at most 1 h). A revoked token
/// keeps working at most this long.
pub const INTROSPECTION_CACHE: Duration = Duration::from_secs(60);
/// How long an inactive answer is reused: 5 s (at most 60 s), so a flood of one bad token
/// costs one call per period.
pub const INTROSPECTION_NEGATIVE_CACHE: Duration = Duration::from_secs(5);
/// Most introspection answers kept: 10 000.
pub const INTROSPECTION_CACHE_ENTRIES: usize = 10_000;
/// Heap the cached answers may hold: 8 MiB.
pub const INTROSPECTION_CACHE_BYTES: usize = 8 * 1024 * 1024;
/// Most inactive answers kept: 1 000, in a budget of their own, so that a flood of random
/// tokens never evicts an active answer.
pub const INTROSPECTION_NEGATIVE_CACHE_ENTRIES: usize = 1_000;
/// Calls to an introspection endpoint in flight at once, for any token: 64.
pub const INTROSPECTION_FLIGHTS: usize = 64;
/// Further calls kept for tokens whose last answer was active: 16. A flood of unknown tokens
/// cannot take them, so a known token's next answer does not queue behind it.
pub const INTROSPECTION_RESERVED_FLIGHTS: usize = 16;
/// How long a request waits for a free call before it is answered 503: 500 ms.
pub const INTROSPECTION_SLOT_WAIT: Duration = Duration::from_millis(500);

// API keys.

/// Longest API key accepted, in bytes; longer values are refused before hashing.
pub const MAX_API_KEY_BYTES: usize = 512;
/// Longest an [`ApiKeyStore`](crate::api_key::ApiKeyStore) lookup may take before the request
/// is answered 503: 500 ms (a hung store must not hang requests).
pub const API_KEY_LOOKUP_TIMEOUT: Duration = Duration::from_millis(500);

// MCP servers.

/// Largest JSON-RPC request body read by default: 1 MiB.
pub const MCP_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Methods that need no token: none. CORS preflight is answered before routing by
/// `tower_http::cors::CorsLayer` (see the README), not by skipping authentication.
pub const SAFE_METHODS: &[http::Method] = &[];
