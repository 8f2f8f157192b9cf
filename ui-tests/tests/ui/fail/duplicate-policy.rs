//! `policy` twice.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

axioms::policy!(Admins: roles = "admin");
axioms::policy!(Editors: roles = "editor");

#[protected(policy = Admins, policy = Editors)]
async fn handler() {}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/", get(handler)).with_state(axioms)
}

fn main() {
    let _ = app;
}
