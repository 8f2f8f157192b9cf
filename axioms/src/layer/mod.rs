//! A tower layer that authenticates every request of a router.

mod future;
#[allow(clippy::module_inception)]
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::AxiomsLayer;
pub use service::AxiomsService;

use crate::claims::Claims;
use crate::rejection::AuthError;

/// The verdict an [`AxiomsLayer`] records in the request extensions.
///
/// Handlers can read it with `Extension<Authentication>`; the [`Claims`] extractors reuse it
/// instead of verifying again.
///
/// # Example
///
/// ```
/// use axioms::Authentication;
/// use axum::Extension;
///
/// async fn handler(Extension(auth): Extension<Authentication>) -> &'static str {
///     match auth {
///         Authentication::Verified(_) => "signed in",
///         Authentication::Anonymous => "no token",
///         Authentication::Rejected(_) => "bad token",
///         _ => "unknown",
///     }
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Authentication {
    /// A valid token.
    Verified(Claims),
    /// No credentials.
    Anonymous,
    /// Credentials that failed; the error says why.
    Rejected(AuthError),
}
