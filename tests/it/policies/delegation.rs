//! Delegated tokens (RFC 8693 §4.1): the `act` chain read from a verified token, `actor = …`
//! admitting only the named current actors (prior actors never count), `actor = none`
//! refusing every delegated token, and a malformed `act` refusing the token.

use axioms::{Claims, protected};
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::common::apps::{AppState, Env};
use crate::common::{Scope, Transport, Want, expect, req};

const ORDERS: &str = "https://orders.example.com";

#[protected]
async fn chain(claims: Claims) -> String {
    let actors: Vec<&str> = claims.actors().map(|actor| actor.subject()).collect();
    actors.join(" < ")
}

#[protected(actor = "https://orders.example.com")]
async fn for_orders() -> &'static str {
    "orders"
}

#[protected(actor = any("https://orders.example.com", "https://billing.example.com"))]
async fn for_orders_or_billing() -> &'static str {
    "either"
}

#[protected(actor = none)]
async fn direct_only() -> &'static str {
    "direct"
}

#[protected(any_of(actor = "https://orders.example.com", roles = "admin"))]
async fn orders_or_admin() -> &'static str {
    "orders or admin"
}

fn app(state: AppState) -> Router {
    Router::new()
        .route("/chain", get(chain))
        .route("/orders", get(for_orders))
        .route("/either", get(for_orders_or_billing))
        .route("/direct", get(direct_only))
        .route("/orders-or-admin", get(orders_or_admin))
        .with_state(state)
}

fn act(subject: &str) -> Value {
    json!({ "act": { "sub": subject } })
}

#[tokio::test]
async fn the_chain_is_read_current_actor_first() {
    let env = Env::new().await;
    let t = Transport::oneshot(app(env.state.clone()));
    let token = env.token(json!({
        "act": {"sub": "billing", "iss": "https://idp.example.com",
                "act": {"sub": "orders", "act": {"sub": "web"}}},
    }));
    let r = t.send(req("GET", "/chain").bearer(&token)).await;
    expect(&r, Want::Status(200));
    assert_eq!(r.body, "billing < orders < web");
    let direct = env.token(json!({}));
    let r = t.send(req("GET", "/chain").bearer(&direct)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, ""));
}

#[tokio::test]
async fn an_actor_policy_admits_only_its_current_actors() {
    let env = Env::new().await;
    let t = Transport::oneshot(app(env.state.clone()));
    let rows: Vec<(&str, Value, Want)> = vec![
        ("/orders", act(ORDERS), Want::Status(200)),
        (
            "/orders",
            act("https://billing.example.com"),
            Want::Forbidden(Scope::Absent),
        ),
        // Not delegated: no actor to admit.
        ("/orders", json!({}), Want::Forbidden(Scope::Absent)),
        // Orders acted before, but billing holds the token now: prior actors never count.
        (
            "/orders",
            json!({"act": {"sub": "https://billing.example.com", "act": {"sub": ORDERS}}}),
            Want::Forbidden(Scope::Absent),
        ),
        // An actor's name is compared exactly.
        (
            "/orders",
            act("https://orders.example.com/"),
            Want::Forbidden(Scope::Absent),
        ),
        ("/either", act(ORDERS), Want::Status(200)),
        (
            "/either",
            act("https://billing.example.com"),
            Want::Status(200),
        ),
        (
            "/either",
            act("https://web.example.com"),
            Want::Forbidden(Scope::Absent),
        ),
        ("/orders-or-admin", act(ORDERS), Want::Status(200)),
        (
            "/orders-or-admin",
            json!({"roles": ["admin"]}),
            Want::Status(200),
        ),
        (
            "/orders-or-admin",
            act("https://web.example.com"),
            Want::Forbidden(Scope::Absent),
        ),
    ];
    for (path, claims, want) in rows {
        let r = t
            .send(req("GET", path).bearer(&env.token(claims.clone())))
            .await;
        if let Err(e) = crate::common::check(&r, want) {
            panic!("{path} {claims}: {e}");
        }
    }
}

#[tokio::test]
async fn actor_none_refuses_every_delegated_token() {
    let env = Env::new().await;
    let t = Transport::oneshot(app(env.state.clone()));
    let direct = env.token(json!({}));
    expect(
        &t.send(req("GET", "/direct").bearer(&direct)).await,
        Want::Status(200),
    );
    for claims in [act(ORDERS), act("anyone")] {
        let r = t
            .send(req("GET", "/direct").bearer(&env.token(claims)))
            .await;
        expect(&r, Want::Forbidden(Scope::Absent));
    }
}

#[tokio::test]
async fn a_malformed_act_refuses_the_token() {
    let env = Env::new().await;
    let t = Transport::oneshot(app(env.state.clone()));
    let mut deep = json!({"sub": "last"});
    for i in 0..axioms::defaults::MAX_ACTORS {
        deep = json!({"sub": format!("actor-{i}"), "act": deep});
    }
    for bad in [
        json!("https://orders.example.com"),
        json!(["https://orders.example.com"]),
        json!({}),
        json!({"sub": ""}),
        json!({"sub": 42}),
        json!({"sub": "orders", "iss": false}),
        json!({"sub": "orders", "act": "web"}),
        json!({"sub": "orders", "act": {"iss": "https://idp.example.com"}}),
        deep,
    ] {
        // On every route, not only those with an actor policy: the token itself is malformed.
        for path in ["/chain", "/orders", "/direct"] {
            let token = env.token(json!({ "act": bad.clone() }));
            let r = t.send(req("GET", path).bearer(&token)).await;
            if let Err(e) = crate::common::check(&r, Want::InvalidToken) {
                panic!("{path} act={bad}: {e}");
            }
        }
    }
}
