//! End-to-end tests of the examples, each run as its own process.
//!
//! The examples are built once per run of this file (`cargo build --examples`, with the cargo
//! and profile of the test itself), then started from `target/<profile>/examples/` with
//! `BIND_ADDR=127.0.0.1:0`; the real address is read from the `listening on http://…` line they
//! print. The tutorial is driven over HTTP through every route of its table — allowed, denied,
//! missing object, bad body — once on its embedded development issuer and once against a
//! `TestIssuer` of this process, then stopped with SIGTERM and required to exit with status 0.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

mod common;

use axioms::testing::TestIssuer;
use reqwest::Method;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Building and running examples

/// Builds every example of this package once, with the cargo and profile running this test;
/// returns the directory holding their binaries (`target/<profile>/examples`).
fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // This test binary is target/<profile>/deps/tutorial-<hash>.
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .to_path_buf();
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => "dev".to_owned(),
            Some(other) => other.to_owned(),
        };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").to_owned());
        let status = Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "build",
                "--quiet",
                "--workspace",
                "--all-features",
                "--examples",
            ])
            .args(["--profile", &profile])
            .stdin(Stdio::null())
            .status()
            .expect("run cargo build --examples");
        assert!(status.success(), "cargo build --examples failed: {status}");
        profile_dir.join("examples")
    })
}

/// A running example; killed on drop if the test did not stop it.
struct Server {
    child: Child,
    url: String,
    output: Arc<Mutex<String>>,
}

impl Server {
    /// Starts example `name` (see [`example`]) and waits for its `listening on` line.
    fn start(name: &str, env: &[(&str, String)], cwd: &Path) -> Self {
        let mut command = example(name, env, cwd);
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start example {name}: {e}"));
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let out = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                {
                    let mut out = out.lock().unwrap();
                    out.push_str(&line);
                    out.push('\n');
                }
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let mut stderr = child.stderr.take().expect("stderr");
        let err = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                err.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut server = Self {
            child,
            url: String::new(),
            output,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => server.url = url,
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                panic!(
                    "example {name} did not print `listening on` (exit: {status:?}); output:\n{}",
                    server.output()
                );
            }
        }
        assert!(
            server.url.starts_with("http://127.0.0.1:"),
            "example {name} listens on {}",
            server.url
        );
        server
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    fn api(&self) -> Api {
        Api::new(&self.url)
    }

    /// Sends SIGTERM and waits for the exit (at most 20 s).
    fn terminate(&mut self) -> ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "no exit 20 s after SIGTERM; output:\n{}",
                self.output()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The command running example `name` with `env` in directory `cwd`: `BIND_ADDR` is
/// `127.0.0.1:0` unless `env` says otherwise, and every `AXIOMS_*`, `DATABASE_URL`, `PROVIDER`
/// and `RUST_LOG` of the test's own environment is removed.
fn example(name: &str, env: &[(&str, String)], cwd: &Path) -> Command {
    let mut command = Command::new(examples_dir().join(name));
    for (key, _) in std::env::vars_os() {
        let strip = key.to_str().is_some_and(|k| {
            k.starts_with("AXIOMS_")
                || matches!(k, "DATABASE_URL" | "BIND_ADDR" | "PROVIDER" | "RUST_LOG")
        });
        if strip {
            command.env_remove(key);
        }
    }
    command
        .env("BIND_ADDR", "127.0.0.1:0")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .current_dir(cwd)
        .stdin(Stdio::null());
    command
}

/// Runs an example that must fail at startup; returns its output.
fn start_fails(name: &str, env: &[(&str, String)], cwd: &Path) -> String {
    let out = example(name, env, cwd).output().expect("run example");
    assert!(!out.status.success(), "{name} should have refused to start");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ---------------------------------------------------------------------------------------------
// HTTP

struct Api {
    base: String,
    http: reqwest::Client,
}

#[derive(Debug)]
struct Resp {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?} {}", self.status, self.text))
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `error` member of an error body.
    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

enum Body {
    Empty,
    Json(Value),
    Raw(&'static str, &'static str),
}

impl Api {
    fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    async fn send(&self, method: Method, path: &str, token: Option<&str>, body: Body) -> Resp {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request = match body {
            Body::Empty => request,
            Body::Json(value) => request.json(&value),
            Body::Raw(content_type, raw) => request
                .header("content-type", content_type)
                .body(raw.to_owned()),
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        Resp {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Resp {
        self.send(Method::GET, path, token, Body::Empty).await
    }
}

/// Asserts the status, printing the whole answer when it differs.
#[track_caller]
fn expect(resp: &Resp, status: u16, what: &str) {
    assert_eq!(resp.status, status, "{what}: {resp:?}");
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// Where tokens come from: the tutorial's `POST /dev/token`, or a `TestIssuer` of the test.
enum Minter {
    Dev(Api),
    External {
        issuer: TestIssuer,
        audience: String,
    },
}

impl Minter {
    async fn token(&self, claims: Value) -> String {
        match self {
            Minter::Dev(api) => {
                let resp = api
                    .send(Method::POST, "/dev/token", None, Body::Json(claims))
                    .await;
                expect(&resp, 200, "POST /dev/token");
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
async fn drive_every_route(api: &Api, mint: &Minter, db: &Path) {
    use Method as M;
    let alice = mint
        .token(json!({"sub": "alice", "email": "alice@example.com", "name": "Alice"}))
        .await;
    let bob = mint
        .token(json!({"sub": "bob", "email": "bob@example.com", "scope": "read:data"}))
        .await;
    let nobody = mint.token(json!({"sub": "zed"})).await;
    let tok = |t: &str| Some(t.to_owned());

    // Public.
    let r = api.get("/", None).await;
    expect(&r, 200, "GET /");
    assert!(r.json()["endpoints"].is_object(), "{r:?}");
    let r = api.get("/health", None).await;
    expect(&r, 200, "GET /health");
    assert_eq!(r.json()["status"], "healthy");

    // A valid token.
    let r = api.get("/protected", None).await;
    expect(&r, 401, "no token");
    assert_eq!(r.header("www-authenticate"), r#"Bearer realm="api""#);
    assert_eq!(r.error(), "unauthorized");
    let r = api.get("/protected", Some("not.a.token")).await;
    expect(&r, 401, "garbage token");
    assert!(
        r.header("www-authenticate")
            .contains(r#"error="invalid_token""#)
    );
    let r = api.get("/protected", tok(&bob).as_deref()).await;
    expect(&r, 200, "GET /protected");
    assert_eq!(r.json()["user_id"], "bob");
    let r = api.get("/me", tok(&alice).as_deref()).await;
    expect(&r, 200, "GET /me");
    let me = r.json();
    assert_eq!(
        (&me["sub"], &me["email"], &me["name"]),
        (
            &json!("alice"),
            &json!("alice@example.com"),
            &json!("Alice")
        )
    );
    expect(&api.get("/me", None).await, 401, "GET /me without token");

    // Scopes: any(read:data, admin).
    for scope in ["read:data", "admin", "profile read:data"] {
        let t = mint.token(json!({"scope": scope})).await;
        expect(&api.get("/api/read", Some(&t)).await, 200, scope);
    }
    let t = mint.token(json!({"scope": "write:data"})).await;
    let r = api.get("/api/read", Some(&t)).await;
    expect(&r, 403, "read with write:data");
    assert!(
        r.header("www-authenticate")
            .contains(r#"error="insufficient_scope""#),
        "{r:?}"
    );
    assert!(r.header("www-authenticate").contains("read:data"), "{r:?}");
    expect(&api.get("/api/read", Some(&nobody)).await, 403, "no scope");
    expect(&api.get("/api/read", None).await, 401, "read, no token");

    // Scopes: all(write:data, openid).
    let t = mint.token(json!({"scope": "write:data openid"})).await;
    expect(&api.get("/api/write", Some(&t)).await, 200, "write");
    let t = mint.token(json!({"scope": "write:data"})).await;
    expect(
        &api.get("/api/write", Some(&t)).await,
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
    expect(&api.get("/admin/users", Some(&superuser)).await, 200, "su");
    expect(
        &api.get("/admin/users", Some(&admin_only)).await,
        200,
        "admin",
    );
    expect(&api.get("/admin/users", Some(&editor)).await, 403, "editor");
    let r = api
        .send(
            M::DELETE,
            "/admin/users/7",
            tok(&both).as_deref(),
            Body::Empty,
        )
        .await;
    expect(&r, 200, "delete user, both roles");
    assert_eq!(r.json()["deleted_by"], "dana");
    let r = api
        .send(
            M::DELETE,
            "/admin/users/7",
            tok(&admin_only).as_deref(),
            Body::Empty,
        )
        .await;
    expect(&r, 403, "delete user, admin only");
    let r = api
        .send(
            M::DELETE,
            "/admin/users/abc",
            tok(&both).as_deref(),
            Body::Empty,
        )
        .await;
    expect(&r, 400, "delete user, bad id");
    assert_eq!(r.error(), "invalid_path");
    let r = api
        .send(M::DELETE, "/admin/users/7", None, Body::Empty)
        .await;
    expect(&r, 401, "delete user, no token");

    // Permissions: any(resource:create).
    let creator = mint
        .token(json!({"permissions": ["resource:create"]}))
        .await;
    let reader = mint.token(json!({"permissions": ["resource:read"]})).await;
    let r = api
        .send(M::POST, "/api/resource", Some(&creator), Body::Empty)
        .await;
    expect(&r, 201, "create resource");
    let r = api
        .send(M::POST, "/api/resource", Some(&reader), Body::Empty)
        .await;
    expect(&r, 403, "create resource without permission");

    // Scopes AND roles AND permissions.
    let strict = |scope: &str, roles: Value, perms: Value| json!({"scope": scope, "roles": roles, "permissions": perms});
    let ok = strict(
        "email profile",
        json!(["editor"]),
        json!(["resource:write"]),
    );
    let t = mint.token(ok).await;
    expect(&api.get("/api/strict", Some(&t)).await, 200, "strict ok");
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
        expect(&api.get("/api/strict", Some(&t)).await, 403, what);
    }

    // Public data: safe methods need no token; a token personalizes; POST needs one.
    let r = api.get("/public-data", None).await;
    expect(&r, 200, "public data anonymous");
    assert_eq!(r.json()["authenticated"], false);
    let r = api.get("/public-data", Some(&bob)).await;
    expect(&r, 200, "public data with token");
    assert_eq!(r.json()["authenticated"], true);
    assert!(r.json()["message"].as_str().unwrap().contains("bob"));
    expect(
        &api.send(M::HEAD, "/public-data", None, Body::Empty).await,
        200,
        "HEAD",
    );
    expect(
        &api.send(M::OPTIONS, "/public-data", None, Body::Empty)
            .await,
        200,
        "OPTIONS",
    );
    expect(
        &api.get("/public-data", Some("bad.token.here")).await,
        401,
        "bad token on GET",
    );
    expect(
        &api.send(M::POST, "/public-data", None, Body::Empty).await,
        401,
        "POST anonymous",
    );
    expect(
        &api.send(M::POST, "/public-data", Some(&bob), Body::Empty)
            .await,
        200,
        "POST",
    );

    // Articles: creation, with every kind of bad body writing nothing.
    let before = counts(db).await;
    let article = json!({"title": "Hello", "content": "First"});
    let r = api
        .send(M::POST, "/articles", None, Body::Json(article.clone()))
        .await;
    expect(&r, 401, "create article anonymous");
    for (body, status, what) in [
        (
            Body::Raw("application/json", r#"{"title": "x", "#),
            400,
            "malformed JSON",
        ),
        (
            Body::Raw("text/plain", r#"{"title":"x","content":"y"}"#),
            415,
            "not JSON",
        ),
        (Body::Json(json!({"title": "x"})), 422, "missing content"),
        (
            Body::Json(json!({"title": 5, "content": "y"})),
            422,
            "title not a string",
        ),
        (
            Body::Json(json!({"title": "  ", "content": "y"})),
            422,
            "blank title",
        ),
        (
            Body::Json(json!({"title": "x", "content": "y", "user": "bob"})),
            422,
            "owner in body",
        ),
        (Body::Json(json!(["title", "content"])), 422, "array"),
    ] {
        let r = api.send(M::POST, "/articles", Some(&alice), body).await;
        expect(&r, status, what);
        assert!(!r.error().is_empty(), "{what}: {r:?}");
    }
    assert_eq!(counts(db).await, before, "a bad body wrote something");
    let r = api
        .send(
            M::POST,
            "/articles",
            Some(&alice),
            Body::Json(article.clone()),
        )
        .await;
    expect(&r, 201, "create article");
    let a = r.json();
    let id = a["id"].as_i64().expect("article id");
    assert_eq!(a["user"], "alice");
    assert_eq!(r.header("location"), format!("/articles/{id}"));
    assert_eq!(counts(db).await.0, before.0 + 1);
    let path = format!("/articles/{id}");

    // Reading: the author only; 404 for a missing one; 400 for a bad id; 401 first.
    expect(&api.get(&path, Some(&alice)).await, 200, "author reads");
    let r = api.get(&path, Some(&bob)).await;
    expect(&r, 403, "stranger reads");
    assert!(r.header("www-authenticate").contains("insufficient_scope"));
    let r = api.get("/articles/999999", Some(&alice)).await;
    expect(&r, 404, "missing article");
    assert_eq!(r.error(), "not_found");
    expect(&api.get("/articles/abc", Some(&alice)).await, 400, "bad id");
    expect(
        &api.get("/articles/99999999999999999999", Some(&alice))
            .await,
        400,
        "huge id",
    );
    expect(
        &api.get("/articles/999999", None).await,
        401,
        "missing, anonymous",
    );
    expect(&api.get(&path, None).await, 401, "anonymous");

    // Updating: the author; bad bodies change nothing; the guard runs before the body.
    let patch = |v: Value| Body::Json(v);
    let r = api
        .send(
            M::PATCH,
            &path,
            Some(&alice),
            patch(json!({"title": "Hello again"})),
        )
        .await;
    expect(&r, 200, "author patches");
    assert_eq!(
        (&r.json()["title"], &r.json()["content"]),
        (&json!("Hello again"), &json!("First"))
    );
    let r = api
        .send(
            M::PATCH,
            &path,
            Some(&bob),
            patch(json!({"title": "Mine now"})),
        )
        .await;
    expect(&r, 403, "stranger patches");
    let bad = Body::Raw("application/json", "{nope");
    expect(
        &api.send(M::PATCH, &path, Some(&bob), bad).await,
        403,
        "stranger, bad body",
    );
    let bad = Body::Raw("application/json", "{nope");
    expect(
        &api.send(M::PATCH, &path, Some(&alice), bad).await,
        400,
        "author, bad JSON",
    );
    let r = api
        .send(M::PATCH, &path, Some(&alice), patch(json!({"title": 1})))
        .await;
    expect(&r, 422, "author, wrong type");
    let r = api
        .send(M::PATCH, &path, Some(&alice), patch(json!({"title": ""})))
        .await;
    expect(&r, 422, "author, empty title");
    let r = api
        .send(
            M::PATCH,
            "/articles/999999",
            Some(&alice),
            patch(json!({"title": "x"})),
        )
        .await;
    expect(&r, 404, "patch missing");
    let r = api.get(&path, Some(&alice)).await;
    assert_eq!(
        r.json()["title"],
        "Hello again",
        "a rejected patch was written"
    );

    // Comments: anyone signed in comments on an existing article; the commenter edits.
    let text = |t: &str| Body::Json(json!({"text": t}));
    let comments = format!("{path}/comments");
    expect(
        &api.send(M::POST, &comments, None, text("hi")).await,
        401,
        "comment anonymous",
    );
    let r = api
        .send(M::POST, "/articles/999999/comments", Some(&bob), text("hi"))
        .await;
    expect(&r, 404, "comment on missing article");
    let r = api
        .send(M::POST, "/articles/x/comments", Some(&bob), text("hi"))
        .await;
    expect(&r, 400, "comment, bad article id");
    let before = counts(db).await;
    let r = api
        .send(
            M::POST,
            &comments,
            Some(&bob),
            Body::Json(json!({"txt": "hi"})),
        )
        .await;
    expect(&r, 422, "comment, wrong field");
    let r = api
        .send(
            M::POST,
            &comments,
            Some(&bob),
            Body::Raw("application/json", ""),
        )
        .await;
    expect(&r, 400, "comment, empty body");
    assert_eq!(counts(db).await, before, "a bad comment was written");
    let r = api
        .send(M::POST, &comments, Some(&bob), text("Nice!"))
        .await;
    expect(&r, 201, "bob comments");
    let cid = r.json()["id"].as_i64().expect("comment id");
    assert_eq!(r.json()["created_by"], "bob");
    let cpath = format!("/comments/{cid}");
    let r = api
        .send(M::PATCH, &cpath, Some(&bob), text("Very nice!"))
        .await;
    expect(&r, 200, "commenter edits");
    assert_eq!(r.json()["text"], "Very nice!");
    let r = api
        .send(M::PATCH, &cpath, Some(&alice), text("Hijacked"))
        .await;
    expect(&r, 403, "article author edits someone's comment");
    expect(
        &api.send(M::PATCH, &cpath, None, text("x")).await,
        401,
        "anonymous edit",
    );
    let r = api
        .send(M::PATCH, "/comments/999999", Some(&bob), text("x"))
        .await;
    expect(&r, 404, "missing comment");
    let r = api
        .send(M::PATCH, "/comments/nope", Some(&bob), text("x"))
        .await;
    expect(&r, 400, "bad comment id");
    let r = api
        .send(M::PATCH, &cpath, Some(&bob), Body::Json(json!({"text": 3})))
        .await;
    expect(&r, 422, "comment text not a string");

    // Projects: owned by the `email` claim.
    let name = |n: &str| Body::Json(json!({"name": n}));
    let r = api
        .send(M::POST, "/projects", Some(&nobody), name("No email"))
        .await;
    expect(&r, 403, "project without an email claim");
    assert_eq!(r.error(), "missing_claim");
    let r = api
        .send(M::POST, "/projects", Some(&alice), Body::Json(json!({})))
        .await;
    expect(&r, 422, "project without name");
    let r = api
        .send(M::POST, "/projects", Some(&alice), name("Apollo"))
        .await;
    expect(&r, 201, "create project");
    let pid = r.json()["id"].as_i64().expect("project id");
    assert_eq!(r.json()["owner_email"], "alice@example.com");
    let ppath = format!("/projects/{pid}");
    expect(&api.get(&ppath, Some(&alice)).await, 200, "owner by email");
    let other_alice = mint
        .token(json!({"sub": "alice", "email": "alice@elsewhere.example"}))
        .await;
    expect(
        &api.get(&ppath, Some(&other_alice)).await,
        403,
        "same sub, other email",
    );
    expect(&api.get(&ppath, Some(&nobody)).await, 403, "no email claim");
    expect(
        &api.get("/projects/999999", Some(&alice)).await,
        404,
        "missing project",
    );
    expect(
        &api.get("/projects/1.5", Some(&alice)).await,
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
    let r = api
        .send(M::PATCH, &publish, Some(&alice), Body::Empty)
        .await;
    expect(&r, 403, "author without privileges");
    let r = api
        .send(M::PATCH, &publish, Some(&bob_editor), Body::Empty)
        .await;
    expect(&r, 403, "privileges without authorship");
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
        expect(
            &api.send(M::PATCH, &publish, Some(&t), Body::Empty).await,
            403,
            what,
        );
    }
    let r = api
        .send(
            M::PATCH,
            "/api/articles/999999/publish",
            Some(&alice_editor),
            Body::Empty,
        )
        .await;
    expect(&r, 404, "publish missing");
    let r = api
        .send(M::PATCH, &publish, Some(&alice_editor), Body::Empty)
        .await;
    expect(&r, 200, "publish");
    assert_eq!(r.json()["article"]["status"], "published");
    assert_eq!(r.json()["article"]["published_by"], "alice");
    let r = api
        .send(M::PATCH, &publish, Some(&alice_editor), Body::Empty)
        .await;
    expect(&r, 400, "publish twice");
    assert_eq!(r.error(), "bad_request");

    // Moderation: the author OR an admin or moderator.
    let moderator = mint
        .token(json!({"sub": "maya", "roles": ["moderator"]}))
        .await;
    let moderate = format!("/moderation/articles/{id}");
    let r = api
        .send(M::DELETE, &moderate, Some(&bob), Body::Empty)
        .await;
    expect(&r, 403, "neither author nor moderator");
    let r = api
        .send(
            M::DELETE,
            "/moderation/articles/999999",
            Some(&moderator),
            Body::Empty,
        )
        .await;
    expect(&r, 404, "moderate missing");
    let r = api
        .send(M::DELETE, &moderate, Some(&moderator), Body::Empty)
        .await;
    expect(&r, 204, "moderator deletes");
    expect(
        &api.get(&path, Some(&alice)).await,
        404,
        "moderated article is gone",
    );
    assert_eq!(counts(db).await.1, 0, "comments go with their article");
    let r = api
        .send(
            M::POST,
            "/articles",
            Some(&alice),
            Body::Json(article.clone()),
        )
        .await;
    let own = r.json()["id"].as_i64().unwrap();
    let r = api
        .send(
            M::DELETE,
            &format!("/moderation/articles/{own}"),
            Some(&alice),
            Body::Empty,
        )
        .await;
    expect(&r, 204, "author deletes through moderation");

    // Deleting: the author only.
    let r = api
        .send(M::POST, "/articles", Some(&alice), Body::Json(article))
        .await;
    let del = format!("/articles/{}", r.json()["id"].as_i64().unwrap());
    expect(
        &api.send(M::DELETE, &del, Some(&bob), Body::Empty).await,
        403,
        "stranger deletes",
    );
    expect(
        &api.send(M::DELETE, &del, None, Body::Empty).await,
        401,
        "anonymous deletes",
    );
    expect(
        &api.send(M::DELETE, &del, Some(&alice), Body::Empty).await,
        204,
        "author deletes",
    );
    expect(
        &api.send(M::DELETE, &del, Some(&alice), Body::Empty).await,
        404,
        "deleted twice",
    );

    // Unknown routes.
    let r = api.get("/no/such/route", Some(&alice)).await;
    expect(&r, 404, "unknown route");
    assert_eq!(r.error(), "not_found");
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("axioms-tutorial-")
        .tempdir()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tutorial_on_the_dev_issuer() {
    let dir = temp_dir();
    let db = dir.path().join("tutorial.db");
    let mut server = Server::start("tutorial", &[("DATABASE_URL", sqlite_url(&db))], dir.path());
    let out = server.output();
    assert!(out.contains("DEVELOPMENT MODE"), "{out}");
    assert!(out.contains("audience: tutorial-api"), "{out}");
    let api = server.api();

    // The printed tokens work as printed.
    let printed = |var: &str| {
        let prefix = format!("export {var}='");
        out.lines()
            .find_map(|l| l.strip_prefix(&prefix)?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("no {var} in\n{out}"))
            .to_owned()
    };
    expect(
        &api.get("/api/read", Some(&printed("READER"))).await,
        200,
        "READER",
    );
    expect(
        &api.get("/api/write", Some(&printed("WRITER"))).await,
        200,
        "WRITER",
    );
    expect(
        &api.get("/admin/users", Some(&printed("ADMIN"))).await,
        200,
        "ADMIN",
    );
    expect(
        &api.get("/api/strict", Some(&printed("EDITOR"))).await,
        200,
        "EDITOR",
    );
    expect(
        &api.get("/api/read", Some(&printed("OWNER"))).await,
        403,
        "OWNER",
    );
    assert!(out.contains(&format!("export API={}", server.url)), "{out}");

    // POST /dev/token.
    let post = |body: Body| api.send(Method::POST, "/dev/token", None, body);
    let r = post(Body::Json(json!({"sub": "zoe", "scope": "read:data"}))).await;
    expect(&r, 200, "mint");
    let minted = r.json();
    assert_eq!(minted["token_type"], "Bearer");
    let lifetime = minted["expires_in"].as_i64().unwrap();
    assert!((3590..=3600).contains(&lifetime), "{minted}");
    let zoe = minted["access_token"].as_str().unwrap();
    let r = api.get("/protected", Some(zoe)).await;
    assert_eq!(r.json()["user_id"], "zoe");
    assert_eq!(r.json()["audience"], json!(["tutorial-api"]));
    // Never 200 without a principal: a token without `sub` is refused, and the log says
    // which setting would accept it.
    let r = post(Body::Json(json!({"sub": null, "scope": "read:data"}))).await;
    let anonymous = r.json()["access_token"].as_str().unwrap().to_owned();
    let r = api.get("/protected", Some(&anonymous)).await;
    expect(&r, 401, "a token without sub");
    assert!(
        server.output().contains("AXIOMS_ALLOW_TOKENS_WITHOUT_SUB"),
        "the refusal names the opt-out:\n{}",
        server.output()
    );
    let r = post(Body::Json(json!({"expires_in": 600}))).await;
    assert_eq!(r.json()["expires_in"], 600);
    let expired = post(Body::Json(json!({"expires_in": -600}))).await;
    assert_eq!(expired.json()["expires_in"], 0);
    let t = expired.json()["access_token"].as_str().unwrap().to_owned();
    let r = api.get("/protected", Some(&t)).await;
    expect(&r, 401, "expired token");
    let t = post(Body::Json(json!({"aud": "someone-else"})))
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    expect(
        &api.get("/protected", Some(&t)).await,
        401,
        "wrong audience",
    );
    expect(&post(Body::Json(json!("sub"))).await, 422, "not an object");
    expect(
        &post(Body::Json(json!({"exp": "soon"}))).await,
        422,
        "exp not a number",
    );
    expect(
        &post(Body::Json(json!({"exp": 1, "expires_in": 1}))).await,
        422,
        "both",
    );
    expect(
        &post(Body::Raw("application/json", "{")).await,
        400,
        "bad JSON",
    );

    drive_every_route(&api, &Minter::Dev(server.api()), &db).await;

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
    let mut server = Server::start(
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
    let api = server.api();

    // No development issuer here.
    let r = api
        .send(Method::POST, "/dev/token", None, Body::Json(json!({})))
        .await;
    expect(&r, 404, "POST /dev/token with an issuer configured");
    expect(&api.get("/dev/token", None).await, 404, "GET /dev/token");

    // Tokens of another issuer, or for another audience, are refused.
    let stranger = TestIssuer::start().await;
    let t = stranger.token().audience(audience).sign();
    expect(
        &api.get("/protected", Some(&t)).await,
        401,
        "another issuer",
    );
    let t = issuer.token().audience("https://other.api").sign();
    expect(
        &api.get("/protected", Some(&t)).await,
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

    let mut first = Server::start("tutorial", &env, dir.path());
    let api = first.api();
    let mint = Minter::Dev(first.api());
    let alice = mint.token(json!({"sub": "alice"})).await;
    let r = api
        .send(
            Method::POST,
            "/articles",
            Some(&alice),
            Body::Json(json!({"title": "Kept", "content": "across restarts"})),
        )
        .await;
    expect(&r, 201, "create");
    let id = r.json()["id"].as_i64().unwrap();
    let status = first.terminate();
    assert!(status.success(), "exit {status:?}:\n{}", first.output());
    assert!(db.exists());

    // A new process: new development keys, so a new token; the same row.
    let mut second = Server::start("tutorial", &env, dir.path());
    let api = second.api();
    let mint = Minter::Dev(second.api());
    let old = alice;
    expect(
        &api.get(&format!("/articles/{id}"), Some(&old)).await,
        401,
        "old keys are gone",
    );
    let alice = mint.token(json!({"sub": "alice"})).await;
    let r = api.get(&format!("/articles/{id}"), Some(&alice)).await;
    expect(&r, 200, "the article survived");
    assert_eq!(r.json()["title"], "Kept");
    let bob = mint.token(json!({"sub": "bob"})).await;
    expect(
        &api.get(&format!("/articles/{id}"), Some(&bob)).await,
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
    let mut server = Server::start("tutorial", &[], dir.path());
    assert!(
        server.output().contains("audience: from-dotenv"),
        "{}",
        server.output()
    );
    let api = server.api();
    let t = Minter::Dev(server.api()).token(json!({})).await;
    let r = api.get("/protected", Some(&t)).await;
    assert_eq!(r.json()["audience"], json!(["from-dotenv"]));
    assert!(server.terminate().success());
}

// ---------------------------------------------------------------------------------------------
// The smaller examples, each against a TestIssuer of this process

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
    let server = Server::start("minimal", &issuer_env(&issuer, "my-api"), dir.path());
    let api = server.api();
    let t = issuer.token().audience("my-api").subject("alice").sign();
    let r = api.get("/hello", Some(&t)).await;
    expect(&r, 200, "hello");
    assert_eq!(r.text, "hello alice\n");
    expect(&api.get("/hello", None).await, 401, "no token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_cors() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let origin = "https://app.example";
    let mut env = issuer_env(&issuer, "my-api");
    env.push(("ALLOWED_ORIGIN", origin.to_owned()));
    let mut server = Server::start("cors", &env, dir.path());
    let http = common::http_client();
    let send =
        |req: common::Req| common::send_http(&http, &server.url, req.header("origin", origin));
    let preflight = send(
        common::req("OPTIONS", "/api/items/7")
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
    let anonymous = send(common::req("DELETE", "/api/items/7")).await;
    common::expect(&anonymous, common::Want::Anonymous);
    assert_eq!(anonymous.headers["access-control-allow-origin"], origin);
    let user = issuer.token().audience("my-api").sign();
    let r = send(common::req("DELETE", "/api/items/7").bearer(&user)).await;
    common::expect(&r, common::Want::Forbidden(common::Scope::Absent));
    let admin = issuer
        .token()
        .audience("my-api")
        .claim("roles", json!(["admin"]))
        .sign();
    let r = send(common::req("DELETE", "/api/items/7").bearer(&admin)).await;
    common::expect(&r, common::Want::Status(204));
    let r = send(common::req("GET", "/api/items").bearer(&user)).await;
    common::expect(&r, common::Want::Status(200));
    // The handler ran once: for the admin's DELETE, not for the preflight.
    assert_eq!(server.output().matches("deleted item 7").count(), 1);
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_router_layer() {
    let issuer = TestIssuer::start().await;
    let dir = temp_dir();
    let server = Server::start("router_layer", &issuer_env(&issuer, "my-api"), dir.path());
    let api = server.api();
    let user = issuer.token().audience("my-api").subject("bob").sign();
    let admin = issuer
        .token()
        .audience("my-api")
        .claim("roles", json!(["superuser"]))
        .sign();
    expect(&api.get("/", None).await, 200, "public");
    expect(&api.get("/api/items", None).await, 401, "api, no token");
    let r = api.get("/api/items", Some(&user)).await;
    expect(&r, 200, "api with token");
    assert_eq!(r.json()["owner"], "bob");
    let r = api.get("/admin/users", Some(&user)).await;
    expect(&r, 403, "admin without role");
    assert!(r.header("www-authenticate").contains("insufficient_scope"));
    expect(&api.get("/admin/users", Some(&admin)).await, 200, "admin");
    expect(
        &api.get("/admin/stats", Some(&admin)).await,
        200,
        "admin stats",
    );
    expect(
        &api.get("/admin/hidden", None).await,
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
        let server = Server::start("provider_claims", &env, dir.path());
        let api = server.api();
        let yes = issuer.token().audience("my-api").claims(allowed).sign();
        let no = issuer.token().audience("my-api").claims(denied).sign();
        expect(&api.get(route, Some(&yes)).await, 200, provider);
        expect(&api.get(route, Some(&no)).await, 403, provider);
        expect(&api.get("/whoami", Some(&yes)).await, 200, provider);
    }

    // An explicit variable wins over the preset.
    let mut env = issuer_env(&issuer, "my-api");
    env.push(("PROVIDER", "keycloak".to_owned()));
    env.push(("AXIOMS_ROLES_CLAIMS", "cognito:groups".to_owned()));
    let server = Server::start("provider_claims", &env, dir.path());
    let api = server.api();
    let t = issuer
        .token()
        .audience("my-api")
        .claim("cognito:groups", json!(["admin"]))
        .sign();
    let r = api.get("/whoami", Some(&t)).await;
    assert_eq!(r.json()["roles"], json!(["admin"]));
    expect(
        &api.get("/admin", Some(&t)).await,
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
    let server = Server::start("custom_errors", &issuer_env(&issuer, "my-api"), dir.path());
    let api = server.api();

    let r = api.get("/admin", None).await;
    expect(&r, 401, "no token");
    assert_eq!(r.header("content-type"), "application/problem+json");
    assert_eq!(r.header("www-authenticate"), r#"Bearer realm="api""#);
    assert_eq!(r.json()["status"], 401);

    let user = issuer.token().audience("my-api").sign();
    let r = api.get("/admin", Some(&user)).await;
    expect(&r, 403, "no role");
    assert_eq!(r.header("content-type"), "application/problem+json");
    assert_eq!(
        r.json()["type"],
        "https://errors.example.com/auth/insufficient_scope"
    );
    assert!(r.header("www-authenticate").contains("insufficient_scope"));

    let r = api.get("/hello", Some("a.b.c")).await;
    expect(&r, 401, "bad token");
    assert_eq!(
        r.json()["type"],
        "https://errors.example.com/auth/invalid_token"
    );

    let admin = issuer
        .token()
        .audience("my-api")
        .claim("roles", json!(["admin"]))
        .sign();
    expect(&api.get("/admin", Some(&admin)).await, 200, "admin");
    expect(&api.get("/hello", Some(&user)).await, 200, "hello");
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
