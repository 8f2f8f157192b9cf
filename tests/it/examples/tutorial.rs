//! The tutorial example, driven over HTTP through every route of its table — allowed, denied,
//! missing object, bad body — once on its embedded development issuer and once against a
//! `TestIssuer` of this process, then stopped with SIGTERM and required to exit with status 0;
//! its database across restarts, its `.env`, and the mistakes it refuses to start with.

use std::path::Path;

use axioms::testing::TestIssuer;
use serde_json::{Value, json};

use crate::common;
use crate::common::process::{Process, start_fails};
use crate::common::{Transport, expect_status, req};

use super::temp_dir;

// ---------------------------------------------------------------------------------------------
// Tokens

/// Where tokens come from: the tutorial's `POST /dev/token`, or a `TestIssuer` of the test.
enum Minter {
    Dev(Transport),
    External {
        issuer: TestIssuer,
        audience: String,
    },
}

impl Minter {
    async fn token(&self, claims: Value) -> String {
        match self {
            Minter::Dev(api) => {
                let resp = api.send(req("POST", "/dev/token").json(claims)).await;
                expect_status(&resp, 200, "POST /dev/token");
                resp.json()["access_token"].as_str().unwrap().to_owned()
            }
            Minter::External { issuer, audience } => {
                issuer.token().audience(audience).claims(claims).sign()
            }
        }
    }
}

/// Row counts of the tutorial's tables, read straight from its database file.
async fn counts(db: &Path) -> (i64, i64, i64) {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::{ConnectOptions, Connection};
    let mut conn = SqliteConnectOptions::new()
        .filename(db)
        .read_only(true)
        .connect()
        .await
        .unwrap();
    let mut count = async |table: &str| -> i64 {
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .unwrap()
    };
    let counts = (
        count("articles").await,
        count("comments").await,
        count("projects").await,
    );
    conn.close().await.unwrap();
    counts
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

// ---------------------------------------------------------------------------------------------
// The route table, driven end to end

/// Every route of the tutorial's table: allowed, denied, missing object, bad body, bad path.
async fn drive_every_route(api: &Transport, mint: &Minter, db: &Path) {
    let alice = mint
        .token(json!({"sub": "alice", "email": "alice@example.com", "name": "Alice"}))
        .await;
    let bob = mint
        .token(json!({"sub": "bob", "email": "bob@example.com", "scope": "read:data"}))
        .await;
    let nobody = mint.token(json!({"sub": "zed"})).await;

    // Public.
    let r = api.send(req("GET", "/")).await;
    expect_status(&r, 200, "GET /");
    assert!(r.json()["endpoints"].is_object(), "{r:?}");
    let r = api.send(req("GET", "/health")).await;
    expect_status(&r, 200, "GET /health");
    assert_eq!(r.json()["status"], "healthy");

    // A valid token.
    let r = api.send(req("GET", "/protected")).await;
    expect_status(&r, 401, "no token");
    // Bare: no error code (RFC 6750 §3.1); in development mode, `resource_metadata` too.
    let (scheme, params) = common::challenge(r.header("www-authenticate"));
    assert!(scheme.eq_ignore_ascii_case("bearer"));
    assert_eq!(params["realm"], "api");
    assert!(!params.contains_key("error"), "{params:?}");
    assert_eq!(r.error().as_deref(), Some("unauthorized"));
    let r = api
        .send(req("GET", "/protected").bearer("not.a.token"))
        .await;
    expect_status(&r, 401, "garbage token");
    assert!(
        r.header("www-authenticate")
            .contains(r#"error="invalid_token""#)
    );
    let r = api.send(req("GET", "/protected").bearer(&bob)).await;
    expect_status(&r, 200, "GET /protected");
    assert_eq!(r.json()["user_id"], "bob");
    let r = api.send(req("GET", "/me").bearer(&alice)).await;
    expect_status(&r, 200, "GET /me");
    let me = r.json();
    assert_eq!(
        (&me["sub"], &me["email"], &me["name"]),
        (
            &json!("alice"),
            &json!("alice@example.com"),
            &json!("Alice")
        )
    );
    expect_status(
        &api.send(req("GET", "/me")).await,
        401,
        "GET /me without token",
    );

    // Scopes: any(read:data, admin).
    for scope in ["read:data", "admin", "profile read:data"] {
        let t = mint.token(json!({"scope": scope})).await;
        expect_status(
            &api.send(req("GET", "/api/read").bearer(&t)).await,
            200,
            scope,
        );
    }
    let t = mint.token(json!({"scope": "write:data"})).await;
    let r = api.send(req("GET", "/api/read").bearer(&t)).await;
    expect_status(&r, 403, "read with write:data");
    assert!(
        r.header("www-authenticate")
            .contains(r#"error="insufficient_scope""#),
        "{r:?}"
    );
    assert!(r.header("www-authenticate").contains("read:data"), "{r:?}");
    expect_status(
        &api.send(req("GET", "/api/read").bearer(&nobody)).await,
        403,
        "no scope",
    );
    expect_status(
        &api.send(req("GET", "/api/read")).await,
        401,
        "read, no token",
    );

    // Scopes: all(write:data, openid).
    let t = mint.token(json!({"scope": "write:data openid"})).await;
    expect_status(
        &api.send(req("GET", "/api/write").bearer(&t)).await,
        200,
        "write",
    );
    let t = mint.token(json!({"scope": "write:data"})).await;
    expect_status(
        &api.send(req("GET", "/api/write").bearer(&t)).await,
        403,
        "write w/o openid",
    );

    // Roles: any(admin, superuser) / all(admin, superuser).
    let superuser = mint.token(json!({"roles": ["superuser"]})).await;
    let admin_only = mint.token(json!({"roles": ["admin"]})).await;
    let both = mint
        .token(json!({"sub": "dana", "roles": ["admin", "superuser"]}))
        .await;
    let editor = mint.token(json!({"roles": ["editor"]})).await;
    expect_status(
        &api.send(req("GET", "/admin/users").bearer(&superuser))
            .await,
        200,
        "su",
    );
    expect_status(
        &api.send(req("GET", "/admin/users").bearer(&admin_only))
            .await,
        200,
        "admin",
    );
    expect_status(
        &api.send(req("GET", "/admin/users").bearer(&editor)).await,
        403,
        "editor",
    );
    let r = api
        .send(req("DELETE", "/admin/users/7").bearer(&both))
        .await;
    expect_status(&r, 200, "delete user, both roles");
    assert_eq!(r.json()["deleted_by"], "dana");
    let r = api
        .send(req("DELETE", "/admin/users/7").bearer(&admin_only))
        .await;
    expect_status(&r, 403, "delete user, admin only");
    let r = api
        .send(req("DELETE", "/admin/users/abc").bearer(&both))
        .await;
    expect_status(&r, 400, "delete user, bad id");
    assert_eq!(r.error().as_deref(), Some("invalid_path"));
    let r = api.send(req("DELETE", "/admin/users/7")).await;
    expect_status(&r, 401, "delete user, no token");

    // Step-up (RFC 9470): role admin, acr urn:example:mfa, a login at most 300 s old.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mfa = |auth_time: u64| json!({"sub": "dana", "roles": ["admin"], "acr": "urn:example:mfa", "auth_time": auth_time});
    let r = api
        .send(req("POST", "/admin/keys").bearer(&mint.token(mfa(now - 10)).await))
        .await;
    expect_status(&r, 201, "rotate keys after a recent MFA login");
    assert_eq!(r.json()["rotated_by"], "dana");
    for (what, token) in [
        ("no acr", both.clone()),
        ("an old login", mint.token(mfa(now - 3600)).await),
        (
            "a password login",
            mint.token(json!({"roles": ["admin"], "acr": "urn:example:pwd", "auth_time": now}))
                .await,
        ),
    ] {
        let r = api.send(req("POST", "/admin/keys").bearer(&token)).await;
        expect_status(&r, 401, what);
        let (_, params) = common::challenge(r.header("www-authenticate"));
        assert_eq!(
            params["error"], "insufficient_user_authentication",
            "{what}"
        );
        assert_eq!(params["acr_values"], "urn:example:mfa", "{what}");
        assert_eq!(params["max_age"], "300", "{what}: {params:?}");
    }
    let r = api
        .send(
            req("POST", "/admin/keys").bearer(
                &mint
                    .token(json!({"roles": ["editor"], "acr": "urn:example:mfa", "auth_time": now}))
                    .await,
            ),
        )
        .await;
    expect_status(&r, 403, "rotate keys, an MFA editor");

    // Permissions: any(resource:create).
    let creator = mint
        .token(json!({"permissions": ["resource:create"]}))
        .await;
    let reader = mint.token(json!({"permissions": ["resource:read"]})).await;
    let r = api
        .send(req("POST", "/api/resource").bearer(&creator))
        .await;
    expect_status(&r, 201, "create resource");
    let r = api.send(req("POST", "/api/resource").bearer(&reader)).await;
    expect_status(&r, 403, "create resource without permission");

    // Scopes AND roles AND permissions.
    let strict = |scope: &str, roles: Value, perms: Value| json!({"scope": scope, "roles": roles, "permissions": perms});
    let ok = strict(
        "email profile",
        json!(["editor"]),
        json!(["resource:write"]),
    );
    let t = mint.token(ok).await;
    expect_status(
        &api.send(req("GET", "/api/strict").bearer(&t)).await,
        200,
        "strict ok",
    );
    for (claims, what) in [
        (
            strict("email", json!(["editor"]), json!(["resource:write"])),
            "scope",
        ),
        (
            strict("openid", json!(["viewer"]), json!(["resource:write"])),
            "role",
        ),
        (
            strict("openid", json!(["editor"]), json!(["resource:read"])),
            "permission",
        ),
    ] {
        let t = mint.token(claims).await;
        expect_status(
            &api.send(req("GET", "/api/strict").bearer(&t)).await,
            403,
            what,
        );
    }

    // Public data: safe methods need no token; a token personalizes; POST needs one.
    let r = api.send(req("GET", "/public-data")).await;
    expect_status(&r, 200, "public data anonymous");
    assert_eq!(r.json()["authenticated"], false);
    let r = api.send(req("GET", "/public-data").bearer(&bob)).await;
    expect_status(&r, 200, "public data with token");
    assert_eq!(r.json()["authenticated"], true);
    assert!(r.json()["message"].as_str().unwrap().contains("bob"));
    expect_status(&api.send(req("HEAD", "/public-data")).await, 200, "HEAD");
    expect_status(
        &api.send(req("OPTIONS", "/public-data")).await,
        200,
        "OPTIONS",
    );
    expect_status(
        &api.send(req("GET", "/public-data").bearer("bad.token.here"))
            .await,
        401,
        "bad token on GET",
    );
    expect_status(
        &api.send(req("POST", "/public-data")).await,
        401,
        "POST anonymous",
    );
    expect_status(
        &api.send(req("POST", "/public-data").bearer(&bob)).await,
        200,
        "POST",
    );

    // Articles: creation, with every kind of bad body writing nothing.
    let before = counts(db).await;
    let article = json!({"title": "Hello", "content": "First"});
    let r = api
        .send(req("POST", "/articles").json(article.clone()))
        .await;
    expect_status(&r, 401, "create article anonymous");
    let create = || req("POST", "/articles").bearer(&alice);
    for (request, status, what) in [
        (create().json(r#"{"title": "x", "#), 400, "malformed JSON"),
        (
            create()
                .header("content-type", "text/plain")
                .raw_body(r#"{"title":"x","content":"y"}"#),
            415,
            "not JSON",
        ),
        (create().json(json!({"title": "x"})), 422, "missing content"),
        (
            create().json(json!({"title": 5, "content": "y"})),
            422,
            "title not a string",
        ),
        (
            create().json(json!({"title": "  ", "content": "y"})),
            422,
            "blank title",
        ),
        (
            create().json(json!({"title": "x", "content": "y", "user": "bob"})),
            422,
            "owner in body",
        ),
        (create().json(json!(["title", "content"])), 422, "array"),
    ] {
        let r = api.send(request).await;
        expect_status(&r, status, what);
        assert!(r.error().is_some_and(|e| !e.is_empty()), "{what}: {r:?}");
    }
    assert_eq!(counts(db).await, before, "a bad body wrote something");
    let r = api
        .send(
            req("POST", "/articles")
                .bearer(&alice)
                .json(article.clone()),
        )
        .await;
    expect_status(&r, 201, "create article");
    let a = r.json();
    let id = a["id"].as_i64().expect("article id");
    assert_eq!(a["user"], "alice");
    assert_eq!(r.header("location"), format!("/articles/{id}"));
    assert_eq!(counts(db).await.0, before.0 + 1);
    let path = format!("/articles/{id}");

    // Reading: the author only; 404 for a missing one; 400 for a bad id; 401 first.
    expect_status(
        &api.send(req("GET", &path).bearer(&alice)).await,
        200,
        "author reads",
    );
    let r = api.send(req("GET", &path).bearer(&bob)).await;
    expect_status(&r, 403, "stranger reads");
    assert!(r.header("www-authenticate").contains("insufficient_scope"));
    let r = api
        .send(req("GET", "/articles/999999").bearer(&alice))
        .await;
    expect_status(&r, 404, "missing article");
    assert_eq!(r.error().as_deref(), Some("not_found"));
    expect_status(
        &api.send(req("GET", "/articles/abc").bearer(&alice)).await,
        400,
        "bad id",
    );
    expect_status(
        &api.send(req("GET", "/articles/99999999999999999999").bearer(&alice))
            .await,
        400,
        "huge id",
    );
    expect_status(
        &api.send(req("GET", "/articles/999999")).await,
        401,
        "missing, anonymous",
    );
    expect_status(&api.send(req("GET", &path)).await, 401, "anonymous");

    // Updating: the author; bad bodies change nothing; the guard runs before the body.
    let r = api
        .send(
            req("PATCH", &path)
                .bearer(&alice)
                .json(json!({"title": "Hello again"})),
        )
        .await;
    expect_status(&r, 200, "author patches");
    assert_eq!(
        (&r.json()["title"], &r.json()["content"]),
        (&json!("Hello again"), &json!("First"))
    );
    let r = api
        .send(
            req("PATCH", &path)
                .bearer(&bob)
                .json(json!({"title": "Mine now"})),
        )
        .await;
    expect_status(&r, 403, "stranger patches");
    expect_status(
        &api.send(req("PATCH", &path).bearer(&bob).json("{nope"))
            .await,
        403,
        "stranger, bad body",
    );
    expect_status(
        &api.send(req("PATCH", &path).bearer(&alice).json("{nope"))
            .await,
        400,
        "author, bad JSON",
    );
    let r = api
        .send(req("PATCH", &path).bearer(&alice).json(json!({"title": 1})))
        .await;
    expect_status(&r, 422, "author, wrong type");
    let r = api
        .send(
            req("PATCH", &path)
                .bearer(&alice)
                .json(json!({"title": ""})),
        )
        .await;
    expect_status(&r, 422, "author, empty title");
    let r = api
        .send(
            req("PATCH", "/articles/999999")
                .bearer(&alice)
                .json(json!({"title": "x"})),
        )
        .await;
    expect_status(&r, 404, "patch missing");
    let r = api.send(req("GET", &path).bearer(&alice)).await;
    assert_eq!(
        r.json()["title"],
        "Hello again",
        "a rejected patch was written"
    );

    // Comments: anyone signed in comments on an existing article; the commenter edits.
    let text = |t: &str| json!({"text": t});
    let comments = format!("{path}/comments");
    expect_status(
        &api.send(req("POST", &comments).json(text("hi"))).await,
        401,
        "comment anonymous",
    );
    let r = api
        .send(
            req("POST", "/articles/999999/comments")
                .bearer(&bob)
                .json(text("hi")),
        )
        .await;
    expect_status(&r, 404, "comment on missing article");
    let r = api
        .send(
            req("POST", "/articles/x/comments")
                .bearer(&bob)
                .json(text("hi")),
        )
        .await;
    expect_status(&r, 400, "comment, bad article id");
    let before = counts(db).await;
    let r = api
        .send(
            req("POST", &comments)
                .bearer(&bob)
                .json(json!({"txt": "hi"})),
        )
        .await;
    expect_status(&r, 422, "comment, wrong field");
    let r = api
        .send(
            req("POST", &comments)
                .bearer(&bob)
                .header("content-type", "application/json")
                .raw_body(""),
        )
        .await;
    expect_status(&r, 400, "comment, empty body");
    assert_eq!(counts(db).await, before, "a bad comment was written");
    let r = api
        .send(req("POST", &comments).bearer(&bob).json(text("Nice!")))
        .await;
    expect_status(&r, 201, "bob comments");
    let cid = r.json()["id"].as_i64().expect("comment id");
    assert_eq!(r.json()["created_by"], "bob");
    let cpath = format!("/comments/{cid}");
    let r = api
        .send(req("PATCH", &cpath).bearer(&bob).json(text("Very nice!")))
        .await;
    expect_status(&r, 200, "commenter edits");
    assert_eq!(r.json()["text"], "Very nice!");
    let r = api
        .send(req("PATCH", &cpath).bearer(&alice).json(text("Hijacked")))
        .await;
    expect_status(&r, 403, "article author edits someone's comment");
    expect_status(
        &api.send(req("PATCH", &cpath).json(text("x"))).await,
        401,
        "anonymous edit",
    );
    let r = api
        .send(
            req("PATCH", "/comments/999999")
                .bearer(&bob)
                .json(text("x")),
        )
        .await;
    expect_status(&r, 404, "missing comment");
    let r = api
        .send(req("PATCH", "/comments/nope").bearer(&bob).json(text("x")))
        .await;
    expect_status(&r, 400, "bad comment id");
    let r = api
        .send(req("PATCH", &cpath).bearer(&bob).json(json!({"text": 3})))
        .await;
    expect_status(&r, 422, "comment text not a string");

    // Projects: owned by the `email` claim.
    let name = |n: &str| json!({"name": n});
    let r = api
        .send(
            req("POST", "/projects")
                .bearer(&nobody)
                .json(name("No email")),
        )
        .await;
    expect_status(&r, 403, "project without an email claim");
    assert_eq!(r.error().as_deref(), Some("missing_claim"));
    let r = api
        .send(req("POST", "/projects").bearer(&alice).json(json!({})))
        .await;
    expect_status(&r, 422, "project without name");
    let r = api
        .send(req("POST", "/projects").bearer(&alice).json(name("Apollo")))
        .await;
    expect_status(&r, 201, "create project");
    let pid = r.json()["id"].as_i64().expect("project id");
    assert_eq!(r.json()["owner_email"], "alice@example.com");
    let ppath = format!("/projects/{pid}");
    expect_status(
        &api.send(req("GET", &ppath).bearer(&alice)).await,
        200,
        "owner by email",
    );
    let other_alice = mint
        .token(json!({"sub": "alice", "email": "alice@elsewhere.example"}))
        .await;
    expect_status(
        &api.send(req("GET", &ppath).bearer(&other_alice)).await,
        403,
        "same sub, other email",
    );
    expect_status(
        &api.send(req("GET", &ppath).bearer(&nobody)).await,
        403,
        "no email claim",
    );
    expect_status(
        &api.send(req("GET", "/projects/999999").bearer(&alice))
            .await,
        404,
        "missing project",
    );
    expect_status(
        &api.send(req("GET", "/projects/1.5").bearer(&alice)).await,
        400,
        "bad project id",
    );

    // Publishing: author AND scope AND role AND permission; 400 when already published.
    let publisher = |sub: &str| {
        json!({
            "sub": sub, "scope": "articles:publish", "roles": ["editor"],
            "permissions": ["articles:publish"],
        })
    };
    let alice_editor = mint.token(publisher("alice")).await;
    let bob_editor = mint.token(publisher("bob")).await;
    let publish = format!("/api/articles/{id}/publish");
    let r = api.send(req("PATCH", &publish).bearer(&alice)).await;
    expect_status(&r, 403, "author without privileges");
    let r = api.send(req("PATCH", &publish).bearer(&bob_editor)).await;
    expect_status(&r, 403, "privileges without authorship");
    for (claims, what) in [
        (
            json!({"sub": "alice", "roles": ["editor"], "permissions": ["articles:publish"]}),
            "scope",
        ),
        (
            json!({"sub": "alice", "scope": "articles:publish", "permissions": ["articles:publish"]}),
            "role",
        ),
        (
            json!({"sub": "alice", "scope": "articles:publish", "roles": ["admin"]}),
            "permission",
        ),
    ] {
        let t = mint.token(claims).await;
        expect_status(
            &api.send(req("PATCH", &publish).bearer(&t)).await,
            403,
            what,
        );
    }
    let r = api
        .send(req("PATCH", "/api/articles/999999/publish").bearer(&alice_editor))
        .await;
    expect_status(&r, 404, "publish missing");
    let r = api.send(req("PATCH", &publish).bearer(&alice_editor)).await;
    expect_status(&r, 200, "publish");
    assert_eq!(r.json()["article"]["status"], "published");
    assert_eq!(r.json()["article"]["published_by"], "alice");
    let r = api.send(req("PATCH", &publish).bearer(&alice_editor)).await;
    expect_status(&r, 400, "publish twice");
    assert_eq!(r.error().as_deref(), Some("bad_request"));

    // Moderation: the author OR an admin or moderator.
    let moderator = mint
        .token(json!({"sub": "maya", "roles": ["moderator"]}))
        .await;
    let moderate = format!("/moderation/articles/{id}");
    let r = api.send(req("DELETE", &moderate).bearer(&bob)).await;
    expect_status(&r, 403, "neither author nor moderator");
    let r = api
        .send(req("DELETE", "/moderation/articles/999999").bearer(&moderator))
        .await;
    expect_status(&r, 404, "moderate missing");
    let r = api.send(req("DELETE", &moderate).bearer(&moderator)).await;
    expect_status(&r, 204, "moderator deletes");
    expect_status(
        &api.send(req("GET", &path).bearer(&alice)).await,
        404,
        "moderated article is gone",
    );
    assert_eq!(counts(db).await.1, 0, "comments go with their article");
    let r = api
        .send(
            req("POST", "/articles")
                .bearer(&alice)
                .json(article.clone()),
        )
        .await;
    let own = r.json()["id"].as_i64().unwrap();
    let r = api
        .send(req("DELETE", &format!("/moderation/articles/{own}")).bearer(&alice))
        .await;
    expect_status(&r, 204, "author deletes through moderation");

    // Deleting: the author only.
    let r = api
        .send(req("POST", "/articles").bearer(&alice).json(article))
        .await;
    let del = format!("/articles/{}", r.json()["id"].as_i64().unwrap());
    expect_status(
        &api.send(req("DELETE", &del).bearer(&bob)).await,
        403,
        "stranger deletes",
    );
    expect_status(
        &api.send(req("DELETE", &del)).await,
        401,
        "anonymous deletes",
    );
    expect_status(
        &api.send(req("DELETE", &del).bearer(&alice)).await,
        204,
        "author deletes",
    );
    expect_status(
        &api.send(req("DELETE", &del).bearer(&alice)).await,
        404,
        "deleted twice",
    );

    // Unknown routes.
    let r = api.send(req("GET", "/no/such/route").bearer(&alice)).await;
    expect_status(&r, 404, "unknown route");
    assert_eq!(r.error().as_deref(), Some("not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_on_the_dev_issuer() {
    let dir = temp_dir();
    let db = dir.path().join("tutorial.db");
    let mut server = Process::example("tutorial", &[("DATABASE_URL", sqlite_url(&db))], dir.path());
    let out = server.output();
    assert!(out.contains("DEVELOPMENT MODE"), "{out}");
    assert!(out.contains("audience: tutorial-api"), "{out}");
    let api = Transport::at(&server.url);

    // In development mode the tutorial is a protected resource at its own address: it serves
    // its metadata (RFC 9728), and every 401 and 403 points there, with the route's scope.
    let metadata_url = format!("{}/.well-known/oauth-protected-resource", server.url);
    let doc = api
        .send(req("GET", "/.well-known/oauth-protected-resource"))
        .await;
    expect_status(&doc, 200, "metadata");
    assert_eq!(doc.json()["resource"], server.url.as_str());
    assert!(
        doc.json()["scopes_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "read:data"),
        "{}",
        doc.body
    );
    let reader_token = {
        let prefix = "export READER='";
        out.lines()
            .find_map(|l| l.strip_prefix(prefix)?.strip_suffix('\''))
            .unwrap()
            .to_owned()
    };
    for (what, request, status, scope) in [
        (
            "anonymous",
            req("GET", "/api/read"),
            401,
            Some("read:data admin"),
        ),
        ("anonymous, any token", req("GET", "/protected"), 401, None),
        (
            "bad token",
            req("GET", "/api/read").bearer("a.b.c"),
            401,
            Some("read:data admin"),
        ),
        (
            "reader on write",
            req("GET", "/api/write").bearer(&reader_token),
            403,
            Some("write:data openid"),
        ),
        (
            "reader on admin",
            req("GET", "/admin/users").bearer(&reader_token),
            403,
            None,
        ),
    ] {
        let r = api.send(request).await;
        expect_status(&r, status, what);
        let (scheme, params) = common::challenge(r.www().unwrap());
        assert!(scheme.eq_ignore_ascii_case("bearer"), "{what}");
        assert_eq!(params["resource_metadata"], metadata_url, "{what}");
        assert_eq!(params.get("scope").map(String::as_str), scope, "{what}");
    }

    // The printed tokens work as printed.
    let printed = |var: &str| {
        let prefix = format!("export {var}='");
        out.lines()
            .find_map(|l| l.strip_prefix(&prefix)?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("no {var} in\n{out}"))
            .to_owned()
    };
    expect_status(
        &api.send(req("GET", "/api/read").bearer(&printed("READER")))
            .await,
        200,
        "READER",
    );
    expect_status(
        &api.send(req("GET", "/api/write").bearer(&printed("WRITER")))
            .await,
        200,
        "WRITER",
    );
    expect_status(
        &api.send(req("GET", "/admin/users").bearer(&printed("ADMIN")))
            .await,
        200,
        "ADMIN",
    );
    expect_status(
        &api.send(req("POST", "/admin/keys").bearer(&printed("ADMIN_MFA")))
            .await,
        201,
        "ADMIN_MFA",
    );
    expect_status(
        &api.send(req("GET", "/api/strict").bearer(&printed("EDITOR")))
            .await,
        200,
        "EDITOR",
    );
    expect_status(
        &api.send(req("GET", "/api/read").bearer(&printed("OWNER")))
            .await,
        403,
        "OWNER",
    );
    assert!(out.contains(&format!("export API={}", server.url)), "{out}");

    // POST /dev/token.
    let post = |body: Value| api.send(req("POST", "/dev/token").json(body));
    let r = post(json!({"sub": "zoe", "scope": "read:data"})).await;
    expect_status(&r, 200, "mint");
    let minted = r.json();
    assert_eq!(minted["token_type"], "Bearer");
    let lifetime = minted["expires_in"].as_i64().unwrap();
    assert!((3590..=3600).contains(&lifetime), "{minted}");
    let zoe = minted["access_token"].as_str().unwrap();
    let r = api.send(req("GET", "/protected").bearer(zoe)).await;
    assert_eq!(r.json()["user_id"], "zoe");
    assert_eq!(r.json()["audience"], json!(["tutorial-api"]));
    // Never 200 without a principal: a token without `sub` is refused, and the log says
    // which setting would accept it.
    let r = post(json!({"sub": null, "scope": "read:data"})).await;
    let anonymous = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = api.send(req("GET", "/protected").bearer(&anonymous)).await;
    expect_status(&r, 401, "a token without sub");
    assert!(
        server.prints(
            "AXIOMS_ALLOW_TOKENS_WITHOUT_SUB",
            std::time::Duration::from_secs(5)
        ),
        "the refusal names the opt-out:\n{}",
        server.output()
    );
    let r = post(json!({"expires_in": 600})).await;
    assert_eq!(r.json()["expires_in"], 600);
    let expired = post(json!({"expires_in": -600})).await;
    assert_eq!(expired.json()["expires_in"], 0);
    let t = expired.json()["access_token"].as_str().unwrap().to_owned();
    let r = api.send(req("GET", "/protected").bearer(&t)).await;
    expect_status(&r, 401, "expired token");
    let t = post(json!({"aud": "someone-else"})).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    expect_status(
        &api.send(req("GET", "/protected").bearer(&t)).await,
        401,
        "wrong audience",
    );
    expect_status(&post(json!("sub")).await, 422, "not an object");
    expect_status(&post(json!({"exp": "soon"})).await, 422, "exp not a number");
    expect_status(&post(json!({"exp": 1, "expires_in": 1})).await, 422, "both");
    expect_status(
        &api.send(req("POST", "/dev/token").json("{")).await,
        400,
        "bad JSON",
    );

    // DPoP: every protected route takes a token bound to the caller's key, with a proof for
    // the server's own address (its resource in development mode).
    let key = axioms::testing::DpopKey::generate(axioms::Algorithm::ES256);
    let r =
        post(json!({"sub": "zoe", "scope": "read:data", "cnf": {"jkt": key.thumbprint()}})).await;
    expect_status(&r, 200, "mint a DPoP-bound token");
    assert_eq!(r.json()["token_type"], "DPoP", "{}", r.body);
    let bound = r.json()["access_token"].as_str().unwrap().to_owned();
    for path in ["/api/read", "/protected"] {
        let proof = key
            .proof("GET", &format!("{}{path}", server.url))
            .access_token(&bound)
            .sign();
        let dpop = req("GET", path)
            .authorization(&format!("DPoP {bound}"))
            .header("dpop", &proof);
        expect_status(&api.send(dpop.clone()).await, 200, "DPoP with its proof");
        let replayed = api.send(dpop).await;
        expect_status(&replayed, 401, "the same proof again");
        assert!(
            replayed
                .www()
                .unwrap()
                .contains(r#"error="invalid_dpop_proof""#),
            "{replayed:?}"
        );
        let stolen = api.send(req("GET", path).bearer(&bound)).await;
        expect_status(&stolen, 401, "a DPoP-bound token as Bearer");
    }

    drive_every_route(&api, &Minter::Dev(Transport::at(&server.url)), &db).await;

    let status = server.terminate();
    assert!(status.success(), "exit {status:?}:\n{}", server.output());
    assert!(server.output().contains("stopped"), "{}", server.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_against_an_external_issuer() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let db = dir.path().join("tutorial.db");
    let audience = "https://api.tutorial.test";
    let mut server = Process::example(
        "tutorial",
        &[
            ("AXIOMS_ISS_URL", issuer.issuer()),
            ("AXIOMS_AUDIENCE", audience.to_owned()),
            ("DATABASE_URL", sqlite_url(&db)),
        ],
        dir.path(),
    );
    let out = server.output();
    assert!(!out.contains("DEVELOPMENT MODE"), "{out}");
    assert!(
        out.contains(&format!("issuer: {}", issuer.issuer())),
        "{out}"
    );
    let api = Transport::at(&server.url);

    // No development issuer here.
    let r = api.send(req("POST", "/dev/token").json(json!({}))).await;
    expect_status(&r, 404, "POST /dev/token with an issuer configured");
    expect_status(
        &api.send(req("GET", "/dev/token")).await,
        404,
        "GET /dev/token",
    );

    // Tokens of another issuer, or for another audience, are refused.
    let stranger = TestIssuer::start().await;
    let t = stranger.token().audience(audience).sign();
    expect_status(
        &api.send(req("GET", "/protected").bearer(&t)).await,
        401,
        "another issuer",
    );
    let t = issuer.token().audience("https://other.api").sign();
    expect_status(
        &api.send(req("GET", "/protected").bearer(&t)).await,
        401,
        "another audience",
    );

    let mint = Minter::External {
        issuer: issuer.clone(),
        audience: audience.to_owned(),
    };
    drive_every_route(&api, &mint, &db).await;
    assert!(issuer.jwks_fetches() >= 1);

    let status = server.terminate();
    assert!(status.success(), "exit {status:?}:\n{}", server.output());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_file_survives_restarts() {
    let dir = temp_dir();
    let db = dir.path().join("kept.db");
    let env = [("DATABASE_URL", sqlite_url(&db))];

    let mut first = Process::example("tutorial", &env, dir.path());
    let api = Transport::at(&first.url);
    let mint = Minter::Dev(Transport::at(&first.url));
    let alice = mint.token(json!({"sub": "alice"})).await;
    let r = api
        .send(
            req("POST", "/articles")
                .bearer(&alice)
                .json(json!({"title": "Kept", "content": "across restarts"})),
        )
        .await;
    expect_status(&r, 201, "create");
    let id = r.json()["id"].as_i64().unwrap();
    let status = first.terminate();
    assert!(status.success(), "exit {status:?}:\n{}", first.output());
    assert!(db.exists());

    // A new process: new development keys, so a new token; the same row.
    let mut second = Process::example("tutorial", &env, dir.path());
    let api = Transport::at(&second.url);
    let mint = Minter::Dev(Transport::at(&second.url));
    let old = alice;
    expect_status(
        &api.send(req("GET", &format!("/articles/{id}")).bearer(&old))
            .await,
        401,
        "old keys are gone",
    );
    let alice = mint.token(json!({"sub": "alice"})).await;
    let r = api
        .send(req("GET", &format!("/articles/{id}")).bearer(&alice))
        .await;
    expect_status(&r, 200, "the article survived");
    assert_eq!(r.json()["title"], "Kept");
    let bob = mint.token(json!({"sub": "bob"})).await;
    expect_status(
        &api.send(req("GET", &format!("/articles/{id}")).bearer(&bob))
            .await,
        403,
        "still alice's",
    );
    let status = second.terminate();
    assert!(status.success(), "exit {status:?}:\n{}", second.output());
}

#[test]
fn development_mode_refuses_to_listen_beyond_loopback() {
    let dir = temp_dir();
    let out = start_fails(
        "tutorial",
        &[("BIND_ADDR", "0.0.0.0:0".to_owned())],
        dir.path(),
    );
    assert!(out.contains("only listens on loopback"), "{out}");
}

#[test]
fn an_issuer_without_audience_is_a_startup_error() {
    let dir = temp_dir();
    let out = start_fails(
        "tutorial",
        &[("AXIOMS_ISS_URL", "https://issuer.invalid/".to_owned())],
        dir.path(),
    );
    assert!(out.contains("AXIOMS_AUDIENCE"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dotenv_file_is_read() {
    let dir = temp_dir();
    std::fs::write(dir.path().join(".env"), "AXIOMS_AUDIENCE=from-dotenv\n").unwrap();
    let mut server = Process::example("tutorial", &[], dir.path());
    assert!(
        server.output().contains("audience: from-dotenv"),
        "{}",
        server.output()
    );
    let api = Transport::at(&server.url);
    let t = Minter::Dev(Transport::at(&server.url))
        .token(json!({}))
        .await;
    let r = api.send(req("GET", "/protected").bearer(&t)).await;
    assert_eq!(r.json()["audience"], json!(["from-dotenv"]));
    assert!(server.terminate().success());
}

#[test]
fn an_unusable_database_url_is_a_startup_error() {
    let dir = temp_dir();
    let out = start_fails(
        "tutorial",
        &[("DATABASE_URL", "postgres://db.invalid/app".to_owned())],
        dir.path(),
    );
    assert!(out.contains("DATABASE_URL"), "{out}");
}
