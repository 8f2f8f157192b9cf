//! `Owned<T>` under `policy = Name` whose named policy fetches nothing: a compile error at the
//! argument, not a 500 at run time.
use axioms::policy::Owned;
use axioms::protected;
use axioms_ui_tests::{AppState, Article};
use axum::{Router, routing::get};

axioms::policy!(Editors: roles = "editor");

#[protected(policy = Editors)]
async fn edit(Owned(article): Owned<Article>) -> String {
    article.user
}

fn app(state: AppState) -> Router {
    Router::new().route("/articles/{id}", get(edit)).with_state(state)
}

fn main() {
    let _ = app;
}
