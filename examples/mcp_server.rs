//! An MCP server (the Rust MCP SDK, `rmcp`, over streamable HTTP) protected by axioms: a
//! valid token for this resource at the endpoint, and a policy per operation — tools, each
//! with its `#[protected(…)]` under `#[tool]` (one whose `mode` argument decides the scope it
//! needs), a resource template whose variable decides ownership, prompts.
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
//! What a client sees (the MCP authorization specification, 2025-06-18 to 2026-07-28; rmcp
//! speaks both eras, `initialize` and `server/discover`):
//!
//! * `POST /mcp` without a token: `401` with `WWW-Authenticate: Bearer … scope="notes:read",
//!   resource_metadata="…/.well-known/oauth-protected-resource/mcp"`;
//! * that document (RFC 9728) names the authorization server and `scopes_supported`
//!   (`notes:read`, `notes:write`, `notes:admin`: every scope the policies name);
//! * only tokens whose `aud` is `AXIOMS_RESOURCE` are accepted (RFC 8707);
//! * `tools/list` and `prompts/list` list what the caller may use: with `notes:read`,
//!   `whoami` and `notes`, and the prompt `summarize_notes`; `delete_note` and `draft_note`
//!   need `notes:write`, `purge` `notes:admin`;
//! * `notes` with `"mode": "write"` (or `delete_note`) without `notes:write`: `403
//!   insufficient_scope` — `scope="notes:write"` for a 2026-07-28 client, `scope="notes:read
//!   notes:write"` (granted and needed) for an earlier one; the tool does not run;
//! * `resources/read` of `notes://{id}`: only the note's owner (the token's `sub`) reads it;
//!   another user's note is "Resource not found" (note 1 is alice's);
//! * `Mcp-Method` or `Mcp-Name` headers that say something else than the body: `400`, JSON-RPC
//!   error `-32020`.
//!
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen; `RUST_LOG` (default
//! `info,axioms=debug`) what to log.

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::{Arc, Mutex, PoisonError};

use axioms::mcp::{McpLayer, McpPolicies, TemplateVars};
use axioms::testing::TestIssuer;
use axioms::{Axioms, Config, ResourceMetadata};
use axum::{Extension, Router};
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResult, ContentBlock, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams,
    Prompt, PromptMessage, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult,
    Resource, ResourceContents, ResourceTemplate, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::json;

axioms::policy!(pub NotesRead: scopes = "notes:read");
axioms::policy!(pub NotesWrite: scopes = "notes:write");

/// A note and its owner (a `sub`).
#[derive(Clone, Debug)]
struct Note {
    owner: String,
    text: String,
}

/// The notes, shared by the MCP server and the ownership check (as an axum `Extension`).
#[derive(Clone, Default)]
struct Store(Arc<Mutex<BTreeMap<u32, Note>>>);

impl Store {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u32, Note>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The note `notes://{id}` names: what the ownership check compares with the token's `sub`.
async fn note_of(vars: TemplateVars, Extension(store): Extension<Store>) -> Option<Note> {
    let id: u32 = vars.parse("id")?;
    store.lock().get(&id).cloned()
}

axioms::policy!(pub OwnNote: scopes = "notes:read", owner(fetch = note_of, field = "owner"), state = ());

/// Which operation needs which policy: the tools', from their `#[protected]`, then the
/// resources' and the prompts' (which this server serves without rmcp's macros). Operations
/// named nowhere are refused.
fn policies() -> McpPolicies {
    Notes::mcp_policies()
        .resource::<OwnNote>("notes://{id}")
        .prompt::<NotesRead>("summarize_notes")
        .prompt::<NotesWrite>("draft_note")
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Read,
    Write,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct NotesArgs {
    /// `read` lists your notes (notes:read); `write` adds one (notes:write as well).
    mode: Mode,
    /// The note's text, with `mode: "write"`.
    text: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
struct DeleteNote {
    /// The note's number.
    id: u32,
}

#[derive(Clone)]
struct Notes {
    store: Store,
}

/// The verified claims of the request, as the [`McpLayer`] left them.
fn caller(ctx: &RequestContext<RoleServer>) -> Option<&axioms::Claims> {
    ctx.extensions
        .get::<http::request::Parts>()
        .and_then(axioms::mcp::claims)
}

/// The caller's `sub` (the layer admitted the request: it has verified claims).
fn subject(ctx: &RequestContext<RoleServer>) -> String {
    caller(ctx)
        .and_then(|c| c.subject())
        .unwrap_or_default()
        .to_owned()
}

fn text(text: impl Into<String>) -> CallToolResult {
    CallToolResult::success(vec![ContentBlock::text(text)])
}

#[axioms::mcp::policies]
#[tool_router]
impl Notes {
    fn new(store: Store) -> Self {
        Self { store }
    }

    #[tool(description = "Who the caller is, as the access token says (needs notes:read)")]
    #[protected(scopes = "notes:read")]
    async fn whoami(&self, ctx: RequestContext<RoleServer>) -> Result<CallToolResult, McpError> {
        let claims = caller(&ctx);
        let who = json!({
            "sub": claims.and_then(|c| c.subject()),
            "client_id": claims.and_then(|c| c.client_id()),
            "scopes": claims.map(|c| c.scopes().to_vec()),
        });
        Ok(text(who.to_string()))
    }

    #[tool(
        description = "Your notes: mode read lists them (notes:read), mode write adds one (notes:write)"
    )]
    #[protected(scopes = "notes:read")]
    #[protected(argument(mode = "write"), scopes = "notes:write")]
    async fn notes(
        &self,
        Parameters(NotesArgs { mode, text: note }): Parameters<NotesArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let owner = subject(&ctx);
        let mut notes = self.store.lock();
        match mode {
            Mode::Read => {
                let mine: BTreeMap<&u32, &str> = notes
                    .iter()
                    .filter(|(_, n)| n.owner == owner)
                    .map(|(id, n)| (id, n.text.as_str()))
                    .collect();
                Ok(text(json!(mine).to_string()))
            }
            Mode::Write => {
                let id = notes.keys().next_back().map_or(1, |last| last + 1);
                let text_of = note.unwrap_or_default();
                notes.insert(
                    id,
                    Note {
                        owner,
                        text: text_of,
                    },
                );
                println!("added note {id}");
                Ok(text(format!("added note {id}")))
            }
        }
    }

    #[tool(description = "Delete one of your notes (needs notes:write)")]
    #[protected(scopes = "notes:write")]
    async fn delete_note(
        &self,
        Parameters(DeleteNote { id }): Parameters<DeleteNote>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, McpError> {
        let owner = subject(&ctx);
        let mut notes = self.store.lock();
        let result = match notes.get(&id) {
            Some(note) if note.owner == owner => {
                notes.remove(&id);
                format!("deleted note {id}")
            }
            _ => format!("no note {id}"),
        };
        println!("{result}");
        Ok(text(result))
    }

    #[tool(description = "Delete every note (needs notes:admin)")]
    #[protected(scopes = "notes:admin")]
    async fn purge(&self) -> Result<CallToolResult, McpError> {
        self.store.lock().clear();
        Ok(text("purged"))
    }
}

#[tool_handler]
impl ServerHandler for Notes {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .enable_prompts()
                .build(),
        )
        .with_instructions("Notes, protected by axioms: notes:read to read, notes:write to write.")
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        // The caller's own notes (the layer hides what no policy lets the caller read).
        let owner = subject(&ctx);
        let mine = self
            .store
            .lock()
            .iter()
            .filter(|(_, n)| n.owner == owner)
            .map(|(id, _)| Resource::new(format!("notes://{id}"), format!("note {id}")))
            .collect();
        Ok(ListResourcesResult::with_all_items(mine))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new("notes://{id}", "note").with_description("One of your notes"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        // The layer let this through only for the note's owner.
        let note = request
            .uri
            .strip_prefix("notes://")
            .and_then(|id| id.parse::<u32>().ok())
            .and_then(|id| self.store.lock().get(&id).cloned());
        match note {
            Some(note) => Ok(ReadResourceResult::new(vec![ResourceContents::text(
                note.text,
                request.uri,
            )])
            .into()),
            None => Err(McpError::resource_not_found(
                "Resource not found",
                Some(json!({"uri": request.uri})),
            )),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, McpError> {
        Ok(ListPromptsResult::with_all_items(vec![
            Prompt::new("summarize_notes", Some("Summarize your notes"), None),
            Prompt::new("draft_note", Some("Draft a new note"), None),
        ]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _ctx: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, McpError> {
        let ask = match request.name.as_str() {
            "summarize_notes" => "Summarize my notes (call the notes tool with mode read).",
            "draft_note" => "Draft a short note, then save it with the notes tool, mode write.",
            _ => return Err(McpError::invalid_params("no such prompt", None)),
        };
        Ok(GetPromptResult::new(vec![PromptMessage::new_text(Role::User, ask)]).into())
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

    // Note 1 is alice's: nobody else reads it.
    let store = Store::default();
    store.lock().insert(
        1,
        Note {
            owner: "alice".to_owned(),
            text: "Alice's note".to_owned(),
        },
    );
    // rmcp answers only requests whose Host is the resource's (DNS rebinding protection).
    let mcp = {
        let store = store.clone();
        StreamableHttpService::new(
            move || Ok(Notes::new(store.clone())),
            LocalSessionManager::default().into(),
            StreamableHttpServerConfig::default().with_allowed_hosts([resource_host]),
        )
    };
    // The layer enforces the policies and filters the lists; the `Extension` (outside it)
    // gives the ownership check the store.
    let layer = McpLayer::new(axioms.clone(), policies())?.endpoint_policy::<NotesRead>();
    let app = Router::new()
        .nest_service("/mcp", mcp)
        .layer(layer)
        .layer(Extension(store))
        .merge(
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
