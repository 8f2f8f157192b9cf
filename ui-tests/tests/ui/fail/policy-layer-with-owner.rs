//! A named policy with `owner(…)` used as a `PolicyLayer`: ownership needs a handler's object.
use axioms::policy::PolicyLayer;
use axioms_ui_tests::{AppState, get_article};
use axum::{Router, routing::get};

axioms::policy!(pub OwnerOnly: owner(fetch = get_article), state = AppState);

fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(|| async { "hi" }))
        .layer(PolicyLayer::<OwnerOnly>::new(state.axioms.clone()))
        .with_state(state)
}

fn main() {
    let _ = app;
}
