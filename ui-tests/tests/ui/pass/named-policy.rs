//! A named policy reused on two handlers and as a `PolicyLayer`; a named policy with
//! `owner(…)` and `state = …` on a handler.
use axioms::{Axioms, policy::Owned, policy::PolicyLayer, protected};
use axum::{
    Router,
    extract::{FromRef, Path},
    http::StatusCode,
    routing::get,
};

axioms::policy!(pub AdminOnly: roles = any("admin", "superuser"));
axioms::policy!(Readers: scopes = "read:data", safe_methods = ["OPTIONS"]);
axioms::policy!(pub(crate) OwnerOrAdmin: any_of(owner(fetch = get_article), roles = "admin"), state = AppState);

mod policies {
    axioms::policy!(pub Nested: all_of(roles = "a", any_of(scopes = "b", permissions = "c")));
}

#[derive(Clone, FromRef)]
struct AppState {
    axioms: Axioms,
}

struct Article {
    user: String,
}

async fn get_article(Path(_id): Path<u32>) -> Result<Article, StatusCode> {
    Ok(Article {
        user: "alice".into(),
    })
}

#[protected(policy = AdminOnly)]
async fn list_users() -> &'static str {
    "users"
}

#[protected(policy = AdminOnly,)]
async fn delete_user() -> &'static str {
    "deleted"
}

#[protected(policy = Readers)]
async fn read() {}

#[protected(policy = policies::Nested)]
async fn nested() {}

#[protected(policy = OwnerOrAdmin)]
async fn article(Owned(a): Owned<Article>) -> String {
    a.user
}

fn app(state: AppState) -> Router {
    let admin: Router<AppState> = Router::new()
        .route("/everything", get(|| async { "all" }))
        .layer(PolicyLayer::<AdminOnly>::new(state.axioms.clone()))
        .layer(PolicyLayer::<policies::Nested>::new(state.axioms.clone()));
    Router::new()
        .route("/users", get(list_users).delete(delete_user))
        .route("/read", get(read))
        .route("/nested", get(nested))
        .route("/articles/{id}", get(article))
        .nest("/admin", admin)
        .with_state(state)
}

fn main() {
    let _ = app;
}
