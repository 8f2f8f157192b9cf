//! The expansion names everything by absolute path and keeps its own names to itself: it
//! compiles, without a warning, beside user items named like everything it uses — `Claims`,
//! `Result`, `Option`, `S`, a `core` and an `axioms` module, a fetch function named `state`.
#![deny(warnings, unused_qualifications)]
#![allow(dead_code)]

use ::axioms::policy::{Owned, PolicyLayer};
use ::axioms::{Axioms, protected};
use axum::extract::{FromRef, Path};
use axum::http::StatusCode;
use axum::routing::get;

struct Claims;
struct Result;
struct Option;
struct Some;
struct Send;
struct Sync;
struct Future;
struct Parts;
struct Response;
struct Rule;
struct Mode;
struct Policy;
struct Guard;
struct OwnerValue;
mod core {}
mod axioms {}

/// The router state, named like the expansion's own type parameter would be.
#[derive(Clone)]
struct S {
    verifier: Axioms,
}

impl FromRef<S> for Axioms {
    fn from_ref(state: &S) -> Axioms {
        state.verifier.clone()
    }
}

struct Article {
    user: String,
}

/// A fetch function named like a parameter of the generated `check_owner`.
async fn state(Path(id): Path<u32>) -> ::core::result::Result<Article, StatusCode> {
    match id {
        1 => ::core::result::Result::Ok(Article {
            user: "alice".to_owned(),
        }),
        _ => ::core::result::Result::Err(StatusCode::NOT_FOUND),
    }
}

::axioms::policy!(pub Readers: scopes = any("read", "admin"), safe_methods = ["GET", "HEAD"]);
::axioms::policy!(pub Owners: owner(fetch = state, mismatch = 404), state = S);

#[protected(
    any_of(owner(fetch = state, claim = "email"), roles = all("admin", "auditor")),
    safe_methods = ["OPTIONS"],
)]
async fn inline(Owned(article): Owned<Article>, _: axum::extract::State<S>) -> String {
    article.user
}

#[protected(policy = Owners)]
async fn named(Owned(article): Owned<Article>) -> String {
    article.user
}

#[protected(policy = Readers)]
async fn layered() {}

fn app(state: S) -> axum::Router {
    axum::Router::new()
        .route("/articles/{id}", get(inline))
        .route("/named/{id}", get(named))
        .route("/read", get(layered))
        .route("/plain/{id}", get(plain::handler))
        .layer(PolicyLayer::<Readers>::new(state.verifier.clone()))
        .with_state(state)
}

fn main() {
    let _ = app;
}

/// Without anything shadowed, too: no generated path is flagged as an unneeded qualification.
mod plain {
    use axioms::policy::Owned;
    use axioms::protected;

    #[protected(owner(fetch = super::state, field = "user"), state = super::S)]
    pub async fn handler(Owned(article): Owned<super::Article>) -> String {
        article.user
    }
}
