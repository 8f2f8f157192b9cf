//! Unpublished crate that holds the trybuild UI tests of `#[protected]` (`tests/ui/`).
//!
//! The fixtures the cases share live here, once: a case imports them
//! (`use axioms_ui_tests::{AppState, get_article};`) and holds only its own concern.

use axioms::Axioms;
use axum::extract::{FromRef, Path};
use axum::http::StatusCode;

/// The router state.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// The verifier the guard of every protected handler uses.
    pub axioms: Axioms,
}

/// An object with an owner: `user`, the default owner field of `owner(…)`.
pub struct Article {
    /// Its id in the path, `/articles/{id}`.
    pub id: u32,
    /// Its owner, compared with the `sub` claim.
    pub user: String,
    /// A field that cannot be compared with a claim.
    pub tags: Vec<String>,
}

/// The fetch function of `owner(fetch = get_article)`: article 1 exists, owned by alice.
pub async fn get_article(Path(id): Path<u32>) -> Result<Article, StatusCode> {
    match id {
        1 => Ok(Article {
            id,
            user: "alice".to_owned(),
            tags: Vec::new(),
        }),
        _ => Err(StatusCode::NOT_FOUND),
    }
}
