//! The MCP example server (`examples/mcp_server.rs`: rmcp over streamable HTTP, protected by
//! `axioms::mcp::McpLayer`) against software nobody here wrote: the official MCP TypeScript
//! SDK's clients (v2 `@modelcontextprotocol/client`, speaking 2025-11-25 or 2026-07-28, and
//! v1 `@modelcontextprotocol/sdk`), the official Python SDK's client (`mcp` from PyPI, both
//! eras), `oauth4webapi` and the SDK's metadata schema, and oidc-provider as the
//! authorization server. The client knows only the server's URL and its own credentials.
//! `operations` holds the layer's own decisions, in process.

mod operations;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common;
use crate::common::process::{Process, node_dir, python_venv};
use crate::common::{Want, challenge, req};

const PACKAGES: [&str; 5] = [
    "oidc-provider",
    "jose",
    "@modelcontextprotocol/sdk",
    "@modelcontextprotocol/client",
    "oauth4webapi",
];

const CLIENT_ID: &str = "axioms-mcp";
const CLIENT_SECRET: &str = "axioms-mcp-secret";

/// oidc-provider and the MCP example server, each on its own port.
struct World {
    dir: PathBuf,
    provider: Process,
    server: Process,
    mcp_url: String,
    metadata_url: String,
    _cwd: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn world(dir: PathBuf) -> World {
    let mut command = Command::new("node");
    command.arg("provider.mjs").arg("0").current_dir(&dir);
    let provider = Process::spawn("oidc-provider", command);
    // The resource URI must be known before the server binds: it is in its configuration.
    let port = free_port();
    let mcp_url = format!("http://127.0.0.1:{port}/mcp");
    let cwd = tempfile::tempdir().unwrap();
    let server = Process::example(
        "mcp_server",
        &[
            ("AXIOMS_ISS_URL", provider.url.clone()),
            ("AXIOMS_DISCOVERY", "true".to_owned()),
            ("AXIOMS_RESOURCE", mcp_url.clone()),
            ("BIND_ADDR", format!("127.0.0.1:{port}")),
            ("RUST_LOG", "axioms=debug".to_owned()),
        ],
        cwd.path(),
    );
    World {
        dir,
        provider,
        server,
        metadata_url: format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"),
        mcp_url,
        _cwd: cwd,
    }
}

/// A client of the official SDKs, and the protocol revision it speaks.
#[derive(Debug)]
enum Client {
    /// `tests/oidc/mcp_client.mjs`: `v2` (with an era) or `v1`.
    Node { sdk: &'static str, era: Era },
    /// `tests/mcp/client.py`, with the venv's Python.
    Python { python: PathBuf, era: Era },
}

/// The revision a client speaks: 2025-11-25 (`initialize`) or 2026-07-28 (`server/discover`,
/// per-request metadata and headers).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Era {
    Legacy,
    Modern,
}

impl Era {
    fn name(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "modern",
        }
    }
}

/// Runs the client; its JSON report.
fn run_client(w: &World, client: Client) -> Value {
    let mut command = match &client {
        Client::Node { sdk, era } => {
            let mut command = Command::new("node");
            command
                .arg("mcp_client.mjs")
                .current_dir(&w.dir)
                .env("SDK", *sdk)
                .env("ERA", era.name());
            command
        }
        Client::Python { python, era } => {
            let mut command = Command::new(python);
            command
                .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py"))
                .env("ERA", era.name());
            command
        }
    };
    let out = command
        .env("MCP_URL", &w.mcp_url)
        .env("CLIENT_ID", CLIENT_ID)
        .env("CLIENT_SECRET", CLIENT_SECRET)
        .env("ISSUER", &w.provider.url)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {client:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "{client:?} printed no report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.success(), "{report}");
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["fatal"].is_null()),
        "{client:?}: {}\nserver output:\n{}",
        report["errors"],
        w.server.output()
    );
    report
}

/// Every exchange as `(method, url, status, www-authenticate, token request)`.
fn exchanges(report: &Value) -> Vec<&Value> {
    report["exchanges"].as_array().unwrap().iter().collect()
}

/// Every 401 and 403 the server gave parses as an RFC 9110 challenge pointing to the
/// metadata document, and names a scope — never `offline_access`.
fn check_challenges(w: &World, report: &Value) -> usize {
    let mut seen = 0;
    for e in exchanges(report) {
        let status = e["status"].as_u64().unwrap();
        if e["url"].as_str().unwrap().starts_with(&w.mcp_url) && (status == 401 || status == 403) {
            let (scheme, params) = challenge(e["www_authenticate"].as_str().unwrap());
            assert!(scheme.eq_ignore_ascii_case("bearer"), "{e}");
            assert_eq!(params["resource_metadata"], w.metadata_url, "{e}");
            assert!(
                params.contains_key("scope"),
                "a challenge names the scope: {e}"
            );
            assert!(!params["scope"].contains("offline_access"), "{e}");
            if status == 403 {
                assert_eq!(params["error"], "insufficient_scope", "{e}");
            }
            seen += 1;
        }
    }
    seen
}

fn position(report: &Value, what: impl Fn(&Value) -> bool) -> usize {
    exchanges(report)
        .iter()
        .position(|e| what(e))
        .unwrap_or_else(|| panic!("no such exchange in {:#}", report["exchanges"]))
}

fn check_metadata(w: &World, report: &Value) {
    // Validated by the SDK's own schema and by oauth4webapi (which checks `resource`).
    let metadata = &report["metadata"];
    assert_eq!(metadata["resource"], w.mcp_url.as_str());
    assert_eq!(
        metadata["authorization_servers"][0],
        w.provider.url.as_str()
    );
    assert_eq!(metadata["bearer_methods_supported"][0], "header");
    let scopes = metadata["scopes_supported"].as_array().unwrap();
    for scope in ["notes:read", "notes:write"] {
        assert!(scopes.iter().any(|s| s == scope), "{scope} in {metadata}");
    }
    assert!(!scopes.iter().any(|s| s == "offline_access"), "{metadata}");
}

fn names(report: &Value, key: &str) -> Vec<String> {
    let mut names: Vec<String> = report[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {report}"))
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn scopes_of(whoami: &Value) -> Value {
    let whoami: Value = serde_json::from_str(whoami.as_str().unwrap()).unwrap();
    assert_eq!(whoami["sub"], CLIENT_ID);
    whoami["scopes"].clone()
}

/// The whole flow of a client of the v2 or Python SDK: discovery, a token for the endpoint's
/// scope, lists filtered to it, the 403 the client's revision calls for, the step-up, the
/// caller's own note read and alice's refused as not found.
fn check_flow(w: &World, report: &Value, era: Era) {
    assert!(check_challenges(w, report) >= 2);
    // Discovery, in order: 401 → the metadata → the AS's metadata → a token for this resource.
    let unauthorized = position(report, |e| e["status"] == 401);
    let (_, params) = challenge(
        exchanges(report)[unauthorized]["www_authenticate"]
            .as_str()
            .unwrap(),
    );
    assert_eq!(params["scope"], "notes:read", "the endpoint's scope");
    let metadata = position(report, |e| e["url"] == w.metadata_url.as_str());
    let as_metadata = position(report, |e| {
        e["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/.well-known/", w.provider.url))
    });
    let first_token = position(report, |e| e["token_request"].is_object());
    assert!(unauthorized < metadata && metadata < as_metadata && as_metadata < first_token);
    let token_request = &exchanges(report)[first_token]["token_request"];
    assert_eq!(token_request["resource"], w.mcp_url.as_str(), "RFC 8707");
    assert_eq!(token_request["scope"], "notes:read");

    // Lists hold what the token allows: not delete_note (notes:write) nor purge (notes:admin).
    assert_eq!(names(report, "tools"), ["notes", "whoami"], "{report}");
    assert_eq!(scopes_of(&report["calls"]["whoami"]), json!(["notes:read"]));
    assert_eq!(report["calls"]["notes_read"], "{}");

    // notes with mode write: one 403 — needed scopes only for 2026-07-28, granted ∪ needed
    // before — a token with the wider scope, then success.
    let forbidden = position(report, |e| e["status"] == 403);
    let (_, params) = challenge(
        exchanges(report)[forbidden]["www_authenticate"]
            .as_str()
            .unwrap(),
    );
    let expected = match era {
        Era::Modern => "notes:write",
        Era::Legacy => "notes:read notes:write",
    };
    assert_eq!(params["scope"], expected, "{era:?}");
    assert_eq!(
        exchanges(report)
            .iter()
            .filter(|e| e["status"] == 403)
            .count(),
        1,
        "one challenge names every scope the call needs"
    );
    let second_token = exchanges(report)
        .iter()
        .rposition(|e| e["token_request"].is_object())
        .unwrap();
    assert!(second_token > forbidden);
    assert_eq!(
        exchanges(report)[second_token]["token_request"]["scope"],
        "notes:read notes:write",
        "the client asks for the union"
    );
    let note = report["note_id"].as_u64().unwrap();
    assert_eq!(report["calls"]["notes_write"], format!("added note {note}"));
    assert_eq!(
        names(report, "tools_after"),
        ["delete_note", "notes", "whoami"]
    );
    assert_eq!(names(report, "prompts"), ["draft_note", "summarize_notes"]);
    assert_eq!(names(report, "templates"), ["notes://{id}"]);
    assert_eq!(names(report, "resources"), [format!("notes://{note}")]);
    assert_eq!(report["calls"]["read_own"], "mine");
    // alice's note: not found, as if it did not exist (the code of the client's revision).
    let not_found = match era {
        Era::Modern => -32602,
        Era::Legacy => -32002,
    };
    assert_eq!(
        report["refusals"]["read_other"]["code"], not_found,
        "{report}"
    );
    assert_eq!(
        scopes_of(&report["calls"]["whoami_after"]),
        json!(["notes:read", "notes:write"])
    );
    // The tool ran once: after the step-up, never for the refused call.
    let added = format!("added note {note}");
    assert!(w.server.prints(&added, Duration::from_secs(5)));
    assert_eq!(w.server.output().matches("added note").count(), 1);
    assert!(
        w.server.output().contains("caller does not own the object"),
        "logged"
    );
    // A 2026-07-28 client names the method (and the tool or URI) in headers; the layer
    // checked them against the body.
    for e in exchanges(report) {
        if e["url"] == w.mcp_url.as_str() && !e["rpc_method"].is_null() {
            match era {
                Era::Modern => assert_eq!(e["mcp_method"], e["rpc_method"], "{e}"),
                Era::Legacy => assert!(e["mcp_method"].is_null(), "{e}"),
            }
        }
    }
}

fn node_world(test: &str) -> Option<World> {
    node_dir("oidc", &PACKAGES, test).map(world)
}

/// The client of an official SDK that speaks `era`: the whole flow against the example, on
/// the protocol version of that era.
fn flow(test: &str, python: bool, era: Era) {
    let python = match python {
        true => match python_venv("mcp", test) {
            Some(python) => Some(python),
            None => return,
        },
        false => None,
    };
    let Some(w) = node_world(test) else {
        return;
    };
    let node = python.is_none();
    let client = match python {
        Some(python) => Client::Python { python, era },
        None => Client::Node { sdk: "v2", era },
    };
    let report = run_client(&w, client);
    let version = match era {
        Era::Legacy => "2025-11-25",
        Era::Modern => "2026-07-28",
    };
    assert_eq!(report["protocol_version"], version);
    if node {
        check_metadata(&w, &report);
    }
    check_flow(&w, &report, era);
}

#[test]
fn the_v2_sdk_client_discovers_the_issuer_and_steps_up() {
    flow(
        "the_v2_sdk_client_discovers_the_issuer_and_steps_up",
        false,
        Era::Legacy,
    );
}

#[test]
fn the_v2_sdk_client_on_2026_07_28_is_challenged_for_the_needed_scope_only() {
    flow(
        "the_v2_sdk_client_on_2026_07_28_is_challenged_for_the_needed_scope_only",
        false,
        Era::Modern,
    );
}

#[test]
fn the_python_sdk_client_on_2026_07_28_discovers_lists_steps_up_and_reads_its_own_notes() {
    flow(
        "the_python_sdk_client_on_2026_07_28_discovers_lists_steps_up_and_reads_its_own_notes",
        true,
        Era::Modern,
    );
}

#[test]
fn the_python_sdk_client_on_2025_11_25_gets_the_granted_and_needed_scopes() {
    flow(
        "the_python_sdk_client_on_2025_11_25_gets_the_granted_and_needed_scopes",
        true,
        Era::Legacy,
    );
}

#[test]
fn the_v1_sdk_client_is_refused_then_succeeds_with_the_wider_scope() {
    let Some(w) = node_world("the_v1_sdk_client_is_refused_then_succeeds_with_the_wider_scope")
    else {
        return;
    };
    let report = run_client(
        &w,
        Client::Node {
            sdk: "v1",
            era: Era::Legacy,
        },
    );
    check_metadata(&w, &report);
    check_challenges(&w, &report);
    assert_eq!(report["initial_scope"], "notes:read");
    assert_eq!(names(&report, "tools"), ["notes", "whoami"]);
    // The first write was refused with the scope challenge; the tool never ran for it.
    assert!(report["calls"]["notes_write_first"].is_null(), "{report}");
    assert_eq!(report["errors"][0]["call"], "notes_write", "{report}");
    assert_eq!(report["wider_scope"], "notes:read notes:write");
    let added = report["calls"]["notes_write"].as_str().unwrap();
    assert!(added.starts_with("added note "), "{report}");
    assert_eq!(
        scopes_of(&report["calls"]["whoami_after"]),
        json!(["notes:read", "notes:write"])
    );
    assert!(w.server.prints(added, Duration::from_secs(5)));
    assert_eq!(w.server.output().matches("added note").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_mcp_server_is_refused() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "a_token_for_another_mcp_server_is_refused",
    ) else {
        return;
    };
    let w = world(dir);
    let http = common::http_client();
    let token_for = |resource: String, scope: &'static str| {
        let http = http.clone();
        let issuer = w.provider.url.clone();
        async move {
            let form = format!(
                "grant_type=client_credentials&scope={}&resource={}",
                scope.replace(' ', "+"),
                resource.replace(':', "%3A").replace('/', "%2F")
            );
            let answer: Value = http
                .post(format!("{issuer}/token"))
                .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            answer["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("{answer}"))
                .to_owned()
        }
    };
    let base = w.mcp_url.trim_end_matches("/mcp").to_owned();
    let initialize = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;
    let post = |token: String| {
        req("POST", "/mcp")
            .bearer(&token)
            .header("accept", "application/json, text/event-stream")
            .json(initialize)
    };
    let ours = token_for(w.mcp_url.clone(), "notes:read").await;
    let r = common::send_http(&http, &base, post(ours)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let theirs = token_for(format!("{base}/other-mcp"), "notes:read notes:write").await;
    let r = common::send_http(&http, &base, post(theirs)).await;
    common::expect(&r, Want::InvalidToken);
    let (_, params) = challenge(r.www().unwrap());
    assert_eq!(params["resource_metadata"], w.metadata_url);
    assert!(
        w.server.prints(
            "aud names no configured audience",
            std::time::Duration::from_secs(5)
        ),
        "{}",
        w.server.output()
    );
    // A body that cannot be checked never reaches the MCP server.
    let ours = token_for(w.mcp_url.clone(), "notes:read").await;
    let r = common::send_http(
        &http,
        &base,
        req("POST", "/mcp")
            .bearer(&ours)
            .json(r#"{"method":"tools/call","params":{"name":"whoami","name":"delete_note"}}"#),
    )
    .await;
    assert_eq!(r.status, 400, "{r:?}");
}
