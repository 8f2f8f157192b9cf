//! What operators graph, through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`). Without the feature every function here is empty and compiled away.
//!
//! | Series | Type | Labels | What |
//! |---|---|---|---|
//! | `axioms_authentications_total` | counter | `outcome` (`verified`, `anonymous`, `rejected`), `credential` (`token`, `api_key`, `none`) | one per request and verifier: the pipeline's verdict (`credential` is what the request presented: a rejected token — malformed, forged, expired — counts as `token`, a rejected API key as `api_key`, a request with more than one — a token and a key, two `Authorization` lines — as `none`) |
//! | `axioms_rejections_total` | counter | `status` (`400`, `401`, `403`, `404`, `431`, `503`), `reason` ([`Reason::label`]) | every rejection the pipeline decides and logs ([`AuthError::log`]), policy denials included; a verdict recorded by `AxiomsLayer::record` or read by the `Authentication` extractor counts even where the route then lets the request through |
//! | `axioms_verification_duration_seconds` | histogram | — | full verifications (token-cache misses) |
//! | `axioms_token_cache_requests_total` | counter | `result` (`hit`, `miss`) | verified-token cache lookups (asked first: a malformed token is a miss, then refused) |
//! | `axioms_token_cache_evictions_total` | counter | — | entries evicted to make room |
//! | `axioms_jwks_fetches_total` | counter | `issuer`, `result` (`ok`, `error`) | key-set fetches |
//! | `axioms_jwks_last_success_timestamp_seconds` | gauge | `issuer` | when the key set was last fetched (its age is `time() -` this) |
//! | `axioms_jwks_keys` | gauge | `issuer` | usable keys loaded (0 once stale keys are dropped) |
//! | `axioms_introspections_total` | counter | `result` (`active`, `inactive`, `error`) | introspections (`error`: the endpoint failed, or could not be discovered) |
//! | `axioms_token_exchanges_total` | counter | `result` (`cached`, `exchanged`, `refused`, `unavailable`) | tokens for downstream APIs (feature `exchange`): from the cache, or from a request to the token endpoint and how it ended |
//!
//! Labels carry configuration (issuer URLs) and fixed names only: never a token, a claim, a
//! key id or anything else from a request, so cardinality is bounded and nothing secret is
//! exported.
//!
//! [`Reason::label`]: crate::Reason::label
//! [`AuthError::log`]: crate::AuthError::log

#[cfg(feature = "metrics")]
mod on {
    pub(crate) fn authentication(outcome: &'static str, credential: &'static str) {
        ::metrics::counter!(
            "axioms_authentications_total",
            "outcome" => outcome,
            "credential" => credential
        )
        .increment(1);
    }

    /// A rejection: its status and its reason's label (`Reason::label`).
    pub(crate) fn rejection(status: u16, reason: &'static str) {
        ::metrics::counter!(
            "axioms_rejections_total",
            "status" => status_label(status),
            "reason" => reason
        )
        .increment(1);
    }

    fn status_label(status: u16) -> &'static str {
        match status {
            400 => "400",
            401 => "401",
            403 => "403",
            404 => "404",
            431 => "431",
            503 => "503",
            _ => "other",
        }
    }

    pub(crate) fn verification(seconds: f64) {
        ::metrics::histogram!("axioms_verification_duration_seconds").record(seconds);
    }

    pub(crate) fn token_cache(hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        ::metrics::counter!("axioms_token_cache_requests_total", "result" => result).increment(1);
    }

    pub(crate) fn token_cache_evictions(n: u64) {
        ::metrics::counter!("axioms_token_cache_evictions_total").increment(n);
    }

    pub(crate) fn jwks_fetch(issuer: Option<&str>, keys: Option<usize>) {
        let issuer = issuer.unwrap_or("").to_owned();
        let result = if keys.is_some() { "ok" } else { "error" };
        ::metrics::counter!(
            "axioms_jwks_fetches_total",
            "issuer" => issuer.clone(),
            "result" => result
        )
        .increment(1);
        if let Some(keys) = keys {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            ::metrics::gauge!("axioms_jwks_last_success_timestamp_seconds", "issuer" => issuer.clone())
                .set(now);
            #[allow(clippy::cast_precision_loss)] // at most `max_keys` (≤ a few hundred)
            ::metrics::gauge!("axioms_jwks_keys", "issuer" => issuer).set(keys as f64);
        }
    }

    pub(crate) fn jwks_dropped(issuer: Option<&str>) {
        let issuer = issuer.unwrap_or("").to_owned();
        ::metrics::gauge!("axioms_jwks_keys", "issuer" => issuer).set(0.0);
    }

    pub(crate) fn introspection(result: &'static str) {
        ::metrics::counter!("axioms_introspections_total", "result" => result).increment(1);
    }

    #[cfg(feature = "exchange")]
    pub(crate) fn token_exchange(result: &'static str) {
        ::metrics::counter!("axioms_token_exchanges_total", "result" => result).increment(1);
    }
}

#[cfg(not(feature = "metrics"))]
mod on {
    pub(crate) fn authentication(_: &'static str, _: &'static str) {}
    pub(crate) fn rejection(_: u16, _: &'static str) {}
    pub(crate) fn verification(_: f64) {}
    pub(crate) fn token_cache(_: bool) {}
    pub(crate) fn token_cache_evictions(_: u64) {}
    pub(crate) fn jwks_fetch(_: Option<&str>, _: Option<usize>) {}
    pub(crate) fn jwks_dropped(_: Option<&str>) {}
    pub(crate) fn introspection(_: &'static str) {}
    #[cfg(feature = "exchange")]
    pub(crate) fn token_exchange(_: &'static str) {}
}

pub(crate) use on::*;

/// Whether a verification is timed: only with the feature (an `Instant` is not free).
pub(crate) const TIMED: bool = cfg!(feature = "metrics");
