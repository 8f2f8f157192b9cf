//! `pub` handlers in modules, mounted from outside them, with and without `owner(…)`.
use axioms::{Axioms, protected};
use axum::{Router, extract::FromRef, routing::get};

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

mod handlers {
    use super::{AppState, protected};
    use axioms::policy::Owned;
    use axum::{
        extract::{Path, State},
        http::StatusCode,
    };

    pub struct Article {
        pub user: String,
    }

    pub async fn get_article(Path(_id): Path<u32>) -> Result<Article, StatusCode> {
        Ok(Article {
            user: "alice".into(),
        })
    }

    #[protected(roles = "admin")]
    pub async fn admin() -> &'static str {
        "admin"
    }

    #[protected]
    pub(crate) async fn crate_visible() {}

    #[protected(owner(fetch = get_article))]
    pub async fn article(State(_s): State<AppState>, Owned(a): Owned<Article>) -> String {
        a.user
    }

    pub mod deeper {
        #[axioms::protected(scopes = any("a", "b"))]
        pub async fn deep() {}
    }
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/admin", get(handlers::admin))
        .route("/crate", get(handlers::crate_visible))
        .route("/articles/{id}", get(handlers::article))
        .route("/deep", get(handlers::deeper::deep))
        .with_state(state)
}

fn main() {
    let _ = app;
}
