//! gRPC services (feature `tonic`): a policy per method of a [tonic] server, enforced by the
//! one authentication pipeline before the method sees its first message.
//!
//! [`GrpcLayer`] is a tower layer for `tonic::transport::Server` (or for tonic's routes in an
//! axum router). Each call's `/package.Service/Method` path chooses its policy in
//! [`GrpcMethods`]; the layer authenticates the call's metadata exactly as an HTTP request
//! (the `authorization` metadata is the `Authorization` header: bearer and DPoP tokens, API
//! keys in a header, several issuers and their trust scopes all apply), evaluates the policy,
//! and either passes the call on, with the verified [`Claims`] for the method ([`claims`]), or
//! answers it with a gRPC status:
//!
//! | refusal | HTTP answer | gRPC status |
//! |---|---|---|
//! | no token, an invalid or expired token, a bad DPoP proof, a malformed `authorization` | 401 / 400 / 431 | `UNAUTHENTICATED` |
//! | a valid token without the policy's privileges | 403 | `PERMISSION_DENIED` |
//! | the issuer's keys, its introspection or the replay store unavailable | 503 | `UNAVAILABLE` |
//!
//! The response carries the same `www-authenticate` challenge as HTTP (RFC 6750 parameters:
//! `error`, `error_description`, `scope`, `resource_metadata`; DPoP's `algs`), and
//! `dpop-nonce` / `retry-after` where HTTP would; `grpc-message` is the generic description,
//! never a token, proof or key. An application's [error renderer](crate::Axioms::with_error_renderer)
//! renders HTTP responses only: a gRPC client understands statuses.
//!
//! A method without a policy is refused (fail closed), unless [`GrpcMethods::service`] gives
//! its service one, or [`GrpcMethods::without_authentication`] opens it (a health check).
//!
//! # Streams
//!
//! The layer decides on the call's headers, before the request body is read: a refused
//! client-streaming or bidirectional call never reaches the method, whose first message is
//! never decoded. A token is checked when its call starts, as gRPC's own per-call credentials
//! are: a stream admitted with a token that expires later runs to its end. Bound long streams
//! with the server's timeouts, or compare [`Claims::expires_at`] in the method.
//!
//! # Ownership
//!
//! Ownership needs the object a message names, and the layer decides before tonic decodes the
//! message — so a policy with `owner(…)` is a compile error in [`GrpcMethods`]. Check it in the
//! method with [`Claims::owns`], which compares within the caller's user directory as
//! `owner(…)` does:
//!
//! ```
//! use axioms::grpc;
//! use tonic::{Request, Status};
//!
//! struct Note { owner: String, text: String }
//!
//! fn read(request: &Request<()>, note: Note) -> Result<String, Status> {
//!     let claims = grpc::claims(request)?;
//!     if !claims.owns(&note.owner, "sub") {
//!         // As `mismatch = 404`: do not say that the note exists.
//!         return Err(Status::not_found("no such note"));
//!     }
//!     Ok(note.text)
//! }
//! ```
//!
//! # Example
//!
//! ```no_run
//! use axioms::Axioms;
//! use axioms::grpc::{GrpcLayer, GrpcMethods};
//!
//! axioms::policy!(pub NotesRead: scopes = "notes:read");
//! axioms::policy!(pub NotesWrite: scopes = "notes:write");
//!
//! # fn f(axioms: Axioms) {
//! let methods = GrpcMethods::new()
//!     .method::<NotesRead>("/notes.v1.Notes/GetNote")
//!     .method::<NotesRead>("/notes.v1.Notes/ListNotes")
//!     .method::<NotesWrite>("/notes.v1.Notes/PutNote")
//!     .without_authentication("/grpc.health.v1.Health/Check");
//! let layer = GrpcLayer::new(axioms, methods);
//! // tonic::transport::Server::builder().layer(layer).add_service(NotesServer::new(notes))
//! # let _ = layer;
//! # }
//! ```
//!
//! [tonic]: https://docs.rs/tonic

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{HeaderName, RETRY_AFTER, WWW_AUTHENTICATE};
use http::request::Parts;
use tonic::{Code, Status};
use tower_layer::Layer;

use crate::claims::Claims;
use crate::layer::{Decision, Gate, Sealed};
use crate::policy::{LayerPolicy, Named, admit_named};
use crate::rejection::{AuthError, AuthErrorKind, Reason};
use crate::safe::SafeMethods;
use crate::verifier::Axioms;

/// Which policy each method of a gRPC server needs, by its path `/package.Service/Method`.
///
/// Policies are named policies ([`policy!`](crate::policy!)) without `owner(…)`; their
/// scopes appear in the resource metadata's `scopes_supported` like every other policy's.
///
/// ```
/// use axioms::grpc::GrpcMethods;
///
/// axioms::policy!(pub Reader: scopes = "notes:read");
/// axioms::policy!(pub Admin: roles = "admin");
///
/// let methods = GrpcMethods::new()
///     .service::<Reader>("notes.v1.Notes") // every method of the service…
///     .method::<Admin>("/notes.v1.Notes/Purge"); // …but this one
/// # let _ = methods;
/// ```
#[derive(Clone, Default)]
pub struct GrpcMethods {
    methods: HashMap<Box<str>, Access>,
    services: HashMap<Box<str>, Access>,
}

/// What a method asks of its callers.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// A valid token its policy admits.
    Policy(Named),
    /// Nothing: the call passes without authentication.
    Open,
}

impl fmt::Debug for GrpcMethods {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn sorted(map: &HashMap<Box<str>, Access>) -> Vec<&str> {
            let mut keys: Vec<&str> = map.keys().map(|k| &**k).collect();
            keys.sort_unstable();
            keys
        }
        f.debug_struct("GrpcMethods")
            .field("methods", &sorted(&self.methods))
            .field("services", &sorted(&self.services))
            .finish()
    }
}

impl GrpcMethods {
    /// No method is allowed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The method at `path` (`/package.Service/Method`, as in the `.proto` file) needs the
    /// policy `P`.
    ///
    /// # Panics
    ///
    /// If `path` is not of the form `/package.Service/Method` (a mistake in the program,
    /// found when it starts, as axum's `Router::route` does for its paths).
    ///
    /// ```
    /// axioms::policy!(pub Reader: scopes = "notes:read");
    /// let methods = axioms::grpc::GrpcMethods::new().method::<Reader>("/notes.v1.Notes/GetNote");
    /// # let _ = methods;
    /// ```
    pub fn method<P: LayerPolicy>(mut self, path: &str) -> Self {
        check_method_path(path);
        self.methods
            .insert(Box::from(path), Access::Policy(Named::of::<(), P>()));
        self
    }

    /// Every method of the service `name` (`package.Service`, what a tonic server's
    /// `NamedService::NAME` says) without a policy of its own needs `P`.
    ///
    /// # Panics
    ///
    /// If `name` is empty or contains `/`.
    ///
    /// ```
    /// axioms::policy!(pub Reader: scopes = "notes:read");
    /// let methods = axioms::grpc::GrpcMethods::new().service::<Reader>("notes.v1.Notes");
    /// # let _ = methods;
    /// ```
    pub fn service<P: LayerPolicy>(mut self, name: &str) -> Self {
        assert!(
            !name.is_empty() && !name.contains('/'),
            "GrpcMethods::service takes a service name such as `notes.v1.Notes`, not {name:?}"
        );
        self.services
            .insert(Box::from(name), Access::Policy(Named::of::<(), P>()));
        self
    }

    /// The method at `path` needs no credentials at all: a presented token is not even read.
    /// For what must answer anonymous callers, such as `/grpc.health.v1.Health/Check`.
    ///
    /// # Panics
    ///
    /// As [`method`](Self::method).
    ///
    /// ```
    /// let methods = axioms::grpc::GrpcMethods::new()
    ///     .without_authentication("/grpc.health.v1.Health/Check");
    /// # let _ = methods;
    /// ```
    pub fn without_authentication(mut self, path: &str) -> Self {
        check_method_path(path);
        self.methods.insert(Box::from(path), Access::Open);
        self
    }

    /// What the call at `path` needs: its method's entry, else its service's.
    fn access(&self, path: &str) -> Option<Access> {
        if let Some(access) = self.methods.get(path) {
            return Some(*access);
        }
        let service = path.strip_prefix('/')?.split_once('/')?.0;
        self.services.get(service).copied()
    }
}

/// A gRPC method path: `/`, a non-empty service name, `/`, a non-empty method name.
fn check_method_path(path: &str) {
    let well_formed = path
        .strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(service, method)| {
            !service.is_empty() && !method.is_empty() && !method.contains('/')
        });
    assert!(
        well_formed,
        "a gRPC method path is `/package.Service/Method`, not {path:?}"
    );
}

/// The verified claims of the call, left by [`GrpcLayer`] for the method; `UNAUTHENTICATED`
/// if there are none (the method is served without the layer, or
/// [`without_authentication`](GrpcMethods::without_authentication)).
///
/// ```
/// use tonic::{Code, Request};
/// let request = Request::new(());
/// let err = axioms::grpc::claims(&request).unwrap_err();
/// assert_eq!(err.code(), Code::Unauthenticated);
/// ```
#[allow(clippy::result_large_err)] // tonic's `Status` is what a method returns
pub fn claims<T>(request: &tonic::Request<T>) -> Result<&Claims, Status> {
    request
        .extensions()
        .get::<GrpcPrincipal>()
        .map(|principal| &principal.0)
        .ok_or_else(|| Status::unauthenticated("a bearer access token is required"))
}

/// The claims [`GrpcLayer`] admitted, in the call's extensions.
#[derive(Clone)]
struct GrpcPrincipal(Claims);

/// Enforces a policy per gRPC method ([`GrpcMethods`]) through the one authentication
/// pipeline; see the [module](self) for what it answers.
///
/// ```no_run
/// use axioms::Axioms;
/// use axioms::grpc::{GrpcLayer, GrpcMethods};
///
/// axioms::policy!(pub Reader: scopes = "notes:read");
///
/// # async fn f(axioms: Axioms) -> Result<(), Box<dyn std::error::Error>> {
/// let methods = GrpcMethods::new().service::<Reader>("notes.v1.Notes");
/// // tonic::transport::Server::builder()
/// //     .layer(GrpcLayer::new(axioms, methods))
/// //     .add_service(NotesServer::new(notes))
/// //     .serve("127.0.0.1:50051".parse()?)
/// //     .await?;
/// # let _ = GrpcLayer::new(axioms, methods);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct GrpcLayer {
    inner: Arc<GrpcConfig>,
}

struct GrpcConfig {
    axioms: Axioms,
    methods: GrpcMethods,
}

impl fmt::Debug for GrpcLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcLayer")
            .field("methods", &self.inner.methods)
            .finish_non_exhaustive()
    }
}

impl GrpcLayer {
    /// A layer enforcing `methods`' policies with `axioms`.
    ///
    /// ```no_run
    /// # fn f(axioms: axioms::Axioms) {
    /// let layer = axioms::grpc::GrpcLayer::new(axioms, axioms::grpc::GrpcMethods::new());
    /// # let _ = layer;
    /// # }
    /// ```
    pub fn new(axioms: Axioms, methods: GrpcMethods) -> Self {
        Self {
            inner: Arc::new(GrpcConfig { axioms, methods }),
        }
    }
}

impl<S> Layer<S> for GrpcLayer {
    type Service = GrpcService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gate::new(inner, self.clone())
    }
}

/// The service of a [`GrpcLayer`]: the [`Gate`] with its decision.
///
/// ```
/// use axioms::grpc::{GrpcLayer, GrpcService};
/// use tower_layer::Layer;
/// fn wrap<S>(layer: &GrpcLayer, inner: S) -> GrpcService<S> {
///     layer.layer(inner)
/// }
/// ```
pub type GrpcService<S> = Gate<S, GrpcLayer>;

impl Sealed for GrpcLayer {}

impl<B: Send + 'static> Decision<B> for GrpcLayer {
    type Then = ();

    async fn decide(&self, parts: &mut Parts, body: B) -> Result<(B, ()), Response> {
        let GrpcConfig { axioms, methods } = &*self.inner;
        let access = methods.access(parts.uri.path());
        let policy = match access {
            Some(Access::Open) => return Ok((body, ())),
            Some(Access::Policy(policy)) => policy,
            // Authenticate first, so that an anonymous caller learns nothing of which
            // methods exist; then refuse.
            None => Named::UNLISTED,
        };
        let claims = match admit_named(axioms, parts, policy, SafeMethods::NONE).await {
            Ok(Some(claims)) => claims,
            // No method of gRPC is safe; a pass would be a mistake: refuse.
            Ok(None) => return Err(answer(&axioms.error(Reason::MissingToken))),
            Err(err) => return Err(answer(&err)),
        };
        if access.is_none() {
            tracing::warn!(
                target: "axioms::grpc",
                method = %crate::jwks::set::escape_kid(parts.uri.path()),
                "a call of a method without a policy: refused (add it to GrpcMethods)"
            );
            let err = axioms.denial(Reason::PolicyDenied, &claims);
            err.log();
            return Err(answer(&err));
        }
        parts.extensions.insert(GrpcPrincipal(claims));
        Ok((body, ()))
    }
}

/// The gRPC status of a refusal.
fn code(err: &AuthError) -> Code {
    match err.kind() {
        AuthErrorKind::InsufficientScope => Code::PermissionDenied,
        AuthErrorKind::Unavailable => Code::Unavailable,
        AuthErrorKind::NotFound => Code::NotFound,
        // Every other refusal says that the call's credentials are not valid for it.
        _ => Code::Unauthenticated,
    }
}

/// The metadata of an HTTP refusal that a gRPC refusal carries too.
const COPIED: [HeaderName; 3] = [
    WWW_AUTHENTICATE,
    HeaderName::from_static("dpop-nonce"),
    RETRY_AFTER,
];

/// A refusal as a gRPC "trailers-only" response (HTTP 200, the status in the headers), with
/// the challenge headers of the HTTP refusal (rendered by the default renderer: one place
/// builds them).
fn answer(err: &AuthError) -> Response {
    let http = err.clone().into_response();
    let mut response = Status::new(code(err), err.description()).into_http::<Body>();
    for name in COPIED {
        if let Some(value) = http.headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::check::Mode;
    use crate::policy::{Policy, Rule};

    struct Reader;
    impl Policy<()> for Reader {
        const RULE: Rule = Rule::Scopes(Mode::All, &["notes:read"]);
    }
    impl LayerPolicy for Reader {}

    #[test]
    fn a_method_has_its_policy_else_its_service_s() {
        let methods = GrpcMethods::new()
            .service::<Reader>("notes.v1.Notes")
            .without_authentication("/notes.v1.Notes/Ping");
        assert!(matches!(
            methods.access("/notes.v1.Notes/Ping"),
            Some(Access::Open)
        ));
        assert!(matches!(
            methods.access("/notes.v1.Notes/GetNote"),
            Some(Access::Policy(_))
        ));
        for unknown in [
            "/other.Svc/GetNote",
            "/notes.v1.Notes",
            "notes.v1.Notes/GetNote",
            "",
            "/",
        ] {
            assert!(methods.access(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn a_malformed_method_path_is_a_mistake_found_at_startup() {
        for path in [
            "notes.v1.Notes/GetNote",
            "/notes.v1.Notes",
            "//GetNote",
            "/a/b/c",
            "/a/",
        ] {
            let caught = std::panic::catch_unwind(|| GrpcMethods::new().method::<Reader>(path));
            assert!(caught.is_err(), "{path} was accepted");
        }
    }

    #[test]
    fn refusals_map_to_grpc_statuses() {
        let cases = [
            (Reason::MissingToken, Code::Unauthenticated),
            (Reason::Expired, Code::Unauthenticated),
            (Reason::MissingScope, Code::PermissionDenied),
            (Reason::KeysUnavailable, Code::Unavailable),
        ];
        for (reason, want) in cases {
            let err = AuthError::new(reason);
            let response = answer(&err);
            assert_eq!(response.status(), http::StatusCode::OK);
            let status = response.headers().get("grpc-status").unwrap();
            assert_eq!(status, &(want as i32).to_string(), "{reason:?}");
            assert_eq!(
                response.headers().get(WWW_AUTHENTICATE),
                err.challenge().as_ref(),
                "{reason:?}"
            );
        }
    }
}
