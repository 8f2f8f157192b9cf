//! The guide: axioms one concern at a time. The README is the front door; these pages are the
//! reference, and every example on them compiles and runs as a test (`cargo test --doc
//! --all-features`).
//!
//! * [The tutorial](tutorial): the example API, route by route, in development mode and
//!   against your identity provider.
//! * [Configuration and providers](configuration): the service and its issuers, the
//!   `AXIOMS_*` variables, claim names, the presets for Auth0, Cognito, Entra ID, Okta and
//!   Keycloak, keys configured locally.
//! * [What is verified](verification): the one pipeline, every check of a token, token
//!   kinds, the key cache, the verified-token cache.
//! * [Policies](policies): `#[protected]` and `policy!`, what they expand to, safe methods
//!   and CORS.
//! * [Ownership](ownership): `owner(…)` and `Claims::owns`.
//! * [Step-up authentication](step_up): `acr` and `max_age` (RFC 9470).
//! * [Several issuers](several_issuers): trust that stops at the issuer; partners, migrations,
//!   Entra tenants.
//! * [Opaque tokens](opaque_tokens): introspection (RFC 7662).
//! * [Sender-constrained tokens](sender_constrained): DPoP (RFC 9449) and mTLS (RFC 8705).
//! * [API keys and other credentials](credentials): API keys, tokens in cookies or a
//!   gateway's header.
//! * [OpenAPI and resource metadata](openapi): the security section from the policies, and
//!   RFC 9728.
//! * [MCP servers](mcp): an MCP endpoint as a protected resource.
//! * [gRPC services](grpc): a policy per method of a tonic server, gRPC statuses.
//! * [Calling other APIs for your user](calling_apis): token exchange (RFC 8693), Entra
//!   on-behalf-of, `act` and `actor = …`.
//! * [Metrics](metrics): what operators watch.
//! * [Errors](errors): every response a client can receive, exactly.
//! * [Testing your own API](testing): the test issuer.
//! * [Coming from the Python packages](python): what is the same, and what is stricter.
//!
//! The examples that need optional features run when they are on (CI turns all of them on).

#[doc = include_str!("tutorial.md")]
pub mod tutorial {}

#[doc = include_str!("configuration.md")]
pub mod configuration {}

#[doc = include_str!("verification.md")]
pub mod verification {}

#[doc = include_str!("policies.md")]
pub mod policies {}

#[doc = include_str!("ownership.md")]
pub mod ownership {}

#[doc = include_str!("step_up.md")]
pub mod step_up {}

#[doc = include_str!("several_issuers.md")]
pub mod several_issuers {}

#[doc = include_str!("opaque_tokens.md")]
pub mod opaque_tokens {}

#[doc = include_str!("sender_constrained.md")]
pub mod sender_constrained {}

#[doc = include_str!("credentials.md")]
pub mod credentials {}

#[doc = include_str!("openapi.md")]
pub mod openapi {}

#[doc = include_str!("mcp.md")]
pub mod mcp {}

#[doc = include_str!("grpc.md")]
pub mod grpc {}

#[doc = include_str!("calling_apis.md")]
pub mod calling_apis {}

#[doc = include_str!("metrics.md")]
pub mod metrics {}

#[doc = include_str!("errors.md")]
pub mod errors {}

#[doc = include_str!("testing.md")]
pub mod testing {}

#[doc = include_str!("python.md")]
pub mod python {}
