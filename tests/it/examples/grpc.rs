//! The gRPC example (`examples/grpc`) on its embedded development issuer, called by Python's
//! `grpcio` with stubs that `grpcio-tools` generates from the example's `.proto`: a client
//! nobody here wrote (tests/grpc/client.py drives it; its packages are pinned in
//! tests/grpc/requirements.txt).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common::process::{Process, python_venv};

use super::temp_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_grpc_answers_a_python_grpcio_client() {
    let test = "example_grpc_answers_a_python_grpcio_client";
    let Some(python) = python_venv("grpc", test) else {
        return;
    };
    let dir = temp_dir();
    let server = Process::example("grpc", &[], dir.path());
    let addr = server.url.trim_start_matches("http://").to_owned();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(python)
        .arg(root.join("tests/grpc/client.py"))
        .arg(root.join("examples/grpc"))
        .arg(&addr)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client.py failed: {stderr}\nserver:\n{}",
        server.output()
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let call = |name: &str| report[name].clone();
    let code = |name: &str| report[name]["code"].as_str().unwrap_or_default().to_owned();
    let www = |name: &str| {
        report[name]["www_authenticate"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    // Open method, no token.
    assert_eq!(call("ping")["reply"], "serving");
    // No token: UNAUTHENTICATED, the bare challenge in the trailers-only response.
    assert_eq!(code("get_without_token"), "UNAUTHENTICATED");
    assert!(
        www("get_without_token").starts_with("Bearer realm="),
        "{report}"
    );
    assert!(!www("get_without_token").contains("error="), "{report}");
    assert_eq!(report["get_without_token"]["in_trailers"], true, "{report}");
    // Alice writes and reads her note.
    assert_eq!(code("alice_put"), "OK", "{report}");
    assert_eq!(call("alice_get_own")["reply"], "alice's note");
    // Bob may read notes, but not Alice's (ownership in the method: as if it did not exist),
    // and may not write: PERMISSION_DENIED naming the scope to ask for.
    assert_eq!(code("bob_get_alices"), "NOT_FOUND", "{report}");
    assert_eq!(code("bob_put"), "PERMISSION_DENIED", "{report}");
    assert!(
        www("bob_put").contains(r#"error="insufficient_scope""#),
        "{report}"
    );
    assert!(
        www("bob_put").contains(r#"scope="notes:write""#),
        "{report}"
    );
    // An expired token: UNAUTHENTICATED, `invalid_token`.
    assert_eq!(code("expired_get"), "UNAUTHENTICATED", "{report}");
    assert!(
        www("expired_get").contains(r#"error="invalid_token""#),
        "{report}"
    );
    assert_eq!(
        report["expired_get"]["message"],
        "the access token is invalid or expired"
    );
    // Streams: refused before the first message, allowed to the end.
    assert_eq!(code("bob_import"), "PERMISSION_DENIED", "{report}");
    assert_eq!(call("alice_import")["reply"], 2);
    let alice_list = call("alice_list")["reply"].as_array().unwrap().len();
    assert_eq!(alice_list, 3, "{report}");
    assert_eq!(call("bob_list")["reply"], serde_json::json!([]));
    assert_eq!(call("alice_edit")["reply"], serde_json::json!(["x", "y"]));
    // A role: Alice has none, the admin has it.
    assert_eq!(code("alice_purge"), "PERMISSION_DENIED", "{report}");
    assert_eq!(call("admin_purge")["reply"], 5);

    // Neither a status message nor the server's log carries a token.
    let log = server.output();
    for token in report["tokens"].as_array().unwrap() {
        let signature = token.as_str().unwrap().rsplit('.').next().unwrap();
        assert!(!log.contains(signature), "the server logged a token");
        for (name, outcome) in report.as_object().unwrap() {
            if name != "tokens" {
                assert!(
                    !outcome.to_string().contains(signature),
                    "{name} echoed a token"
                );
            }
        }
    }
}
