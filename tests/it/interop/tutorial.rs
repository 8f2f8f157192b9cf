//! The tutorial example against oidc-provider, configured by discovery only: it allows and
//! denies real tokens as its routes say, follows key rotations without a restart, keeps
//! serving from its cached keys once the provider is gone, and takes DPoP-bound tokens of a
//! real provider with proofs made by npm `dpop`, with and without nonces.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::common;
use crate::common::process::{Process, node_dir};
use crate::common::{Resp, Transport, req};

use super::{
    ES_CLIENT, OTHER_RESOURCE, PACKAGES, Provider, RESOURCE, RS_CLIENT, header, payload,
    with_bad_signature, with_header, with_payload,
};

/// The tutorial example, protecting [`RESOURCE`] for `issuer` found by discovery.
struct Tutorial {
    process: Process,
    api: Transport,
    _cwd: tempfile::TempDir,
}

impl Tutorial {
    /// Starts the tutorial for `issuer`; `extra` adds or overrides variables.
    fn start(issuer: &str, extra: &[(&str, &str)]) -> Self {
        // An empty directory: no `.env` of the developer's is read.
        let cwd = tempfile::tempdir().unwrap();
        let mut env = vec![
            ("RUST_LOG", "info,axioms=debug".to_owned()),
            ("AXIOMS_ISS_URL", issuer.to_owned()),
            ("AXIOMS_DISCOVERY", "true".to_owned()),
            ("AXIOMS_AUDIENCE", RESOURCE.to_owned()),
        ];
        env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let process = Process::example("tutorial", &env, cwd.path());
        let output = process.output();
        assert!(
            output.contains(issuer) && !output.contains("DEVELOPMENT MODE"),
            "the tutorial is not in production mode for {issuer}:\n{output}"
        );
        let api = Transport::at(&process.url);
        Self {
            process,
            api,
            _cwd: cwd,
        }
    }

    /// Asserts the status of one of its answers, showing the server's log if it differs.
    #[track_caller]
    fn check(&self, resp: &Resp, status: u16, what: &str) {
        assert_eq!(
            resp.status,
            status,
            "{what}: {resp:?}\ntutorial output:\n{}",
            self.process.output()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_allows_and_denies_real_provider_tokens() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "tutorial_allows_and_denies_real_provider_tokens",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    let tutorial = Tutorial::start(provider.issuer(), &[]);

    // The provider issues what a resource server expects (RFC 9068).
    let rs_read = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let head = header(&rs_read);
    assert_eq!(
        (&head["alg"], &head["typ"]),
        (&json!("RS256"), &json!("at+jwt"))
    );
    let claims = payload(&rs_read);
    assert_eq!(claims["iss"], provider.issuer());
    assert_eq!(claims["aud"], RESOURCE);
    assert_eq!(claims["sub"], RS_CLIENT.id);
    assert_eq!(claims["scope"], "read:data");

    // Allowed: a valid token; a scope the token has.
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&rs_read))
        .await;
    tutorial.check(&r, 200, "GET /protected, RS256 token");
    assert_eq!(r.json()["user_id"], RS_CLIENT.id);
    assert_eq!(r.json()["issuer"], provider.issuer());
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&rs_read))
        .await;
    tutorial.check(&r, 200, "GET /api/read with read:data");
    assert_eq!(r.json()["user_scopes"], json!(["read:data"]));
    let r = tutorial.api.send(req("GET", "/me").bearer(&rs_read)).await;
    tutorial.check(&r, 200, "GET /me");
    assert_eq!(r.json()["roles"], json!(["editor"]));

    // ES256, with roles and permissions from the provider's extra token claims.
    let es_admin = provider.token(ES_CLIENT, RESOURCE, "admin").await;
    assert_eq!(header(&es_admin)["alg"], "ES256");
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&es_admin))
        .await;
    tutorial.check(&r, 200, "GET /api/read with admin (ES256)");
    let r = tutorial
        .api
        .send(req("GET", "/admin/users").bearer(&es_admin))
        .await;
    tutorial.check(&r, 200, "GET /admin/users as admin");
    let r = tutorial
        .api
        .send(req("POST", "/api/resource").bearer(&es_admin))
        .await;
    tutorial.check(&r, 201, "POST /api/resource with resource:create");
    assert_eq!(r.json()["created_by"], ES_CLIENT.id);

    // Denied, 403: a scope, a role or a permission the token lacks.
    let rs_write = provider.token(RS_CLIENT, RESOURCE, "write:data").await;
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&rs_write))
        .await;
    tutorial.check(&r, 403, "GET /api/read with write:data only");
    assert!(
        r.header("www-authenticate")
            .contains(r#"error="insufficient_scope""#),
        "{r:?}"
    );
    assert!(r.header("www-authenticate").contains("read:data"), "{r:?}");
    let r = tutorial
        .api
        .send(req("GET", "/api/write").bearer(&rs_write))
        .await;
    tutorial.check(&r, 403, "GET /api/write without openid");
    let r = tutorial
        .api
        .send(req("GET", "/admin/users").bearer(&rs_read))
        .await;
    tutorial.check(&r, 403, "GET /admin/users as editor");
    let r = tutorial
        .api
        .send(req("POST", "/api/resource").bearer(&rs_read))
        .await;
    tutorial.check(&r, 403, "POST /api/resource without permission");
    // The provider itself refuses a scope the client may not ask for.
    let (status, answer) = provider.request_token(RS_CLIENT, RESOURCE, "admin").await;
    assert_eq!((status, &answer["error"]), (400, &json!("invalid_scope")));

    // Denied, 401: tampered tokens, a token for another resource, no token.
    let escalated = with_payload(&rs_read, |c| c["scope"] = json!("read:data admin"));
    let bad_sig = with_bad_signature(&rs_read);
    let other = provider.token(RS_CLIENT, OTHER_RESOURCE, "read:data").await;
    assert_eq!(payload(&other)["aud"], OTHER_RESOURCE);
    for (token, what) in [
        (&escalated, "payload changed (scope added)"),
        (&bad_sig, "signature bit flipped"),
        (&other, "token for another resource"),
    ] {
        for path in ["/protected", "/api/read"] {
            let r = tutorial.api.send(req("GET", path).bearer(token)).await;
            tutorial.check(&r, 401, &format!("GET {path}, {what}"));
            assert!(
                r.header("www-authenticate")
                    .contains(r#"error="invalid_token""#),
                "{r:?}"
            );
        }
    }
    let r = tutorial.api.send(req("GET", "/protected")).await;
    tutorial.check(&r, 401, "no token");

    // The original tokens are still fine after all that.
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&rs_read))
        .await;
    tutorial.check(&r, 200, "GET /protected again");
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_follows_key_rotation_without_restart() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "tutorial_follows_key_rotation_without_restart",
    ) else {
        return;
    };
    const COOLDOWN: Duration = Duration::from_secs(2);
    let provider = Provider::start(&dir);
    let tutorial = Tutorial::start(
        provider.issuer(),
        &[("AXIOMS_JWKS_COOLDOWN_SECS", &COOLDOWN.as_secs().to_string())],
    );

    let before = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let old_kid = header(&before)["kid"].as_str().unwrap().to_owned();
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&before))
        .await;
    tutorial.check(&r, 200, "token signed before the rotation");
    let fetches = provider.jwks_fetches().await;
    assert!(fetches >= 1, "the tutorial fetched the provider's JWKS");

    // Rotation through the admin route: a new RS256 key signs, the old one stays published.
    let new_kid = provider.rotate("RS256").await;
    assert_ne!(new_kid, old_kid);
    assert_eq!(
        provider.kids().await[..2],
        [new_kid.clone(), old_kid.clone()]
    );
    let after = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&after)["kid"], new_kid.as_str());

    // The first use of the new kid makes the tutorial fetch the key set again: accepted at once.
    let first_use = Instant::now();
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&after))
        .await;
    tutorial.check(&r, 200, "first token signed by the rotated-in key");
    assert!(
        provider.jwks_fetches().await > fetches,
        "the unknown kid caused no JWKS fetch"
    );
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&after))
        .await;
    tutorial.check(&r, 200, "rotated-in key, scope route");
    // The old key is still published: tokens signed before the rotation keep working, and so
    // does a token of the old key the tutorial has never seen (no token cache involved).
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&before))
        .await;
    tutorial.check(&r, 200, "old token after the rotation");
    let es = provider.token(ES_CLIENT, RESOURCE, "read:data").await;
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&es))
        .await;
    tutorial.check(&r, 200, "ES256 key untouched by the RS256 rotation");

    // A second rotation (ES256 this time, by the admin route) and a third (RS256, by SIGUSR2):
    // each new key is accepted at most one cooldown after the previous refetch.
    let es_kid = provider.rotate("ES256").await;
    let es_after = provider.token(ES_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&es_after)["kid"], es_kid.as_str());
    assert_eq!(header(&es_after)["alg"], "ES256");
    accepted_within(
        &tutorial,
        &es_after,
        first_use + COOLDOWN + Duration::from_secs(5),
    )
    .await;

    let kids_before_signal = provider.kids().await;
    provider.process.signal("USR2");
    let deadline = Instant::now() + Duration::from_secs(10);
    let signalled_kid = loop {
        let kids = provider.kids().await;
        if kids.len() > kids_before_signal.len() {
            break kids[0].clone();
        }
        assert!(Instant::now() < deadline, "SIGUSR2 rotated no key");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let signalled = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&signalled)["kid"], signalled_kid.as_str());
    accepted_within(
        &tutorial,
        &signalled,
        Instant::now() + COOLDOWN + Duration::from_secs(5),
    )
    .await;

    // Every token of every generation still verifies: no key was retired.
    for (token, what) in [
        (&before, "first RS256 key"),
        (&after, "second RS256 key"),
        (&es, "first ES256 key"),
        (&es_after, "second ES256 key"),
        (&signalled, "third RS256 key"),
    ] {
        let r = tutorial
            .api
            .send(req("GET", "/protected").bearer(token))
            .await;
        tutorial.check(&r, 200, what);
    }
    // A kid the provider never published is still refused.
    let forged = with_header(&after, |h| h["kid"] = json!("never-published"));
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&forged))
        .await;
    tutorial.check(&r, 401, "unknown kid");
}

/// Retries `GET /protected` with `token` until 200, failing after `deadline`. A refusal
/// before then must be a 401 (the unknown-kid cooldown), never anything else.
async fn accepted_within(tutorial: &Tutorial, token: &str, deadline: Instant) {
    loop {
        let r = tutorial
            .api
            .send(req("GET", "/protected").bearer(token))
            .await;
        if r.status == 200 {
            return;
        }
        tutorial.check(&r, 401, "new kid inside the cooldown");
        assert!(
            Instant::now() < deadline,
            "a newly published key was still refused after the cooldown: {r:?}\n{}",
            tutorial.process.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_keeps_working_when_the_provider_stops() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "tutorial_keeps_working_when_the_provider_stops",
    ) else {
        return;
    };
    let mut provider = Provider::start(&dir);
    let port = provider.port();
    let issuer = provider.issuer().to_owned();
    let tutorial = Tutorial::start(&issuer, &[("AXIOMS_JWKS_COOLDOWN_SECS", "1")]);

    let used = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let unused_rs = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    let unused_es = provider.token(ES_CLIENT, RESOURCE, "admin").await;
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&used))
        .await;
    tutorial.check(&r, 200, "before the provider stops");

    // The provider dies without a word.
    provider.process.kill();
    let refused = common::http_client()
        .get(format!("{issuer}/jwks"))
        .send()
        .await;
    assert!(refused.is_err(), "the provider still answers");

    // Cached keys keep verifying: the token seen before, and tokens never seen (so not from
    // the token cache), RS256 and ES256, on every kind of route.
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&used))
        .await;
    tutorial.check(&r, 200, "token used before the stop");
    let r = tutorial
        .api
        .send(req("GET", "/api/read").bearer(&unused_rs))
        .await;
    tutorial.check(&r, 200, "RS256 token never presented before");
    let r = tutorial
        .api
        .send(req("GET", "/admin/users").bearer(&unused_es))
        .await;
    tutorial.check(&r, 200, "ES256 token never presented before");
    // Still refused: a forged token, and an unknown kid (the refetch fails fast, 401 not 5xx).
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&with_bad_signature(&used)))
        .await;
    tutorial.check(&r, 401, "bad signature while the provider is down");
    let started = Instant::now();
    let forged = with_header(&used, |h| h["kid"] = json!("unknown-while-down"));
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&forged))
        .await;
    tutorial.check(&r, 401, "unknown kid while the provider is down");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "an unknown kid with the provider down took {:?}",
        started.elapsed()
    );
    let r = tutorial
        .api
        .send(req("GET", "/protected").bearer(&used))
        .await;
    tutorial.check(&r, 200, "a failed refetch does not drop the cached keys");

    // The provider comes back on the same port with a new key set: its tokens are accepted
    // (one cooldown at most), and those of the vanished keys are refused once the new set is in.
    let provider = Provider::start_on(&dir, port);
    assert_eq!(provider.issuer(), issuer);
    let fresh = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_ne!(header(&fresh)["kid"], header(&used)["kid"]);
    accepted_within(&tutorial, &fresh, Instant::now() + Duration::from_secs(10)).await;
    for (token, what) in [(&used, "RS256"), (&unused_es, "ES256")] {
        let r = tutorial
            .api
            .send(req("GET", "/protected").bearer(token))
            .await;
        tutorial.check(
            &r,
            401,
            &format!("{what} token of a key no longer published"),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// DPoP: oidc-provider binds the tokens, npm `dpop` makes the proofs

/// Runs `dpop_client.mjs` with `input`; returns its report.
fn dpop_client(dir: &Path, input: &Value) -> Value {
    let mut child = Command::new("node")
        .arg("dpop_client.mjs")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node dpop_client.mjs");
    let bytes = serde_json::to_vec(input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("dpop_client output");
    writer.join().unwrap().expect("write to dpop_client");
    assert!(
        out.status.success(),
        "dpop_client failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "dpop_client printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_takes_dpop_bound_tokens_of_a_real_provider_and_client() {
    let Some(dir) = node_dir(
        "oidc",
        &["oidc-provider", "jose", "dpop"],
        "tutorial_takes_dpop_bound_tokens_of_a_real_provider_and_client",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    let nonce_secret = URL_SAFE_NO_PAD.encode([7u8; 32]);
    for with_nonces in [false, true] {
        // The tutorial on http://127.0.0.1:PORT is the resource `https://api.axioms.test`, as
        // behind a TLS-terminating proxy: proofs name the public URL, never the socket's.
        let mut extra = vec![("AXIOMS_RESOURCE", RESOURCE)];
        if with_nonces {
            extra.push(("AXIOMS_DPOP_NONCE_SECRET", &nonce_secret));
        }
        let tutorial = Tutorial::start(provider.issuer(), &extra);
        let report = dpop_client(
            &dir,
            &json!({
                "issuer": provider.issuer(),
                "client_id": ES_CLIENT.id,
                "client_secret": ES_CLIENT.secret,
                "resource": RESOURCE,
                "scope": "read:data",
                "api": tutorial.process.url,
                "origin": RESOURCE,
                "path": "/api/read",
                "nonce_expected": with_nonces,
            }),
        );
        let mode = if with_nonces {
            "with nonces"
        } else {
            "without nonces"
        };
        assert_eq!(report["token_type"], "DPoP", "{mode}: {report}");
        assert_eq!(
            report["cnf_matches"], true,
            "{mode}: cnf.jkt is the key's thumbprint"
        );
        assert_eq!(report["nonce"].is_string(), with_nonces, "{mode}: {report}");

        // Case, status, and the scheme and error code of the challenge.
        type Expected<'a> = (&'a str, u16, Option<(&'a str, &'a str)>);
        let mut expected: Vec<Expected<'_>> = vec![
            ("accepted", 200, None),
            ("a second proof", 200, None),
            ("Ed25519 accepted", 200, None),
            ("replayed jti", 401, Some(("DPoP", "invalid_dpop_proof"))),
            ("token as Bearer", 401, Some(("Bearer", "invalid_token"))),
            (
                "token as Bearer with a proof",
                401,
                Some(("Bearer", "invalid_token")),
            ),
            ("no proof", 401, Some(("DPoP", "invalid_dpop_proof"))),
            (
                "two DPoP headers",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            ("wrong htm", 401, Some(("DPoP", "invalid_dpop_proof"))),
            (
                "htu of another host",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            (
                "htu of another port",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            (
                "htu of another path",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            (
                "ath of another token",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
            ("proof of another key", 401, Some(("DPoP", "invalid_token"))),
            ("old iat", 401, Some(("DPoP", "invalid_dpop_proof"))),
            ("alg none", 401, Some(("DPoP", "invalid_dpop_proof"))),
            ("HS256", 401, Some(("DPoP", "invalid_dpop_proof"))),
            (
                "private key in jwk",
                401,
                Some(("DPoP", "invalid_dpop_proof")),
            ),
        ];
        if with_nonces {
            expected.push(("without the nonce", 401, Some(("DPoP", "use_dpop_nonce"))));
        }
        let cases = report["cases"].as_array().unwrap();
        assert_eq!(cases.len(), expected.len(), "{mode}: {report}");
        let mut failures = Vec::new();
        for (case, status, error) in expected {
            let Some(got) = cases.iter().find(|c| c["case"] == case) else {
                failures.push(format!("{case}: not run"));
                continue;
            };
            if got["status"] != status {
                failures.push(format!(
                    "{case}: status {} (want {status}): {got}",
                    got["status"]
                ));
                continue;
            }
            let www = got["www"].as_str().unwrap_or_default();
            match error {
                None if !www.is_empty() => failures.push(format!("{case}: challenge {www}")),
                None => {}
                Some((scheme, code)) => {
                    let params = common::challenge_of(www, scheme);
                    if params.get("error").map(String::as_str) != Some(code) {
                        failures.push(format!("{case}: want {scheme} error={code}: {www}"));
                    }
                    if !common::challenge_of(www, "DPoP").contains_key("algs") {
                        failures.push(format!("{case}: no algs in {www}"));
                    }
                    if code == "use_dpop_nonce" && !got["nonce"].is_string() {
                        failures.push(format!("{case}: no DPoP-Nonce header"));
                    }
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{mode}:\n{}\ntutorial output:\n{}",
            failures.join("\n"),
            tutorial.process.output()
        );
    }
}
