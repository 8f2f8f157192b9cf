//! `Claims` as an axum extractor.

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::claims::Claims;
use crate::pipeline::{self, Admission, Demand};
use crate::rejection::Rejection;
use crate::safe::SafeMethods;
use crate::verifier::Axioms;

/// Requires a valid bearer token and yields its claims, on every method: safe methods do not
/// apply to it (take `Option<Claims>` on routes that also serve anonymous callers).
///
/// The verifier comes from the router state through `FromRef<S>` for [`Axioms`]. If an
/// [`AxiomsLayer`](crate::AxiomsLayer) or guard of the same verifier already verified the
/// request, its verdict is reused rather than verifying twice.
///
/// With several trusted issuers, a **partner** issuer's token (one that does not vouch for
/// the primary's user directory, see [`Trust`](crate::Trust)) is refused here with 403,
/// unless a policy of the same verifier admitted the request first — a `#[protected]` that
/// names the partner or that the operator extends to it, a
/// [`PolicyLayer`](crate::policy::PolicyLayer): what a handler reads from the claims, someone
/// extended to that issuer.
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
        match pipeline::admit(&axioms, parts, Demand::Token(SafeMethods::NONE)).await {
            Ok(Admission::Authenticated(claims) | Admission::Pass(Some(claims))) => Ok(claims),
            // A token demand on no safe method always authenticates or fails.
            Ok(Admission::Pass(None)) => {
                Err(axioms.reject(axioms.error(crate::rejection::Reason::MissingToken)))
            }
            Err(err) => Err(axioms.reject(err)),
        }
    }
}

/// `Option<Claims>`: for routes that serve everyone but personalize for a signed-in caller.
///
/// No credentials (no `Authorization` header, or another scheme) gives `None`. A bearer token
/// that is present but invalid is **still rejected** (401) rather than silently treated as
/// anonymous, so a client with a broken token learns about it; so is a partner issuer's token
/// that no policy admitted (403), as for [`Claims`].
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
        match pipeline::admit(&axioms, parts, Demand::Verdict).await {
            Ok(Admission::Authenticated(claims)) => Ok(Some(claims)),
            Ok(Admission::Pass(claims)) => Ok(claims),
            Err(err) => Err(axioms.reject(err)),
        }
    }
}
