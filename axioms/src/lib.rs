//! # axioms
//!
//! Declarative OAuth2/OIDC access-token authorization for [axum]: verify the JWT access
//! tokens of an external authorization server (Auth0, Cognito, Entra ID, Okta, Keycloak, any
//! OIDC provider) against its live JWKS, then check scopes, roles, permissions and ownership.
//!
//! axioms is a **resource server** library: it never sees passwords and never issues
//! production tokens.
//!
//! **New here?** [The guide](guide) takes one concern per page — configuration and providers,
//! policies, ownership, several issuers, sender-constrained tokens, testing your own API, the
//! errors a client receives — and every example on it runs as a test.
//!
//! ## Quick start
//!
//! ```no_run
//! use axioms::{Axioms, Claims};
//! use axum::{Router, routing::get};
//!
//! async fn profile(claims: Claims) -> String {
//!     format!("hello {}", claims.subject().unwrap_or("?"))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     // AXIOMS_AUDIENCE=my-api AXIOMS_ISS_URL=https://tenant.eu.auth0.com/
//!     let axioms = Axioms::from_env()?;
//!     let app = Router::new().route("/profile", get(profile)).with_state(axioms);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! ```
//!
//! ## What is checked
//!
//! * **Transport** (RFC 6750 §2.1): exactly one `Authorization: Bearer <b64token>` header
//!   (or `DPoP`, RFC 9449), case-insensitive scheme; never the query string or body. Opt-in:
//!   a gateway's header or a cookie ([`ConfigBuilder::token_cookie`], with a CSRF origin
//!   check), and [API keys](api_key) held as digests.
//! * **Token** (RFC 7515/7519/8725): at most 32 KiB by default; three segments of strict
//!   base64url; JSON objects without duplicate members; `alg` in an asymmetric allow-list
//!   (`none` and `HS*` can never be allowed); `crit`, `cty`, `b64`, `enc`, `zip` refused;
//!   `typ` `at+jwt`/`JWT`/absent (or RFC 9068 strict); `jku`, `x5u`, `jwk`, `x5c` never used.
//! * **Key**: selected by `kid` only among keys fetched from the configured JWKS; each key is
//!   pinned to one algorithm (its JWK `alg`, or the one its type and curve imply — for RSA,
//!   [`IssuerBuilder::rsa_key_alg`]), which the header must match.
//! * **Claims** (RFC 7519/9068): `iss` equals the configured issuer exactly; `aud` names a
//!   configured audience; `exp` is required and `now < exp + leeway`; `nbf` and `iat` are
//!   checked when present; `sub` is required; registered claims of the wrong JSON type are
//!   rejections.
//! * **Kind**: an access token — ID tokens (`at_hash`, `nonce`, Keycloak's `typ: "ID"`,
//!   Cognito's `token_use: "id"`) are refused.
//! * **Binding**: a sender-constrained token (`cnf`) only with its proof — a [DPoP](dpop)
//!   proof of its key (RFC 9449), or the client certificate it names ([mTLS](mtls),
//!   RFC 8705).
//! * **Trust** (several issuers, [`ConfigBuilder::trust`]): the issuer is chosen by `iss`
//!   among the trusted ones, and keys never cross issuers. A partner issuer's token counts
//!   only where a policy names it or the operator extends one to it, and owns only objects
//!   of its own user directory ([`Principal`]); see [`Trust`].
//!
//! Every rejection is an RFC 6750 response — see [`AuthError`].
//!
//! ## One pipeline
//!
//! Every entry point — the [`Claims`] and [`Authentication`] extractors, the `#[protected]`
//! guard, [`AxiomsLayer`], [`policy::PolicyLayer`], the MCP and gRPC layers and
//! [`Axioms::authenticate`] — takes the same
//! path: read the credentials, verify, record the verdict (tagged with the verifier that
//! produced it), apply the entry point's demand (safe methods are applied there and nowhere
//! else), then the policy. A verdict is reused only by the same [`Axioms`]; any other verifier
//! verifies again.
//!
//! ## Crate features
//!
//! * `macros` (default): re-exports `#[protected]` from `axioms-macros`.
//! * `testing`: [`testing::TestIssuer`], an in-process issuer for your own tests.
//! * `utoipa`: [`openapi::SecurityDoc`], the OpenAPI security section written from the
//!   policies.
//! * `mcp`: [`mcp::McpLayer`], an MCP endpoint as a protected resource with a policy per
//!   operation (tools, tool arguments, resource templates, prompts) and lists filtered.
//! * `redis`: [`dpop::RedisReplayStore`], the DPoP replay store shared by several
//!   instances.
//! * `exchange`: `exchange::TokenExchange`, tokens for downstream APIs on the caller's
//!   behalf (RFC 8693 token exchange, Entra on-behalf-of), cached and bounded.
//! * `tonic`: `grpc::GrpcLayer`, a tonic gRPC server with a policy per method and gRPC
//!   statuses.
//! * `mtls`: [`mtls::serve`], a rustls server that hands client certificates to the
//!   pipeline (certificate-bound tokens).
//!
//! Signatures are verified by aws-lc-rs, each key parsed once when its key set loads; the
//! verifier is self-tested on a known answer at startup.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod algorithm;
pub mod api_key;
mod claims;
mod clock;
mod config;
pub mod defaults;
pub mod dpop;
#[cfg(feature = "exchange")]
#[cfg_attr(docsrs, doc(cfg(feature = "exchange")))]
pub mod exchange;
mod extract;
mod fetch;
#[cfg(feature = "tonic")]
#[cfg_attr(docsrs, doc(cfg(feature = "tonic")))]
pub mod grpc;
// Rendered always; its examples are compiled where the features they use are on.
#[cfg(any(
    doc,
    all(
        feature = "testing",
        feature = "mcp",
        feature = "utoipa",
        feature = "metrics",
        feature = "tonic",
        feature = "exchange",
        feature = "macros"
    )
))]
pub mod guide;
mod issuer_id;
mod jose;
mod jwks;
mod layer;
#[cfg(feature = "mcp")]
#[cfg_attr(docsrs, doc(cfg(feature = "mcp")))]
pub mod mcp;
pub mod metrics;
pub mod mtls;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
mod pipeline;
pub mod policy;
mod providers;
mod rejection;
mod resource_metadata;
mod safe;
mod token;
mod verifier;
mod www_authenticate;

#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

#[doc(hidden)]
pub mod __private;

pub use algorithm::{Algorithm, UnsupportedAlgorithm};
pub use claims::check;
pub use claims::{Actor, ClaimName, Claims, InvalidClaimName, InvalidPrincipal, Principal};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{
    AudienceClaim, Config, ConfigBuilder, ConfigError, Issuer, IssuerBuilder, TokenType, Trust,
};
pub use fetch::FetchError;
pub use layer::{AxiomsLayer, AxiomsService, Decision, Gate, ResponseFuture};
pub use pipeline::Authentication;
pub use rejection::{AuthError, AuthErrorKind, ErrorRenderer, Reason, Rejection};
pub use resource_metadata::ResourceMetadata;
pub use token::cache::TokenCacheStats;
pub use verifier::{Axioms, InitError};
pub use www_authenticate::{BearerChallenge, ErrorCode};

#[cfg(feature = "macros")]
#[cfg_attr(docsrs, doc(cfg(feature = "macros")))]
pub use axioms_macros::{policy, protected};
