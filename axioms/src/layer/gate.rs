//! The one service of every axioms layer: a decision, then the inner service.

use std::fmt;
use std::future::Future;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use http::Request;
use http::request::Parts;
use tower_service::Service;

use super::ResponseFuture;

/// What a layer decides of each request before its inner service sees it: let it through
/// (with its body, which the decision may have read) or answer it.
///
/// Implemented by [`AxiomsLayer`](crate::AxiomsLayer),
/// [`PolicyLayer`](crate::policy::PolicyLayer) and `McpLayer`; sealed: a decision of your
/// own would be a second way through, beside the one pipeline.
///
/// ```
/// fn decides<D: axioms::Decision<axum::body::Body>>() {}
/// decides::<axioms::AxiomsLayer>();
/// ```
pub trait Decision<B>: sealed::Sealed + Clone + Send + Sync + 'static {
    /// What the decision keeps for the inner service's answer (`()` for most).
    #[doc(hidden)]
    type Then: Send + 'static;

    /// The decision on a request: `Ok` with the body to pass on, or the response to send.
    #[doc(hidden)]
    fn decide(
        &self,
        parts: &mut Parts,
        body: B,
    ) -> impl Future<Output = Result<(B, Self::Then), Response>> + Send;

    /// The inner service's answer, as the caller receives it (by default unchanged; the MCP
    /// layer filters lists).
    #[doc(hidden)]
    fn then(&self, then: Self::Then, response: Response) -> impl Future<Output = Response> + Send {
        let _ = then;
        async move { response }
    }
}

pub(crate) mod sealed {
    /// Only axioms' layers decide.
    pub trait Sealed {}
}

/// The service every axioms layer puts in front of a router (tower-http's
/// `AsyncRequireAuthorization` is the model): the layer's decision `D` runs first, through the
/// one authentication pipeline; a request it refuses never reaches `S`.
///
/// [`AxiomsService`](crate::AxiomsService), [`PolicyService`](crate::policy::PolicyService)
/// and `McpService` name it with their decision.
///
/// ```
/// use axioms::{Axioms, AxiomsLayer, Gate};
/// use tower_layer::Layer;
/// fn wrap<S>(axioms: Axioms, inner: S) -> Gate<S, AxiomsLayer> {
///     AxiomsLayer::require(axioms).layer(inner)
/// }
/// ```
#[derive(Clone)]
pub struct Gate<S, D> {
    inner: S,
    decision: D,
}

impl<S, D> Gate<S, D> {
    pub(crate) fn new(inner: S, decision: D) -> Self {
        Self { inner, decision }
    }
}

impl<S, D: fmt::Debug> fmt::Debug for Gate<S, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gate")
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

// Any HTTP service: an axum `Router`, or tonic's routes (whose responses have their own body
// type) — the answer is an axum `Response` either way (`Body::new` does not box a body that
// is already axum's).
impl<S, D, B, R> Service<Request<B>> for Gate<S, D>
where
    S: Service<Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    R::Error: Into<axum::BoxError>,
    D: Decision<B>,
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
        let decision = self.decision.clone();
        ResponseFuture::new(async move {
            let (mut parts, body) = request.into_parts();
            match decision.decide(&mut parts, body).await {
                Ok((body, then)) => {
                    let response = inner.call(Request::from_parts(parts, body)).await?;
                    Ok(decision.then(then, response.map(Body::new)).await)
                }
                Err(response) => Ok(response),
            }
        })
    }
}
