//! Every clause — scopes, roles, permissions; a single value, `any(…)`, `all(…)` — allows and
//! denies exactly, the keys combine with AND, and a 403 names the scopes it needs.

use axioms::{Claims, protected};
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::common::apps::{AppState, Env};
use crate::common::{Scope, Transport, Want, expect, no_failures, req, row};

#[protected]
async fn authenticated_only(claims: Claims) -> String {
    claims.subject().unwrap_or("-").to_owned()
}

#[protected(scopes = "a")]
async fn scopes_single() -> &'static str {
    "ok"
}

#[protected(scopes = any("a", "b"))]
async fn scopes_any() -> &'static str {
    "ok"
}

#[protected(scopes = all("a", "b"))]
async fn scopes_all() -> &'static str {
    "ok"
}

#[protected(roles = "r")]
async fn roles_single() -> &'static str {
    "ok"
}

#[protected(roles = any("r", "s"))]
async fn roles_any() -> &'static str {
    "ok"
}

#[protected(roles = all("r", "s"))]
async fn roles_all() -> &'static str {
    "ok"
}

#[protected(permissions = "p")]
async fn permissions_single() -> &'static str {
    "ok"
}

#[protected(permissions = any("p", "q"))]
async fn permissions_any() -> &'static str {
    "ok"
}

#[protected(permissions = all("p", "q"))]
async fn permissions_all() -> &'static str {
    "ok"
}

#[protected(scopes = "a", roles = any("r", "s"), permissions = all("p", "q"))]
async fn across_keys() -> &'static str {
    "ok"
}

fn clause_app(state: AppState) -> Router {
    Router::new()
        .route("/authenticated", get(authenticated_only))
        .route("/scopes/single", get(scopes_single))
        .route("/scopes/any", get(scopes_any))
        .route("/scopes/all", get(scopes_all))
        .route("/roles/single", get(roles_single))
        .route("/roles/any", get(roles_any))
        .route("/roles/all", get(roles_all))
        .route("/permissions/single", get(permissions_single))
        .route("/permissions/any", get(permissions_any))
        .route("/permissions/all", get(permissions_all))
        .route("/across", get(across_keys))
        .with_state(state)
}

#[tokio::test]
async fn every_clause_allows_and_denies() {
    let env = Env::new().await;
    let t = Transport::oneshot(clause_app(env.state.clone()));
    use Scope::{Absent, Named};
    use Want::{Forbidden, Status};
    let rows: Vec<(&str, Value, Want)> = vec![
        // `#[protected]` alone: any valid token.
        ("/authenticated", json!({}), Status(200)),
        // scopes = "a"
        ("/scopes/single", json!({"scope": "a"}), Status(200)),
        ("/scopes/single", json!({"scope": "x a y"}), Status(200)),
        (
            "/scopes/single",
            json!({"scope": "b"}),
            Forbidden(Named("a")),
        ),
        (
            "/scopes/single",
            json!({"scope": "A"}),
            Forbidden(Named("a")),
        ),
        (
            "/scopes/single",
            json!({"scope": "ab"}),
            Forbidden(Named("a")),
        ),
        ("/scopes/single", json!({}), Forbidden(Named("a"))),
        // a role or permission named "a" is not the scope "a"
        (
            "/scopes/single",
            json!({"roles": ["a"], "permissions": ["a"]}),
            Forbidden(Named("a")),
        ),
        // scopes = any("a", "b"): OR within the key
        ("/scopes/any", json!({"scope": "a"}), Status(200)),
        ("/scopes/any", json!({"scope": "b"}), Status(200)),
        (
            "/scopes/any",
            json!({"scope": "c"}),
            Forbidden(Named("a b")),
        ),
        ("/scopes/any", json!({}), Forbidden(Named("a b"))),
        // scopes = all("a", "b")
        ("/scopes/all", json!({"scope": "a b"}), Status(200)),
        ("/scopes/all", json!({"scope": "b c a"}), Status(200)),
        ("/scopes/all", json!({"scp": ["a", "b"]}), Status(200)),
        (
            "/scopes/all",
            json!({"scope": "a"}),
            Forbidden(Named("a b")),
        ),
        (
            "/scopes/all",
            json!({"scope": "b"}),
            Forbidden(Named("a b")),
        ),
        // roles = "r"
        ("/roles/single", json!({"roles": ["r"]}), Status(200)),
        ("/roles/single", json!({"roles": ["x", "r"]}), Status(200)),
        ("/roles/single", json!({"roles": ["s"]}), Forbidden(Absent)),
        ("/roles/single", json!({"roles": ["R"]}), Forbidden(Absent)),
        ("/roles/single", json!({"scope": "r"}), Forbidden(Absent)),
        ("/roles/single", json!({}), Forbidden(Absent)),
        // roles = any("r", "s")
        ("/roles/any", json!({"roles": ["r"]}), Status(200)),
        ("/roles/any", json!({"roles": ["s"]}), Status(200)),
        ("/roles/any", json!({"roles": ["t"]}), Forbidden(Absent)),
        ("/roles/any", json!({}), Forbidden(Absent)),
        // roles = all("r", "s")
        ("/roles/all", json!({"roles": ["s", "r"]}), Status(200)),
        ("/roles/all", json!({"roles": ["r"]}), Forbidden(Absent)),
        ("/roles/all", json!({"roles": ["s"]}), Forbidden(Absent)),
        // permissions = "p"
        (
            "/permissions/single",
            json!({"permissions": ["p"]}),
            Status(200),
        ),
        (
            "/permissions/single",
            json!({"permissions": ["q"]}),
            Forbidden(Absent),
        ),
        (
            "/permissions/single",
            json!({"roles": ["p"]}),
            Forbidden(Absent),
        ),
        ("/permissions/single", json!({}), Forbidden(Absent)),
        // permissions = any("p", "q")
        (
            "/permissions/any",
            json!({"permissions": ["p"]}),
            Status(200),
        ),
        (
            "/permissions/any",
            json!({"permissions": ["q"]}),
            Status(200),
        ),
        (
            "/permissions/any",
            json!({"permissions": ["z"]}),
            Forbidden(Absent),
        ),
        // permissions = all("p", "q")
        (
            "/permissions/all",
            json!({"permissions": ["q", "p"]}),
            Status(200),
        ),
        (
            "/permissions/all",
            json!({"permissions": ["p"]}),
            Forbidden(Absent),
        ),
        (
            "/permissions/all",
            json!({"permissions": ["q"]}),
            Forbidden(Absent),
        ),
        // AND across keys: scopes = "a", roles = any("r", "s"), permissions = all("p", "q")
        (
            "/across",
            json!({"scope": "a", "roles": ["s"], "permissions": ["p", "q"]}),
            Status(200),
        ),
        (
            "/across",
            json!({"scope": "b", "roles": ["s"], "permissions": ["p", "q"]}),
            Forbidden(Named("a")),
        ),
        (
            "/across",
            json!({"scope": "a", "roles": ["t"], "permissions": ["p", "q"]}),
            Forbidden(Absent),
        ),
        (
            "/across",
            json!({"scope": "a", "roles": ["r"], "permissions": ["p"]}),
            Forbidden(Absent),
        ),
        ("/across", json!({}), Forbidden(Named("a"))),
    ];
    let mut failures = Vec::new();
    for (uri, claims, want) in rows {
        let label = claims.to_string();
        let r = req("GET", uri).bearer(&env.token(claims));
        row(&t, &label, r, want, &mut failures).await;
    }
    // Every route: no token → 401 without an error code; a forged token → 401 invalid_token.
    let forged = {
        let token = env.token(json!({"scope": "a b", "roles": ["r", "s"]}));
        let (head, _sig) = token.rsplit_once('.').unwrap();
        format!("{head}.AAAA")
    };
    for uri in [
        "/authenticated",
        "/scopes/single",
        "/scopes/any",
        "/scopes/all",
        "/roles/single",
        "/roles/any",
        "/roles/all",
        "/permissions/single",
        "/permissions/any",
        "/permissions/all",
        "/across",
    ] {
        row(
            &t,
            "anonymous",
            req("GET", uri),
            Want::Anonymous,
            &mut failures,
        )
        .await;
        row(
            &t,
            "forged",
            req("GET", uri).bearer(&forged),
            Want::InvalidToken,
            &mut failures,
        )
        .await;
    }
    no_failures(&failures);

    // The handler sees the verified subject.
    let r = t
        .send(req("GET", "/authenticated").bearer(&env.token(json!({"sub": "ada"}))))
        .await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "ada");
}
