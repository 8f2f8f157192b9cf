//! OpenAPI from the policies (feature `utoipa`): every operation's `security` is written from
//! the `#[protected]` policy that enforces it. Checked in-process, on the tutorial's own
//! document (a table of what a person would write from each policy), with two independent
//! validators (`@apidevtools/swagger-parser`, `@redocly/cli`), and in a real browser: Swagger
//! UI in Debian's Chromium, driven by playwright-core.
//!
//! The Protected Resource Metadata the same policies feed: [`resource_metadata`].

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use axioms::openapi::{Requirement, SecurityDoc};
use axioms::protected;
use serde_json::{Value, json};
use utoipa::OpenApi as _;

use crate::common;
use crate::common::process::{Process, node_dir};
use crate::common::req;

mod resource_metadata;

const PACKAGES: [&str; 3] = [
    "@apidevtools/swagger-parser",
    "@redocly/cli",
    "playwright-core",
];

// ---------------------------------------------------------------------------------------------
// In-process: the document follows the policy, in either attribute order.

axioms::policy!(pub Editors: roles = any("editor", "admin"));

#[protected(scopes = any("notes:read", "notes:admin"))]
#[utoipa::path(get, path = "/notes", responses((status = 200, description = "The notes")))]
async fn list_notes() -> &'static str {
    "notes"
}

#[utoipa::path(delete, path = "/notes/{id}", params(("id" = u32, Path, description = "Note")), responses((status = 204, description = "Deleted")))]
#[protected(scopes = all("notes:write", "notes:read"), roles = "editor")]
async fn delete_note() -> &'static str {
    "deleted"
}

#[protected(policy = Editors)]
#[utoipa::path(get, path = "/reviews", operation_id = "listReviews", responses((status = 200, description = "Reviews")))]
async fn reviews() -> &'static str {
    "reviews"
}

#[protected(scopes = "notes:read", safe_methods = ["GET"])]
#[utoipa::path(method(get, post), path = "/board", responses((status = 200, description = "The board")))]
async fn board() -> &'static str {
    "board"
}

#[utoipa::path(get, path = "/admin/stats", responses((status = 200, description = "Stats")))]
async fn stats() -> &'static str {
    "stats"
}

#[protected(credentials = "api_key", roles = "deployer")]
#[utoipa::path(post, path = "/deploy", responses((status = 202, description = "Deploying")))]
async fn deploy() -> &'static str {
    "deploying"
}

#[protected(credentials = "token", scopes = "notes:read")]
#[utoipa::path(get, path = "/me/notes", responses((status = 200, description = "Mine")))]
async fn my_notes() -> &'static str {
    "mine"
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "deploys", license(name = "MIT", identifier = "MIT")),
    paths(list_notes, deploy, my_notes)
)]
struct KeysDoc;

#[test]
fn api_keys_are_an_alternative_where_the_policy_takes_them() {
    let mut doc = KeysDoc::openapi();
    SecurityDoc::bearer()
        .api_key_header("x-api-key")
        .apply(&mut doc);
    let doc = serde_json::to_value(&doc).unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["in"],
        "header"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["name"],
        "x-api-key"
    );
    let security = |m, p| operation(&doc, m, p)["security"].clone();
    assert_eq!(
        security("get", "/notes"),
        json!([{"bearer": ["notes:read"]}, {"bearer": ["notes:admin"]}, {"api_key": []}]),
        "no `credentials`: tokens or keys"
    );
    assert_eq!(
        security("post", "/deploy"),
        json!([{"api_key": []}]),
        "keys only"
    );
    assert_eq!(
        security("get", "/me/notes"),
        json!([{"bearer": ["notes:read"]}]),
        "tokens only"
    );
    // Without API keys, nothing changes.
    let mut plain = KeysDoc::openapi();
    SecurityDoc::bearer().apply(&mut plain);
    let plain = serde_json::to_value(&plain).unwrap();
    assert!(
        plain["components"]["securitySchemes"]
            .get("api_key")
            .is_none()
    );
    assert_eq!(
        plain["paths"]["/notes"]["get"]["security"],
        json!([{"bearer": ["notes:read"]}, {"bearer": ["notes:admin"]}])
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "notes", license(name = "MIT", identifier = "MIT")),
    paths(list_notes, delete_note, reviews, board, stats)
)]
struct NotesDoc;

/// The handlers are ordinary handlers: they mount (and their guards compile) as usual.
#[test]
fn the_documented_handlers_mount() {
    use axum::routing::{delete, get};
    let _: axum::Router<axioms::Axioms> = axum::Router::new()
        .route("/notes", get(list_notes))
        .route("/notes/{id}", delete(delete_note))
        .route("/reviews", get(reviews))
        .route("/board", get(board).post(board))
        .route("/admin/stats", get(stats))
        .route("/deploy", axum::routing::post(deploy))
        .route("/me/notes", get(my_notes));
}

/// The document finds a handler's policy by the handler's bare name, in a registry of the whole
/// binary: each name resolved above belongs to one policy here (a `#[protected]` handler of the
/// same name in another module would make it ambiguous), and `stats` to none.
#[test]
fn each_documented_handler_name_resolves_to_one_policy_in_this_binary() {
    for name in [
        "list_notes",
        "delete_note",
        "reviews",
        "listReviews",
        "board",
        "deploy",
        "my_notes",
    ] {
        let found = axioms::__private::policy_of(name);
        assert!(matches!(found, Ok(Some(_))), "{name}: {found:?}");
    }
    assert_eq!(axioms::__private::policy_of("stats"), Ok(None));
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    &doc["paths"][path][method]
}

#[test]
fn the_document_follows_the_policy_in_either_attribute_order() {
    let mut doc = NotesDoc::openapi();
    SecurityDoc::bearer()
        .policy_layer::<Editors>("/admin")
        .apply(&mut doc);
    let doc = serde_json::to_value(&doc).unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token of the configured issuer"})
    );
    let security = |m, p| operation(&doc, m, p)["security"].clone();
    assert_eq!(
        security("get", "/notes"),
        json!([{"bearer": ["notes:read"]}, {"bearer": ["notes:admin"]}]),
        "#[protected] above #[utoipa::path], any(…): alternatives"
    );
    assert_eq!(
        security("delete", "/notes/{id}"),
        json!([{"bearer": ["notes:read", "notes:write"]}]),
        "#[utoipa::path] above #[protected], all(…): one requirement"
    );
    assert_eq!(
        operation(&doc, "delete", "/notes/{id}")["x-axioms-policy"]["exact"],
        false
    );
    assert!(
        operation(&doc, "delete", "/notes/{id}")["description"]
            .as_str()
            .unwrap()
            .contains(r#"roles = "editor""#),
        "the role is stated in words"
    );
    // A named policy, under a custom operation id.
    assert_eq!(security("get", "/reviews"), json!([{"bearer": []}]));
    assert!(
        operation(&doc, "get", "/reviews")["x-axioms-policy"]["policies"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("editor")
    );
    // A safe method: the token is optional there, not on POST; each method gets its own
    // operation id.
    assert_eq!(operation(&doc, "get", "/board")["operationId"], "board_get");
    assert_eq!(
        operation(&doc, "post", "/board")["operationId"],
        "board_post"
    );
    assert_eq!(
        security("get", "/board"),
        json!([{"bearer": ["notes:read"]}, {}])
    );
    assert_eq!(
        security("post", "/board"),
        json!([{"bearer": ["notes:read"]}])
    );
    // Behind a PolicyLayer.
    assert_eq!(security("get", "/admin/stats"), json!([{"bearer": []}]));
    assert!(
        operation(&doc, "get", "/admin/stats")["description"]
            .as_str()
            .unwrap()
            .contains("PolicyLayer on /admin")
    );
    // The error responses axioms gives are documented.
    assert!(operation(&doc, "get", "/notes")["responses"]["401"].is_object());
    assert!(operation(&doc, "get", "/notes")["responses"]["403"].is_object());

    // One statement: the requirement is the policy's own rule, transcribed.
    let rule = |name: &str| axioms::__private::policy_of(name).unwrap().unwrap().0;
    for (name, method, path) in [
        ("list_notes", "get", "/notes"),
        ("delete_note", "delete", "/notes/{id}"),
        ("listReviews", "get", "/reviews"),
    ] {
        let from_rule = Requirement::of(rule(name)).security("bearer");
        assert_eq!(
            security(method, path),
            serde_json::to_value(from_rule).unwrap(),
            "{name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The tutorial's document, as served.

struct Tutorial {
    process: Process,
    api: common::Transport,
    _cwd: tempfile::TempDir,
}

fn tutorial(env: &[(&str, String)]) -> Tutorial {
    let cwd = tempfile::tempdir().unwrap();
    let process = Process::example("tutorial", env, cwd.path());
    let api = common::Transport::at(&process.url);
    Tutorial {
        process,
        api,
        _cwd: cwd,
    }
}

async fn served_document(t: &Tutorial) -> Value {
    let r = t.api.send(req("GET", "/openapi.json")).await;
    assert_eq!(r.status, 200, "{r:?}");
    r.json()
}

/// What a person writes from each route's policy (the tutorial's route table).
fn expected(scheme: &str) -> Vec<(&'static str, &'static str, Value)> {
    let token = json!([{ scheme: [] }]);
    let one = |s: &[&str]| json!([{ scheme: s }]);
    vec![
        ("get", "/", json!([{}])),
        ("get", "/health", json!([{}])),
        ("get", "/protected", token.clone()),
        ("get", "/me", token.clone()),
        (
            "get",
            "/api/read",
            json!([{ scheme: ["read:data"] }, { scheme: ["admin"] }]),
        ),
        ("get", "/api/write", one(&["openid", "write:data"])),
        ("get", "/admin/users", token.clone()),
        ("delete", "/admin/users/{id}", token.clone()),
        ("post", "/admin/keys", token.clone()),
        ("post", "/api/resource", token.clone()),
        (
            "get",
            "/api/strict",
            json!([{ scheme: ["openid"] }, { scheme: ["profile"] }]),
        ),
        ("get", "/public-data", json!([{ scheme: [] }, {}])),
        ("head", "/public-data", json!([{ scheme: [] }, {}])),
        ("options", "/public-data", json!([{ scheme: [] }, {}])),
        ("post", "/public-data", token.clone()),
        ("post", "/articles", token.clone()),
        ("get", "/articles/{id}", token.clone()),
        ("patch", "/articles/{id}", token.clone()),
        ("delete", "/articles/{id}", token.clone()),
        ("post", "/articles/{id}/comments", token.clone()),
        ("patch", "/comments/{id}", token.clone()),
        ("post", "/projects", token.clone()),
        ("get", "/projects/{id}", token.clone()),
        (
            "patch",
            "/api/articles/{id}/publish",
            one(&["articles:publish"]),
        ),
        ("delete", "/moderation/articles/{id}", token),
    ]
}

/// Which operations cannot say everything in their requirement (roles, permissions,
/// ownership), and must say so.
const INEXACT: &[&str] = &[
    "/admin/users",
    "/admin/users/{id}",
    "/admin/keys",
    "/api/resource",
    "/api/strict",
    "/articles/{id}",
    "/comments/{id}",
    "/projects/{id}",
    "/api/articles/{id}/publish",
    "/moderation/articles/{id}",
];

fn check_table(doc: &Value, scheme: &str) {
    let mut failures = Vec::new();
    for (method, path, want) in expected(scheme) {
        let op = operation(doc, method, path);
        assert!(op.is_object(), "{method} {path} is in the document");
        if op["security"] != want {
            failures.push(format!("{method} {path}: {} != {want}", op["security"]));
        }
        let exact = op["x-axioms-policy"]["exact"].as_bool();
        match (want == json!([{}]), INEXACT.contains(&path)) {
            (true, _) => assert!(op["x-axioms-policy"].is_null(), "{path} is public"),
            (false, true) => {
                assert_eq!(exact, Some(false), "{method} {path}");
                assert!(
                    op["description"].as_str().unwrap().contains("checked too"),
                    "{method} {path} says so"
                );
            }
            (false, false) => assert_eq!(exact, Some(true), "{method} {path}"),
        }
    }
    common::no_failures(&failures);
    // Every requirement names a defined scheme.
    let schemes = &doc["components"]["securitySchemes"];
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for requirement in op["security"].as_array().into_iter().flatten() {
                for name in requirement.as_object().unwrap().keys() {
                    assert!(schemes[name].is_object(), "scheme {name} defined");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_documents_every_route_with_its_policy() {
    let t = tutorial(&[]);
    let doc = served_document(&t).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    check_table(&doc, "bearer");
    // Swagger UI is served from the binary.
    let r = t.api.send(req("GET", "/docs/")).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("swagger-ui"), "{}", r.body);
}

fn write_document(doc: &Value, name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    path
}

fn node(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("node")
        .args(args)
        .current_dir(dir)
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_passes_two_independent_validators() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "the_document_passes_two_independent_validators",
    ) else {
        return;
    };
    let t = tutorial(&[]);
    let doc = served_document(&t).await;
    let file = write_document(&doc, "tutorial-openapi.json");
    let file = file.to_str().unwrap();
    let (ok, out) = node(&dir, &["validate_openapi.mjs", file]);
    assert!(ok && out.contains("valid 3.1.0"), "swagger-parser: {out}");
    let redocly = "node_modules/@redocly/cli/bin/cli.js";
    let (ok, out) = node(&dir, &[redocly, "lint", file, "--config", "redocly.yaml"]);
    assert!(ok, "redocly lint: {out}");
    // The validators do catch a broken document (so a pass means something).
    let mut broken = doc.clone();
    broken["paths"]["/api/read"]["get"]["security"] = json!([{"nosuch": []}]);
    let broken_file = write_document(&broken, "broken-openapi.json");
    let (ok, out) = node(
        &dir,
        &[
            redocly,
            "lint",
            broken_file.to_str().unwrap(),
            "--config",
            "redocly.yaml",
        ],
    );
    assert!(!ok, "redocly accepted an undefined scheme: {out}");
}

/// In production mode the scheme is the issuer's OAuth flows, with every scope the policies
/// name; every requirement's scopes are declared in them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_a_real_issuer_the_scheme_is_its_oauth_flows() {
    let Some(dir) = node_dir(
        "oidc",
        &["oidc-provider", "jose"],
        "against_a_real_issuer_the_scheme_is_its_oauth_flows",
    ) else {
        return;
    };
    let mut command = Command::new("node");
    command.arg("provider.mjs").arg("0").current_dir(&dir);
    let provider = Process::spawn("oidc-provider", command);
    let t = tutorial(&[
        ("AXIOMS_ISS_URL", provider.url.clone()),
        ("AXIOMS_DISCOVERY", "true".to_owned()),
        ("AXIOMS_AUDIENCE", "https://api.axioms.test".to_owned()),
    ]);
    let doc = served_document(&t).await;
    let oauth2 = &doc["components"]["securitySchemes"]["oauth2"];
    assert_eq!(oauth2["type"], "oauth2", "{}", doc["components"]);
    let cc = &oauth2["flows"]["clientCredentials"];
    assert_eq!(cc["tokenUrl"], format!("{}/token", provider.url));
    check_table(&doc, "oauth2");
    let declared = cc["scopes"].as_object().unwrap();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for requirement in op["security"].as_array().into_iter().flatten() {
                for scope in requirement["oauth2"].as_array().into_iter().flatten() {
                    assert!(
                        declared.contains_key(scope.as_str().unwrap()),
                        "{scope} declared"
                    );
                }
            }
        }
    }
    drop(provider);
}

// ---------------------------------------------------------------------------------------------
// In a real browser.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swagger_ui_authorizes_and_executes_in_chromium() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "swagger_ui_authorizes_and_executes_in_chromium",
    ) else {
        return;
    };
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !Path::new(&chromium).exists() {
        let message = format!(
            "swagger_ui_authorizes_and_executes_in_chromium: NOT RUN — no Chromium at {chromium} \
             (apt-get install chromium)"
        );
        assert!(std::env::var_os("CI").is_none(), "{message} (CI is set)");
        eprintln!("\n{message}\n");
        return;
    }
    let t = tutorial(&[]);
    let mint = |claims: Value| {
        let api = &t.api;
        async move {
            let r = api.send(req("POST", "/dev/token").json(claims)).await;
            r.json()["access_token"].as_str().unwrap().to_owned()
        }
    };
    let reader = mint(json!({"sub": "ada", "scope": "read:data"})).await;
    let stranger = mint(json!({"sub": "bob", "scope": "profile"})).await;
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("swagger-ui");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg("swagger_ui.mjs")
        .current_dir(&dir)
        .env("DOCS_URL", format!("{}/docs/", t.process.url))
        .env("READER", &reader)
        .env("STRANGER", &stranger)
        .env("SHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .output()
        .expect("run node swagger_ui.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "no report ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(report["error"].is_null(), "{}", report["error"]);
    println!("screenshots in {}", shots.display());
    // The lock on protected operations, none on public ones.
    for id in ["read_data", "strict", "moderate_article"] {
        assert_eq!(
            report["locks"][id], "authorization button unlocked",
            "{id}: {report}"
        );
    }
    for id in ["health", "index"] {
        assert!(report["locks"][id].is_null(), "{id}: {report}");
    }
    // A safe method: "token or none", which Swagger UI shows as already satisfied.
    assert_eq!(
        report["locks"]["public_data_get"], "authorization button locked",
        "{report}"
    );
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs[0]["label"], "reader");
    assert_eq!(runs[0]["status"], "200", "{report}");
    assert_eq!(runs[0]["curl_has_token"], true);
    assert!(
        runs[0]["authorize_button"]
            .as_str()
            .unwrap()
            .contains("authorize locked"),
        "{report}"
    );
    assert_eq!(runs[1]["label"], "stranger");
    assert_eq!(runs[1]["status"], "403", "{report}");
    for run in runs {
        let shot = Path::new(run["screenshot"].as_str().unwrap());
        assert!(
            std::fs::metadata(shot).unwrap().len() > 10_000,
            "{}",
            shot.display()
        );
    }
}
