//! Signing keys: where they come from, which algorithms they may carry, and how the JWKS cache
//! refreshes them.

use crate::defaults::{
    MAX_KEYS, MAX_REFRESH_INTERVAL, MAX_STALE, MIN_REFRESH_INTERVAL, REFRESH_INTERVAL,
    RETRY_MAX_BACKOFF, RSA_KEY_ALG, UNKNOWN_KID_COOLDOWN,
};
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::ConfigError;
use crate::algorithm::Algorithm;
use crate::jwks::set::KeySet;

/// The longest any refresh setting may be: beyond a day, rotated keys are missed for too long,
/// and every later `Instant` computation stays far from overflow.
const MAX_PERIOD: Duration = Duration::from_secs(24 * 3600);
const MAX_STALE_LIMIT: Duration = Duration::from_secs(7 * 24 * 3600);

/// Where the signing keys come from.
#[derive(Debug, Clone)]
pub(crate) enum KeySource {
    /// A JWKS URL, given or derived.
    Jwks(Url),
    /// OIDC discovery at this URL; its `issuer` must equal the configured one exactly.
    Discovery(Url),
    /// Keys configured in the application: never fetched, never refreshed.
    Local(Arc<KeySet>),
}

/// The key settings, validated. The JWKS cache borrows this group.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    pub(crate) source: KeySource,
    /// The algorithm allow-list: keys pinned to another algorithm are not admitted, and
    /// token headers naming another are refused.
    pub(crate) algorithms: Vec<Algorithm>,
    /// The algorithm of RSA keys published without `alg`.
    pub(crate) rsa_key_alg: Algorithm,
    pub(crate) max_keys: usize,
    pub(crate) refresh_interval: Duration,
    pub(crate) min_refresh: Duration,
    pub(crate) max_refresh: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_stale: Duration,
}

/// The key settings as the builder collects them.
#[derive(Debug, Clone)]
pub(crate) struct KeySettings {
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) rsa_key_alg: Algorithm,
    pub(crate) max_keys: usize,
    pub(crate) refresh_interval: Duration,
    pub(crate) min_refresh: Duration,
    pub(crate) max_refresh: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_stale: Duration,
}

impl Default for KeySettings {
    fn default() -> Self {
        Self {
            algorithms: Algorithm::ALL.to_vec(),
            rsa_key_alg: RSA_KEY_ALG,
            max_keys: MAX_KEYS,
            refresh_interval: REFRESH_INTERVAL,
            min_refresh: MIN_REFRESH_INTERVAL,
            max_refresh: MAX_REFRESH_INTERVAL,
            cooldown: UNKNOWN_KID_COOLDOWN,
            max_backoff: RETRY_MAX_BACKOFF,
            max_stale: MAX_STALE,
        }
    }
}

impl KeySettings {
    /// Checks every key setting; `source` was resolved from the issuer and URLs.
    pub(crate) fn check(self, source: KeySource) -> Result<Keys, ConfigError> {
        if self.algorithms.is_empty() {
            return Err(ConfigError::new(
                "AXIOMS_ALGORITHMS",
                "the algorithm allow-list is empty, so no token could ever verify",
                "list at least one algorithm, e.g. `RS256`",
            ));
        }
        if !self.rsa_key_alg.is_rsa() {
            return Err(ConfigError::new(
                "AXIOMS_RSA_KEY_ALG",
                format!("{} is not an RSA algorithm", self.rsa_key_alg),
                "use one of RS256 (the default), RS384, RS512, PS256, PS384, PS512",
            ));
        }
        if !self.algorithms.contains(&self.rsa_key_alg) && self.rsa_key_alg != RSA_KEY_ALG {
            return Err(ConfigError::new(
                "AXIOMS_RSA_KEY_ALG",
                format!(
                    "RSA keys without `alg` are pinned to {}, which the algorithm allow-list \
                     (AXIOMS_ALGORITHMS) does not contain",
                    self.rsa_key_alg
                ),
                "add it to AXIOMS_ALGORITHMS, or choose an allowed algorithm",
            ));
        }
        if self.cooldown > Duration::from_secs(30) {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_COOLDOWN_SECS",
                "a cooldown over 30 s delays newly published keys for too long",
                "use at most 30 seconds (default 10)",
            ));
        }
        if self.max_backoff.is_zero() || self.max_backoff > Duration::from_secs(30) {
            return Err(ConfigError::new(
                "retry_max_backoff",
                "the retry backoff must be between 1 and 30 seconds",
                "use the default (15 s) or a value in that range",
            ));
        }
        if self.refresh_interval < Duration::from_secs(1)
            || self.min_refresh < Duration::from_secs(1)
            || self.min_refresh > self.max_refresh
        {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_REFRESH_SECS",
                "the refresh interval and its lower bound must be at least 1 s, and the bounds \
                 ordered (min <= max)",
                "use the default (300 s) or a positive interval",
            ));
        }
        if self.refresh_interval > MAX_PERIOD || self.max_refresh > MAX_PERIOD {
            return Err(ConfigError::new(
                "AXIOMS_JWKS_REFRESH_SECS",
                "a refresh period over 24 h misses rotated and revoked keys for too long",
                "use at most 86400 seconds (default 300)",
            ));
        }
        if self.max_stale > MAX_STALE_LIMIT {
            return Err(ConfigError::new(
                "max_stale",
                "serving keys more than 7 days after the IdP was last reachable keeps revoked \
                 keys alive",
                "use at most 7 days (default 24 h)",
            ));
        }
        if self.max_keys == 0 {
            return Err(ConfigError::new(
                "jwks_limits",
                "the key-count limit is zero, so no key could ever be admitted",
                "allow at least 1 key (default 100)",
            ));
        }
        Ok(Keys {
            source,
            algorithms: self.algorithms,
            rsa_key_alg: self.rsa_key_alg,
            max_keys: self.max_keys,
            refresh_interval: self.refresh_interval,
            min_refresh: self.min_refresh,
            max_refresh: self.max_refresh,
            cooldown: self.cooldown,
            max_backoff: self.max_backoff,
            max_stale: self.max_stale,
        })
    }
}
