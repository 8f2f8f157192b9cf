//! A named policy with a mistake still defines its name: the handler and the layer that use it
//! add no errors of their own, so only the mistake is reported.
use axioms::{Axioms, policy::PolicyLayer, protected};
use axum::{Router, routing::get};

axioms::policy!(pub AdminOnly: role = "admin");

#[protected(policy = AdminOnly)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/", get(handler))
        .layer(PolicyLayer::<AdminOnly>::new(axioms.clone()))
        .with_state(axioms)
}

fn main() {
    let _ = app;
}
