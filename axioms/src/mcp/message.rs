//! What a POST to an MCP endpoint asks for: its JSON-RPC messages, parsed strictly, the
//! operation of each, and whether the request headers of the 2026-07-28 transport
//! (`Mcp-Method`, `Mcp-Name`, `MCP-Protocol-Version`) say the same as the body.

use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::request::Parts;
use http::{HeaderMap, HeaderName, StatusCode};
use serde_json::{Map, Value};

use super::policies::{ListKind, Operation, Reference};
use crate::token::json::parse_value;

/// The member of `params._meta` that carries the protocol version (2026-07-28).
const VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";
/// The first revision with per-request metadata, request headers and needed-only scope
/// challenges.
pub(super) const MODERN: &str = "2026-07-28";
/// The revisions before it.
const LEGACY: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");
const MCP_PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

/// JSON-RPC `HeaderMismatch` (MCP 2026-07-28): headers missing, malformed or not matching
/// the body.
pub(super) const HEADER_MISMATCH: i64 = -32020;
/// JSON-RPC `Invalid Request`.
pub(super) const INVALID_REQUEST: i64 = -32600;

/// The behaviour a request's protocol version selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Era {
    /// 2025-11-25 and before, and a request that names no version (which the 2026-07-28
    /// transport lets a server treat as 2025-03-26): a 403 names the scopes already granted
    /// and those needed.
    Legacy,
    /// 2026-07-28, and any version this code does not know (the newest behaviour): a 403
    /// names only the scopes the operation needs; the request headers are required.
    Modern,
}

impl Era {
    pub(super) fn of(version: Option<&str>) -> Self {
        match version {
            None => Self::Legacy,
            Some(MODERN) => Self::Modern,
            Some(v) if LEGACY.contains(&v) => Self::Legacy,
            Some(_) => Self::Modern,
        }
    }
}

/// A request the layer refuses before any policy: 400 with a JSON-RPC error.
#[derive(Debug)]
pub(super) struct Refusal {
    pub(super) code: i64,
    pub(super) message: &'static str,
}

impl Refusal {
    fn new(code: i64, message: &'static str) -> Self {
        Self { code, message }
    }

    fn mismatch(message: &'static str) -> Self {
        Self::new(HEADER_MISMATCH, message)
    }

    /// The 400 answer, with the request's `id` when it has one.
    pub(super) fn response(&self, id: Option<&Value>) -> Response {
        let body = serde_json::json!({
            "jsonrpc": "2.0",
            "id": id.cloned().unwrap_or(Value::Null),
            "error": {"code": self.code, "message": self.message},
        });
        jsonrpc(StatusCode::BAD_REQUEST, &body)
    }
}

/// A JSON-RPC answer from the layer.
pub(super) fn jsonrpc(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (
        status,
        [(http::header::CONTENT_TYPE, "application/json")],
        bytes,
    )
        .into_response()
}

/// The body: one message, or a batch (which only revisions before 2025-06-18 allowed). The
/// JSON is parsed strictly (no duplicate member, so that no parser downstream can read
/// another method or name than this one).
pub(super) fn parse(bytes: &[u8]) -> Result<Value, Refusal> {
    let value = parse_value(bytes)
        .map_err(|_| Refusal::new(INVALID_REQUEST, "the body is not strict JSON"))?;
    match &value {
        Value::Object(_) => Ok(value),
        Value::Array(batch) if batch.iter().all(Value::is_object) => Ok(value),
        Value::Array(_) => Err(Refusal::new(
            INVALID_REQUEST,
            "a batch holds something other than JSON-RPC messages",
        )),
        _ => Err(Refusal::new(
            INVALID_REQUEST,
            "the body is not a JSON-RPC message",
        )),
    }
}

/// The messages of a parsed body.
pub(super) fn messages(value: &Value) -> Vec<&Map<String, Value>> {
    match value {
        Value::Object(message) => vec![message],
        Value::Array(batch) => batch.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// The `id` of a single message.
pub(super) fn id(value: &Value) -> Option<&Value> {
    value.as_object().and_then(|m| m.get("id"))
}

fn str_param<'a>(message: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    message.get("params")?.get(name)?.as_str()
}

/// What a message asks for.
pub(super) fn operation(message: &Map<String, Value>) -> Result<Operation<'_>, Refusal> {
    let method = match message.get("method") {
        None => return Ok(Operation::Protocol), // a response to the server's request
        Some(Value::String(method)) => method.as_str(),
        Some(_) => {
            return Err(Refusal::new(
                INVALID_REQUEST,
                "a JSON-RPC method is not a string",
            ));
        }
    };
    let invalid = |message| Refusal::new(INVALID_REQUEST, message);
    Ok(match method {
        "tools/call" => {
            let name = str_param(message, "name").ok_or(invalid("a tools/call names no tool"))?;
            let arguments = match message.get("params").and_then(|p| p.get("arguments")) {
                None | Some(Value::Null) => None,
                Some(Value::Object(arguments)) => Some(arguments),
                Some(_) => return Err(invalid("a tools/call's arguments are not an object")),
            };
            Operation::Tool { name, arguments }
        }
        "resources/read" | "resources/subscribe" | "resources/unsubscribe" => Operation::Resource(
            str_param(message, "uri").ok_or(invalid("a resource request names no URI"))?,
        ),
        "prompts/get" => Operation::Prompt(
            str_param(message, "name").ok_or(invalid("a prompts/get names no prompt"))?,
        ),
        "completion/complete" => {
            let reference = message
                .get("params")
                .and_then(|p| p.get("ref"))
                .ok_or(invalid("a completion/complete has no ref"))?;
            let field = |name| reference.get(name).and_then(Value::as_str);
            Operation::Completion(match field("type") {
                Some("ref/prompt") => {
                    Reference::Prompt(field("name").ok_or(invalid("a ref/prompt names no prompt"))?)
                }
                Some("ref/resource") => {
                    Reference::Resource(field("uri").ok_or(invalid("a ref/resource names no URI"))?)
                }
                _ => return Err(invalid("a completion/complete's ref is of no known type")),
            })
        }
        "tools/list" => Operation::List(ListKind::Tools),
        "resources/list" => Operation::List(ListKind::Resources),
        "resources/templates/list" => Operation::List(ListKind::Templates),
        "prompts/list" => Operation::List(ListKind::Prompts),
        "initialize" | "ping" | "server/discover" | "logging/setLevel" | "subscriptions/listen" => {
            Operation::Protocol
        }
        notification if notification.starts_with("notifications/") => Operation::Protocol,
        other => Operation::Method(other),
    })
}

/// The request headers of the 2026-07-28 transport, as sent.
#[derive(Debug, Default)]
pub(super) struct McpHeaders {
    method: Option<String>,
    name: Option<String>,
    version: Option<String>,
}

impl McpHeaders {
    /// The protocol version the header names.
    pub(super) fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

/// One header at most, of visible ASCII (spaces inside allowed; hyper trims the ends).
fn single(headers: &HeaderMap, name: &HeaderName) -> Result<Option<String>, Refusal> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Refusal::mismatch(
            "Header mismatch: an MCP request header is repeated",
        ));
    }
    let value = value
        .to_str()
        .ok()
        .filter(|v| v.bytes().all(|b| b == b' ' || b.is_ascii_graphic()))
        .ok_or(Refusal::mismatch(
            "Header mismatch: an MCP request header holds invalid characters",
        ))?;
    Ok(Some(value.trim().to_owned()))
}

/// Reads the MCP request headers (`Mcp-Name` decoded from its `=?base64?…?=` form).
pub(super) fn headers(parts: &Parts) -> Result<McpHeaders, Refusal> {
    let name = match single(&parts.headers, &MCP_NAME)? {
        Some(value) => Some(decode(&value)?),
        None => None,
    };
    Ok(McpHeaders {
        method: single(&parts.headers, &MCP_METHOD)?,
        name,
        version: single(&parts.headers, &MCP_PROTOCOL_VERSION)?,
    })
}

fn decode(value: &str) -> Result<String, Refusal> {
    let Some(encoded) = value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    else {
        return Ok(value.to_owned());
    };
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or(Refusal::mismatch(
            "Header mismatch: Mcp-Name is not valid base64 of UTF-8",
        ))
}

/// The protocol version the body names: `_meta`'s (2026-07-28), else `initialize`'s.
fn body_version(message: &Map<String, Value>) -> (Option<&str>, bool) {
    let params = message.get("params");
    if let Some(version) = params
        .and_then(|p| p.get("_meta"))
        .and_then(|m| m.get(VERSION_META))
    {
        return (version.as_str(), true);
    }
    let initialize = message.get("method").and_then(Value::as_str) == Some("initialize");
    let version = params
        .filter(|_| initialize)
        .and_then(|p| p.get("protocolVersion"))
        .and_then(Value::as_str);
    (version, false)
}

/// Checks the headers against the body (MCP 2026-07-28, "Server Validation"): a value that
/// differs from the body's, or a required header missing, is `HeaderMismatch`; so is a
/// batch with `Mcp-Method` or `Mcp-Name`, which no batch can match. The era of the request
/// is what the header or the body says.
pub(super) fn check(headers: &McpHeaders, value: &Value) -> Result<Era, Refusal> {
    let Value::Object(message) = value else {
        if headers.method.is_some() || headers.name.is_some() {
            return Err(Refusal::mismatch(
                "Header mismatch: a batch cannot match Mcp-Method or Mcp-Name",
            ));
        }
        return match Era::of(headers.version()) {
            Era::Modern => Err(Refusal::new(
                INVALID_REQUEST,
                "a 2026-07-28 request is one JSON-RPC message, not a batch",
            )),
            Era::Legacy => Ok(Era::Legacy),
        };
    };
    let (version, in_meta) = body_version(message);
    if in_meta {
        match (&headers.version, version) {
            (None, _) => {
                return Err(Refusal::mismatch(
                    "Header mismatch: MCP-Protocol-Version is required",
                ));
            }
            (Some(header), Some(body)) if header == body => {}
            _ => {
                return Err(Refusal::mismatch(
                    "Header mismatch: MCP-Protocol-Version does not match the body's protocol version",
                ));
            }
        }
    }
    let era = Era::of(headers.version().or(version));
    let method = message.get("method").and_then(Value::as_str);
    match (&headers.method, method) {
        (Some(header), Some(body)) if header == body => {}
        (None, None) => {}
        (None, Some(_)) if era == Era::Legacy => {}
        (None, Some(_)) => {
            return Err(Refusal::mismatch("Header mismatch: Mcp-Method is required"));
        }
        (Some(_), _) => {
            return Err(Refusal::mismatch(
                "Header mismatch: Mcp-Method does not match the body's method",
            ));
        }
    }
    let named = match method {
        Some("tools/call" | "prompts/get") => str_param(message, "name"),
        Some("resources/read") => str_param(message, "uri"),
        _ => str_param(message, "name").or_else(|| str_param(message, "uri")),
    };
    let required = matches!(
        method,
        Some("tools/call" | "prompts/get" | "resources/read")
    );
    match (&headers.name, named) {
        (Some(header), Some(body)) if header == body => Ok(era),
        (None, _) if !required || era == Era::Legacy => Ok(era),
        (None, _) => Err(Refusal::mismatch("Header mismatch: Mcp-Name is required")),
        (Some(_), _) => Err(Refusal::mismatch(
            "Header mismatch: Mcp-Name does not match the body's name or URI",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(headers: &[(&str, &str)]) -> McpHeaders {
        let mut request = http::Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        super::headers(&parts).unwrap()
    }

    fn modern(method: &str, params: Value) -> Value {
        let mut params = params;
        params["_meta"] = json!({VERSION_META: MODERN});
        json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
    }

    #[test]
    fn a_modern_request_with_matching_headers_passes() {
        let body = modern("tools/call", json!({"name": "notes"}));
        let h = with(&[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "tools/call"),
            ("mcp-name", "notes"),
        ]);
        assert_eq!(check(&h, &body).unwrap(), Era::Modern);
        // Base64 form, and a name with non-ASCII characters.
        let body = modern("resources/read", json!({"uri": "notes://é"}));
        let h = with(&[
            ("mcp-protocol-version", MODERN),
            ("mcp-method", "resources/read"),
            ("mcp-name", "=?base64?bm90ZXM6Ly/DqQ==?="),
        ]);
        assert_eq!(check(&h, &body).unwrap(), Era::Modern);
    }

    #[test]
    fn headers_that_lie_or_are_missing_are_header_mismatch() {
        let body = modern("tools/call", json!({"name": "notes"}));
        let cases: [&[(&str, &str)]; 5] = [
            // The method lies.
            &[
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/list"),
                ("mcp-name", "notes"),
            ],
            // The name lies.
            &[
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
                ("mcp-name", "purge"),
            ],
            // The version differs from `_meta`'s.
            &[
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-method", "tools/call"),
                ("mcp-name", "notes"),
            ],
            // Missing headers.
            &[("mcp-protocol-version", MODERN), ("mcp-name", "notes")],
            &[
                ("mcp-protocol-version", MODERN),
                ("mcp-method", "tools/call"),
            ],
        ];
        for headers in cases {
            let err = check(&with(headers), &body).unwrap_err();
            assert_eq!(err.code, HEADER_MISMATCH, "{headers:?}");
        }
        let err = check(
            &with(&[("mcp-method", "tools/call"), ("mcp-name", "notes")]),
            &body,
        )
        .unwrap_err();
        assert_eq!(
            err.code, HEADER_MISMATCH,
            "MCP-Protocol-Version is required with _meta"
        );
    }

    #[test]
    fn repeated_or_invalid_headers_are_header_mismatch() {
        let mut request = http::Request::builder()
            .header("mcp-method", "tools/call")
            .header("mcp-method", "tools/list");
        let (parts, ()) = request.body(()).unwrap().into_parts();
        assert_eq!(super::headers(&parts).unwrap_err().code, HEADER_MISMATCH);
        request = http::Request::builder().header("mcp-name", "=?base64?***?=");
        let (parts, ()) = request.body(()).unwrap().into_parts();
        assert_eq!(super::headers(&parts).unwrap_err().code, HEADER_MISMATCH);
        request = http::Request::builder().header("mcp-name", "a\tb");
        let (parts, ()) = request.body(()).unwrap().into_parts();
        assert_eq!(super::headers(&parts).unwrap_err().code, HEADER_MISMATCH);
    }

    #[test]
    fn legacy_requests_need_no_headers_but_may_not_lie() {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "a"}});
        assert_eq!(check(&with(&[]), &body).unwrap(), Era::Legacy);
        assert_eq!(
            check(&with(&[("mcp-protocol-version", "2025-11-25")]), &body).unwrap(),
            Era::Legacy
        );
        let err = check(&with(&[("mcp-method", "tools/list")]), &body).unwrap_err();
        assert_eq!(err.code, HEADER_MISMATCH);
        let batch = json!([body]);
        assert_eq!(check(&with(&[]), &batch).unwrap(), Era::Legacy);
        let err = check(&with(&[("mcp-name", "a")]), &batch).unwrap_err();
        assert_eq!(err.code, HEADER_MISMATCH);
        let err = check(&with(&[("mcp-protocol-version", MODERN)]), &batch).unwrap_err();
        assert_eq!(err.code, INVALID_REQUEST);
    }

    #[test]
    fn unknown_versions_get_the_newest_behaviour() {
        assert_eq!(Era::of(None), Era::Legacy);
        assert_eq!(Era::of(Some("2025-06-18")), Era::Legacy);
        assert_eq!(Era::of(Some(MODERN)), Era::Modern);
        assert_eq!(Era::of(Some("2027-01-01")), Era::Modern);
        assert_eq!(Era::of(Some("garbage")), Era::Modern);
    }

    #[test]
    fn operations_are_read_from_messages() {
        let op = |v: Value| {
            let message = v.as_object().unwrap().clone();
            format!("{:?}", operation(&message).map_err(|e| e.message))
        };
        assert!(
            op(json!({"method": "tools/call", "params": {"name": "a", "arguments": {"x": 1}}}))
                .contains("Tool")
        );
        assert!(
            op(json!({"method": "resources/read", "params": {"uri": "n://1"}}))
                .contains("Resource(\"n://1\")")
        );
        assert!(
            op(json!({"method": "prompts/get", "params": {"name": "p"}})).contains("Prompt(\"p\")")
        );
        assert!(op(json!({"method": "completion/complete", "params": {"ref": {"type": "ref/prompt", "name": "p"}}})).contains("Completion(Prompt(\"p\"))"));
        assert!(op(json!({"method": "tools/list"})).contains("List(Tools)"));
        assert!(op(json!({"method": "notifications/initialized"})).contains("Protocol"));
        assert!(op(json!({"id": 1, "result": {}})).contains("Protocol"));
        assert!(op(json!({"method": "tasks/get"})).contains("Method(\"tasks/get\")"));
        for bad in [
            json!({"method": 7}),
            json!({"method": "tools/call"}),
            json!({"method": "tools/call", "params": {"name": 7}}),
            json!({"method": "tools/call", "params": {"name": "a", "arguments": [1]}}),
            json!({"method": "resources/read", "params": {}}),
            json!({"method": "completion/complete", "params": {"ref": {"type": "ref/x"}}}),
        ] {
            assert!(op(bad.clone()).starts_with("Err"), "{bad}");
        }
    }

    #[test]
    fn bodies_are_parsed_strictly() {
        for bad in [
            &br#"{"method":"tools/list","method":"tools/call","params":{"name":"x"}}"#[..],
            br#"{"method":"tools/call","params":{"name":"x","name":"y"}}"#,
            br#"[1]"#,
            br#""tools/call""#,
            b"not json",
        ] {
            assert!(parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(parse(br#"[{"method":"ping"}]"#).is_ok());
    }
}
