//! Ownership that cannot be fooled: empty, null and missing claims own nothing, an integer owner
//! field matches only its canonical decimal, `Claims::owns` has the policy's rules, a
//! hand-written policy that names ownership without fetching fails closed, and a hidden denial
//! goes through the application's error renderer.

use axioms::__private::Guard;
use axioms::check::Mode;
use axioms::policy::{Owned, Policy, Rule};
use axioms::{AuthErrorKind, Axioms, Claims, protected};
use axum::Router;
use axum::extract::Path;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;
use serde_json::{Value, json};

use crate::common;
use crate::common::apps::{Counted, Hits};
use crate::common::{Scope, Want, expect, issuer_with_verifier, req, send, token};

// ---------------------------------------------------------------------------------------------
// What a claim must be to own an object

#[derive(Clone)]
struct Project {
    owner_email: String,
}

async fn get_project(Path(id): Path<u64>) -> Option<Project> {
    match id {
        1 => Some(Project {
            owner_email: String::new(),
        }),
        2 => Some(Project {
            owner_email: "ada@example.com".to_owned(),
        }),
        _ => None,
    }
}

#[protected(owner(fetch = get_project, field = "owner_email", claim = "email"), state = Counted)]
async fn read_project(Owned(project): Owned<Project>) -> String {
    project.owner_email
}

#[derive(Clone)]
struct Ticket {
    owner_id: u64,
}

async fn get_ticket(Path(id): Path<u64>) -> Option<Ticket> {
    Some(Ticket { owner_id: id })
}

#[protected(owner(fetch = get_ticket, field = "owner_id", claim = "preferred_username"), state = Counted)]
async fn read_ticket(Owned(ticket): Owned<Ticket>) -> String {
    ticket.owner_id.to_string()
}

fn ownership_app(axioms: Axioms) -> Router {
    Router::new()
        .route("/projects/{id}", get(read_project))
        .route("/tickets/{id}", get(read_ticket))
        .with_state(Counted {
            axioms,
            hits: Hits::default(),
        })
}

#[tokio::test]
async fn empty_null_and_missing_claims_own_nothing() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let app = ownership_app(axioms);
    let cases: &[(&str, Value, u64, Want)] = &[
        (
            "empty owns empty",
            json!({"email": ""}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "null owns empty",
            json!({"email": null}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "missing owns empty",
            json!({}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "empty array",
            json!({"email": []}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "false",
            json!({"email": false}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "owner",
            json!({"email": "ada@example.com"}),
            2,
            Want::Status(200),
        ),
        (
            "owner, other",
            json!({"email": "ada@example.com"}),
            1,
            Want::Forbidden(Scope::Absent),
        ),
        (
            "empty vs owner",
            json!({"email": ""}),
            2,
            Want::Forbidden(Scope::Absent),
        ),
    ];
    for (case, claims, id, want) in cases {
        let r = send(
            &app,
            req("GET", &format!("/projects/{id}")).bearer(&token(&issuer, "api", claims.clone())),
        )
        .await;
        common::check(&r, *want).unwrap_or_else(|e| panic!("{case}: {e}"));
    }
}

#[tokio::test]
async fn integer_owner_fields_match_only_canonical_decimals() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let app = ownership_app(axioms);
    let cases: &[(Value, u64, bool)] = &[
        (json!("42"), 42, true),
        (json!(42), 42, true),
        (json!("042"), 42, false),
        (json!("+42"), 42, false),
        (json!(" 42"), 42, false),
        (json!("42 "), 42, false),
        (json!("42.0"), 42, false),
        (json!(42.0), 42, false),
        (json!("4.2e1"), 42, false),
        (json!("0x2a"), 42, false),
        (json!("-42"), 42, false),
        (json!("0"), 0, true),
        (json!("00"), 0, false),
        (json!(""), 0, false),
        (json!("18446744073709551615"), u64::MAX, true),
        (json!("18446744073709551616"), u64::MAX, false),
        (json!(true), 1, false),
    ];
    for (username, id, owns) in cases {
        let t = token(&issuer, "api", json!({"preferred_username": username}));
        let r = send(&app, req("GET", &format!("/tickets/{id}")).bearer(&t)).await;
        let want = if *owns {
            Want::Status(200)
        } else {
            Want::Forbidden(Scope::Absent)
        };
        common::check(&r, want).unwrap_or_else(|e| panic!("{username} vs {id}: {e}"));
    }
}

#[test]
fn claims_owns_has_the_rules_of_the_policy() {
    let claims = Claims::from_json_unverified(json!({
        "sub": "user-7", "email": "", "uid": "42", "n": 42, "nothing": null,
    }))
    .unwrap();
    assert!(claims.owns("user-7", "sub"));
    assert!(!claims.owns("user-8", "sub"));
    assert!(!claims.owns("", "email"));
    assert!(!claims.owns("", "missing"));
    assert!(!claims.owns("", "nothing"));
    assert!(claims.owns(&42u32, "uid"));
    assert!(claims.owns(&42i64, "n"));
    assert!(!claims.owns(&None::<String>, "sub"));
    assert!(claims.owns(&Some("user-7".to_owned()), "sub"));
}

// ---------------------------------------------------------------------------------------------
// No way around the check: a hand-written policy, a hidden denial

/// A `Policy` written by hand whose rule names ownership but which never fetches.
struct OwnerOnly;

impl<S: Send + Sync> Policy<S> for OwnerOnly {
    const RULE: Rule = Rule::Owner;
}

struct OwnerOrAdmin;

impl<S: Send + Sync> Policy<S> for OwnerOrAdmin {
    const RULE: Rule = Rule::AnyOf(&[Rule::Owner, Rule::Roles(Mode::Any, &["admin"])]);
}

#[tokio::test]
async fn a_hand_written_policy_cannot_fail_open() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let app = Router::new()
        .route("/owner", get(|_: Guard<OwnerOnly>| async { "owned" }))
        .route("/either", get(|_: Guard<OwnerOrAdmin>| async { "either" }))
        .with_state(axioms);
    let user = token(&issuer, "api", json!({"roles": ["user"]}));
    let admin = token(&issuer, "api", json!({"roles": ["admin"]}));
    expect(
        &send(&app, req("GET", "/owner").bearer(&user)).await,
        Want::Forbidden(Scope::Absent),
    );
    expect(
        &send(&app, req("GET", "/either").bearer(&user)).await,
        Want::Forbidden(Scope::Absent),
    );
    expect(
        &send(&app, req("GET", "/either").bearer(&admin)).await,
        Want::Status(200),
    );
}

#[derive(Clone)]
struct Article {
    user: String,
}

async fn get_article(Path(id): Path<u64>) -> Option<Article> {
    (id == 1).then(|| Article {
        user: "alice".to_owned(),
    })
}

#[protected(owner(fetch = get_article, mismatch = 404), state = Axioms)]
async fn hidden_article(Owned(article): Owned<Article>) -> String {
    article.user
}

#[tokio::test]
async fn a_hidden_denial_goes_through_the_error_renderer() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let bob = token(&issuer, "api", json!({"sub": "bob"}));
    let app = |axioms: Axioms| {
        Router::new()
            .route("/articles/{id}", get(hidden_article))
            .with_state(axioms)
    };
    // Default rendering: exactly the fetch function's `None`, so the two cannot be told apart.
    let plain = app(axioms.clone());
    let stranger = send(&plain, req("GET", "/articles/1").bearer(&bob)).await;
    let missing = send(&plain, req("GET", "/articles/2").bearer(&bob)).await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert_eq!(
        (&stranger.headers, &stranger.body),
        (&missing.headers, &missing.body)
    );
    // With a renderer, the application renders it (as its own not-found, here).
    let rendered = app(axioms.with_error_renderer(|err| {
        if err.kind() == AuthErrorKind::NotFound {
            (StatusCode::NOT_FOUND, "{\"message\":\"no such article\"}").into_response()
        } else {
            (err.status(), err.description()).into_response()
        }
    }));
    let r = send(&rendered, req("GET", "/articles/1").bearer(&bob)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::NOT_FOUND, "{\"message\":\"no such article\"}")
    );
    assert_eq!(r.www(), None, "a hidden denial carries no challenge");
}
