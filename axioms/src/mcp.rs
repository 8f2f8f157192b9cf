//! MCP servers (feature `mcp`): an MCP endpoint as an OAuth 2.0 protected resource, with a
//! policy per tool, enforced at the HTTP level before the MCP server sees the request.
//!
//! The [Model Context Protocol's authorization specification] (2025-06-18, 2025-11-25) makes
//! an MCP server a resource server that **must** serve Protected Resource Metadata (RFC 9728),
//! point to it from every 401, accept only tokens whose audience is its own canonical URI
//! (RFC 8707), and **should** answer a call the token does not allow with `403
//! insufficient_scope` naming the scopes to ask for. [`McpLayer`] does all of it in front of
//! any MCP server implementation (`rmcp`'s `StreamableHttpService`, for one):
//!
//! 1. every request goes through the one authentication pipeline (a valid token for this
//!    resource, or 401 with `resource_metadata` and the endpoint's `scope`);
//! 2. a `POST` is read (bounded), parsed strictly as JSON-RPC, and every `tools/call` in it is
//!    checked against the tool's policy in [`ToolPolicies`]; a call the token does not allow
//!    is refused with `403 insufficient_scope`, `scope` (the scopes already granted that the
//!    resource knows, plus those the tool needs: what the MCP specification recommends) and
//!    `resource_metadata` — the tool never runs;
//! 3. the verified claims are left for the MCP server: [`claims`] reads them from the
//!    request parts (rmcp hands a tool the `http::request::Parts` of its request).
//!
//! A tool without a policy is refused (fail closed), unless [`ToolPolicies::otherwise`] says
//! what applies to the others. `tools/list` is not filtered at the HTTP level (the response
//! may be an event stream): [`ToolPolicies::allows`] lets the server's own `list_tools` hide
//! what a caller cannot use.
//!
//! [Model Context Protocol's authorization specification]: https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
//!
//! # Example
//!
//! ```no_run
//! use axioms::mcp::{McpLayer, ToolPolicies};
//! use axioms::{Axioms, ResourceMetadata};
//! use axum::{Router, routing::post};
//!
//! axioms::policy!(pub NotesRead: scopes = "notes:read");
//! axioms::policy!(pub NotesWrite: scopes = "notes:write");
//!
//! # async fn mcp_endpoint() {}
//! # fn f(axioms: Axioms) -> Result<(), axioms::ConfigError> {
//! // AXIOMS_RESOURCE=https://mcp.example.com/mcp AXIOMS_ISS_URL=https://auth.example.com/
//! let tools = ToolPolicies::new()
//!     .tool::<NotesRead>("list_notes")
//!     .tool::<NotesWrite>("delete_note");
//! let app: Router = Router::new()
//!     .route("/mcp", post(mcp_endpoint)) // e.g. rmcp's StreamableHttpService, with nest_service
//!     .layer(McpLayer::new(axioms.clone(), tools).endpoint_policy::<NotesRead>())
//!     .merge(ResourceMetadata::of(&axioms)?.router());
//! # Ok(()) }
//! ```

use crate::defaults::MCP_MAX_BODY_BYTES;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Method, StatusCode};
use serde_json::{Map, Value};
use tower_layer::Layer;

use crate::check::Mode;
use crate::claims::Claims;
use crate::layer::{Decision, Gate, Sealed};
use crate::pipeline::{self, Admission, Demand};
use crate::policy::{LayerPolicy, Named, Rule, registered_scopes};
use crate::rejection::{AuthError, Reason};
use crate::safe::SafeMethods;
use crate::token::json::parse_value;
use crate::verifier::Axioms;

/// Which policy each tool of an MCP server needs.
///
/// Policies are named policies ([`policy!`](crate::policy!)) without `owner(…)`; their
/// scopes appear in the resource metadata's `scopes_supported` like every other policy's.
///
/// ```
/// use axioms::mcp::ToolPolicies;
/// use axioms::Claims;
/// use serde_json::json;
///
/// axioms::policy!(pub Admin: scopes = "notes:admin");
/// let tools = ToolPolicies::new().tool::<Admin>("purge");
/// let reader = Claims::from_json_unverified(json!({"sub": "a", "scope": "notes:read"})).unwrap();
/// assert!(!tools.allows(&reader, "purge"));
/// assert!(!tools.allows(&reader, "unknown")); // a tool without a policy: refused
/// ```
#[derive(Clone, Default)]
pub struct ToolPolicies {
    tools: HashMap<Box<str>, Named>,
    otherwise: Option<Named>,
    /// The verifier's scope matcher and clock, once the policies protect an endpoint
    /// ([`McpLayer::new`]): [`allows`](ToolPolicies::allows) decides as the layer does.
    scope_matcher: Option<Arc<dyn crate::check::ScopeMatcher>>,
    clock: Option<Arc<dyn crate::clock::Clock>>,
}

impl fmt::Debug for ToolPolicies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut tools: Vec<&str> = self.tools.keys().map(|k| &**k).collect();
        tools.sort_unstable();
        f.debug_struct("ToolPolicies")
            .field("tools", &tools)
            .field("otherwise", &self.otherwise.is_some())
            .finish()
    }
}

impl ToolPolicies {
    /// No tool is allowed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tool `name` needs the policy `P`.
    pub fn tool<P: LayerPolicy>(mut self, name: &str) -> Self {
        self.tools.insert(Box::from(name), Named::of::<(), P>());
        self
    }

    /// The tools that are not listed need `P` (by default they are refused: fail closed).
    pub fn otherwise<P: LayerPolicy>(mut self) -> Self {
        self.otherwise = Some(Named::of::<(), P>());
        self
    }

    /// The rule of tool `name`, if it has one.
    pub fn rule(&self, name: &str) -> Option<&'static Rule> {
        self.policy(name).map(|p| p.rule)
    }

    fn policy(&self, name: &str) -> Option<Named> {
        self.tools.get(name).copied().or(self.otherwise)
    }

    /// Every scope the tools' policies name.
    fn scopes(&self) -> Vec<&'static str> {
        let mut scopes: Vec<&'static str> = self
            .tools
            .values()
            .chain(self.otherwise.iter())
            .flat_map(|policy| policy.rule.scopes())
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        scopes
    }

    /// Whether `claims` may call tool `name` (for a `list_tools` that hides the others).
    ///
    /// Take the policies from the layer that enforces them ([`McpLayer::tools`]): they then
    /// decide exactly as it does, with the verifier's scope matcher and clock. Policies that no
    /// layer enforces match scopes exactly, on the system clock.
    pub fn allows(&self, claims: &Claims, name: &str) -> bool {
        let exact = crate::check::Exact;
        self.policy(name).is_some_and(|policy| {
            let ctx = crate::policy::Ctx {
                matcher: match &self.scope_matcher {
                    Some(m) => &**m,
                    None => &exact,
                },
                clock: match &self.clock {
                    Some(clock) => &**clock,
                    None => &crate::clock::SystemClock,
                },
                policy: policy.name,
            };
            policy.rule.eval(claims, Some(false), &ctx) == crate::policy::Tri::Yes
        })
    }
}

/// The claims the [`McpLayer`] verified for this request, from its `http::request::Parts`
/// (rmcp puts them in a tool's `RequestContext` extensions). `None` when the request did not
/// come through the layer. The record is private to axioms, so nothing else can forge it.
///
/// ```
/// let (parts, ()) = http::Request::new(()).into_parts();
/// assert!(axioms::mcp::claims(&parts).is_none());
/// ```
pub fn claims(parts: &Parts) -> Option<&Claims> {
    parts.extensions.get::<McpPrincipal>().map(|p| &p.0)
}

#[derive(Clone)]
struct McpPrincipal(Claims);

/// A layer that protects an MCP endpoint: authentication, the endpoint's policy, and a
/// policy per tool on every `tools/call` (see the [module documentation](self)).
#[derive(Clone)]
pub struct McpLayer {
    inner: Arc<McpConfig>,
}

struct McpConfig {
    axioms: Axioms,
    tools: ToolPolicies,
    /// Every scope this endpoint knows: its policy's, the tools', the application's.
    known: Vec<&'static str>,
    endpoint: Option<Named>,
    max_body: usize,
}

impl fmt::Debug for McpLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpLayer")
            .field("tools", &self.inner.tools)
            .field("max_body", &self.inner.max_body)
            .finish_non_exhaustive()
    }
}

impl McpLayer {
    /// Protects an MCP endpoint with `axioms` and the tools' policies.
    pub fn new(axioms: Axioms, tools: ToolPolicies) -> Self {
        let mut tools = tools;
        tools.scope_matcher = Some(Arc::clone(&axioms.config().requests.scope_matcher));
        tools.clock = Some(Arc::clone(&axioms.config().clock));
        let mut known = tools.scopes();
        known.extend(registered_scopes());
        known.sort_unstable();
        known.dedup();
        Self {
            inner: Arc::new(McpConfig {
                axioms,
                tools,
                known,
                endpoint: None,
                max_body: MCP_MAX_BODY_BYTES,
            }),
        }
    }

    fn with(self, edit: impl FnOnce(&mut McpConfig)) -> Self {
        let mut config = match Arc::try_unwrap(self.inner) {
            Ok(config) => config,
            Err(shared) => McpConfig {
                axioms: shared.axioms.clone(),
                tools: shared.tools.clone(),
                known: shared.known.clone(),
                endpoint: shared.endpoint,
                max_body: shared.max_body,
            },
        };
        edit(&mut config);
        Self {
            inner: Arc::new(config),
        }
    }

    /// Every request to the endpoint needs `P` (default: a valid token). Its scopes are the
    /// `scope` of the endpoint's 401 challenge: what a client asks for first.
    #[must_use]
    pub fn endpoint_policy<P: LayerPolicy>(self) -> Self {
        self.with(|c| {
            c.endpoint = Some(Named::of::<(), P>());
            c.known.extend(P::RULE.scopes());
            c.known.sort_unstable();
            c.known.dedup();
        })
    }

    /// The largest request body read (default [`MCP_MAX_BODY_BYTES`]); a larger one is `413`.
    #[must_use]
    pub fn max_body_bytes(self, bytes: usize) -> Self {
        self.with(|c| c.max_body = bytes)
    }

    /// The tools' policies as this layer enforces them (with its verifier's scope matcher
    /// and clock): what the MCP server's `list_tools` asks with
    /// [`ToolPolicies::allows`].
    ///
    /// ```no_run
    /// # fn f(axioms: axioms::Axioms) {
    /// use axioms::mcp::{McpLayer, ToolPolicies};
    /// axioms::policy!(pub Reader: scopes = "notes:read");
    /// let layer = McpLayer::new(axioms, ToolPolicies::new().tool::<Reader>("list_notes"));
    /// let for_the_server = layer.tools().clone();
    /// # let _ = for_the_server;
    /// # }
    /// ```
    pub fn tools(&self) -> &ToolPolicies {
        &self.inner.tools
    }
}

impl<S> Layer<S> for McpLayer {
    type Service = McpService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gate::new(inner, self.clone())
    }
}

/// The service of an [`McpLayer`]: the [`Gate`] with its decision.
///
/// ```
/// use axioms::mcp::{McpLayer, McpService};
/// use tower_layer::Layer;
/// fn wrap<S>(layer: &McpLayer, inner: S) -> McpService<S> {
///     layer.layer(inner)
/// }
/// ```
pub type McpService<S> = Gate<S, McpLayer>;

impl Sealed for McpLayer {}

impl Decision<Body> for McpLayer {
    async fn decide(&self, parts: &mut Parts, body: Body) -> Result<Body, Response> {
        guard(&self.inner, parts, body).await
    }
}

/// Authenticates, applies the endpoint's policy and the tools' policies; gives the body back.
async fn guard(config: &McpConfig, parts: &mut Parts, body: Body) -> Result<Body, Response> {
    let axioms = &config.axioms;
    let endpoint = config.endpoint.unwrap_or(Named {
        name: "",
        rule: &Rule::Authenticated,
    });
    let claims = match pipeline::admit(axioms, parts, Demand::Policy(SafeMethods::NONE)).await {
        Ok(Admission::Authenticated(claims) | Admission::Pass(Some(claims))) => claims,
        Ok(Admission::Pass(None)) => {
            return Err(reject(axioms, axioms.error(Reason::MissingToken)));
        }
        Err(err) if err.status() == StatusCode::UNAUTHORIZED => {
            let (scopes, mode) = endpoint.rule.challenge_scopes();
            return Err(reject(axioms, err.with_scope_requirement(scopes, mode)));
        }
        Err(err) => return Err(reject(axioms, err)),
    };
    let ctx = &crate::policy::context(axioms, endpoint.name);
    if endpoint.rule.eval(&claims, Some(false), ctx) != crate::policy::Tri::Yes {
        let (reason, scopes, mode) = endpoint.rule.denial(&claims, Some(false), ctx);
        return Err(deny(config, reason, &claims, scopes, mode));
    }
    pipeline::record_admission(axioms, parts, &claims);
    parts.extensions.insert(McpPrincipal(claims.clone()));
    if parts.method != Method::POST {
        return Ok(body);
    }
    let bytes = match axum::body::to_bytes(body, config.max_body).await {
        Ok(bytes) => bytes,
        Err(_) => return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
    };
    let calls = match tool_calls(&bytes) {
        Ok(calls) => calls,
        Err(problem) => {
            tracing::info!(target: "axioms::mcp", problem, "MCP request refused");
            return Err(jsonrpc_error(problem));
        }
    };
    for name in calls {
        let Some(policy) = config.tools.policy(&name) else {
            tracing::warn!(
                target: "axioms::mcp",
                tool = %crate::jwks::set::escape_kid(&name),
                "tools/call of a tool without a policy: refused (add it to ToolPolicies, or \
                 ToolPolicies::otherwise)"
            );
            return Err(deny(config, Reason::PolicyDenied, &claims, &[], Mode::All));
        };
        let (rule, ctx) = (policy.rule, &crate::policy::context(axioms, policy.name));
        if rule.eval(&claims, Some(false), ctx) != crate::policy::Tri::Yes {
            let (reason, scopes, mode) = rule.denial(&claims, Some(false), ctx);
            let scopes = if scopes.is_empty() && reason != Reason::IssuerNotAccepted {
                rule.challenge_scopes().0
            } else {
                scopes.to_vec()
            };
            return Err(deny(config, reason, &claims, &scopes, mode));
        }
    }
    Ok(Body::from(bytes))
}

/// 403 `insufficient_scope`. The challenge's `scope` is what the token already has that this
/// resource knows, plus what the call needs (MCP 2025-11-25, "Runtime insufficient scope"):
/// a client that replaces its token with one for exactly these scopes keeps what it could do.
fn deny(
    config: &McpConfig,
    reason: Reason,
    claims: &Claims,
    needed: &[&'static str],
    mode: Mode,
) -> Response {
    let axioms = &config.axioms;
    let mut scopes: Vec<&str> = claims
        .scopes()
        .iter()
        .map(|s| &**s)
        .filter(|s| config.known.contains(s))
        .collect();
    let wanted: &[&str] = match (mode, needed) {
        // One of the alternatives is enough: ask for the first.
        (Mode::Any, [first, ..]) => std::slice::from_ref(first),
        _ => needed,
    };
    for scope in wanted {
        if !scopes.contains(scope) {
            scopes.push(scope);
        }
    }
    let err = axioms.denial(reason, claims).with_scopes(scopes);
    err.log();
    reject(axioms, err)
}

fn reject(axioms: &Axioms, err: AuthError) -> Response {
    axioms.reject(err).into_response()
}

/// The JSON-RPC answer to a body that cannot be checked (400: the MCP server never sees it).
fn jsonrpc_error(problem: &'static str) -> Response {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": null,
        "error": {"code": -32600, "message": problem},
    });
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    (
        StatusCode::BAD_REQUEST,
        [(http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response()
}

/// The tool names of every `tools/call` in a JSON-RPC body (one message or a batch). The
/// JSON is parsed strictly (no duplicate member, so that no parser downstream can read
/// another method or tool name than this one).
fn tool_calls(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
    let value = parse_value(bytes).map_err(|_| "the body is not strict JSON")?;
    let messages: Vec<&Map<String, Value>> = match &value {
        Value::Object(message) => vec![message],
        Value::Array(batch) => batch
            .iter()
            .map(Value::as_object)
            .collect::<Option<_>>()
            .ok_or("a batch holds something other than JSON-RPC messages")?,
        _ => return Err("the body is not a JSON-RPC message"),
    };
    let mut calls = Vec::new();
    for message in messages {
        match message.get("method") {
            Some(Value::String(method)) if method == "tools/call" => {}
            Some(Value::String(_)) | None => continue,
            Some(_) => return Err("a JSON-RPC method is not a string"),
        }
        let name = message
            .get("params")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .ok_or("a tools/call names no tool")?;
        calls.push(name.to_owned());
    }
    Ok(calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_calls_are_found_in_messages_and_batches() {
        let one = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{}}}"#;
        assert_eq!(tool_calls(one).unwrap(), ["a"]);
        let batch = br#"[{"jsonrpc":"2.0","method":"notifications/initialized"},
            {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"b"}},
            {"jsonrpc":"2.0","id":3,"result":{}}]"#;
        assert_eq!(tool_calls(batch).unwrap(), ["b"]);
        let list = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert!(tool_calls(list).unwrap().is_empty());
        for bad in [
            &br#"{"method":"tools/list","method":"tools/call","params":{"name":"x"}}"#[..],
            br#"{"method":"tools/call","params":{"name":"x","name":"y"}}"#,
            br#"{"method":"tools/call"}"#,
            br#"{"method":"tools/call","params":{"name":7}}"#,
            br#"{"method":7}"#,
            br#"[1]"#,
            br#""tools/call""#,
            b"not json",
        ] {
            assert!(tool_calls(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
