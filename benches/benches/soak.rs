//! A soak under faults: minutes of mixed traffic over 127.0.0.1 against one protected API while
//! its key endpoint, its introspection endpoint and its Redis replay store go down and come back.
//!
//!   bash benches/soak.sh                       # 180 s
//!   SOAK_SECONDS=600 bash benches/soak.sh
//!
//! Everything runs in this process except `redis-server` (started on a free port, killed and
//! restarted by the fault schedule). Traffic, from `SOAK_CONNECTIONS` (16) loops over HTTP
//! keep-alive connections, in equal shares:
//!
//! * `cached`: 20 valid tokens, reused (the token cache answers);
//! * `fresh`: a new valid token per request (a full verification);
//! * `junk`: random bytes as a bearer token;
//! * `opaque_random`: a new random opaque token per request (an introspection each);
//! * `opaque_known`: 20 opaque tokens the endpoint says are active;
//! * `dpop`: a DPoP-bound token with a fresh proof per request (the Redis replay store).
//!
//! Faults, every 30 s: the key endpoint stops for 8 s, then the introspection endpoint answers
//! 503 for 8 s, then Redis is killed for 8 s and restarted. The report: requests per class, the
//! status histogram, p50 and p99 latency, the process's RSS at start and end, panics (must be
//! 0), and whether a valid cached token ever got a 5xx (must not). Exits 1 if either fails.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axioms::testing::{DpopKey, TestIssuer};
use axioms::{Algorithm, Axioms, Config, protected};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde_json::{Value, json};

const AUDIENCE: &str = "http://127.0.0.1/soak";

#[protected(scopes = any("read:data"))]
async fn data() -> &'static str {
    "data"
}

/// The introspection endpoint: `known-*` tokens are active; 503 while `up` is false.
#[derive(Clone)]
struct Endpoint {
    up: Arc<AtomicBool>,
}

#[derive(serde::Deserialize)]
struct Introspect {
    token: String,
}

async fn introspect(
    State(endpoint): State<Endpoint>,
    Form(form): Form<Introspect>,
) -> Result<Json<Value>, http::StatusCode> {
    if !endpoint.up.load(Ordering::SeqCst) {
        return Err(http::StatusCode::SERVICE_UNAVAILABLE);
    }
    Ok(Json(if form.token.starts_with("known-") {
        json!({"active": true, "aud": AUDIENCE, "sub": form.token, "scope": "read:data",
               "exp": now() + 3600})
    } else {
        json!({"active": false})
    }))
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// `redis-server` on a fixed port, started and killed by the fault schedule.
struct Redis {
    port: u16,
    child: Option<Child>,
}

impl Redis {
    fn start(&mut self) {
        let mut child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (benches/soak.sh installs it)");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("Ready to accept connections") {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("redis-server ready");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Default)]
struct Class {
    statuses: BTreeMap<u16, u64>,
    /// Microseconds per request.
    latencies: Vec<u32>,
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let seconds: u64 = std::env::var("SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(180);
    let connections: usize = std::env::var("SOAK_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(16);
    let panics = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let ok = rt.block_on(soak(Duration::from_secs(seconds), connections, &panics));
    std::process::exit(if ok { 0 } else { 1 });
}

async fn soak(duration: Duration, connections: usize, panics: &AtomicU64) -> bool {
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    };
    let mut redis = Redis {
        port: free_port(),
        child: None,
    };
    redis.start();
    let endpoint = Endpoint {
        up: Arc::new(AtomicBool::new(true)),
    };
    let introspection = serve(
        Router::new()
            .route("/introspect", post(introspect))
            .with_state(endpoint.clone()),
    )
    .await;
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(
        Config::builder(
            issuer
                .issuer_config(AUDIENCE)
                .introspection("soak", "secret")
                .introspection_endpoint(format!("{introspection}/introspect"))
                .introspection_cache(Duration::from_secs(5), Duration::from_secs(5)),
        )
        .resource(AUDIENCE)
        .dpop_redis_url(format!("redis://127.0.0.1:{}/", redis.port))
        .build()
        .expect("the soak configuration"),
    )
    .expect("the verifier");
    assert!(axioms.ready(Duration::from_secs(10)).await, "keys loaded");
    let api = serve(Router::new().route("/soak", get(data)).with_state(axioms)).await;
    let url = format!("{api}/soak");

    let mint = |sub: &str| {
        issuer
            .token()
            .audience(AUDIENCE)
            .subject(sub)
            .scope("read:data")
            .sign()
    };
    let cached: Arc<Vec<String>> =
        Arc::new((0..20).map(|i| mint(&format!("cached-{i}"))).collect());
    let dpop_key = Arc::new(DpopKey::generate(Algorithm::ES256));
    let dpop_token = issuer
        .token()
        .audience(AUDIENCE)
        .scope("read:data")
        .bound_to(&dpop_key)
        .sign();
    let issuer = Arc::new(issuer);
    let classes: Arc<Mutex<BTreeMap<&'static str, Class>>> = Arc::default();
    let rss_start = rss_kib();
    let started = Instant::now();
    let deadline = started + duration;

    // The faults.
    let faults = {
        let issuer = Arc::clone(&issuer);
        let up = Arc::clone(&endpoint.up);
        tokio::spawn(async move {
            let mut log = Vec::new();
            loop {
                tokio::time::sleep(Duration::from_secs(6)).await;
                if Instant::now() + Duration::from_secs(24) > deadline {
                    break;
                }
                issuer.stop();
                log.push(format!(
                    "{:>4} s key endpoint down",
                    started.elapsed().as_secs()
                ));
                tokio::time::sleep(Duration::from_secs(8)).await;
                let _ = issuer.resume().await;
                up.store(false, Ordering::SeqCst);
                log.push(format!(
                    "{:>4} s introspection down",
                    started.elapsed().as_secs()
                ));
                tokio::time::sleep(Duration::from_secs(8)).await;
                up.store(true, Ordering::SeqCst);
                tokio::task::block_in_place(|| redis.kill());
                log.push(format!("{:>4} s redis down", started.elapsed().as_secs()));
                tokio::time::sleep(Duration::from_secs(8)).await;
                tokio::task::block_in_place(|| redis.start());
            }
            log
        })
    };

    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let (url, classes, cached, issuer, dpop_key, dpop_token) = (
                url.clone(),
                Arc::clone(&classes),
                Arc::clone(&cached),
                Arc::clone(&issuer),
                Arc::clone(&dpop_key),
                dpop_token.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .no_proxy()
                    .pool_max_idle_per_host(1)
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("a client");
                let mut n: u64 = worker as u64;
                while Instant::now() < deadline {
                    n += 1;
                    let class = [
                        "cached",
                        "fresh",
                        "junk",
                        "opaque_random",
                        "opaque_known",
                        "dpop",
                    ][(n % 6) as usize];
                    let mut request = client.get(&url);
                    request = match class {
                        "cached" => request.bearer_auth(&cached[(n as usize / 6) % cached.len()]),
                        "fresh" => request.bearer_auth(
                            issuer
                                .token()
                                .audience(AUDIENCE)
                                .subject(&format!("fresh-{worker}-{n}"))
                                .scope("read:data")
                                .sign(),
                        ),
                        "junk" => request.bearer_auth(format!("{n:x}.junk.{worker}-{n}")),
                        "opaque_random" => request.bearer_auth(format!("random-{worker}-{n}")),
                        "opaque_known" => request.bearer_auth(format!("known-{}", n % 20)),
                        _ => request
                            .header("authorization", format!("DPoP {dpop_token}"))
                            .header(
                                "dpop",
                                // `htu`: the configured resource's origin and the path.
                                dpop_key
                                    .proof("GET", AUDIENCE)
                                    .access_token(&dpop_token)
                                    .sign(),
                            ),
                    };
                    let sent = Instant::now();
                    let status = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let _ = response.bytes().await;
                            status
                        }
                        Err(_) => 0,
                    };
                    let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                    let mut classes = classes.lock().expect("the tally");
                    let entry = classes.entry(class).or_default();
                    *entry.statuses.entry(status).or_default() += 1;
                    entry.latencies.push(micros);
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let log = faults.await.unwrap_or_default();
    let rss_end = rss_kib();

    let classes = Arc::try_unwrap(classes)
        .map(|m| m.into_inner().unwrap_or_default())
        .unwrap_or_default();
    let total: u64 = classes
        .values()
        .map(|c| c.statuses.values().sum::<u64>())
        .sum();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "## Soak: {:.0} s, {connections} connections, {total} requests ({:.0}/s)\n",
        elapsed,
        total as f64 / elapsed
    );
    println!("Faults:\n");
    for line in &log {
        println!("    {line}");
    }
    println!("\n| class | requests | statuses | p50 | p99 |");
    println!("|---|---|---|---|---|");
    for (name, class) in &classes {
        let mut latencies = class.latencies.clone();
        latencies.sort_unstable();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        let statuses: Vec<String> = class
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}: {count}"))
            .collect();
        println!(
            "| {name} | {} | {} | {:.2} ms | {:.2} ms |",
            latencies.len(),
            statuses.join(", "),
            f64::from(at(0.5)) / 1000.0,
            f64::from(at(0.99)) / 1000.0
        );
    }
    let cached_5xx: u64 = classes
        .get("cached")
        .map(|c| {
            c.statuses
                .iter()
                .filter(|(s, _)| **s >= 500 || **s == 0)
                .map(|(_, n)| n)
                .sum()
        })
        .unwrap_or(0);
    let panics = panics.load(Ordering::SeqCst);
    println!(
        "\nRSS: {rss_start} KiB at start, {rss_end} KiB at the end. Panics: {panics}. \
         Valid cached tokens answered 5xx (or not at all): {cached_5xx}."
    );
    panics == 0 && cached_5xx == 0
}

/// Serves `app` on an ephemeral 127.0.0.1 port; its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}
