//! A named policy (`policy!`) on handlers (`#[protected(policy = …)]`) and as a router layer
//! (`PolicyLayer`), which covers every method of the nested router and nothing outside it.

use serde_json::json;

use crate::common::apps::{Env, named_app};
use crate::common::{Scope, Transport, Want, check, no_failures, req, row};

#[tokio::test]
async fn named_policy_on_handlers_and_as_layer() {
    let env = Env::new().await;
    let t = Transport::oneshot(named_app(env.state.clone()));
    let admin = env.token(json!({"sub": "root", "roles": ["admin"]}));
    let superuser = env.token(json!({"sub": "su", "roles": ["superuser"]}));
    let editor = env.token(json!({"sub": "ed", "roles": ["editor"]}));
    let scoped = env.token(json!({"sub": "sc", "scope": "admin"}));
    let mut failures = Vec::new();
    for (uri, body) in [
        ("/users", "users for root"),
        ("/users/3", "user 3"),
        ("/admin/stats", "stats"),
        ("/admin/whoami", "root"),
    ] {
        let r = t.send(req("GET", uri).bearer(&admin)).await;
        if let Err(e) = check(&r, Want::Status(200)) {
            failures.push(format!("admin {uri}: {e}"));
        } else if r.body != body {
            failures.push(format!("admin {uri}: body {:?} != {body:?}", r.body));
        }
        for (label, token, want) in [
            ("superuser", Some(&superuser), Want::Status(200)),
            ("editor", Some(&editor), Want::Forbidden(Scope::Absent)),
            ("scope admin", Some(&scoped), Want::Forbidden(Scope::Absent)),
            ("anonymous", None, Want::Anonymous),
        ] {
            let r = req("GET", uri).bearer_opt(token.map(String::as_str));
            row(&t, label, r, want, &mut failures).await;
        }
        row(
            &t,
            "invalid",
            req("GET", uri).bearer("a.b.c"),
            Want::InvalidToken,
            &mut failures,
        )
        .await;
    }
    // The layer covers every method of the nested router, except the configured safe ones.
    row(
        &t,
        "layer POST editor",
        req("POST", "/admin/stats").bearer(&editor),
        Want::Forbidden(Scope::Absent),
        &mut failures,
    )
    .await;
    row(
        &t,
        "layer POST admin",
        req("POST", "/admin/stats").bearer(&admin),
        Want::Status(200),
        &mut failures,
    )
    .await;
    row(
        &t,
        "layer POST anon",
        req("POST", "/admin/stats"),
        Want::Anonymous,
        &mut failures,
    )
    .await;
    // … and nothing outside its prefix.
    row(
        &t,
        "outside",
        req("GET", "/public"),
        Want::Status(200),
        &mut failures,
    )
    .await;
    no_failures(&failures);
}
