//! What `McpLayer` decides for each MCP operation, in process, in front of a stand-in MCP
//! server that answers lists and counts the operations it runs: the request headers of the
//! 2026-07-28 transport checked against the body, a policy per tool, tool argument, prompt,
//! resource and resource template (with ownership from the template's variable), challenges
//! by protocol version, scope hierarchy, lists filtered in JSON and in event streams.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axioms::Axioms;
use axioms::check::Exact;
use axioms::mcp::{McpLayer, McpPolicies, TemplateVars};
use axioms::testing::TestIssuer;
use axum::Router;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

use crate::common::{Resp, challenge, issuer_with_verifier, req, send};

axioms::policy!(pub McpRead: scopes = "mcp:read");
axioms::policy!(pub McpWrite: scopes = "mcp:write");
axioms::policy!(pub McpAdmin: scopes = "mcp:admin");

/// The stand-in's documents: `docs://{id}` belongs to `owner-{id}`; 404 does not exist.
struct Doc {
    owner: String,
}

async fn doc_of(vars: TemplateVars) -> Option<Doc> {
    let id: u32 = vars.parse("id")?;
    (id != 404).then(|| Doc {
        owner: format!("owner-{id}"),
    })
}

axioms::policy!(pub McpOwnDoc: scopes = "mcp:read", owner(fetch = doc_of, field = "owner"), state = ());

const MODERN: &str = "2026-07-28";

fn policies() -> McpPolicies {
    McpPolicies::new()
        .tool::<McpRead>("notes")
        .tool_argument::<McpWrite>("notes", "mode", "write")
        .tool::<McpWrite>("delete")
        .tool::<McpAdmin>("purge")
        .resource::<McpOwnDoc>("docs://{id}")
        .resource::<McpRead>("config://app")
        .prompt::<McpRead>("summarize")
        .prompt::<McpWrite>("draft")
}

/// The stand-in MCP server: every list holds every entry (and one no policy names); every
/// other request is counted as run. `sse` answers as an event stream, a notification first.
fn server(ran: Arc<AtomicUsize>, sse: bool) -> Router {
    let answer = move |body: String| {
        let ran = Arc::clone(&ran);
        async move {
            let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let result = match request["method"].as_str() {
                Some("tools/list") => json!({"tools": [
                    {"name": "notes"}, {"name": "delete"}, {"name": "purge"}, {"name": "secret"},
                ]}),
                Some("prompts/list") => json!({"prompts": [
                    {"name": "summarize"}, {"name": "draft"}, {"name": "secret"},
                ]}),
                Some("resources/list") => json!({"resources": [
                    {"uri": "docs://1", "name": "1"}, {"uri": "config://app", "name": "app"},
                    {"uri": "secret://x", "name": "x"},
                ]}),
                Some("resources/templates/list") => json!({"resourceTemplates": [
                    {"uriTemplate": "docs://{id}", "name": "doc"},
                    {"uriTemplate": "secret://{x}", "name": "secret"},
                ]}),
                _ => {
                    ran.fetch_add(1, Ordering::SeqCst);
                    json!({"content": [{"type": "text", "text": "ran"}]})
                }
            };
            let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": result});
            if sse {
                let notification = json!({"jsonrpc": "2.0", "method": "notifications/message",
                    "params": {"level": "info", "data": "tools: purge"}});
                let stream =
                    format!("event: message\ndata: {notification}\n\nid: 7\ndata: {answer}\n\n");
                ([("content-type", "text/event-stream")], stream).into_response()
            } else {
                axum::Json(answer).into_response()
            }
        }
    };
    Router::new().route("/mcp", post(answer))
}

struct Mcp {
    issuer: TestIssuer,
    axioms: Axioms,
    ran: Arc<AtomicUsize>,
}

impl Mcp {
    async fn new() -> Self {
        let (issuer, axioms) = issuer_with_verifier("mcp-api").await;
        Self {
            issuer,
            axioms,
            ran: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn app(&self, layer: impl FnOnce(McpLayer) -> McpLayer, sse: bool) -> Router {
        let layer = layer(McpLayer::new(self.axioms.clone(), policies()).unwrap());
        server(Arc::clone(&self.ran), sse).layer(layer)
    }

    fn token(&self, sub: &str, scope: &str) -> String {
        self.issuer
            .token()
            .audience("mcp-api")
            .subject(sub)
            .scope(scope)
            .sign()
    }

    fn ran(&self) -> usize {
        self.ran.load(Ordering::SeqCst)
    }
}

/// A JSON-RPC request of `version` (2026-07-28: the version in `_meta`, and the headers that
/// mirror the body; `None`: no version at all, as before 2025-06-18).
fn rpc(token: &str, version: Option<&str>, method: &str, params: Value) -> crate::common::Req {
    let mut params = params;
    let mut request = req("POST", "/mcp")
        .bearer(token)
        .header("accept", "application/json, text/event-stream");
    if let Some(version) = version {
        request = request.header("mcp-protocol-version", version);
        if version >= MODERN {
            params["_meta"] = json!({"io.modelcontextprotocol/protocolVersion": version});
            request = request.header("mcp-method", method);
            if let Some(name) = params
                .get("name")
                .or(params.get("uri"))
                .and_then(Value::as_str)
            {
                request = request.header("mcp-name", name);
            }
        }
    }
    request.json(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
}

/// A 2026-07-28 request through `app`.
async fn modern(app: &Router, token: &str, method: &str, params: Value) -> Resp {
    send(app, rpc(token, Some(MODERN), method, params)).await
}

fn scope_challenged(r: &Resp) -> String {
    assert_eq!(r.status, 403, "{r:?}");
    let (_, params) = challenge(r.www().unwrap());
    assert_eq!(params["error"], "insufficient_scope", "{r:?}");
    params["scope"].clone()
}

fn jsonrpc_code(r: &Resp) -> i64 {
    r.json()["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{r:?}"))
}

#[tokio::test]
async fn mcp_method_lying_about_the_body_is_400_header_mismatch_and_the_tool_never_runs() {
    let mcp = Mcp::new().await;
    let app = mcp.app(|l| l, false);
    let admin = mcp.token("ann", "mcp:read mcp:write mcp:admin");
    let reader = mcp.token("bob", "mcp:read");
    let meta = json!({"io.modelcontextprotocol/protocolVersion": MODERN});
    let purge = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "purge", "arguments": {}, "_meta": meta}});
    let post = |token: &str| req("POST", "/mcp").bearer(token).json(&purge);
    let lies = [
        // A gateway that routes or authorizes on the header sees a harmless list.
        post(&admin)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/list")
            .header("mcp-name", "purge"),
        // …or a harmless tool.
        post(&admin)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/call")
            .header("mcp-name", "notes"),
        post(&admin)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/call")
            .header("mcp-name", "=?base64?bm90ZXM=?="),
        // Required headers missing.
        post(&admin)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-name", "purge"),
        post(&admin)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/call"),
        post(&admin)
            .header("mcp-method", "tools/call")
            .header("mcp-name", "purge"),
        // Another version than the body's.
        post(&admin)
            .header("mcp-protocol-version", "2025-11-25")
            .header("mcp-method", "tools/call")
            .header("mcp-name", "purge"),
        // Before any policy: a caller the policy refuses gets the 400 too.
        post(&reader)
            .header("mcp-protocol-version", MODERN)
            .header("mcp-method", "tools/list")
            .header("mcp-name", "purge"),
    ];
    for lie in lies {
        let r = send(&app, lie).await;
        assert_eq!(r.status, 400, "{r:?}");
        assert_eq!(jsonrpc_code(&r), -32020, "{r:?}");
        assert_eq!(r.json()["id"], 9, "the request's id");
    }
    assert_eq!(mcp.ran(), 0, "the tool never ran");
    // The same request with honest headers (the name base64-encoded, as a client may) runs.
    let honest = post(&admin)
        .header("mcp-protocol-version", MODERN)
        .header("mcp-method", "tools/call")
        .header("mcp-name", "=?base64?cHVyZ2U=?=");
    let r = send(&app, honest).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(mcp.ran(), 1);
    // A legacy client sends no headers; one that does may not lie either.
    let legacy =
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "purge"}});
    let r = send(&app, req("POST", "/mcp").bearer(&admin).json(&legacy)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(
        &app,
        req("POST", "/mcp")
            .bearer(&admin)
            .header("mcp-method", "ping")
            .json(&legacy),
    )
    .await;
    assert_eq!(jsonrpc_code(&r), -32020, "{r:?}");
    assert_eq!(mcp.ran(), 2);
}

#[tokio::test]
async fn a_tool_argument_decides_the_scopes_it_needs() {
    let mcp = Mcp::new().await;
    let app = mcp.app(|l| l, false);
    let reader = mcp.token("bob", "mcp:read");
    let writer = mcp.token("ann", "mcp:read mcp:write");
    let read = json!({"name": "notes", "arguments": {"mode": "read"}});
    let write = json!({"name": "notes", "arguments": {"mode": "write", "text": "x"}});
    let r = modern(&app, &reader, "tools/call", read.clone()).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = modern(&app, &reader, "tools/call", write.clone()).await;
    assert_eq!(scope_challenged(&r), "mcp:write");
    assert_eq!(mcp.ran(), 1, "the write never ran");
    for args in [read, write] {
        let r = modern(&app, &writer, "tools/call", args).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    assert_eq!(mcp.ran(), 3);
    // Every scope the call needs, in one challenge: the tool's and the argument's.
    let nothing = mcp.token("eve", "other");
    let r = modern(
        &app,
        &nothing,
        "tools/call",
        json!({"name": "notes", "arguments": {"mode": "write"}}),
    )
    .await;
    assert_eq!(scope_challenged(&r), "mcp:read mcp:write");
    // A legacy batch is decided call by call: one refused call refuses the batch.
    let batch = json!([
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "notes", "arguments": {"mode": "read"}}},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "notes", "arguments": {"mode": "write"}}},
    ]);
    let r = send(&app, req("POST", "/mcp").bearer(&reader).json(&batch)).await;
    assert_eq!(scope_challenged(&r), "mcp:read mcp:write");
    assert_eq!(mcp.ran(), 3);
}

#[tokio::test]
async fn challenges_follow_the_protocol_version() {
    let mcp = Mcp::new().await;
    let app = mcp.app(|l| l, false);
    let reader = mcp.token("bob", "mcp:read offline_access unrelated");
    let delete = json!({"name": "delete", "arguments": {}});
    // 2026-07-28, and any version this server does not know: the scopes the call needs.
    for version in [MODERN, "2099-01-01"] {
        let r = send(
            &app,
            rpc(&reader, Some(version), "tools/call", delete.clone()),
        )
        .await;
        assert_eq!(scope_challenged(&r), "mcp:write", "{version}");
    }
    // 2025-11-25 and before, and no version at all (taken as 2025-03-26): the scopes already
    // granted that this resource knows, and those needed — never offline_access.
    for version in [Some("2025-11-25"), Some("2025-06-18"), None] {
        let r = send(&app, rpc(&reader, version, "tools/call", delete.clone())).await;
        assert_eq!(scope_challenged(&r), "mcp:read mcp:write", "{version:?}");
    }
    assert_eq!(mcp.ran(), 0);
}

#[tokio::test]
async fn lists_answer_only_what_the_caller_may_use_in_json_and_in_event_streams() {
    let mcp = Mcp::new().await;
    let reader = mcp.token("bob", "mcp:read");
    let admin = mcp.token("ann", "mcp:read mcp:write mcp:admin");
    let names = |r: &Resp, array: &str, member: &str| -> Vec<String> {
        assert_eq!(r.status, 200, "{r:?}");
        // The answer, from JSON or from the event stream's data.
        let answer: Value = if r.header("content-type").starts_with("text/event-stream") {
            r.body
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter_map(|d| serde_json::from_str::<Value>(d).ok())
                .find(|v| v["id"] == 1)
                .unwrap_or_else(|| panic!("{r:?}"))
        } else {
            r.json()
        };
        answer["result"][array]
            .as_array()
            .unwrap_or_else(|| panic!("{r:?}"))
            .iter()
            .map(|e| e[member].as_str().unwrap().to_owned())
            .collect()
    };
    for sse in [false, true] {
        let app = mcp.app(|l| l, sse);
        let list = |token: &str, method: &str| rpc(token, Some(MODERN), method, json!({}));
        let r = send(&app, list(&reader, "tools/list")).await;
        assert_eq!(names(&r, "tools", "name"), ["notes"], "sse {sse}");
        let r = send(&app, list(&admin, "tools/list")).await;
        assert_eq!(
            names(&r, "tools", "name"),
            ["notes", "delete", "purge"],
            "no policy: never listed"
        );
        let r = send(&app, list(&reader, "prompts/list")).await;
        assert_eq!(names(&r, "prompts", "name"), ["summarize"]);
        let r = send(&app, list(&reader, "resources/list")).await;
        assert_eq!(names(&r, "resources", "uri"), ["docs://1", "config://app"]);
        let r = send(&app, list(&reader, "resources/templates/list")).await;
        assert_eq!(
            names(&r, "resourceTemplates", "uriTemplate"),
            ["docs://{id}"]
        );
        if sse {
            // Other events pass as they came; the answer keeps its event id.
            assert!(r.body.contains("notifications/message"), "{r:?}");
            assert!(
                r.body.contains("\nid: 7\n") || r.body.contains("id: 7\n"),
                "{r:?}"
            );
        } else {
            // Filtered per caller: no cache may share it (2026-07-28).
            assert_eq!(r.json()["result"]["cacheScope"], "private");
        }
        // A 2025-11-25 answer is filtered too, without the 2026-07-28 field.
        let r = send(
            &app,
            rpc(&reader, Some("2025-11-25"), "tools/list", json!({})),
        )
        .await;
        assert_eq!(names(&r, "tools", "name"), ["notes"]);
        if !sse {
            assert!(r.json()["result"].get("cacheScope").is_none(), "{r:?}");
        }
    }
    assert_eq!(mcp.ran(), 0, "lists run no operation");
    // A server that writes the answer's id otherwise than the request did: still filtered.
    let odd = Router::new()
        .route(
            "/mcp",
            post(|| async {
                axum::Json(json!({"jsonrpc": "2.0", "id": 99,
                    "result": {"tools": [{"name": "notes"}, {"name": "purge"}]}}))
            }),
        )
        .layer(McpLayer::new(mcp.axioms.clone(), policies()).unwrap());
    let r = modern(&odd, &reader, "tools/list", json!({})).await;
    assert_eq!(names(&r, "tools", "name"), ["notes"]);
}

#[tokio::test]
async fn a_resource_template_decides_ownership_from_its_variable() {
    let mcp = Mcp::new().await;
    let app = mcp.app(|l| l, false);
    let owner = mcp.token("owner-7", "mcp:read");
    let other = mcp.token("owner-8", "mcp:read");
    let read = |token: &str, uri: &str, version: &str| {
        rpc(token, Some(version), "resources/read", json!({"uri": uri}))
    };
    let r = send(&app, read(&owner, "docs://7", MODERN)).await;
    assert_eq!(
        (
            r.status.as_u16(),
            r.json()["result"]["content"][0]["text"].as_str()
        ),
        (200, Some("ran")),
        "{r:?}"
    );
    assert_eq!(mcp.ran(), 1);
    // Another user's document, and one that does not exist: the same answer, "Resource not
    // found" (-32602 from 2026-07-28 on, -32002 before), and the server never reads it.
    for uri in ["docs://7", "docs://404"] {
        let r = send(&app, read(&other, uri, MODERN)).await;
        assert_eq!(
            (r.status.as_u16(), jsonrpc_code(&r)),
            (200, -32602),
            "{r:?}"
        );
        assert_eq!(r.json()["error"]["data"]["uri"], uri);
        let r = send(&app, read(&other, uri, "2025-11-25")).await;
        assert_eq!(jsonrpc_code(&r), -32002, "{r:?}");
    }
    // Subscribing is reading.
    let r = send(
        &app,
        rpc(
            &other,
            Some("2025-11-25"),
            "resources/subscribe",
            json!({"uri": "docs://7"}),
        ),
    )
    .await;
    assert_eq!(jsonrpc_code(&r), -32002, "{r:?}");
    assert_eq!(mcp.ran(), 1);
    // The scope comes first: without it, the 403 names it (nothing is fetched).
    let nothing = mcp.token("owner-7", "other");
    let r = send(&app, read(&nothing, "docs://7", MODERN)).await;
    assert_eq!(scope_challenged(&r), "mcp:read");
    // An exact URI, and a URI no policy names (fail closed).
    let r = send(&app, read(&other, "config://app", MODERN)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, read(&owner, "secret://x", MODERN)).await;
    assert_eq!(r.status, 403, "{r:?}");
    assert_eq!(mcp.ran(), 2);
}

#[tokio::test]
async fn operations_without_a_policy_are_refused_unless_otherwise_says() {
    let mcp = Mcp::new().await;
    let admin = mcp.token("ann", "mcp:read mcp:write mcp:admin");
    let app = mcp.app(|l| l, false);
    let unlisted = [
        ("tools/call", json!({"name": "secret"})),
        ("prompts/get", json!({"name": "secret"})),
        ("tasks/get", json!({"taskId": "t"})),
        (
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "secret"}, "argument": {"name": "a", "value": ""}}),
        ),
    ];
    for (method, params) in &unlisted {
        let r = modern(&app, &admin, method, params.clone()).await;
        assert_eq!(r.status, 403, "{method}: {r:?}");
    }
    assert_eq!(mcp.ran(), 0);
    // The protocol's own methods need only the endpoint's policy.
    for method in ["ping", "server/discover", "notifications/initialized"] {
        let r = modern(&app, &admin, method, json!({})).await;
        assert_eq!(r.status, 200, "{method}: {r:?}");
    }
    // A prompt with a policy, and a completion for it.
    let reader = mcp.token("bob", "mcp:read");
    let r = modern(&app, &reader, "prompts/get", json!({"name": "summarize"})).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = modern(&app, &reader, "prompts/get", json!({"name": "draft"})).await;
    assert_eq!(scope_challenged(&r), "mcp:write");
    let complete = |name: &str| json!({"ref": {"type": "ref/prompt", "name": name}, "argument": {"name": "a", "value": ""}});
    let r = modern(&app, &reader, "completion/complete", complete("summarize")).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = modern(&app, &reader, "completion/complete", complete("draft")).await;
    assert_eq!(scope_challenged(&r), "mcp:write");
    // `otherwise` names what every other operation needs.
    let open = server(Arc::clone(&mcp.ran), false)
        .layer(McpLayer::new(mcp.axioms.clone(), policies().otherwise::<McpAdmin>()).unwrap());
    for (method, params) in unlisted {
        let r = modern(&open, &admin, method, params.clone()).await;
        assert_eq!(r.status, 200, "{method}: {r:?}");
        let r = modern(&open, &reader, method, params).await;
        assert_eq!(scope_challenged(&r), "mcp:admin");
    }
}

#[tokio::test]
async fn scopes_match_with_a_hierarchy_unless_the_server_says_exact() {
    let mcp = Mcp::new().await;
    let writer_only = mcp.token("ann", "mcp:write");
    let admin_only = mcp.token("ann", "mcp:admin");
    let wildcard = mcp.token("ann", "mcp:*");
    let call = |token: &str, tool: &str| {
        rpc(
            token,
            Some(MODERN),
            "tools/call",
            json!({"name": tool, "arguments": {"mode": "write"}}),
        )
    };
    let app = mcp.app(|l| l, false);
    // `mcp:write` grants `mcp:read`; `mcp:admin` grants both; `mcp:*` every action.
    for (token, tool) in [
        (&writer_only, "notes"),
        (&admin_only, "notes"),
        (&admin_only, "delete"),
        (&wildcard, "purge"),
    ] {
        let r = send(&app, call(token, tool)).await;
        assert_eq!(r.status, 200, "{tool}: {r:?}");
    }
    // And the lists agree.
    let r = modern(&app, &writer_only, "tools/list", json!({})).await;
    assert_eq!(
        r.json()["result"]["tools"],
        json!([{"name": "notes"}, {"name": "delete"}])
    );
    let exact = mcp.app(|l| l.scope_matcher(Exact), false);
    let r = send(&exact, call(&writer_only, "notes")).await;
    assert_eq!(scope_challenged(&r), "mcp:read");
}
