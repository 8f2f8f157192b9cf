use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::Request;
use tower_service::Service;

use super::{Authentication, ResponseFuture};
use crate::authorizer::Axioms;

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
    required: bool,
}

impl<S> AxiomsService<S> {
    pub(crate) fn new(inner: S, axioms: Axioms, required: bool) -> Self {
        Self {
            inner,
            axioms,
            required,
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

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // Take the service that was polled ready; leave a fresh clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let axioms = self.axioms.clone();
        let required = self.required;
        ResponseFuture::new(async move {
            let verdict = axioms
                .authenticate(request.method(), request.headers())
                .await;
            let auth = match verdict {
                Ok(Some(claims)) => Authentication::Verified(claims),
                Ok(None) => Authentication::Anonymous,
                Err(err) if required => {
                    return Ok(axioms.rejection(err).into_response());
                }
                Err(err) => {
                    err.log();
                    match err.kind() {
                        crate::AuthErrorKind::MissingToken => Authentication::Anonymous,
                        _ => Authentication::Rejected(err),
                    }
                }
            };
            request.extensions_mut().insert(auth);
            inner.call(request).await
        })
    }
}
