use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::Request;
use tower_service::Service;

use super::ResponseFuture;
use crate::pipeline::{self, Demand};
use crate::verifier::Axioms;

/// The service of an [`AxiomsLayer`](super::AxiomsLayer).
///
/// ```
/// use axioms::{Axioms, AxiomsLayer, AxiomsService};
/// use tower_layer::Layer;
/// fn wrap<S>(axioms: Axioms, inner: S) -> AxiomsService<S> {
///     AxiomsLayer::require(axioms).layer(inner)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AxiomsService<S> {
    inner: S,
    axioms: Axioms,
    demand: Demand,
}

impl<S> AxiomsService<S> {
    pub(crate) fn new(inner: S, axioms: Axioms, demand: Demand) -> Self {
        Self {
            inner,
            axioms,
            demand,
        }
    }
}

impl<S, B> Service<Request<B>> for AxiomsService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // Take the service that was polled ready; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let axioms = self.axioms.clone();
        let demand = self.demand;
        ResponseFuture::new(async move {
            let (mut parts, body) = request.into_parts();
            if let Err(err) = pipeline::admit(&axioms, &mut parts, demand).await {
                return Ok(axioms.reject(err).into_response());
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}
