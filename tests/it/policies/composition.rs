//! Composition: `any_of` and `all_of`, nested, with and without ownership — the object is
//! fetched only when the decision depends on it, and a denial for a missing scope names it.

use axioms::policy::Owned;
use axioms::protected;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get, patch};
use http::StatusCode;
use serde_json::{Value, json};

use crate::common::apps::{AppState, Article, Db, Env, get_article, publish_article};
use crate::common::{Scope, Transport, Want, check, expect, no_failures, req, row};

#[protected(any_of(owner(fetch = get_article), roles = any("admin", "moderator")))]
async fn moderate_article(State(_db): State<Db>, Owned(article): Owned<Article>) -> String {
    format!("deleted {} of {}", article.id, article.user)
}

#[protected(any_of(
    roles = "admin",
    all_of(scopes = "articles:write", permissions = "articles:edit")
))]
async fn nested_plain() -> &'static str {
    "ok"
}

#[protected(
    any_of(roles = "admin", all_of(owner(fetch = get_article), scopes = "articles:write")),
    state = AppState
)]
async fn nested_owner(Owned(article): Owned<Article>) -> String {
    article.title
}

#[protected(all_of(
    any_of(scopes = "x", roles = "r"),
    any_of(permissions = "p", roles = "admin")
))]
async fn nested_deep() -> &'static str {
    "ok"
}

fn composition_app(state: AppState) -> Router {
    Router::new()
        .route("/moderate/{id}", delete(moderate_article))
        .route("/nested", get(nested_plain))
        .route("/nested-owner/{id}", get(nested_owner))
        .route("/deep", get(nested_deep))
        .route("/publish/{id}", patch(publish_article))
        .route("/moderate-scoped/{id}", delete(moderate_scoped))
        .with_state(state)
}

/// The moderation policy plus a scope, listed after the group that mentions ownership.
#[protected(
    any_of(owner(fetch = get_article), roles = "moderator"),
    scopes = "articles:delete",
    state = AppState
)]
async fn moderate_scoped(Owned(article): Owned<Article>) -> String {
    format!("deleted {}", article.id)
}

#[tokio::test]
async fn any_of_owner_or_moderator() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    let t = Transport::oneshot(composition_app(env.state.clone()));
    let db = env.db();

    // The owner.
    db.reset();
    let r = t
        .send(req("DELETE", "/moderate/1").bearer(&env.token(json!({"sub": "alice"}))))
        .await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "deleted 1 of alice");
    assert_eq!(db.fetches(), 1);

    // A moderator on someone else's article: allowed without owning it, and the handler still
    // receives the object (fetched once).
    for role in ["moderator", "admin"] {
        db.reset();
        let token = env.token(json!({"sub": "mod", "roles": [role]}));
        let r = t.send(req("DELETE", "/moderate/1").bearer(&token)).await;
        expect(&r, Want::Status(200));
        assert_eq!(r.body, "deleted 1 of alice");
        assert_eq!(db.fetches(), 1, "{role}");
    }

    // A stranger.
    db.reset();
    let token = env.token(json!({"sub": "mallory", "roles": ["editor"]}));
    let r = t.send(req("DELETE", "/moderate/1").bearer(&token)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(db.fetches(), 1);

    // A moderator asking for a missing article gets the fetch's own 404.
    db.reset();
    let token = env.token(json!({"sub": "mod", "roles": ["moderator"]}));
    let r = t.send(req("DELETE", "/moderate/404").bearer(&token)).await;
    expect(&r, Want::Status(404));
    assert_eq!(r.body, "Article not found");
    assert_eq!(db.fetches(), 1);

    // So does a caller who is neither owner nor moderator: the fetch decides ownership, and
    // there is nothing to own.
    db.reset();
    let token = env.token(json!({"sub": "mallory", "roles": ["editor"]}));
    let r = t.send(req("DELETE", "/moderate/404").bearer(&token)).await;
    expect(&r, Want::Status(404));
    assert_eq!(r.body, "Article not found");
    assert_eq!(db.fetches(), 1);

    // Anonymous: 401 before any fetch.
    db.reset();
    let r = t.send(req("DELETE", "/moderate/1")).await;
    expect(&r, Want::Anonymous);
    assert_eq!(db.fetches(), 0);
}

/// A fetch function that needs no state: the article comes from the path alone (ids below 10
/// exist, owned by `user-<id>`).
async fn article_from_path(Path(id): Path<u64>) -> Result<Article, StatusCode> {
    if id < 10 {
        Ok(Article {
            id,
            user: format!("user-{id}"),
            title: format!("article {id}"),
            published: false,
        })
    } else {
        Err(StatusCode::NOT_FOUND)
    }
}

#[protected(any_of(owner(fetch = article_from_path), roles = any("admin", "moderator")))]
async fn moderate_from_path(State(_s): State<AppState>, Owned(article): Owned<Article>) -> String {
    format!("deleted {}", article.id)
}

#[tokio::test]
async fn any_of_with_a_fetch_that_needs_no_state() {
    let env = Env::new().await;
    let app = Router::new()
        .route("/a/{id}", get(moderate_from_path))
        .with_state(env.state.clone());
    let t = Transport::oneshot(app);
    let owner = env.token(json!({"sub": "user-3"}));
    let r = t.send(req("GET", "/a/3").bearer(&owner)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "deleted 3");
    let r = t.send(req("GET", "/a/4").bearer(&owner)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    let r = t.send(req("GET", "/a/40").bearer(&owner)).await;
    expect(&r, Want::Status(404));
    let moderator = env.token(json!({"sub": "mod", "roles": ["moderator"]}));
    let r = t.send(req("GET", "/a/4").bearer(&moderator)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "deleted 4");
    let r = t.send(req("GET", "/a/4")).await;
    expect(&r, Want::Anonymous);
}

#[tokio::test]
async fn nested_all_of_inside_any_of() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    env.db().put_article(2, "bob");
    let t = Transport::oneshot(composition_app(env.state.clone()));
    let db = env.db();
    use Scope::{Absent, Named};
    use Want::{Forbidden, Status};

    // any_of(roles = "admin", all_of(scopes = "articles:write", permissions = "articles:edit"))
    let rows: Vec<(Value, Want)> = vec![
        (json!({"roles": ["admin"]}), Status(200)),
        (
            json!({"scope": "articles:write", "permissions": ["articles:edit"]}),
            Status(200),
        ),
        (json!({"scope": "articles:write"}), Forbidden(Absent)),
        (json!({"permissions": ["articles:edit"]}), Forbidden(Absent)),
        (json!({"roles": ["editor"]}), Forbidden(Absent)),
        (json!({}), Forbidden(Absent)),
    ];
    let mut failures = Vec::new();
    for (claims, want) in rows {
        let label = claims.to_string();
        row(
            &t,
            &label,
            req("GET", "/nested").bearer(&env.token(claims)),
            want,
            &mut failures,
        )
        .await;
    }

    // all_of(any_of(scopes = "x", roles = "r"), any_of(permissions = "p", roles = "admin"))
    let rows: Vec<(Value, Want)> = vec![
        (json!({"scope": "x", "permissions": ["p"]}), Status(200)),
        (json!({"roles": ["r", "admin"]}), Status(200)),
        (json!({"scope": "x", "roles": ["admin"]}), Status(200)),
        // The first group fails: it is the one named, with its scope.
        (json!({"permissions": ["p"]}), Forbidden(Named("x"))),
        // The second group fails: it requires no scope.
        (json!({"scope": "x"}), Forbidden(Absent)),
        (json!({"roles": ["r"]}), Forbidden(Absent)),
    ];
    for (claims, want) in rows {
        let label = claims.to_string();
        row(
            &t,
            &label,
            req("GET", "/deep").bearer(&env.token(claims)),
            want,
            &mut failures,
        )
        .await;
    }
    no_failures(&failures);

    // any_of(roles = "admin", all_of(owner(fetch = get_article), scopes = "articles:write"))
    let writer = |sub: &str| env.token(json!({"sub": sub, "scope": "articles:write"}));

    db.reset();
    let r = t
        .send(req("GET", "/nested-owner/1").bearer(&writer("alice")))
        .await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "article 1");
    assert_eq!(db.fetches(), 1);

    // The owner without the scope: the decision cannot depend on ownership any more, so the
    // object is not fetched.
    db.reset();
    let token = env.token(json!({"sub": "alice"}));
    let r = t.send(req("GET", "/nested-owner/1").bearer(&token)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(db.fetches(), 0);

    // The scope without ownership.
    db.reset();
    let r = t
        .send(req("GET", "/nested-owner/2").bearer(&writer("alice")))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(db.fetches(), 1);

    // An admin on anybody's article.
    db.reset();
    let token = env.token(json!({"sub": "root", "roles": ["admin"]}));
    let r = t.send(req("GET", "/nested-owner/2").bearer(&token)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "article 2");
    assert_eq!(db.fetches(), 1);

    // Missing object → the fetch's own 404.
    let r = t
        .send(req("GET", "/nested-owner/77").bearer(&writer("alice")))
        .await;
    expect(&r, Want::Status(404));
    assert_eq!(r.body, "Article not found");
}

fn publisher(sub: &str) -> Value {
    json!({
        "sub": sub,
        "scope": "openid articles:publish",
        "roles": ["editor"],
        "permissions": ["articles:publish"],
    })
}

#[tokio::test]
async fn publish_requires_ownership_and_every_layer() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    env.db().put_article(2, "bob");
    let t = Transport::oneshot(composition_app(env.state.clone()));
    let db = env.db();

    // Non-owner with every privilege: fetched, then denied.
    db.reset();
    let r = t
        .send(req("PATCH", "/publish/2").bearer(&env.token(publisher("alice"))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(db.fetches(), 1);

    // The owner without one of the three layers: denied without fetching.
    let cases = [
        (
            "scope",
            json!({"sub": "alice", "scope": "openid", "roles": ["editor"], "permissions": ["articles:publish"]}),
            Scope::Unchecked,
        ),
        (
            "role",
            json!({"sub": "alice", "scope": "articles:publish", "roles": ["viewer"], "permissions": ["articles:publish"]}),
            Scope::Absent,
        ),
        (
            "permission",
            json!({"sub": "alice", "scope": "articles:publish", "roles": ["admin"], "permissions": ["articles:read"]}),
            Scope::Absent,
        ),
    ];
    for (missing, claims, scope) in cases {
        db.reset();
        let r = t
            .send(req("PATCH", "/publish/1").bearer(&env.token(claims)))
            .await;
        if let Err(e) = check(&r, Want::Forbidden(scope)) {
            panic!("owner missing the {missing}: {e}");
        }
        assert_eq!(db.fetches(), 0, "owner missing the {missing}");
    }

    // The owner with everything (admin instead of editor works too).
    db.reset();
    let r = t
        .send(req("PATCH", "/publish/1").bearer(&env.token(publisher("alice"))))
        .await;
    expect(&r, Want::Status(200));
    assert_eq!(db.fetches(), 1);
    let body = r.json();
    assert_eq!(body["published_by"], "alice");
    assert_eq!(body["owner"], "alice");
    assert!(db.articles.lock().unwrap()[&1].published);

    // Publishing again: the handler's own business rule.
    let r = t
        .send(req("PATCH", "/publish/1").bearer(&env.token(publisher("alice"))))
        .await;
    expect(&r, Want::Status(400));
    assert_eq!(r.body, "Already published");

    let token = env.token(json!({
        "sub": "bob", "scope": "articles:publish", "roles": ["admin"], "permissions": ["articles:publish"],
    }));
    let r = t.send(req("PATCH", "/publish/2").bearer(&token)).await;
    expect(&r, Want::Status(200));

    // Anonymous.
    db.reset();
    let r = t.send(req("PATCH", "/publish/2")).await;
    expect(&r, Want::Anonymous);
    assert_eq!(db.fetches(), 0);
}

/// The documented contract: "policy denied → 403 insufficient_scope (with scope="…" when
/// scopes were required)". An owner whose token lacks the publish scope is denied because of
/// the scope, so the challenge must name it — even though `owner(…)` is listed first.
#[tokio::test]
async fn publish_denial_for_a_missing_scope_names_the_scope() {
    let env = Env::new().await;
    env.db().put_article(1, "alice");
    let t = Transport::oneshot(composition_app(env.state.clone()));
    let token = env.token(json!({
        "sub": "alice", "scope": "openid", "roles": ["editor"], "permissions": ["articles:publish"],
    }));
    let mut failures = Vec::new();
    row(
        &t,
        "owner without the publish scope",
        req("PATCH", "/publish/1").bearer(&token),
        Want::Forbidden(Scope::Named("articles:publish")),
        &mut failures,
    )
    .await;
    // Same cause, other shape: `any_of(owner(…), roles = "moderator"), scopes = "articles:delete"`,
    // the owner without the scope.
    let token = env.token(json!({"sub": "alice", "scope": "openid"}));
    row(
        &t,
        "owner without the delete scope",
        req("DELETE", "/moderate-scoped/1").bearer(&token),
        Want::Forbidden(Scope::Named("articles:delete")),
        &mut failures,
    )
    .await;
    // Neither was fetched: the scope alone decided.
    assert_eq!(env.db().fetches(), 0);
    // Control: with the scope, the same policy works.
    let token = env.token(json!({"sub": "alice", "scope": "articles:delete"}));
    let r = t
        .send(req("DELETE", "/moderate-scoped/1").bearer(&token))
        .await;
    expect(&r, Want::Status(200));
    no_failures(&failures);
}
