//! A named policy as a tower layer: protect every route under a prefix.

use std::marker::PhantomData;
use std::task::{Context, Poll};

use axum::response::Response;
use http::Request;
use http::request::Parts;
use tower_layer::Layer;
use tower_service::Service;

use super::{LayerPolicy, Policy, guard};
use crate::layer::ResponseFuture;
use crate::verifier::Axioms;

/// Enforces the named policy `P` (from [`policy!`](crate::policy!)) on every request of a
/// router; rejected requests never reach it.
///
/// Ownership needs a handler's object, so a policy with `owner(…)` cannot be a layer: that is
/// a compile-time error.
///
/// # Example
///
/// ```no_run
/// use axioms::{Axioms, policy::PolicyLayer};
/// use axum::{Router, routing::get};
///
/// axioms::policy!(pub AdminOnly: roles = any("admin", "superuser"));
///
/// # fn f(axioms: Axioms) {
/// let admin: Router = Router::new()
///     .route("/users", get(|| async { "all users" }))
///     .layer(PolicyLayer::<AdminOnly>::new(axioms.clone()));
/// let app: Router = Router::new().nest("/admin", admin);
/// # }
/// ```
pub struct PolicyLayer<P> {
    axioms: Axioms,
    policy: PhantomData<fn() -> P>,
}

impl<P> PolicyLayer<P> {
    /// A layer enforcing `P` with `axioms`.
    pub fn new(axioms: Axioms) -> Self
    where
        P: LayerPolicy,
    {
        Self {
            axioms,
            policy: PhantomData,
        }
    }
}

impl<P> Clone for PolicyLayer<P> {
    fn clone(&self) -> Self {
        Self {
            axioms: self.axioms.clone(),
            policy: PhantomData,
        }
    }
}

impl<P> std::fmt::Debug for PolicyLayer<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyLayer")
            .field("policy", &std::any::type_name::<P>())
            .finish()
    }
}

impl<S, P> Layer<S> for PolicyLayer<P> {
    type Service = PolicyService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        PolicyService {
            inner,
            axioms: self.axioms.clone(),
            policy: PhantomData,
        }
    }
}

/// The service of a [`PolicyLayer`].
///
/// ```
/// use axioms::policy::{PolicyLayer, PolicyService};
/// use tower_layer::Layer;
/// axioms::policy!(pub Admins: roles = "admin");
/// fn wrap<S>(layer: &PolicyLayer<Admins>, inner: S) -> PolicyService<S, Admins> {
///     layer.layer(inner)
/// }
/// ```
pub struct PolicyService<S, P> {
    inner: S,
    axioms: Axioms,
    policy: PhantomData<fn() -> P>,
}

impl<S: Clone, P> Clone for PolicyService<S, P> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            axioms: self.axioms.clone(),
            policy: PhantomData,
        }
    }
}

impl<S, P> std::fmt::Debug for PolicyService<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicyService")
            .field("policy", &std::any::type_name::<P>())
            .finish_non_exhaustive()
    }
}

impl<S, P, B> Service<Request<B>> for PolicyService<S, P>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    P: LayerPolicy,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let axioms = self.axioms.clone();
        ResponseFuture::new(async move {
            let (mut parts, body) = request.into_parts();
            if let Err(response) = enforce::<P>(&axioms, &mut parts).await {
                return Ok(response);
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}

async fn enforce<P: Policy<()>>(axioms: &Axioms, parts: &mut Parts) -> Result<(), Response> {
    guard::enforce::<(), P>(axioms, parts, &()).await
}
