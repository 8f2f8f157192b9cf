//! `Claims` as an axum extractor.

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::authorizer::Axioms;
use crate::claims::Claims;
use crate::layer::Authentication;
use crate::rejection::{Reason, Rejection};
use crate::token::bearer;

/// Requires a valid bearer token and yields its claims.
///
/// The verifier comes from the router state through `FromRef<S>` for [`Axioms`]. If an
/// [`AxiomsLayer`](crate::AxiomsLayer) already verified the request, its result is reused
/// rather than verifying twice.
///
/// # Example
///
/// ```
/// use axioms::{Axioms, Claims};
/// use axum::{Router, routing::get};
///
/// async fn whoami(claims: Claims) -> String {
///     claims.subject().unwrap_or_default().to_owned()
/// }
///
/// fn app(axioms: Axioms) -> Router {
///     Router::new().route("/whoami", get(whoami)).with_state(axioms)
/// }
/// ```
impl<S> FromRequestParts<S> for Claims
where
    Axioms: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axioms = Axioms::from_ref(state);
        match authenticate(&axioms, parts).await {
            Ok(Some(claims)) => Ok(claims),
            Ok(None) => Err(axioms.rejection(axioms.error(Reason::MissingToken))),
            Err(rejection) => Err(rejection),
        }
    }
}

/// `Option<Claims>`: for routes that serve everyone but personalize for a signed-in caller.
///
/// No credentials (no `Authorization` header, or another scheme) gives `None`. A bearer token
/// that is present but invalid is **still rejected** (401) rather than silently treated as
/// anonymous, so a client with a broken token learns about it.
///
/// # Example
///
/// ```
/// use axioms::{Axioms, Claims};
/// use axum::{Router, routing::get};
///
/// async fn greeting(claims: Option<Claims>) -> String {
///     match claims {
///         Some(c) => format!("hello {}", c.subject().unwrap_or("?")),
///         None => "hello stranger".to_owned(),
///     }
/// }
///
/// fn app(axioms: Axioms) -> Router {
///     Router::new().route("/", get(greeting)).with_state(axioms)
/// }
/// ```
impl<S> OptionalFromRequestParts<S> for Claims
where
    Axioms: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let axioms = Axioms::from_ref(state);
        authenticate(&axioms, parts).await
    }
}

/// Verifies the request's bearer token, or reuses the layer's verdict.
/// `Ok(None)` means no credentials at all.
pub(crate) async fn authenticate(
    axioms: &Axioms,
    parts: &Parts,
) -> Result<Option<Claims>, Rejection> {
    if let Some(done) = parts.extensions.get::<Authentication>() {
        return match done {
            Authentication::Verified(claims) => Ok(Some(claims.clone())),
            Authentication::Anonymous => Ok(None),
            Authentication::Rejected(err) => Err(axioms.rejection(err.clone())),
        };
    }
    match bearer::bearer_token(&parts.headers) {
        Ok(Some(token)) => axioms
            .verify(token)
            .await
            .map(Some)
            .map_err(|e| axioms.rejection(e)),
        Ok(None) | Err(Reason::NotBearer) => Ok(None),
        Err(reason) => Err(axioms.rejection(axioms.error(reason))),
    }
}
