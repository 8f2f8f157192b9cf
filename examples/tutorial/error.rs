//! The application's own errors, and extractors whose rejections are JSON like axioms' own.
//!
//! Every answer that is not a success has the body `{"error": "…", "error_description": "…"}`,
//! the shape axioms uses for its RFC 6750 rejections, so a client parses one format.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// An error answer of the tutorial API.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        Self {
            status,
            error,
            description: description.into(),
        }
    }

    /// 404: no such object.
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// 422: the body is well-formed JSON but its content is not acceptable.
    pub(crate) fn invalid(description: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            description,
        )
    }

    /// 400: the request is well-formed but cannot be carried out as it stands.
    pub(crate) fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", description)
    }

    /// 403: the token is valid but lacks a claim the operation needs (not a policy denial:
    /// those are axioms' RFC 6750 `insufficient_scope` answers).
    pub(crate) fn missing_claim(claim: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "missing_claim",
            format!(
                "the access token has no `{claim}` claim, which this operation records as the owner"
            ),
        )
    }

    /// 500: a database failure. The cause is logged, never sent.
    pub(crate) fn internal(err: &sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server could not complete the request",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::internal(&err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}

impl From<JsonRejection> for ApiError {
    /// 400 for malformed JSON, 415 without `Content-Type: application/json`, 413 for a body
    /// over the limit, 422 for JSON of the wrong shape.
    fn from(rejection: JsonRejection) -> Self {
        let error = match rejection.status() {
            StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            _ => "malformed_body",
        };
        Self::new(rejection.status(), error, rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    /// 400 for a path segment of the wrong type (`/articles/abc`).
    fn from(rejection: PathRejection) -> Self {
        Self::new(rejection.status(), "invalid_path", rejection.body_text())
    }
}

/// `axum::Json` with a JSON rejection, and stricter: the body must be a JSON *object* (serde
/// would also fill a struct from an array, `["title", "content"]`, which no client means).
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<Value>::from_request(request, state).await?;
        if !value.is_object() {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        serde_json::from_value(value)
            .map(ApiJson)
            .map_err(|e| ApiError::invalid(format!("the body does not fit: {e}")))
    }
}

/// `axum::extract::Path` with a JSON rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub(crate) struct ApiPath<T>(pub(crate) T);

/// Checks a required text field: trimmed, non-empty, at most `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::invalid(format!("`{field}` must not be empty")));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "`{field}` is longer than {max} characters"
        )));
    }
    Ok(value.to_owned())
}
