//! Protected Resource Metadata (RFC 9728): the resource's identity, its document, and the
//! challenges that point to it — checked over real HTTP, with an independent parser of
//! `WWW-Authenticate` (the `http-auth` crate).

use axioms::testing::TestIssuer;
use axioms::{Axioms, Claims, Config, ResourceMetadata, protected};
use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};

use crate::common;
use crate::common::verifier;
use crate::common::{Want, challenge, expect, req};

const RESOURCE_PATH: &str = "/mcp";

#[protected(scopes = any("notes:read", "notes:admin"))]
async fn notes() -> &'static str {
    "notes"
}

#[protected(scopes = all("notes:write", "notes:read"), roles = "editor")]
async fn write() -> &'static str {
    "written"
}

async fn me(claims: Claims) -> String {
    claims.subject().unwrap_or_default().to_owned()
}

struct World {
    issuer: TestIssuer,
    axioms: Axioms,
    base: String,
    resource: String,
}

/// A server on 127.0.0.1 whose resource is `<base>/mcp`.
async fn world() -> World {
    let issuer = TestIssuer::start().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let resource = format!("{base}{RESOURCE_PATH}");
    let axioms = verifier(
        Config::builder(
            issuer
                .issuer_config("unused")
                .audiences(Vec::<String>::new()),
        )
        .resource(&resource),
    );
    let metadata = ResourceMetadata::new(axioms.config())
        .unwrap()
        .resource_name("Notes")
        .resource_documentation("https://docs.example/notes")
        .scopes(["notes:extra"]);
    let app = Router::new()
        .route("/mcp/notes", get(notes))
        .route("/mcp/write", get(write))
        .route("/mcp/me", get(me))
        .with_state(axioms.clone())
        .merge(metadata.router());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    World {
        issuer,
        axioms,
        base,
        resource,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_member_by_member() {
    let w = world().await;
    let http = common::http_client();
    let metadata_url = w
        .axioms
        .config()
        .resource_metadata_url()
        .unwrap()
        .to_owned();
    assert_eq!(
        metadata_url,
        format!("{}/.well-known/oauth-protected-resource/mcp", w.base),
        "RFC 9728 §3.1: the well-known suffix goes between the host and the path"
    );
    for url in [
        metadata_url.clone(),
        format!("{}/.well-known/oauth-protected-resource", w.base),
    ] {
        let r = http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 200, "{url}");
        let headers = r.headers().clone();
        assert_eq!(headers["content-type"], "application/json");
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        assert_eq!(headers["access-control-allow-origin"], "*");
        let doc: Value = r.json().await.unwrap();
        assert_eq!(
            doc["resource"],
            w.resource.as_str(),
            "§3.3: exactly the resource"
        );
        assert_eq!(doc["authorization_servers"], json!([w.issuer.issuer()]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(doc["resource_name"], "Notes");
        assert_eq!(doc["resource_documentation"], "https://docs.example/notes");
        let scopes: Vec<&str> = doc["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for scope in ["notes:read", "notes:admin", "notes:write", "notes:extra"] {
            assert!(scopes.contains(&scope), "{scope} in {scopes:?}");
        }
        let mut unique = scopes.clone();
        unique.dedup();
        assert_eq!(unique.len(), scopes.len(), "each scope once: {scopes:?}");
    }
    // A browser's preflight for it is answered too.
    let r = http
        .request(reqwest::Method::OPTIONS, &metadata_url)
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "mcp-protocol-version")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_challenge_points_to_the_document_and_names_the_scopes() {
    let w = world().await;
    let http = common::http_client();
    let metadata_url = w
        .axioms
        .config()
        .resource_metadata_url()
        .unwrap()
        .to_owned();
    let token = |claims: Value| w.issuer.token().audience(&w.resource).claims(claims).sign();
    /// The expected `scope`, and a phrase of the description.
    type Scope = Option<(&'static str, Option<&'static str>)>;
    let cases: Vec<(&str, common::Req, Want, Scope)> = vec![
        (
            "no token, any(…)",
            req("GET", "/mcp/notes"),
            Want::Anonymous,
            Some(("notes:read notes:admin", None)),
        ),
        (
            "no token, all(…)",
            req("GET", "/mcp/write"),
            Want::Anonymous,
            Some(("notes:write notes:read", None)),
        ),
        (
            "no token, Claims",
            req("GET", "/mcp/me"),
            Want::Anonymous,
            None,
        ),
        (
            "expired",
            req("GET", "/mcp/notes").bearer(
                &w.issuer
                    .token()
                    .audience(&w.resource)
                    .expires_in(-600)
                    .sign(),
            ),
            Want::InvalidToken,
            Some(("notes:read notes:admin", None)),
        ),
        (
            "scope missing, any(…)",
            req("GET", "/mcp/notes").bearer(&token(json!({"scope": "other"}))),
            Want::Forbidden(common::Scope::Named("notes:read notes:admin")),
            Some(("notes:read notes:admin", Some("one of the scopes"))),
        ),
        (
            "scope missing, all(…)",
            req("GET", "/mcp/write").bearer(&token(json!({"scope": "notes:read"}))),
            Want::Forbidden(common::Scope::Named("notes:write notes:read")),
            Some(("notes:write notes:read", Some("every scope"))),
        ),
        (
            "malformed",
            req("GET", "/mcp/me").authorization("Bearer a b"),
            Want::InvalidRequest,
            None,
        ),
    ];
    for (case, request, want, scope) in cases {
        let r = common::send_http(&http, &w.base, request).await;
        common::check(&r, want).unwrap_or_else(|e| panic!("{case}: {e}"));
        let (scheme, params) = challenge(r.www().unwrap());
        assert!(scheme.eq_ignore_ascii_case("bearer"), "{case}");
        assert_eq!(params["realm"], "api", "{case}");
        assert_eq!(
            params.get("resource_metadata"),
            Some(&metadata_url),
            "{case}: {params:?}"
        );
        if let Some((scopes, description)) = scope {
            assert_eq!(
                params.get("scope").map(String::as_str),
                Some(scopes),
                "{case}"
            );
            if let Some(description) = description {
                assert!(
                    params["error_description"].contains(description),
                    "{case}: {params:?}"
                );
            }
        }
        // The URL it points to serves the document of this very resource.
        let doc: Value = http
            .get(&params["resource_metadata"])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["resource"], w.resource.as_str(), "{case}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_tokens_for_this_resource_are_accepted() {
    let w = world().await;
    let http = common::http_client();
    let ours = w
        .issuer
        .token()
        .audience(&w.resource)
        .claim("scope", json!("notes:read"))
        .sign();
    let r = common::send_http(&http, &w.base, req("GET", "/mcp/notes").bearer(&ours)).await;
    expect(&r, Want::Status(200));
    // Same issuer, same scope, another MCP server's audience.
    for other in [
        format!("{}/other-mcp", w.base),
        format!("{}/mcp/", w.base),
        w.base.clone(),
        "https://mcp.example.com/mcp".to_owned(),
    ] {
        let theirs = w
            .issuer
            .token()
            .audience(&other)
            .claim("scope", json!("notes:read"))
            .sign();
        let r = common::send_http(&http, &w.base, req("GET", "/mcp/notes").bearer(&theirs)).await;
        common::check(&r, Want::InvalidToken).unwrap_or_else(|e| panic!("aud {other}: {e}"));
    }
}
