//! A named policy as a tower layer: protect every route under a prefix.

use std::marker::PhantomData;

use axum::response::Response;
use http::request::Parts;
use tower_layer::Layer;

use super::{LayerPolicy, guard};
use crate::layer::{Decision, Gate, Sealed};
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
        Gate::new(inner, self.clone())
    }
}

/// The service of a [`PolicyLayer`]: the [`Gate`] with its decision.
///
/// ```
/// use axioms::policy::{PolicyLayer, PolicyService};
/// use tower_layer::Layer;
/// axioms::policy!(pub Admins: roles = "admin");
/// fn wrap<S>(layer: &PolicyLayer<Admins>, inner: S) -> PolicyService<S, Admins> {
///     layer.layer(inner)
/// }
/// ```
pub type PolicyService<S, P> = Gate<S, PolicyLayer<P>>;

impl<P> Sealed for PolicyLayer<P> {}

impl<P: LayerPolicy, B: Send + 'static> Decision<B> for PolicyLayer<P> {
    type Then = ();

    async fn decide(&self, parts: &mut Parts, body: B) -> Result<(B, ()), Response> {
        guard::enforce::<(), P>(&self.axioms, parts, &()).await?;
        Ok((body, ()))
    }
}
