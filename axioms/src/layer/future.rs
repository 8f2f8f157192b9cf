use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::response::Response;

/// The response future of [`AxiomsService`](super::AxiomsService).
///
/// ```
/// use axioms::{AxiomsService, ResponseFuture};
/// use tower_service::Service;
/// // The future `AxiomsService` returns for any inner service.
/// fn future_of<S>(svc: &mut AxiomsService<S>, req: http::Request<axum::body::Body>) -> ResponseFuture<S::Error>
/// where
///     S: Service<http::Request<axum::body::Body>, Response = axum::response::Response> + Clone + Send + 'static,
///     S::Future: Send + 'static,
/// {
///     svc.call(req)
/// }
/// ```
pub struct ResponseFuture<E> {
    inner: Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>,
}

impl<E> ResponseFuture<E> {
    pub(crate) fn new(fut: impl Future<Output = Result<Response, E>> + Send + 'static) -> Self {
        Self {
            inner: Box::pin(fut),
        }
    }
}

impl<E> Future for ResponseFuture<E> {
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

impl<E> fmt::Debug for ResponseFuture<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
