//! MCP servers (feature `mcp`): an MCP endpoint as an OAuth 2.0 protected resource, with a
//! policy per operation, enforced at the HTTP level before the MCP server sees the request.
//!
//! The [Model Context Protocol's authorization specification] (2025-06-18, 2025-11-25 and
//! 2026-07-28) makes an MCP server a resource server that **must** serve Protected Resource
//! Metadata (RFC 9728), point to it from every 401, accept only tokens whose audience is its
//! own canonical URI (RFC 8707), account for scope hierarchies, and **should** answer an
//! operation the token does not allow with `403 insufficient_scope` naming the scopes to ask
//! for. [`McpLayer`] does all of it in front of any MCP server implementation (`rmcp`'s
//! `StreamableHttpService`, for one):
//!
//! 1. every request goes through the one authentication pipeline (a valid token for this
//!    resource, or 401 with `resource_metadata` and the endpoint's `scope`);
//! 2. a `POST` is read (bounded) and parsed strictly as JSON-RPC; the request headers of the
//!    2026-07-28 transport (`Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`) must say what
//!    the body says, else `400` with JSON-RPC error `-32020` (`HeaderMismatch`) — before any
//!    policy runs, so that a gateway that routes on the headers cannot be lied to;
//! 3. every operation in it is checked against its policy in [`McpPolicies`]: `tools/call`
//!    (and the arguments that need more), `resources/read` and `resources/subscribe` (exact
//!    URIs and URI templates, whose variables may decide ownership), `prompts/get`,
//!    `completion/complete`, any other method. An operation the token does not allow is
//!    refused with `403 insufficient_scope` and `resource_metadata` — the operation never
//!    runs. The challenge's `scope` follows the request's protocol version: 2026-07-28 (and
//!    any newer or unknown version) names only the scopes the operation needs, all in one
//!    challenge; 2025-11-25 and before (or no version: the transport lets a server take that
//!    as 2025-03-26) names the scopes already granted that the resource knows as well, as
//!    those revisions recommended. `offline_access` is never named: it is not a resource's
//!    scope (a policy cannot require it: a compile error);
//! 4. the answers to `tools/list`, `resources/list`, `resources/templates/list` and
//!    `prompts/list` — JSON or event stream — list only what the caller may use, and are
//!    marked `cacheScope: "private"` for 2026-07-28 clients;
//! 5. the verified claims are left for the MCP server: [`claims`] reads them from the
//!    request parts (rmcp hands a tool the `http::request::Parts` of its request).
//!
//! An operation without a policy is refused (fail closed), unless
//! [`McpPolicies::otherwise`] says what applies to the others. Scopes are matched with a
//! hierarchy (`notes:write` grants `notes:read`; see [`McpLayer::scope_matcher`]), as the
//! 2026-07-28 specification requires.
//!
//! [Model Context Protocol's authorization specification]: https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization
//!
//! # Example
//!
//! ```no_run
//! use axioms::mcp::{McpLayer, McpPolicies, TemplateVars};
//! use axioms::{Axioms, ResourceMetadata};
//! use axum::{Router, routing::post};
//!
//! axioms::policy!(pub NotesRead: scopes = "notes:read");
//! axioms::policy!(pub NotesWrite: scopes = "notes:write");
//!
//! struct Note { owner: String }
//! async fn get_note(vars: TemplateVars) -> Option<Note> {
//!     let _id: u32 = vars.parse("id")?;
//!     Some(Note { owner: "alice".into() })
//! }
//! axioms::policy!(pub OwnNote: scopes = "notes:read", owner(fetch = get_note, field = "owner"), state = ());
//!
//! # async fn mcp_endpoint() {}
//! # fn f(axioms: Axioms) -> Result<(), axioms::ConfigError> {
//! // AXIOMS_RESOURCE=https://mcp.example.com/mcp AXIOMS_ISS_URL=https://auth.example.com/
//! let policies = McpPolicies::new()
//!     .tool::<NotesRead>("notes")
//!     .tool_argument::<NotesWrite>("notes", "mode", "write")
//!     .resource::<OwnNote>("notes://{id}")
//!     .prompt::<NotesRead>("summarize_notes");
//! let app: Router = Router::new()
//!     .route("/mcp", post(mcp_endpoint)) // e.g. rmcp's StreamableHttpService, with nest_service
//!     .layer(McpLayer::new(axioms.clone(), policies)?.endpoint_policy::<NotesRead>())
//!     .merge(ResourceMetadata::of(&axioms)?.router());
//! # Ok(()) }
//! ```

// A decision's natural refusal is axum's `Response`, large as it is.
#![allow(clippy::result_large_err)]

mod lists;
mod message;
mod policies;
mod template;

use std::fmt;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Method, StatusCode};
use serde_json::Value;
use tower_layer::Layer;

pub use policies::{McpPolicies, TemplateVars};

/// The policies of an rmcp server's tools and prompts, written on each `#[tool]` or
/// `#[prompt]` method as `#[protected(…)]` — the grammar of handlers: `scopes`, `roles`,
/// `permissions`, `acr`, `max_age`, `issuer`, `actor`, `any_of`/`all_of`, `policy = Name`, and
/// `#[protected]` alone for any valid token. `#[protected(argument(mode = "write"), …)]` adds
/// a policy for the calls whose argument has that value (a string, a boolean or an integer).
///
/// Put it **above** `#[tool_router]` (or `#[prompt_router]`): it removes the `#[protected]`
/// attributes, defines one policy per clause list, and adds a function to the impl —
/// `mcp_policies()`, or the name given, `#[axioms::mcp::policies(prompt_policies)]` — that
/// returns the [`McpPolicies`] for [`McpLayer::new`]. Each policy is named after its method
/// (`notes`; one an argument adds, `notes_mode_1`): the name an operator lists in
/// `AXIOMS_<ISSUER>_TRUSTED_FOR` to extend it to a partner issuer. A `#[tool]` or `#[prompt]` without
/// `#[protected]` does not compile (an operation without a policy would be refused); nor does
/// a clause mistake (reported at the clause, as for a handler), an `owner(…)` (ownership of a
/// resource is [`McpPolicies::resource`]'s) or two policies for one tool without an argument.
///
/// ```
/// use axioms::mcp::{McpLayer, McpPolicies};
/// use rmcp::handler::server::wrapper::Parameters;
/// use rmcp::model::{CallToolResult, ContentBlock};
/// use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
///
/// axioms::policy!(pub Admins: roles = "admin");
///
/// #[derive(serde::Deserialize, rmcp::schemars::JsonSchema)]
/// #[schemars(crate = "rmcp::schemars")]
/// struct NoteArgs {
///     mode: String,
/// }
///
/// #[derive(Clone)]
/// struct Notes;
///
/// #[axioms::mcp::policies]
/// #[tool_router]
/// impl Notes {
///     #[tool(description = "Who you are")]
///     #[protected]
///     async fn whoami(&self) -> Result<CallToolResult, ErrorData> {
///         Ok(CallToolResult::success(vec![ContentBlock::text("you")]))
///     }
///
///     #[tool(name = "notes", description = "Read (notes:read) or write (notes:write) notes")]
///     #[protected(scopes = "notes:read")]
///     #[protected(argument(mode = "write"), scopes = "notes:write")]
///     async fn notes(&self, Parameters(args): Parameters<NoteArgs>) -> Result<CallToolResult, ErrorData> {
///         Ok(CallToolResult::success(vec![ContentBlock::text(args.mode)]))
///     }
///
///     #[tool(description = "Delete every note")]
///     #[protected(policy = Admins)]
///     async fn purge(&self) -> Result<CallToolResult, ErrorData> {
///         Ok(CallToolResult::success(vec![]))
///     }
/// }
///
/// #[tool_handler]
/// impl ServerHandler for Notes {}
///
/// # fn layer(axioms: axioms::Axioms) -> Result<McpLayer, axioms::ConfigError> {
/// // The tools' policies, and the resources' (which rmcp declares without a macro).
/// let policies = Notes::mcp_policies().and(McpPolicies::new());
/// McpLayer::new(axioms, policies)
/// # }
/// ```
#[cfg(feature = "macros")]
pub use axioms_macros::mcp_policies as policies;

use self::lists::ListFilter;
use self::message::{Era, Refusal};
use self::policies::{ListKind, Needs, Operation, Reference};
use crate::ConfigError;
use crate::check::{Hierarchical, Mode, ScopeMatcher};
use crate::claims::Claims;
use crate::defaults::MCP_MAX_BODY_BYTES;
use crate::layer::{Decision, Gate, Sealed};
use crate::pipeline::{self, Admission, Demand};
use crate::policy::{Ctx, LayerPolicy, Named, Rule, Tri, registered_scopes};
use crate::rejection::{AuthError, Reason};
use crate::safe::SafeMethods;
use crate::verifier::Axioms;

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

/// A layer that protects an MCP endpoint: authentication, the endpoint's policy, a policy
/// per operation, lists filtered (see the [module documentation](self)).
#[derive(Clone)]
pub struct McpLayer {
    inner: Arc<McpConfig>,
}

#[derive(Clone)]
struct McpConfig {
    axioms: Axioms,
    policies: McpPolicies,
    /// Every scope this endpoint knows: its policy's, the operations', the application's.
    known: Vec<&'static str>,
    endpoint: Option<Named>,
    max_body: usize,
    matcher: Arc<dyn ScopeMatcher>,
}

impl fmt::Debug for McpLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("McpLayer")
            .field("policies", &self.inner.policies)
            .field("max_body", &self.inner.max_body)
            .finish_non_exhaustive()
    }
}

/// The scope hierarchy of MCP mode: `admin` ⊃ `write` ⊃ `read`, `edit` ⊃ `read`, and the
/// wildcards of [`Hierarchical`] (`notes:*`, `*:read`).
fn mcp_hierarchy() -> Hierarchical {
    Hierarchical::new([
        ("admin", &["write", "edit", "read"][..]),
        ("write", &["read"][..]),
        ("edit", &["read"][..]),
        ("read", &[][..]),
    ])
}

impl McpLayer {
    /// Protects an MCP endpoint with `axioms` and the operations' policies.
    ///
    /// Scopes are matched with a hierarchy, as the MCP specification (2026-07-28) requires of
    /// a server: unless the configuration sets a scope matcher of its own
    /// ([`ConfigBuilder::scope_matcher`](crate::ConfigBuilder::scope_matcher)), the layer uses
    /// [`Hierarchical`] with `admin` ⊃ `write` ⊃ `read` and `edit` ⊃ `read` on the
    /// action after the last `:` (`notes:write` grants `notes:read`; `notes:*` grants every
    /// action on `notes`). [`scope_matcher`](Self::scope_matcher) says otherwise.
    ///
    /// # Errors
    ///
    /// A resource template that cannot be matched ([`McpPolicies::resource`]).
    pub fn new(axioms: Axioms, policies: McpPolicies) -> Result<Self, ConfigError> {
        if let Some(err) = policies.error() {
            return Err(err.clone());
        }
        let configured = &axioms.config().requests.scope_matcher;
        let matcher: Arc<dyn ScopeMatcher> = if configured.is_exact() {
            Arc::new(mcp_hierarchy())
        } else {
            Arc::clone(configured)
        };
        let mut known = policies.scopes();
        known.extend(registered_scopes());
        known.sort_unstable();
        known.dedup();
        Ok(Self {
            inner: Arc::new(McpConfig {
                axioms,
                policies,
                known,
                endpoint: None,
                max_body: MCP_MAX_BODY_BYTES,
                matcher,
            }),
        })
    }

    fn with(self, edit: impl FnOnce(&mut McpConfig)) -> Self {
        let mut config = Arc::unwrap_or_clone(self.inner);
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

    /// How this endpoint decides whether a granted scope satisfies a required one. The
    /// specification requires a server to account for the hierarchy of its scopes; pass
    /// [`Exact`](crate::check::Exact) only if your authorization server's scopes have none.
    ///
    /// ```no_run
    /// # fn f(axioms: axioms::Axioms) -> Result<(), axioms::ConfigError> {
    /// use axioms::check::{Exact, Hierarchical};
    /// use axioms::mcp::{McpLayer, McpPolicies};
    /// // GitHub-like: `repo:admin` grants `repo:read`.
    /// let layer = McpLayer::new(axioms, McpPolicies::new())?
    ///     .scope_matcher(Hierarchical::new([("admin", &["read"][..])]));
    /// # let _ = Exact;
    /// # Ok::<(), axioms::ConfigError>(())
    /// # }
    /// ```
    #[must_use]
    pub fn scope_matcher(self, matcher: impl ScopeMatcher + 'static) -> Self {
        self.with(|c| c.matcher = Arc::new(matcher))
    }
}

impl McpConfig {
    fn ctx<'a>(&'a self, policy: &'a str) -> Ctx<'a> {
        Ctx {
            matcher: &*self.matcher,
            clock: &*self.axioms.config().clock,
            policy,
        }
    }

    /// Whether a list shows an entry to `claims`: its policy does not refuse them on the
    /// claims alone (ownership is decided when the resource is read).
    fn may_list(&self, claims: &Claims, kind: ListKind, name: &str) -> bool {
        let p = &self.policies;
        let needs = match kind {
            ListKind::Tools => p.tool_policy(name),
            ListKind::Prompts => p.prompt_policy(name),
            ListKind::Resources => p.resource_policy(name).map(|m| m.needs),
            ListKind::Templates => p.template_policy(name),
        };
        needs.is_some_and(|needs| self.listable(claims, needs))
    }

    fn listable(&self, claims: &Claims, needs: Needs) -> bool {
        let named = needs.named;
        named.rule.eval(claims, None, &self.ctx(named.name)) != Tri::No
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
    type Then = Option<ListFilter>;

    async fn decide(
        &self,
        parts: &mut Parts,
        body: Body,
    ) -> Result<(Body, Option<ListFilter>), Response> {
        guard(&self.inner, parts, body).await
    }

    async fn then(&self, then: Option<ListFilter>, response: Response) -> Response {
        match then {
            Some(filter) => filter.apply(response).await,
            None => response,
        }
    }
}

/// Authenticates, checks the headers against the body, applies the endpoint's policy and the
/// operations'; gives the body back, with the lists to filter in the answer.
async fn guard(
    config: &Arc<McpConfig>,
    parts: &mut Parts,
    body: Body,
) -> Result<(Body, Option<ListFilter>), Response> {
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
    if parts.method != Method::POST {
        let era = Era::of(
            message::headers(parts)
                .ok()
                .as_ref()
                .and_then(|h| h.version()),
        );
        decide(config, era, &claims, &[needs_of(endpoint)])?;
        admitted(axioms, parts, &claims);
        return Ok((body, None));
    }
    let bytes = match axum::body::to_bytes(body, config.max_body).await {
        Ok(bytes) => bytes,
        Err(_) => return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
    };
    let value = message::parse(&bytes).map_err(|refusal| refused(&refusal, None))?;
    let headers = message::headers(parts).map_err(|r| refused(&r, message::id(&value)))?;
    let era = message::check(&headers, &value).map_err(|r| refused(&r, message::id(&value)))?;
    decide(config, era, &claims, &[needs_of(endpoint)])?;
    let mut lists = Vec::new();
    for message in message::messages(&value) {
        let operation = message::operation(message).map_err(|r| refused(&r, message.get("id")))?;
        let id = message.get("id");
        let policies = &config.policies;
        match operation {
            Operation::Protocol => {}
            Operation::List(kind) => {
                if let Some(id) = id {
                    lists.push((id.clone(), kind));
                }
            }
            Operation::Tool { name, arguments } => {
                let Some(needs) = policies.tool_policy(name) else {
                    return Err(unlisted(config, &claims, "tool", name));
                };
                let mut all = vec![needs];
                all.extend(policies.argument_policies(name, arguments));
                decide(config, era, &claims, &all)?;
            }
            Operation::Prompt(name) => {
                let needs = policies
                    .prompt_policy(name)
                    .ok_or_else(|| unlisted(config, &claims, "prompt", name))?;
                decide(config, era, &claims, &[needs])?;
            }
            Operation::Method(method) => {
                let needs = policies
                    .method_policy(method)
                    .ok_or_else(|| unlisted(config, &claims, "method", method))?;
                decide(config, era, &claims, &[needs])?;
            }
            Operation::Completion(reference) => {
                let needs = match reference {
                    Reference::Prompt(name) => policies.prompt_policy(name),
                    Reference::Resource(uri) => policies.template_policy(uri),
                }
                .ok_or_else(|| unlisted(config, &claims, "completion reference", ""))?;
                if !config.listable(&claims, needs) {
                    decide(config, era, &claims, &[needs])?;
                }
            }
            Operation::Resource(uri) => {
                let Some(found) = policies.resource_policy(uri) else {
                    return Err(unlisted(config, &claims, "resource", uri));
                };
                read_resource(config, era, parts, &claims, found, id, uri).await?;
            }
        }
    }
    admitted(axioms, parts, &claims);
    let filter = (!lists.is_empty()).then(|| ListFilter {
        config: Arc::clone(config),
        claims,
        era,
        lists,
    });
    Ok((Body::from(bytes), filter))
}

fn needs_of(named: Named) -> Needs {
    Needs { named, owner: None }
}

fn admitted(axioms: &Axioms, parts: &mut Parts, claims: &Claims) {
    pipeline::record_admission(axioms, parts, claims);
    parts.extensions.insert(McpPrincipal(claims.clone()));
}

/// The policies an operation needs, decided together: a refusal names every scope the
/// operation needs, in one challenge. Ownership is not decided here ([`read_resource`]).
fn decide(config: &McpConfig, era: Era, claims: &Claims, all: &[Needs]) -> Result<(), Response> {
    let mut refusal: Option<(Reason, Named)> = None;
    let mut needed: Vec<&'static str> = Vec::new();
    for needs in all {
        let named = needs.named;
        let ctx = &config.ctx(named.name);
        // Ownership is decided once the object is fetched; here a rule that names it must
        // not already refuse on the claims.
        let owner = if needs.owner.is_some() {
            None
        } else {
            Some(false)
        };
        let verdict = named.rule.eval(claims, owner, ctx);
        if verdict == Tri::Yes || (needs.owner.is_some() && verdict == Tri::Unknown) {
            continue;
        }
        let (reason, scopes, mode) = named.rule.denial(claims, owner, ctx);
        let scopes = if scopes.is_empty() && reason != Reason::IssuerNotAccepted {
            named.rule.challenge_scopes().0
        } else {
            scopes.to_vec()
        };
        let wanted: &[&'static str] = match (mode, scopes.as_slice()) {
            // One of the alternatives is enough: ask for the first.
            (Mode::Any, [first, ..]) => std::slice::from_ref(first),
            (_, all) => all,
        };
        for scope in wanted {
            if !needed.contains(scope) {
                needed.push(scope);
            }
        }
        refusal.get_or_insert((reason, named));
    }
    match refusal {
        None => Ok(()),
        Some((reason, named)) => Err(deny(config, era, reason, named, claims, &needed)),
    }
}

/// `resources/read` (or subscribe) of a resource with a policy: the claims, then ownership
/// with the template's variables. A caller who does not own the object is answered as if
/// it did not exist.
async fn read_resource(
    config: &McpConfig,
    era: Era,
    parts: &mut Parts,
    claims: &Claims,
    found: policies::ResourceMatch,
    id: Option<&Value>,
    uri: &str,
) -> Result<(), Response> {
    decide(config, era, claims, &[found.needs])?;
    let Some(check) = found.needs.owner else {
        return Ok(());
    };
    parts.extensions.insert(found.vars);
    let owns = match check(parts, claims).await {
        Ok(owns) => owns,
        Err(response) if response.status() == StatusCode::NOT_FOUND => {
            return Err(not_found(era, id, uri));
        }
        Err(response) => return Err(response),
    };
    let named = found.needs.named;
    if named.rule.eval(claims, Some(owns), &config.ctx(named.name)) == Tri::Yes {
        return Ok(());
    }
    config.axioms.denial(Reason::NotOwnerHidden, claims).log();
    Err(not_found(era, id, uri))
}

/// JSON-RPC "Resource not found": `-32602` from 2026-07-28 on, `-32002` before.
fn not_found(era: Era, id: Option<&Value>, uri: &str) -> Response {
    let code = match era {
        Era::Modern => -32602,
        Era::Legacy => -32002,
    };
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.cloned().unwrap_or(Value::Null),
        "error": {"code": code, "message": "Resource not found", "data": {"uri": uri}},
    });
    message::jsonrpc(StatusCode::OK, &body)
}

/// An operation without a policy (and no [`McpPolicies::otherwise`]): refused.
fn unlisted(config: &McpConfig, claims: &Claims, what: &'static str, name: &str) -> Response {
    tracing::warn!(
        target: "axioms::mcp",
        what,
        name = %crate::jwks::set::escape_kid(name),
        "an MCP operation without a policy: refused (add it to McpPolicies, or McpPolicies::otherwise)"
    );
    let err = config.axioms.denial(Reason::PolicyDenied, claims);
    err.log();
    reject(&config.axioms, err)
}

/// 403 `insufficient_scope` (or step-up). The challenge's `scope`: what the operation needs
/// (2026-07-28, "Server Scope Management"); for earlier revisions also what the token
/// already has that this resource knows, as 2025-11-25 recommended, so that a client that
/// replaces its token keeps what it could do. Never `offline_access`.
fn deny(
    config: &McpConfig,
    era: Era,
    reason: Reason,
    policy: Named,
    claims: &Claims,
    needed: &[&'static str],
) -> Response {
    let axioms = &config.axioms;
    let mut scopes: Vec<&str> = match era {
        Era::Modern => Vec::new(),
        Era::Legacy => claims
            .scopes()
            .iter()
            .map(|s| &**s)
            .filter(|s| config.known.contains(s))
            .collect(),
    };
    for scope in needed {
        if !scopes.contains(scope) {
            scopes.push(scope);
        }
    }
    scopes.retain(|s| *s != "offline_access");
    let mut err = axioms.denial(reason, claims).with_scopes(scopes);
    if reason == Reason::InsufficientUserAuthentication {
        let (acr, max_age) = policy.rule.step_up();
        err = err.with_step_up(acr, max_age);
    }
    err.log();
    reject(axioms, err)
}

fn reject(axioms: &Axioms, err: AuthError) -> Response {
    axioms.reject(err).into_response()
}

/// A request refused before any policy: 400 with its JSON-RPC error.
fn refused(refusal: &Refusal, id: Option<&Value>) -> Response {
    tracing::info!(target: "axioms::mcp", problem = refusal.message, "MCP request refused");
    refusal.response(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tool of every `tools/call` of a body, as the guard reads them.
    fn tool_calls(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
        let value = message::parse(bytes).map_err(|r| r.message)?;
        let mut calls = Vec::new();
        for m in message::messages(&value) {
            if let Operation::Tool { name, .. } = message::operation(m).map_err(|r| r.message)? {
                calls.push(name.to_owned());
            }
        }
        Ok(calls)
    }

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
