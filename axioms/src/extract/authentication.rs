//! `Authentication` as an axum extractor.

use std::convert::Infallible;

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

use crate::pipeline::{self, Authentication};
use crate::verifier::Axioms;

/// The request's verdict for the state's [`Axioms`]; never rejects. See [`Authentication`].
///
/// The verdict is authentication only: `Verified` claims may be a partner issuer's, which
/// the [`Claims`](crate::Claims) extractor would refuse where no policy admitted them; check
/// [`Claims::directory`](crate::Claims::directory) before trusting who they name.
///
/// ```
/// use axioms::{Authentication, Axioms, AxiomsLayer};
/// use axum::{Router, routing::get};
///
/// async fn whoami(auth: Authentication) -> String {
///     match auth {
///         Authentication::Verified(claims) => claims.subject().unwrap_or_default().to_owned(),
///         _ => "anonymous".to_owned(),
///     }
/// }
///
/// fn app(axioms: Axioms) -> Router {
///     Router::new()
///         .route("/whoami", get(whoami))
///         .with_state(axioms.clone())
///         .layer(AxiomsLayer::record(axioms))
/// }
/// ```
impl<S> FromRequestParts<S> for Authentication
where
    Axioms: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(pipeline::authenticate(&Axioms::from_ref(state), parts).await)
    }
}
