use axum::response::{IntoResponse, Response};
use http::request::Parts;
use tower_layer::Layer;

use super::{Decision, Gate, Sealed};
use crate::pipeline::{self, Demand};
use crate::verifier::Axioms;

/// The service of an [`AxiomsLayer`]: the [`Gate`] with its decision.
///
/// ```
/// use axioms::{Axioms, AxiomsLayer, AxiomsService};
/// use tower_layer::Layer;
/// fn wrap<S>(axioms: Axioms, inner: S) -> AxiomsService<S> {
///     AxiomsLayer::require(axioms).layer(inner)
/// }
/// ```
pub type AxiomsService<S> = Gate<S, AxiomsLayer>;

/// Authenticates every request of a router through the one pipeline, and records the
/// verdict for the extractors and guards below it.
///
/// * [`AxiomsLayer::require`] rejects every request without a valid token (RFC 6750
///   response), except on the configured safe methods (none by default): protect a whole
///   router or prefix.
/// * [`AxiomsLayer::record`] never rejects: it verifies and records the verdict, and the
///   handlers' extractors and `#[protected]` guards decide. Like the Python packages'
///   middleware.
///
/// A recorded verdict is reused only by extractors whose state holds the **same** [`Axioms`]
/// (clones included); a route with another verifier verifies again.
///
/// # Example
///
/// ```no_run
/// use axioms::{Axioms, AxiomsLayer};
/// use axum::{Router, routing::get};
///
/// # fn f(axioms: Axioms) {
/// let admin: Router = Router::new()
///     .route("/stats", get(|| async { "ok" }))
///     .layer(AxiomsLayer::require(axioms.clone()));
/// let app: Router = Router::new().nest("/admin", admin);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct AxiomsLayer {
    axioms: Axioms,
    demand: Demand,
}

impl AxiomsLayer {
    /// Rejects requests without a valid token (the configured safe methods excepted), like a
    /// bare `#[protected]`: a partner issuer's token is refused (403) unless a policy of the
    /// same verifier admitted the request before this layer. Put policies naming partners
    /// inside a [`record`](Self::record) layer, not a `require` one.
    pub fn require(axioms: Axioms) -> Self {
        let safe = axioms.config().safe_methods();
        Self {
            axioms,
            demand: Demand::Token(safe),
        }
    }

    /// Records the verdict and never rejects: extractors and guards below decide.
    ///
    /// ```no_run
    /// use axioms::{Axioms, AxiomsLayer, Claims};
    /// use axum::{Router, routing::get};
    ///
    /// async fn me(claims: Claims) -> String {
    ///     claims.subject().unwrap_or_default().to_owned()
    /// }
    ///
    /// # fn f(axioms: Axioms) {
    /// // `Claims` reuses the layer's verdict instead of verifying again.
    /// let app: Router = Router::new()
    ///     .route("/me", get(me))
    ///     .with_state(axioms.clone())
    ///     .layer(AxiomsLayer::record(axioms));
    /// # }
    /// ```
    pub fn record(axioms: Axioms) -> Self {
        Self {
            axioms,
            demand: Demand::Nothing,
        }
    }
}

impl<S> Layer<S> for AxiomsLayer {
    type Service = AxiomsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Gate::new(inner, self.clone())
    }
}

impl Sealed for AxiomsLayer {}

impl<B: Send + 'static> Decision<B> for AxiomsLayer {
    type Then = ();

    async fn decide(&self, parts: &mut Parts, body: B) -> Result<(B, ()), Response> {
        match pipeline::admit(&self.axioms, parts, self.demand).await {
            Ok(_) => Ok((body, ())),
            Err(err) => Err(self.axioms.reject(err).into_response()),
        }
    }
}
