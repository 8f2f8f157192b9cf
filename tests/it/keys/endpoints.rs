//! Hostile key endpoints — a cross-origin redirect, a huge, endless or trickling body, not JSON,
//! too many keys — load no keys in bounded time; and `Cache-Control: max-age` within bounds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axioms::testing::{Behavior, TestIssuer};
use axioms::{Config, ConfigBuilder, Reason};
use serde_json::{Value, json};

use crate::common::verifier;

use super::{AUD, NO_HANG, eventually, loaded, reason, short_timeouts, verify};

// ---------------------------------------------------------------------------------------------
// Hostile endpoints

#[tokio::test]
async fn cross_origin_redirect_is_not_followed() {
    // The brief's unreachable target.
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Redirect("http://127.0.0.2:1/x".into()));
    let axioms = verifier(issuer.config(AUD));
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.jwks_fetches() >= 1);

    // A reachable target on another origin serving perfectly good keys: following the
    // redirect would load them and accept the token.
    let other = TestIssuer::start().await;
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Redirect(other.jwks_url()));
    let axioms = verifier(issuer.config(AUD));
    let token = other.token().claim("iss", json!(issuer.issuer())).sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.jwks_fetches() >= 1);
    assert_eq!(
        other.jwks_fetches(),
        0,
        "the redirect was followed to another origin"
    );
    assert_eq!(axioms.key_count(), 0);
}

async fn assert_no_keys_in_bounded_time(issuer: &TestIssuer, builder: ConfigBuilder) {
    let axioms = verifier(builder);
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(issuer.jwks_fetches() >= 1);
    assert_eq!(axioms.key_count(), 0);
}

#[tokio::test]
async fn huge_body_is_refused() {
    let issuer = TestIssuer::start().await;
    issuer.set_behavior(Behavior::Body("x".repeat(50 << 20)));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;

    // A perfectly valid JWKS of one key, padded to 50 MB: only the size cap refuses it.
    let issuer = TestIssuer::start().await;
    let keys = issuer.public_jwks()["keys"].to_string();
    let body = format!(
        "{{\"keys\":{keys},\"padding\":\"{}\"}}",
        "x".repeat(50 << 20)
    );
    issuer.set_behavior(Behavior::Body(body));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;

    // The same padding under the cap loads: the refusal above is the cap's doing.
    let issuer = TestIssuer::start().await;
    let keys = issuer.public_jwks()["keys"].to_string();
    let body = format!(
        "{{\"keys\":{keys},\"padding\":\"{}\"}}",
        "x".repeat(100 << 10)
    );
    issuer.set_behavior(Behavior::Body(body));
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
}

#[tokio::test]
async fn non_json_bodies_are_refused() {
    for body in [
        "<html>login</html>",
        "",
        "[]",
        "{\"keys\": 5}",
        "{\"keys\": []}",
        "{\"keys\": [], \"keys\": []}",
    ] {
        let issuer = TestIssuer::start().await;
        issuer.set_behavior(Behavior::Body(body.to_owned()));
        assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;
    }
    // A duplicated `keys` member that hides a valid set is refused too.
    let issuer = TestIssuer::start().await;
    let real = issuer.public_jwks()["keys"].to_string();
    issuer.set_behavior(Behavior::Body(format!(
        "{{\"keys\": [], \"keys\": {real}}}"
    )));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;
}

#[tokio::test]
async fn too_many_keys_are_refused() {
    // 10,000 real keys (distinct kids), with a byte limit high enough to reach the count.
    let issuer = TestIssuer::start().await;
    let jwk = issuer.public_jwks()["keys"][0].clone();
    let keys: Vec<Value> = (0..10_000)
        .map(|i| {
            let mut k = jwk.clone();
            if i > 0 {
                k["kid"] = json!(format!("k{i}"));
            }
            k
        })
        .collect();
    issuer.set_jwks(Some(json!({ "keys": keys })));
    assert_no_keys_in_bounded_time(
        &issuer,
        Config::builder(issuer.issuer_config(AUD).jwks_limits(16 << 20, 100)),
    )
    .await;

    // 10,000 tiny entries under the default limits.
    let issuer = TestIssuer::start().await;
    let mut keys = issuer.public_jwks()["keys"].as_array().unwrap().clone();
    keys.extend((0..9_999).map(|_| json!({"kty": "x"})));
    issuer.set_jwks(Some(json!({ "keys": keys })));
    assert_no_keys_in_bounded_time(&issuer, issuer.config(AUD)).await;

    // The boundary: exactly 100 entries are accepted.
    let issuer = TestIssuer::start().await;
    let mut keys = issuer.public_jwks()["keys"].as_array().unwrap().clone();
    keys.extend((0..99).map(|_| json!({"kty": "x"})));
    issuer.set_jwks(Some(json!({ "keys": keys })));
    let axioms = loaded(&issuer, issuer.config(AUD)).await;
    assert!(verify(&axioms, &issuer.token().sign()).await.is_ok());
}

/// A raw HTTP/1.1 server on 127.0.0.1 that answers every request with `head` and then
/// writes `chunk` forever (every `pause`), until the client hangs up. Counts connections.
async fn endless_server(chunk: &'static [u8], pause: Duration) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                // Read the request head (best effort).
                let mut buf = [0u8; 4096];
                if stream.readable().await.is_err() {
                    return;
                }
                let _ = stream.try_read(&mut buf);
                let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                             transfer-encoding: chunked\r\n\r\n";
                if write_all(&stream, head).await.is_err() {
                    return;
                }
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(chunk);
                framed.extend_from_slice(b"\r\n");
                loop {
                    if write_all(&stream, &framed).await.is_err() {
                        return;
                    }
                    if !pause.is_zero() {
                        tokio::time::sleep(pause).await;
                    }
                }
            });
        }
    });
    (addr, hits)
}

async fn write_all(stream: &tokio::net::TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        stream.writable().await?;
        match stream.try_write(data) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[tokio::test]
async fn endless_chunked_body_is_cut_at_the_size_cap() {
    // No Content-Length: only the streamed cap can stop this.
    static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];
    let (addr, hits) = endless_server(&CHUNK, Duration::ZERO).await;
    let issuer = TestIssuer::start().await;
    // A request timeout longer than NO_HANG: without the cap, verification would hang.
    let axioms = verifier(Config::builder(
        issuer
            .issuer_config(AUD)
            .http_timeouts(Duration::from_secs(5), Duration::from_secs(30))
            .jwks_url(format!("http://{addr}/jwks.json")),
    ));
    let token = issuer.token().sign();
    assert_eq!(
        reason(verify(&axioms, &token).await),
        Reason::KeysUnavailable
    );
    assert!(hits.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn trickling_body_hits_the_request_timeout() {
    // One byte every 100 ms, forever: each read makes progress, so only a whole-request
    // timeout ends it.
    let (addr, hits) = endless_server(b" ", Duration::from_millis(100)).await;
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        short_timeouts(&issuer).jwks_url(format!("http://{addr}/jwks.json")),
    ));
    let token = issuer.token().sign();
    let result = tokio::time::timeout(Duration::from_secs(8), axioms.verify(&token))
        .await
        .expect("a trickling body with a 1 s request timeout must not hang the request");
    assert_eq!(result.unwrap_err().reason(), Reason::KeysUnavailable);
    assert!(hits.load(Ordering::SeqCst) >= 1);
}

// ---------------------------------------------------------------------------------------------
// Cache-Control

#[tokio::test]
async fn max_age_below_the_minimum_is_raised_to_it() {
    // max-age=0 and no-store with the default 60 s minimum: no refresh for a while.
    for cc in ["max-age=0", "no-store", "max-age=1"] {
        let issuer = TestIssuer::start().await;
        issuer.set_cache_control(Some(cc));
        let _axioms = loaded(&issuer, issuer.config(AUD)).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            issuer.jwks_fetches(),
            1,
            "Cache-Control: {cc} refetched too soon"
        );
    }
}

#[tokio::test]
async fn max_age_above_the_maximum_is_lowered_to_it() {
    // max-age=3600 with bounds of 1 s: the refresher comes back every second.
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("public, max-age=3600"));
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(1)),
        ),
    )
    .await;
    assert!(
        eventually(NO_HANG, || issuer.jwks_fetches() >= 3).await,
        "max-age must be clamped to the 1 s maximum"
    );
}

#[tokio::test]
async fn max_age_within_bounds_is_honoured() {
    // max-age=1 within 1 s – 1 h, while the plain interval is 5 min.
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(Some("max-age=1"));
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(3600)),
        ),
    )
    .await;
    assert!(
        eventually(NO_HANG, || issuer.jwks_fetches() >= 2).await,
        "max-age=1 must trigger a refresh well before the 5 min interval"
    );

    // Without Cache-Control the interval (5 min) applies: no refresh.
    let issuer = TestIssuer::start().await;
    let _axioms = loaded(
        &issuer,
        Config::builder(
            issuer
                .issuer_config(AUD)
                .refresh_bounds(Duration::from_secs(1), Duration::from_secs(3600)),
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(issuer.jwks_fetches(), 1);
}
