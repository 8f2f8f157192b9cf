//! The answers to `tools/list`, `resources/list`, `resources/templates/list` and
//! `prompts/list`, filtered to what the caller may use: a JSON answer, or the event stream
//! that carries it (streamable HTTP answers either way).

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use http::{StatusCode, header};
use serde_json::Value;
use sse_stream::{Sse, SseStream};

use super::McpConfig;
use super::message::Era;
use super::policies::ListKind;
use crate::claims::Claims;

/// The largest JSON list answer read (an event stream is filtered event by event).
const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;

/// The list requests of one POST, and who asked (public only as the MCP layer's hidden
/// `Decision::Then`; its module is private).
pub struct ListFilter {
    pub(super) config: Arc<McpConfig>,
    pub(super) claims: Claims,
    pub(super) era: Era,
    /// Each list request's `id` and kind.
    pub(super) lists: Vec<(Value, ListKind)>,
}

impl ListFilter {
    /// The inner service's answer, its lists filtered. An answer that cannot be read is a
    /// 502: an unfiltered list never reaches the caller.
    pub(super) async fn apply(self, response: Response) -> Response {
        if !response.status().is_success() {
            return response;
        }
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let (mut parts, body) = response.into_parts();
        if content_type.starts_with("text/event-stream") {
            let filter = Arc::new(self);
            let events = SseStream::new(body)
                .map(move |event| event.map(|event| encode(filter.event(event))));
            return Response::from_parts(parts, Body::from_stream(events));
        }
        if !content_type.starts_with("application/json") {
            return bad_gateway("the answer to a list is neither JSON nor an event stream");
        }
        let Ok(bytes) = axum::body::to_bytes(body, MAX_LIST_BYTES).await else {
            return bad_gateway("the answer to a list could not be read");
        };
        let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
            return bad_gateway("the answer to a list is not JSON");
        };
        self.filter(&mut value);
        parts.headers.remove(header::CONTENT_LENGTH);
        let bytes = serde_json::to_vec(&value).unwrap_or_default();
        Response::from_parts(parts, Body::from(bytes))
    }

    /// One event: the answer to a list, filtered; any other as it came.
    fn event(&self, mut event: Sse) -> Sse {
        if let Some(data) = &event.data
            && let Ok(mut value) = serde_json::from_str::<Value>(data)
            && self.filter(&mut value)
        {
            event.data = serde_json::to_string(&value).ok();
        }
        event
    }

    /// Filters the answers (one, or a batch's) to the list requests; `true` if one was.
    fn filter(&self, value: &mut Value) -> bool {
        match value {
            Value::Array(answers) => {
                // Every answer of the batch, not only until the first list.
                let mut seen = false;
                for answer in answers {
                    seen |= self.filter_one(answer);
                }
                seen
            }
            answer => self.filter_one(answer),
        }
    }

    fn filter_one(&self, answer: &mut Value) -> bool {
        // The answer to a list request, by its id — or, should the server write the id
        // otherwise than the request did (`1.0` for `1`), by the list its result holds: an
        // answer to a list is never let through unfiltered.
        let asked = answer
            .get("id")
            .and_then(|id| self.lists.iter().find(|(asked, _)| asked == id))
            .map(|&(_, kind)| kind);
        let Some(result) = answer.get_mut("result").and_then(Value::as_object_mut) else {
            return false; // an error, or a request or notification of the server
        };
        let Some(kind) = asked.or_else(|| ListKind::held_by(result)) else {
            return false;
        };
        let (array, member) = kind.fields();
        if let Some(Value::Array(entries)) = result.get_mut(array) {
            entries.retain(|entry| {
                entry
                    .get(member)
                    .and_then(Value::as_str)
                    .is_some_and(|name| self.config.may_list(&self.claims, kind, name))
            });
        }
        // The answer now depends on who asks: no cache may share it (2026-07-28 caching).
        if self.era == Era::Modern {
            result.insert("cacheScope".to_owned(), Value::from("private"));
        }
        true
    }
}

/// An event as the stream carries it (a `data` with line breaks as several `data` lines).
fn encode(event: Sse) -> Bytes {
    let mut out = String::new();
    if let Some(name) = &event.event {
        out.push_str("event: ");
        out.push_str(name);
        out.push('\n');
    }
    if let Some(data) = &event.data {
        for line in data.split('\n') {
            out.push_str("data: ");
            out.push_str(line);
            out.push('\n');
        }
    }
    if let Some(id) = &event.id {
        out.push_str("id: ");
        out.push_str(id);
        out.push('\n');
    }
    if let Some(retry) = event.retry {
        out.push_str(&format!("retry: {retry}\n"));
    }
    out.push('\n');
    Bytes::from(out)
}

fn bad_gateway(problem: &'static str) -> Response {
    tracing::error!(target: "axioms::mcp", problem, "list answer withheld");
    StatusCode::BAD_GATEWAY.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_is_found_by_its_id_or_by_what_its_result_holds() {
        let list = |result: Value| json!({"jsonrpc": "2.0", "id": 1.0, "result": result});
        let kinds = |value: &Value| value["result"].as_object().and_then(ListKind::held_by);
        assert_eq!(kinds(&list(json!({"tools": []}))), Some(ListKind::Tools));
        assert_eq!(
            kinds(&list(json!({"resourceTemplates": []}))),
            Some(ListKind::Templates)
        );
        assert_eq!(
            kinds(&list(json!({"content": []}))),
            None,
            "a tool's result"
        );
        assert_eq!(
            kinds(&list(json!({"contents": []}))),
            None,
            "a resource's contents"
        );
    }
}
