//! Ownership (`owner(fetch = …)`): the owner gets the object, fetched once; a stranger a 403 (or,
//! with `mismatch = 404`, exactly the answer of a missing object); a missing object the fetch's
//! own answer; an anonymous caller a 401 before any fetch; custom fields and claims, integer
//! and optional owner fields. What cannot fool the check: [`cannot_be_fooled`].

use axioms::policy::Owned;
use axioms::protected;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use http::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::apps::{
    AppState, Article, Comment, Draft, Env, Project, Ticket, find_ticket, get_article,
    get_article_bare, get_comment, get_draft, get_project,
};
use crate::common::{Scope, Transport, Want, expect, no_failures, req, row};

mod cannot_be_fooled;

#[protected(owner(fetch = get_article), state = AppState)]
async fn read_article(Owned(article): Owned<Article>) -> Json<Value> {
    Json(json!({"id": article.id, "title": article.title, "user": article.user}))
}

#[protected(all_of(scopes = "x", owner(fetch = get_article)), state = AppState)]
async fn scoped_article(Owned(article): Owned<Article>) -> String {
    article.title
}

#[protected(owner(fetch = get_article_bare, mismatch = 404), state = AppState)]
async fn hidden_article(Owned(article): Owned<Article>) -> String {
    article.title
}

#[protected(owner(fetch = get_comment, field = "created_by"))]
async fn read_comment(State(_s): State<AppState>, Owned(comment): Owned<Comment>) -> String {
    format!("{}: {}", comment.id, comment.text)
}

#[protected(owner(fetch = get_project, field = "owner_email", claim = "email"), state = AppState)]
async fn read_project(Owned(project): Owned<Project>) -> String {
    project.name
}

#[protected(owner(fetch = find_ticket, field = "owner_id"), state = AppState)]
async fn ticket_by_sub(Owned(ticket): Owned<Ticket>) -> String {
    format!("ticket {}", ticket.id)
}

#[protected(owner(fetch = find_ticket, field = "owner_id", claim = "uid"), state = AppState)]
async fn ticket_by_uid(Owned(ticket): Owned<Ticket>) -> String {
    format!("ticket {}", ticket.id)
}

#[protected(owner(fetch = get_draft), state = AppState)]
async fn read_draft(Owned(draft): Owned<Draft>) -> String {
    format!("draft {}", draft.id)
}

axioms::policy!(ArticleOwnersOrAdmins: any_of(owner(fetch = get_article), roles = "admin"), state = AppState);

/// `Owned<T>` of another type than the policy fetches is a programming error. In a handler's own
/// `#[protected(…)]` it is a compile error (ui-tests `owned-not-the-fetched-type`), as is
/// `Owned<…>` under a policy that fetches nothing (`owned-without-owner`,
/// `owned-under-a-named-policy-without-owner`); behind a named policy that fetches, the
/// object's type cannot be named in the handler's expansion, so a mismatch answers 500.
#[protected(policy = ArticleOwnersOrAdmins)]
async fn owned_without_owner(Owned(comment): Owned<Comment>) -> String {
    comment.text
}

fn ownership_app(state: AppState) -> Router {
    Router::new()
        .route("/articles/{id}", get(read_article))
        .route("/scoped/{id}", get(scoped_article))
        .route("/hidden/{id}", get(hidden_article))
        .route(
            "/bare/{id}",
            get(|Path(id): Path<u64>| async move { id.to_string() }),
        )
        .route("/comments/{id}", get(read_comment))
        .route("/projects/{id}", get(read_project))
        .route("/tickets/{id}", get(ticket_by_sub))
        .route("/tickets-uid/{id}", get(ticket_by_uid))
        .route("/drafts/{id}", get(read_draft))
        .route("/misused/{id}", get(owned_without_owner))
        .with_state(state)
}

async fn ownership_env() -> (Env, Transport) {
    let env = Env::new().await;
    let db = env.db();
    db.put_article(1, "alice");
    db.put_article(2, "bob");
    db.put_comment(1, "alice");
    db.put_project(1, "john@example.com");
    db.tickets.lock().unwrap().insert(
        1,
        Ticket {
            id: 1,
            owner_id: 42,
        },
    );
    db.drafts
        .lock()
        .unwrap()
        .insert(1, Draft { id: 1, user: None });
    db.drafts.lock().unwrap().insert(
        2,
        Draft {
            id: 2,
            user: Some("alice".to_owned()),
        },
    );
    let t = Transport::oneshot(ownership_app(env.state.clone()));
    (env, t)
}

#[tokio::test]
async fn owner_stranger_missing_and_anonymous() {
    let (env, t) = ownership_env().await;
    let db = env.db();
    let alice = env.token(json!({"sub": "alice"}));
    let bob = env.token(json!({"sub": "bob"}));

    // Owner: 200, with the object handed over, fetched exactly once per request.
    db.reset();
    for _ in 0..3 {
        let r = t.send(req("GET", "/articles/1").bearer(&alice)).await;
        expect(&r, Want::Status(200));
        assert_eq!(
            r.json(),
            json!({"id": 1, "title": "article 1", "user": "alice"})
        );
    }
    assert_eq!(db.fetches(), 3, "one fetch per request, none by Owned<T>");

    // Stranger: 403 without a scope attribute (no scope was required).
    db.reset();
    let r = t.send(req("GET", "/articles/1").bearer(&bob)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(db.fetches(), 1);

    // Missing object: the fetch function's own 404, body included.
    db.reset();
    let r = t.send(req("GET", "/articles/99").bearer(&alice)).await;
    expect(&r, Want::Status(404));
    assert_eq!(r.body, "Article not found");
    assert_eq!(db.fetches(), 1);

    // Anonymous, existing or missing object: 401, and nothing is fetched.
    db.reset();
    for uri in ["/articles/1", "/articles/99"] {
        let r = t.send(req("GET", uri)).await;
        expect(&r, Want::Anonymous);
    }
    // A bad token: 401 invalid_token, nothing fetched.
    let expired = env.issuer.token().subject("alice").expires_in(-3600).sign();
    let r = t.send(req("GET", "/articles/1").bearer(&expired)).await;
    expect(&r, Want::InvalidToken);
    // A malformed Authorization header: 400, nothing fetched.
    let r = t
        .send(req("GET", "/articles/1").authorization("Bearer a b"))
        .await;
    expect(&r, Want::InvalidRequest);
    assert_eq!(db.fetches(), 0, "no fetch before authentication succeeds");

    // A path the fetch's extractor rejects: the extractor's own rejection (after the token).
    let r = t.send(req("GET", "/articles/abc").bearer(&alice)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = t.send(req("GET", "/articles/abc")).await;
    expect(&r, Want::Anonymous);
}

#[tokio::test]
async fn fetch_is_skipped_when_another_clause_already_denies() {
    let (env, t) = ownership_env().await;
    let db = env.db();

    // all_of(scopes = "x", owner(…)), token without x: 403 naming x, no fetch.
    db.reset();
    let token = env.token(json!({"sub": "alice", "scope": "y"}));
    let r = t.send(req("GET", "/scoped/1").bearer(&token)).await;
    expect(&r, Want::Forbidden(Scope::Named("x")));
    assert_eq!(db.fetches(), 0);
    // Not even for a missing object: the 403 comes first.
    let r = t.send(req("GET", "/scoped/99").bearer(&token)).await;
    expect(&r, Want::Forbidden(Scope::Named("x")));
    assert_eq!(db.fetches(), 0);

    // With x: fetched once; owner 200, stranger 403, missing 404.
    let alice = env.token(json!({"sub": "alice", "scope": "x"}));
    db.reset();
    let r = t.send(req("GET", "/scoped/1").bearer(&alice)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "article 1");
    assert_eq!(db.fetches(), 1);
    db.reset();
    let r = t.send(req("GET", "/scoped/2").bearer(&alice)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    assert_eq!(db.fetches(), 1);
    let r = t.send(req("GET", "/scoped/99").bearer(&alice)).await;
    expect(&r, Want::Status(404));
}

#[tokio::test]
async fn missing_claims_never_own() {
    let (env, t) = ownership_env().await;
    // No `sub` at all: refused before any policy (`sub` is required), nothing fetched.
    env.db().reset();
    let r = t
        .send(req("GET", "/articles/1").bearer(&env.token_without_sub(json!({}))))
        .await;
    expect(&r, Want::InvalidToken);
    assert_eq!(env.db().fetches(), 0);
    // A `sub` of another case / with whitespace does not match.
    for sub in ["Alice", " alice", "alice "] {
        let r = t
            .send(req("GET", "/articles/1").bearer(&env.token(json!({"sub": sub}))))
            .await;
        expect(&r, Want::Forbidden(Scope::Absent));
    }
    // claim = "email" absent (even though sub is the owner's name).
    let r = t
        .send(req("GET", "/projects/1").bearer(&env.token(json!({"sub": "john@example.com"}))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
    // claim = "email" of another JSON type.
    let r = t
        .send(req("GET", "/projects/1").bearer(&env.token(json!({"email": ["john@example.com"]}))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
}

#[tokio::test]
async fn mismatch_404_hides_existence() {
    let (env, t) = ownership_env().await;
    let db = env.db();
    let alice = env.token(json!({"sub": "alice"}));
    let bob = env.token(json!({"sub": "bob"}));

    let r = t.send(req("GET", "/hidden/1").bearer(&alice)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "article 1");

    db.reset();
    let stranger = t.send(req("GET", "/hidden/1").bearer(&bob)).await;
    expect(&stranger, Want::Status(404));
    assert_eq!(db.fetches(), 1);
    let missing = t.send(req("GET", "/hidden/99").bearer(&bob)).await;
    expect(&missing, Want::Status(404));
    // Indistinguishable from a missing object.
    assert_eq!(stranger.body, missing.body);
    assert_eq!(
        stranger.headers.get(header::CONTENT_TYPE),
        missing.headers.get(header::CONTENT_TYPE)
    );

    // Authentication still comes first: anonymous is 401, not 404.
    db.reset();
    let r = t.send(req("GET", "/hidden/1")).await;
    expect(&r, Want::Anonymous);
    assert_eq!(db.fetches(), 0);

    // The default (403) for comparison, on the same article.
    let r = t.send(req("GET", "/articles/1").bearer(&bob)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
}

#[tokio::test]
async fn custom_field_and_claim() {
    let (env, t) = ownership_env().await;
    // field = "created_by", default claim sub.
    let r = t
        .send(req("GET", "/comments/1").bearer(&env.token(json!({"sub": "alice"}))))
        .await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "1: first!");
    let r = t
        .send(req("GET", "/comments/1").bearer(&env.token(json!({"sub": "bob"}))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
    let r = t
        .send(req("GET", "/comments/9").bearer(&env.token(json!({"sub": "alice"}))))
        .await;
    expect(&r, Want::Status(404));
    assert_eq!(r.body, "Comment not found");

    // field = "owner_email", claim = "email": sub is irrelevant.
    let token = env.token(json!({"sub": "user123", "email": "john@example.com"}));
    let r = t.send(req("GET", "/projects/1").bearer(&token)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "project 1");
    let token = env.token(json!({"sub": "john@example.com", "email": "jane@example.com"}));
    let r = t.send(req("GET", "/projects/1").bearer(&token)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
}

#[tokio::test]
async fn integer_owner_field() {
    let (env, t) = ownership_env().await;
    let db = env.db();
    let mut failures = Vec::new();
    // owner_id: u64 = 42 against `sub` (always a string): its exact decimal form only.
    for (sub, want) in [
        ("42", Want::Status(200)),
        ("042", Want::Forbidden(Scope::Absent)),
        ("+42", Want::Forbidden(Scope::Absent)),
        ("42 ", Want::Forbidden(Scope::Absent)),
        ("43", Want::Forbidden(Scope::Absent)),
    ] {
        let token = env.token(json!({ "sub": sub }));
        row(
            &t,
            sub,
            req("GET", "/tickets/1").bearer(&token),
            want,
            &mut failures,
        )
        .await;
    }
    // Against a custom claim: numeric or string, same value.
    for (uid, want) in [
        (json!(42), Want::Status(200)),
        (json!("42"), Want::Status(200)),
        (json!(43), Want::Forbidden(Scope::Absent)),
        (json!(-42), Want::Forbidden(Scope::Absent)),
        (json!("4 2"), Want::Forbidden(Scope::Absent)),
        (json!(true), Want::Forbidden(Scope::Absent)),
        (json!([42]), Want::Forbidden(Scope::Absent)),
        (json!(null), Want::Forbidden(Scope::Absent)),
    ] {
        let label = uid.to_string();
        let token = env.token(json!({ "sub": "42", "uid": uid }));
        row(
            &t,
            &label,
            req("GET", "/tickets-uid/1").bearer(&token),
            want,
            &mut failures,
        )
        .await;
    }
    let token = env.token(json!({ "sub": "42" }));
    row(
        &t,
        "no uid",
        req("GET", "/tickets-uid/1").bearer(&token),
        Want::Forbidden(Scope::Absent),
        &mut failures,
    )
    .await;
    no_failures(&failures);

    // A fetch returning `Option`: None → a plain 404.
    db.reset();
    let token = env.token(json!({ "sub": "42" }));
    let r = t.send(req("GET", "/tickets/7").bearer(&token)).await;
    expect(&r, Want::Status(404));
    assert_eq!(db.fetches(), 1);
    let r = t.send(req("GET", "/tickets/1").bearer(&token)).await;
    assert_eq!(r.body, "ticket 1");
}

#[tokio::test]
async fn optional_owner_field() {
    let (env, t) = ownership_env().await;
    let alice = env.token(json!({"sub": "alice"}));
    // user: None is owned by nobody.
    let r = t.send(req("GET", "/drafts/1").bearer(&alice)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    let r = t
        .send(req("GET", "/drafts/1").bearer(&env.token_without_sub(json!({}))))
        .await;
    expect(&r, Want::InvalidToken);
    // user: Some("alice").
    let r = t.send(req("GET", "/drafts/2").bearer(&alice)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "draft 2");
    let r = t
        .send(req("GET", "/drafts/2").bearer(&env.token(json!({"sub": "bob"}))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
}

#[tokio::test]
async fn owned_of_another_type_than_a_named_policy_fetches_is_a_500() {
    let (env, t) = ownership_env().await;
    let admin = env.token(json!({"roles": ["admin"]}));
    let r = t.send(req("GET", "/misused/1").bearer(&admin)).await;
    expect(&r, Want::Status(500));
    assert_eq!(env.db().fetches(), 1, "the policy fetched its article");
    // The policy itself still runs first.
    let r = t
        .send(req("GET", "/misused/1").bearer(&env.token(json!({"sub": "mallory"}))))
        .await;
    expect(&r, Want::Forbidden(Scope::Absent));
    // Control: the route shape is fine without the guard.
    let r = t.send(req("GET", "/bare/5")).await;
    assert_eq!(r.body, "5");
}
