//! `Owned<T>` of another type than the policy's fetch function returns: a compile error at the
//! argument, not a 500 at run time.
use axioms::policy::Owned;
use axioms::protected;
use axioms_ui_tests::{AppState, get_article};
use axum::{Router, routing::get};

#[protected(owner(fetch = get_article), state = AppState)]
async fn edit(Owned(user): Owned<String>) -> String {
    user
}

fn app(state: AppState) -> Router {
    Router::new().route("/articles/{id}", get(edit)).with_state(state)
}

fn main() {
    let _ = app;
}
