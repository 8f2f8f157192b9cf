use tower_layer::Layer;

use super::AxiomsService;
use crate::authorizer::Axioms;

/// Authenticates every request and records the verdict as an
/// [`Authentication`](super::Authentication) request extension.
///
/// * [`AxiomsLayer::new`] never rejects: like the seeds' middleware, it only records, and
///   handlers or extractors decide.
/// * [`AxiomsLayer::require`] rejects every request without a valid token (RFC 6750
///   response), except on the configured safe methods: protect a whole router or prefix.
///
/// # Example
///
/// ```no_run
/// use axioms::{Axioms, AxiomsLayer, Claims};
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
    required: bool,
}

impl AxiomsLayer {
    /// Records the verdict, never rejects.
    pub fn new(axioms: Axioms) -> Self {
        Self {
            axioms,
            required: false,
        }
    }

    /// Rejects requests without a valid token (safe methods excepted).
    pub fn require(axioms: Axioms) -> Self {
        Self {
            axioms,
            required: true,
        }
    }
}

impl<S> Layer<S> for AxiomsLayer {
    type Service = AxiomsService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AxiomsService::new(inner, self.axioms.clone(), self.required)
    }
}
