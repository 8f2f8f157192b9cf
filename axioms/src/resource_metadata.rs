//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document from which a client learns
//! which authorization server to ask for a token, and for which scopes.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::response::Response;
use axum::routing::get;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use crate::config::requests::WELL_KNOWN;
use crate::config::{Config, ConfigError};
use crate::policy::registered_scopes;

/// The protected resource's metadata document (RFC 9728), served at
/// `/.well-known/oauth-protected-resource` with the resource's path appended (§3.1), and
/// at the bare well-known path too.
///
/// Its members come from the configuration and from the application's own policies:
///
/// * `resource`: the configured resource URI ([`ConfigBuilder::resource`],
///   `AXIOMS_RESOURCE`), exactly as tokens carry it in `aud`;
/// * `authorization_servers`: every trusted issuer, the primary first (multi-tenant templates
///   left out: they name no server a client could ask);
/// * `scopes_supported`: every scope that a `#[protected]` handler or a `policy!` of the
///   binary names (collected at link time), plus any added with [`scopes`](Self::scopes);
/// * `bearer_methods_supported`: `["header"]` (axioms never reads tokens elsewhere);
/// * `dpop_signing_alg_values_supported` and `dpop_bound_access_tokens_required` (RFC 9728
///   §2, RFC 9449): the proof algorithms accepted and whether every token must be DPoP-bound
///   ([`ConfigBuilder::require_dpop`](crate::ConfigBuilder::require_dpop));
/// * `resource_name`, `resource_documentation`, `resource_policy_uri`, `resource_tos_uri`,
///   and other members, when set here.
///
/// The document is built once; each request is answered with the same bytes, as
/// `application/json`, cacheable for an hour, readable cross-origin (it is public).
///
/// [`ConfigBuilder::resource`]: crate::ConfigBuilder::resource
///
/// # Example
///
/// ```
/// use axioms::{Config, Issuer, ResourceMetadata};
/// use axum::Router;
///
/// let config = Config::builder(Issuer::builder().issuer("https://auth.example.com/"))
///     .resource("https://mcp.example.com/mcp")
///     .build()?;
/// let metadata = ResourceMetadata::new(&config)?.resource_name("Notes");
/// assert_eq!(metadata.document()["resource"], "https://mcp.example.com/mcp");
/// assert_eq!(metadata.document()["authorization_servers"][0], "https://auth.example.com/");
/// let routes: Router = metadata.router(); // GET /.well-known/oauth-protected-resource/mcp
/// # Ok::<(), axioms::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct ResourceMetadata {
    document: Map<String, Value>,
    path: Arc<str>,
}

impl ResourceMetadata {
    /// The document for `config`, which must name a resource.
    pub fn new(config: &Config) -> Result<Self, ConfigError> {
        let Some(resource) = &config.requests.resource else {
            return Err(ConfigError::new(
                "AXIOMS_RESOURCE",
                "protected resource metadata describes a resource, and none is configured",
                "set AXIOMS_RESOURCE (or `.resource(…)`) to this server's canonical URI, e.g. \
                 https://mcp.example.com/mcp",
            ));
        };
        let mut document = Map::new();
        document.insert("resource".into(), json!(&*resource.uri));
        // A multi-tenant issuer template names no single server a client could contact.
        let servers: Vec<&str> = config
            .issuers()
            .filter_map(|i| i.validation.issuer.as_ref()?.exact())
            .collect();
        if !servers.is_empty() {
            document.insert("authorization_servers".into(), json!(servers));
        }
        document.insert("scopes_supported".into(), json!(registered_scopes()));
        document.insert("bearer_methods_supported".into(), json!(["header"]));
        if let Some(offer) = &config.dpop.offer {
            let algs: Vec<&str> = offer.algs.split(' ').collect();
            document.insert("dpop_signing_alg_values_supported".into(), json!(algs));
            document.insert(
                "dpop_bound_access_tokens_required".into(),
                json!(config.dpop_required()),
            );
        }
        Ok(Self {
            document,
            path: Arc::clone(&resource.metadata_path),
        })
    }

    /// The document for a verifier's configuration ([`new`](Self::new)).
    ///
    /// ```no_run
    /// # async fn f(axioms: axioms::Axioms) -> Result<(), axioms::ConfigError> {
    /// let metadata = axioms::ResourceMetadata::of(&axioms)?;
    /// # Ok(()) }
    /// ```
    pub fn of(axioms: &crate::Axioms) -> Result<Self, ConfigError> {
        Self::new(axioms.config())
    }

    /// Adds scopes to `scopes_supported` (those your policies name are there already).
    /// `offline_access` is left out: it asks the authorization server for a refresh token and
    /// is no scope of a resource (the MCP specification, 2026-07-28, says a server should not
    /// list it).
    ///
    /// ```no_run
    /// # fn f(axioms: axioms::Axioms) -> Result<(), axioms::ConfigError> {
    /// let metadata = axioms::ResourceMetadata::of(&axioms)?.scopes(["reports:export"]);
    /// # Ok(()) }
    /// ```
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let list = self
            .document
            .entry("scopes_supported")
            .or_insert_with(|| json!([]));
        if let Value::Array(list) = list {
            for scope in scopes {
                let scope = Value::String(scope.into());
                if scope == "offline_access" {
                    continue;
                }
                if !list.contains(&scope) {
                    list.push(scope);
                }
            }
        }
        self
    }

    /// `resource_name`: a human-readable name for end users.
    pub fn resource_name(self, name: impl Into<String>) -> Self {
        self.member("resource_name", Value::String(name.into()))
    }

    /// `resource_documentation`: a URL of documentation for developers.
    pub fn resource_documentation(self, url: impl Into<String>) -> Self {
        self.member("resource_documentation", Value::String(url.into()))
    }

    /// `resource_policy_uri`: a URL of the resource's data-use policy.
    pub fn resource_policy_uri(self, url: impl Into<String>) -> Self {
        self.member("resource_policy_uri", Value::String(url.into()))
    }

    /// `resource_tos_uri`: a URL of the resource's terms of service.
    pub fn resource_tos_uri(self, url: impl Into<String>) -> Self {
        self.member("resource_tos_uri", Value::String(url.into()))
    }

    /// Sets any other member (RFC 9728 §2, or an extension). `resource` cannot be replaced:
    /// clients check it against the URL they called (§3.3).
    pub fn member(mut self, name: &str, value: Value) -> Self {
        if name != "resource" {
            self.document.insert(name.to_owned(), value);
        }
        self
    }

    /// The document.
    pub fn document(&self) -> &Map<String, Value> {
        &self.document
    }

    /// The path the document is served at on this server:
    /// `/.well-known/oauth-protected-resource` followed by the resource's path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A router serving the document at [`path`](Self::path), and at the bare well-known
    /// path when the resource has a path (clients that ignore the path insertion of RFC 9728
    /// §3.1 look there). Merge it into your application's router.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        let body: Arc<[u8]> = serde_json::to_vec(&self.document)
            .unwrap_or_default()
            .into();
        let serve = move || {
            let body = Arc::clone(&body);
            async move { respond(StatusCode::OK, Body::from(body.to_vec())) }
        };
        let preflight = || async { respond(StatusCode::NO_CONTENT, Body::empty()) };
        let mut router = Router::new().route(&self.path, get(serve.clone()).options(preflight));
        if *self.path != *WELL_KNOWN {
            router = router.route(WELL_KNOWN, get(serve).options(preflight));
        }
        router
    }
}

fn respond(status: StatusCode, body: Body) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    if status == StatusCode::OK {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
    }
    // Public, credential-free metadata: any origin may read it, with any request headers
    // (the MCP clients send `MCP-Protocol-Version`).
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("*"),
    );
    response
}
