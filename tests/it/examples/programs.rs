//! The smaller examples, each run as its own process against a `TestIssuer` of this process:
//! minimal, CORS, a router layer, provider claims, custom errors.

use axioms::testing::TestIssuer;
use serde_json::json;

use crate::common::process::{Process, start_fails};
use crate::common::{Req, Scope, Transport, Want, expect, expect_status, req};

use super::temp_dir;

fn issuer_env(issuer: &TestIssuer, audience: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AXIOMS_ISS_URL", issuer.issuer()),
        ("AXIOMS_AUDIENCE", audience.to_owned()),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_minimal() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let server = Process::example("minimal", &issuer_env(&issuer, "my-api"), dir.path());
    let api = Transport::at(&server.url);
    let t = issuer.token().audience("my-api").subject("alice").sign();
    let r = api.send(req("GET", "/hello").bearer(&t)).await;
    expect_status(&r, 200, "hello");
    assert_eq!(r.body, "hello alice\n");
    expect_status(&api.send(req("GET", "/hello")).await, 401, "no token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_cors() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let origin = "https://app.example";
    let mut env = issuer_env(&issuer, "my-api");
    env.push(("ALLOWED_ORIGIN", origin.to_owned()));
    let mut server = Process::example("cors", &env, dir.path());
    let api = Transport::at(&server.url);
    let send = |r: Req| api.send(r.header("origin", origin));
    let preflight = send(
        req("OPTIONS", "/api/items/7")
            .header("access-control-request-method", "DELETE")
            .header("access-control-request-headers", "authorization"),
    )
    .await;
    assert_eq!(preflight.status, 200, "{preflight:?}");
    assert_eq!(preflight.headers["access-control-allow-origin"], origin);
    assert!(
        preflight.headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("authorization")
    );
    let anonymous = send(req("DELETE", "/api/items/7")).await;
    expect(&anonymous, Want::Anonymous);
    assert_eq!(anonymous.headers["access-control-allow-origin"], origin);
    let user = issuer.token().audience("my-api").sign();
    let r = send(req("DELETE", "/api/items/7").bearer(&user)).await;
    expect(&r, Want::Forbidden(Scope::Absent));
    let admin = issuer
        .token()
        .audience("my-api")
        .claim("roles", json!(["admin"]))
        .sign();
    let r = send(req("DELETE", "/api/items/7").bearer(&admin)).await;
    expect(&r, Want::Status(204));
    let r = send(req("GET", "/api/items").bearer(&user)).await;
    expect(&r, Want::Status(200));
    // The handler ran once: for the admin's DELETE, not for the preflight.
    assert!(server.prints("deleted item 7", std::time::Duration::from_secs(5)));
    assert_eq!(server.output().matches("deleted item 7").count(), 1);
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_router_layer() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let server = Process::example("router_layer", &issuer_env(&issuer, "my-api"), dir.path());
    let api = Transport::at(&server.url);
    let user = issuer.token().audience("my-api").subject("bob").sign();
    let admin = issuer
        .token()
        .audience("my-api")
        .claim("roles", json!(["superuser"]))
        .sign();
    expect_status(&api.send(req("GET", "/")).await, 200, "public");
    expect_status(
        &api.send(req("GET", "/api/items")).await,
        401,
        "api, no token",
    );
    let r = api.send(req("GET", "/api/items").bearer(&user)).await;
    expect_status(&r, 200, "api with token");
    assert_eq!(r.json()["owner"], "bob");
    let r = api.send(req("GET", "/admin/users").bearer(&user)).await;
    expect_status(&r, 403, "admin without role");
    assert!(r.header("www-authenticate").contains("insufficient_scope"));
    expect_status(
        &api.send(req("GET", "/admin/users").bearer(&admin)).await,
        200,
        "admin",
    );
    expect_status(
        &api.send(req("GET", "/admin/stats").bearer(&admin)).await,
        200,
        "admin stats",
    );
    expect_status(
        &api.send(req("GET", "/admin/hidden")).await,
        401,
        "unknown path under the prefix",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_provider_claims() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    // (preset, route, claims that grant it, claims that do not)
    let cases = [
        (
            "keycloak",
            "/admin",
            json!({"realm_access": {"roles": ["admin"]}}),
            json!({"roles": ["admin"]}),
        ),
        (
            "cognito",
            "/admin",
            json!({"cognito:groups": ["admin"]}),
            json!({"roles": ["admin"]}),
        ),
        (
            "auth0",
            "/admin",
            json!({"https://example.com/roles": ["admin"]}),
            json!({"roles": ["admin"]}),
        ),
        (
            "auth0",
            "/write",
            json!({"permissions": ["write:data"]}),
            json!({"scope": "write:data"}),
        ),
        (
            "entra",
            "/read",
            json!({"scp": "read:data openid"}),
            json!({"scope": "read:data"}),
        ),
        (
            "",
            "/admin",
            json!({"roles": ["admin"]}),
            json!({"groups": ["admin"]}),
        ),
    ];
    for (provider, route, allowed, denied) in cases {
        let mut env = issuer_env(&issuer, "my-api");
        env.push(("PROVIDER", provider.to_owned()));
        let server = Process::example("provider_claims", &env, dir.path());
        let api = Transport::at(&server.url);
        let yes = issuer.token().audience("my-api").claims(allowed).sign();
        let no = issuer.token().audience("my-api").claims(denied).sign();
        expect_status(
            &api.send(req("GET", route).bearer(&yes)).await,
            200,
            provider,
        );
        expect_status(
            &api.send(req("GET", route).bearer(&no)).await,
            403,
            provider,
        );
        expect_status(
            &api.send(req("GET", "/whoami").bearer(&yes)).await,
            200,
            provider,
        );
    }

    // An explicit variable wins over the preset.
    let mut env = issuer_env(&issuer, "my-api");
    env.push(("PROVIDER", "keycloak".to_owned()));
    env.push(("AXIOMS_ROLES_CLAIMS", "cognito:groups".to_owned()));
    let server = Process::example("provider_claims", &env, dir.path());
    let api = Transport::at(&server.url);
    let t = issuer
        .token()
        .audience("my-api")
        .claim("cognito:groups", json!(["admin"]))
        .sign();
    let r = api.send(req("GET", "/whoami").bearer(&t)).await;
    assert_eq!(r.json()["roles"], json!(["admin"]));
    expect_status(
        &api.send(req("GET", "/admin").bearer(&t)).await,
        200,
        "variable over preset",
    );

    // An unknown preset is a startup error.
    let mut env = issuer_env(&issuer, "my-api");
    env.push(("PROVIDER", "okra".to_owned()));
    let out = start_fails("provider_claims", &env, dir.path());
    assert!(out.contains("unknown provider"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_custom_errors() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let server = Process::example("custom_errors", &issuer_env(&issuer, "my-api"), dir.path());
    let api = Transport::at(&server.url);

    let r = api.send(req("GET", "/admin")).await;
    expect_status(&r, 401, "no token");
    assert_eq!(r.header("content-type"), "application/problem+json");
    assert_eq!(r.header("www-authenticate"), r#"Bearer realm="api""#);
    assert_eq!(r.json()["status"], 401);

    let user = issuer.token().audience("my-api").sign();
    let r = api.send(req("GET", "/admin").bearer(&user)).await;
    expect_status(&r, 403, "no role");
    assert_eq!(r.header("content-type"), "application/problem+json");
    assert_eq!(
        r.json()["type"],
        "https://errors.example.com/auth/insufficient_scope"
    );
    assert!(r.header("www-authenticate").contains("insufficient_scope"));

    let r = api.send(req("GET", "/hello").bearer("a.b.c")).await;
    expect_status(&r, 401, "bad token");
    assert_eq!(
        r.json()["type"],
        "https://errors.example.com/auth/invalid_token"
    );

    let admin = issuer
        .token()
        .audience("my-api")
        .claim("roles", json!(["admin"]))
        .sign();
    expect_status(
        &api.send(req("GET", "/admin").bearer(&admin)).await,
        200,
        "admin",
    );
    expect_status(
        &api.send(req("GET", "/hello").bearer(&user)).await,
        200,
        "hello",
    );
}
