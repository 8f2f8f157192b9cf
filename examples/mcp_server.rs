//! An MCP server (the Rust MCP SDK, `rmcp`, over streamable HTTP) whose tools are protected
//! by axioms: a valid token for this resource at the endpoint, and a policy per tool.
//!
//! ```sh
//! cargo run --example mcp_server
//! ```
//!
//! With no issuer configured it runs in **development mode** on an embedded issuer
//! (`axioms::testing::TestIssuer`) and prints tokens to connect with. Against a real
//! authorization server:
//!
//! ```sh
//! AXIOMS_ISS_URL=https://auth.example.com/ AXIOMS_DISCOVERY=true \
//!   AXIOMS_RESOURCE=https://mcp.example.com/mcp cargo run --example mcp_server
//! ```
//!
//! What a client sees (the MCP authorization specification, 2025-06-18 and 2025-11-25):
//!
//! * `POST /mcp` without a token: `401` with `WWW-Authenticate: Bearer … scope="notes:read",
//!   resource_metadata="…/.well-known/oauth-protected-resource/mcp"`;
//! * that document (RFC 9728) names the authorization server and `scopes_supported`
//!   (`notes:read`, `notes:write`: every scope the tools' policies name);
//! * only tokens whose `aud` is `AXIOMS_RESOURCE` are accepted (RFC 8707);
//! * `tools/call` of `add_note` or `delete_note` without `notes:write`: `403
//!   insufficient_scope` with `scope="notes:read notes:write"` — the tool does not run; a
//!   client that obtains a token with that scope succeeds.
//!
//! `tools/list` lists every tool, those the caller cannot use too: a client only learns that
//! it needs a wider scope by calling a tool (the 403 above). Set `HIDE_TOOLS=true` to list
//! only the tools the caller's token allows ([`ToolPolicies::allows`]).
//!
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen; `RUST_LOG` (default
//! `info,axioms=debug`) what to log.

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};

use axioms::mcp::{McpLayer, ToolPolicies};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Config, ResourceMetadata};
use axum::Router;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, ListToolsResult, PaginatedRequestParams, ServerCapabilities,
    ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::json;

axioms::policy!(pub NotesRead: scopes = "notes:read");
axioms::policy!(pub NotesWrite: scopes = "notes:write");

/// Which tool needs which policy. Calls of tools not listed here are refused.
fn tool_policies() -> ToolPolicies {
    ToolPolicies::new()
        .tool::<NotesRead>("whoami")
        .tool::<NotesRead>("list_notes")
        .tool::<NotesWrite>("add_note")
        .tool::<NotesWrite>("delete_note")
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct AddNote {
    /// The note's text.
    text: String,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct DeleteNote {
    /// The note's number, as `list_notes` shows it.
    id: u32,
}

#[derive(Clone)]
struct Notes {
    notes: Arc<Mutex<BTreeMap<u32, String>>>,
    policies: Arc<ToolPolicies>,
    hide_tools: bool,
    tool_router: ToolRouter<Notes>,
}

/// The verified claims of the request, as the [`McpLayer`] left them.
fn caller(ctx: &RequestContext<RoleServer>) -> Option<&axioms::Claims> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(axioms::mcp::claims)
}

#[tool_router]
impl Notes {
    fn new(
        notes: Arc<Mutex<BTreeMap<u32, String>>>,
        policies: Arc<ToolPolicies>,
        hide_tools: bool,
    ) -> Self {
        Self {
            notes,
            policies,
            hide_tools,
            tool_router: Self::tool_router(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, String>> {
        self.notes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    #[tool(description = "Who the caller is, as the access token says (needs notes:read)")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<CallToolResult, McpError> {
        let claims = caller(&ctx);
        let who = json!({
            "sub": claims.and_then(|c| c.subject()),
            "client_id": claims.and_then(|c| c.client_id()),
            "scopes": claims.map(|c| c.scopes().to_vec()),
        });
        Ok(CallToolResult::success(vec![ContentBlock::text(
            who.to_string(),
        )]))
    }

    #[tool(description = "List the notes (needs notes:read)")]
    async fn list_notes(&self) -> Result<CallToolResult, McpError> {
        let notes = json!(*self.lock());
        Ok(CallToolResult::success(vec![ContentBlock::text(
            notes.to_string(),
        )]))
    }

    #[tool(description = "Add a note (needs notes:write)")]
    async fn add_note(
        &self,
        Parameters(AddNote { text }): Parameters<AddNote>,
    ) -> Result<CallToolResult, McpError> {
        let mut notes = self.lock();
        let id = notes.keys().next_back().map_or(1, |last| last + 1);
        notes.insert(id, text);
        Ok(CallToolResult::success(vec![ContentBlock::text(format!(
            "added note {id}"
        ))]))
    }

    #[tool(description = "Delete a note (needs notes:write)")]
    async fn delete_note(
        &self,
        Parameters(DeleteNote { id }): Parameters<DeleteNote>,
    ) -> Result<CallToolResult, McpError> {
        let text = match self.lock().remove(&id) {
            Some(_) => format!("deleted note {id}"),
            None => format!("no note {id}"),
        };
        println!("{text}");
        Ok(CallToolResult::success(vec![ContentBlock::text(text)]))
    }
}

#[tool_handler]
impl ServerHandler for Notes {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_instructions(
            "Notes, protected by axioms: notes:read to read, notes:write to write.",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let claims = caller(&ctx);
        let tools = self
            .tool_router
            .list_all()
            .into_iter()
            .filter(|tool| {
                !self.hide_tools || claims.is_some_and(|c| self.policies.allows(c, &tool.name))
            })
            .collect();
        Ok(ListToolsResult {
            tools,
            ..Default::default()
        })
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Logs on stderr (`RUST_LOG`, default `info,axioms=debug`): every refusal, once, with its
    // reason — never a token.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,axioms=debug")),
        )
        .with_writer(std::io::stderr)
        .init();
    let dev_mode = ["AXIOMS_ISS_URL", "AXIOMS_JWKS_URL", "AXIOMS_DOMAIN"]
        .iter()
        .all(|name| var(name).is_none());
    let bind = var("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    let addr = listener.local_addr()?;
    if dev_mode && !addr.ip().is_loopback() {
        return Err("development mode mints tokens for anyone: listen on 127.0.0.1".into());
    }

    let (axioms, dev) = if dev_mode {
        let issuer = TestIssuer::start().await;
        let config = Config::builder(
            issuer
                .issuer_config("unused")
                .audiences(Vec::<String>::new()),
        )
        .resource(format!("http://{addr}/mcp"))
        .build()?;
        (Axioms::new(config)?, Some(issuer))
    } else {
        let config = Config::from_env()?;
        if config.resource().is_none() {
            return Err("set AXIOMS_RESOURCE to this server's canonical URI, e.g. \
                        https://mcp.example.com/mcp (MCP clients ask for tokens for it)"
                .into());
        }
        (Axioms::new(config)?, None)
    };
    let config = axioms.config();
    let resource = config.resource().unwrap_or_default().to_owned();
    let resource_host = url::Url::parse(&resource)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();

    // rmcp answers only requests whose Host is the resource's (DNS rebinding protection).
    let notes = Arc::new(Mutex::new(BTreeMap::new()));
    let hide_tools = var("HIDE_TOOLS").is_some_and(|v| v == "true" || v == "1");
    // The layer enforces the tools' policies; the server lists tools with the same ones.
    let layer = McpLayer::new(axioms.clone(), tool_policies()).endpoint_policy::<NotesRead>();
    let policies = Arc::new(layer.tools().clone());
    let mcp = StreamableHttpService::new(
        move || {
            Ok(Notes::new(
                Arc::clone(&notes),
                Arc::clone(&policies),
                hide_tools,
            ))
        },
        LocalSessionManager::default().into(),
        StreamableHttpServerConfig::default().with_allowed_hosts([resource_host]),
    );
    let app = Router::new().nest_service("/mcp", mcp).layer(layer).merge(
        ResourceMetadata::of(&axioms)?
            .resource_name("axioms notes (MCP)")
            .router(),
    );

    println!("MCP endpoint: {resource}");
    println!(
        "resource metadata: {}",
        config.resource_metadata_url().unwrap_or_default()
    );
    match &dev {
        Some(issuer) => {
            let mint = |scope: &str| {
                issuer
                    .token()
                    .audience(&resource)
                    .subject("dev-user")
                    .scope(scope)
                    .expires_in(12 * 3600)
                    .sign()
            };
            println!(
                "\nDEVELOPMENT MODE: tokens from an embedded issuer ({}).",
                issuer.issuer()
            );
            println!("A reader (notes:read):\n  {}", mint("notes:read"));
            println!(
                "A writer (notes:read notes:write):\n  {}",
                mint("notes:read notes:write")
            );
            println!(
                "\nConnect a client with the header `Authorization: Bearer <token>`, e.g. the MCP \
                 Inspector (npx @modelcontextprotocol/inspector: transport Streamable HTTP, URL \
                 {resource}, Authentication → Bearer token)."
            );
        }
        None => println!(
            "issuer: {} (clients discover it from the resource metadata)",
            config.primary().issuer().unwrap_or_default()
        ),
    }
    println!("listening on http://{addr}");
    axum::serve(listener, app).await?;
    Ok(())
}
