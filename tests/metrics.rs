//! A binary of its own: it installs the process-global `metrics` recorder.
//!
//! Feature `metrics`: the pipeline reports through the `metrics` facade; wired to
//! `metrics-exporter-prometheus` as the README shows, a scrape over 127.0.0.1 finds every
//! series with its labels, and no token data in any label.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Axioms, protected};
use axum::Router;
use axum::routing::get;
use common::{http_client, req, send_http, serve};
use metrics_exporter_prometheus::PrometheusBuilder;

#[protected(scopes = "read:data")]
async fn data() -> &'static str {
    "data"
}

/// One sample of the scrape: name and labels → value.
fn samples(text: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let labels = rest
                        .trim_end_matches('}')
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once('=').unwrap();
                            (k.to_owned(), v.trim_matches('"').to_owned())
                        })
                        .collect();
                    (name.to_owned(), labels)
                }
                None => (series.to_owned(), BTreeMap::new()),
            };
            ((name, labels), value.parse().unwrap())
        })
        .collect()
}

fn value(
    samples: &BTreeMap<(String, BTreeMap<String, String>), f64>,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    let labels: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    samples
        .get(&(name.to_owned(), labels.clone()))
        .copied()
        .unwrap_or_else(|| panic!("no sample {name} {labels:?} in {samples:#?}"))
}

// The only test of this binary: the recorder is global to the process.
#[tokio::test(flavor = "multi_thread")]
async fn a_prometheus_scrape_finds_every_series() {
    // As in the README: install the exporter's recorder, serve its rendering at /metrics.
    let prometheus = PrometheusBuilder::new().install_recorder().unwrap();
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(issuer.config("api").build().unwrap()).unwrap();
    assert!(axioms.ready(Duration::from_secs(5)).await);
    let app = Router::new()
        .route("/data", get(data))
        .with_state(axioms)
        .route("/metrics", get(move || async move { prometheus.render() }));
    let base = serve(app).await;
    let client = http_client();

    let token = issuer.token().audience("api").scope("read:data").sign();
    let no_scope = issuer.token().audience("api").subject("bob").sign();
    let mut forged = token.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    for (request, status) in [
        (req("GET", "/data").bearer(&token), 200),
        (req("GET", "/data").bearer(&token), 200),
        (req("GET", "/data"), 401),
        (req("GET", "/data").bearer(&forged), 401),
        (req("GET", "/data").bearer(&no_scope), 403),
        (
            req("GET", "/data").header("authorization", "Bearer a b"),
            400,
        ),
        (
            req("GET", "/data")
                .authorization("Bearer a")
                .authorization("Bearer b"),
            400,
        ),
    ] {
        let r = send_http(&client, &base, request).await;
        assert_eq!(r.status, status, "{r:?}");
    }

    let scrape = send_http(&client, &base, req("GET", "/metrics")).await;
    assert_eq!(scrape.status, 200);
    let text = scrape.body;
    let all = samples(&text);
    let auth = "axioms_authentications_total";
    assert_eq!(
        value(
            &all,
            auth,
            &[("outcome", "verified"), ("credential", "token")]
        ),
        3.0
    );
    assert_eq!(
        value(
            &all,
            auth,
            &[("outcome", "anonymous"), ("credential", "none")]
        ),
        1.0
    );
    // A rejected token counts as a token (the forged one, and `Bearer a b`: a bearer
    // credential, malformed); two `Authorization` lines, before any credential could be
    // chosen, as none.
    for (credential, n) in [("token", 2.0), ("none", 1.0)] {
        assert_eq!(
            value(
                &all,
                auth,
                &[("outcome", "rejected"), ("credential", credential)]
            ),
            n,
            "{credential}"
        );
    }
    let rejected = "axioms_rejections_total";
    assert_eq!(
        value(
            &all,
            rejected,
            &[("status", "401"), ("reason", "missing_token")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &all,
            rejected,
            &[("status", "401"), ("reason", "invalid_signature")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &all,
            rejected,
            &[("status", "403"), ("reason", "missing_scope")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &all,
            rejected,
            &[("status", "400"), ("reason", "malformed_authorization")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &all,
            rejected,
            &[
                ("status", "400"),
                ("reason", "multiple_authorization_headers")
            ]
        ),
        1.0
    );
    // And nothing else was counted.
    let sum = |name: &str| -> f64 {
        all.iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, v)| *v)
            .sum()
    };
    assert_eq!(sum(auth), 7.0, "one verdict per request");
    assert_eq!(sum(rejected), 5.0, "five rejections answered");
    let cache = "axioms_token_cache_requests_total";
    assert_eq!(value(&all, cache, &[("result", "hit")]), 1.0);
    // The malformed header's bytes were looked up too (the cache is asked first), then
    // refused by the grammar check: a miss, with no verification.
    assert_eq!(value(&all, cache, &[("result", "miss")]), 4.0);
    let issuer_url = issuer.issuer();
    let fetches = value(
        &all,
        "axioms_jwks_fetches_total",
        &[("issuer", &issuer_url), ("result", "ok")],
    );
    assert!(fetches >= 1.0);
    assert_eq!(
        value(&all, "axioms_jwks_keys", &[("issuer", &issuer_url)]),
        1.0
    );
    let fetched_at = value(
        &all,
        "axioms_jwks_last_success_timestamp_seconds",
        &[("issuer", &issuer_url)],
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - fetched_at).abs() < 60.0, "{fetched_at} vs {now}");
    // Three full verifications (the forged and the scope-less tokens, the first good one).
    assert_eq!(
        value(&all, "axioms_verification_duration_seconds_count", &[]),
        3.0
    );
    // Help texts, and nothing from any token in the output.
    assert!(
        text.contains("# TYPE axioms_rejections_total counter"),
        "{text}"
    );
    for secret in [&token, &forged, &no_scope, "bob", "user-1", "key-1"] {
        let needle = if secret.len() > 40 {
            &secret[secret.len() - 40..]
        } else {
            secret
        };
        assert!(!text.contains(needle), "{needle} in the scrape:\n{text}");
    }
}
