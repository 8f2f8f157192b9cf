//! The DPoP replay store across instances: two tutorial processes share one real
//! `redis-server` (started here on 127.0.0.1), so a proof accepted by one is refused by the
//! other; with Redis gone, DPoP requests get a prompt `503` (fail closed) while bearer
//! requests go on, and DPoP works again once Redis is back.
//!
//! Needs `redis-server` (Debian package `redis-server`; `.ci/run` installs it). Without it
//! the test says so loudly and passes, except with `CI` set, where it fails.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axioms::Algorithm;
use axioms::dpop::{ReplayKey, ReplayStore as _, ReplayStoreError};
use axioms::testing::{DpopKey, TestIssuer};

use crate::common;
use crate::common::process::Process;
use crate::common::{Resp, Transport, challenge_of, req};

/// The resource both instances serve (behind a load balancer, in production).
const RESOURCE: &str = "https://api.example.test";

/// A `redis-server` on 127.0.0.1, without persistence; killed on drop.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// `None` (said loudly, or a failure under CI) when `redis-server` is not installed.
    fn find() -> Option<()> {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            let message = "dpop_redis: NOT RUN — `redis-server` is not on PATH (Debian: apt-get \
                           install redis-server); the shared replay store was not tested";
            assert!(std::env::var_os("CI").is_none(), "{message} (CI is set)");
            eprintln!("\n{}\n{message}\n{}\n", "!".repeat(80), "!".repeat(80));
            return None;
        }
        Some(())
    }

    /// Starts a server on `port` (0: a free one) and waits until it accepts connections.
    fn start(port: u16) -> Self {
        let port = if port == 0 {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        } else {
            port
        };
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start redis-server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("Ready to accept connections") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("redis-server ready within 30 s");
        Self { child, port }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tutorial process for `issuer`'s tokens, the resource [`RESOURCE`], replay store `redis`.
fn tutorial(issuer: &TestIssuer, redis: &str, cwd: &std::path::Path) -> (Process, Transport) {
    let env = [
        ("RUST_LOG", "info,axioms=debug".to_owned()),
        ("AXIOMS_ISS_URL", issuer.issuer()),
        ("AXIOMS_JWKS_URL", issuer.jwks_url()),
        ("AXIOMS_AUDIENCE", RESOURCE.to_owned()),
        ("AXIOMS_RESOURCE", RESOURCE.to_owned()),
        ("AXIOMS_DPOP_REDIS_URL", redis.to_owned()),
    ];
    let process = Process::example("tutorial", &env, cwd);
    let api = Transport::at(&process.url);
    (process, api)
}

fn dpop(path: &str, token: &str, proof: &str) -> common::Req {
    req("GET", path)
        .authorization(&format!("DPoP {token}"))
        .header("dpop", proof)
}

#[track_caller]
fn expect_replay(r: &Resp, what: &str) {
    assert_eq!(r.status, 401, "{what}: {r:?}");
    let dpop = challenge_of(r.www().unwrap(), "DPoP");
    assert_eq!(dpop["error"], "invalid_dpop_proof", "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_share_one_redis_and_fail_closed_without_it() {
    if Redis::find().is_none() {
        return;
    }
    let redis = Redis::start(0);
    let port = redis.port;
    let issuer = TestIssuer::start().await;
    let cwd = tempfile::tempdir().unwrap();
    let (a_process, a) = tutorial(&issuer, &redis.url(), cwd.path());
    let (b_process, b) = tutorial(&issuer, &redis.url(), cwd.path());

    let key = DpopKey::generate(Algorithm::ES256);
    let token = issuer
        .token()
        .audience(RESOURCE)
        .scope("read:data")
        .bound_to(&key)
        .sign();
    let proof = || {
        key.proof("GET", &format!("{RESOURCE}/api/read"))
            .access_token(&token)
            .sign()
    };

    // A proof accepted by one instance is a replay on the other, and on itself.
    let first = proof();
    let r = a.send(dpop("/api/read", &token, &first)).await;
    assert_eq!(r.status, 200, "{r:?}\n{}", a_process.output());
    let r = b.send(dpop("/api/read", &token, &first)).await;
    expect_replay(&r, "the proof replayed to the other instance");
    let r = a.send(dpop("/api/read", &token, &first)).await;
    expect_replay(&r, "the proof replayed to the same instance");
    // Each fresh proof is accepted once, wherever it lands.
    for (name, instance) in [("a", &a), ("b", &b), ("a", &a)] {
        let r = instance.send(dpop("/api/read", &token, &proof())).await;
        assert_eq!(r.status, 200, "a fresh proof on {name}: {r:?}");
    }

    // Redis gone: DPoP requests fail closed, promptly; bearer tokens still work.
    redis.stop();
    let plain = issuer.token().audience(RESOURCE).scope("read:data").sign();
    for (name, instance) in [("a", &a), ("b", &b), ("a", &a)] {
        let started = Instant::now();
        let r = instance.send(dpop("/api/read", &token, &proof())).await;
        let took = started.elapsed();
        assert_eq!(r.status, 503, "{name} without Redis: {r:?}");
        assert_eq!(r.header("retry-after"), "1");
        assert_eq!(r.error().as_deref(), Some("temporarily_unavailable"));
        assert!(r.www().is_none(), "a 503 is no challenge: {r:?}");
        eprintln!("503 from {name} without Redis in {took:?}");
        let r = instance.send(req("GET", "/api/read").bearer(&plain)).await;
        assert_eq!(
            r.status, 200,
            "a bearer token on {name} without Redis: {r:?}"
        );
    }
    for (process, name) in [(&a_process, "a"), (&b_process, "b")] {
        let output = process.output();
        assert!(!output.contains("panicked"), "{name}:\n{output}");
        assert!(
            output.contains("status=503"),
            "{name} logged the outage:\n{output}"
        );
    }

    // Redis back on the same port: the instances reconnect by themselves.
    let redis = Redis::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    for (name, instance) in [("a", &a), ("b", &b)] {
        loop {
            let r = instance.send(dpop("/api/read", &token, &proof())).await;
            if r.status == 200 {
                break;
            }
            assert_eq!(r.status, 503, "{name} while reconnecting: {r:?}");
            assert!(
                Instant::now() < deadline,
                "{name}: no recovery after Redis restarted: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let again = proof();
    assert_eq!(a.send(dpop("/api/read", &token, &again)).await.status, 200);
    expect_replay(
        &b.send(dpop("/api/read", &token, &again)).await,
        "after the restart",
    );
    drop(redis);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_redis_store_sets_once_with_expiry_and_errs_promptly_when_unreachable() {
    if Redis::find().is_none() {
        return;
    }
    let redis = Redis::start(0);
    let store = axioms::dpop::RedisReplayStore::new(&redis.url()).unwrap();
    let other = axioms::dpop::RedisReplayStore::new(&redis.url())
        .unwrap()
        .with_prefix("another-resource:");
    let key = ReplayKey::new("thumbprint", "jti-1");
    let ttl = Duration::from_millis(400);
    assert_eq!(store.first_use(key, ttl).await, Ok(true));
    assert_eq!(store.first_use(key, ttl).await, Ok(false));
    // Another prefix is another namespace.
    assert_eq!(other.first_use(key, ttl).await, Ok(true));
    // The entry expires with the proof's window.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(store.first_use(key, ttl).await, Ok(true));

    redis.stop();
    let started = Instant::now();
    let result = store.first_use(ReplayKey::new("k", "jti-2"), ttl).await;
    assert!(
        matches!(result, Err(ReplayStoreError::Unavailable(_))),
        "{result:?}"
    );
    eprintln!(
        "replay store error without Redis in {:?}",
        started.elapsed()
    );

    // Nothing listens on this port: a lazy store still builds, then errs.
    let dead = axioms::dpop::RedisReplayStore::new(&format!("redis://127.0.0.1:{}/", {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    }))
    .unwrap();
    let result = dead.first_use(key, ttl).await;
    assert!(
        matches!(result, Err(ReplayStoreError::Unavailable(_))),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_redis_store_gives_each_client_key_its_share() {
    if Redis::find().is_none() {
        return;
    }
    let redis = Redis::start(0);
    let store = axioms::dpop::RedisReplayStore::new(&redis.url())
        .unwrap()
        .with_key_quota(3);
    let ttl = Duration::from_millis(600);
    for jti in ["a", "b", "c"] {
        assert_eq!(
            store.first_use(ReplayKey::new("flooder", jti), ttl).await,
            Ok(true)
        );
    }
    // Past its share, the key is refused; a replay is still a replay.
    assert_eq!(
        store.first_use(ReplayKey::new("flooder", "d"), ttl).await,
        Err(ReplayStoreError::KeyQuota)
    );
    assert_eq!(
        store.first_use(ReplayKey::new("flooder", "a"), ttl).await,
        Ok(false)
    );
    // Other keys are not affected.
    assert_eq!(
        store.first_use(ReplayKey::new("other", "a"), ttl).await,
        Ok(true)
    );
    // Once its proofs expire (on the server's clock), the key has its share again.
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(
        store.first_use(ReplayKey::new("flooder", "d"), ttl).await,
        Ok(true)
    );
}
