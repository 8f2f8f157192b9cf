//! Outgoing HTTP: how axioms talks to the authorization server (JWKS and discovery).

use crate::defaults::{CONNECT_TIMEOUT, MAX_JWKS_BYTES, REQUEST_TIMEOUT};
use std::time::Duration;

use super::ConfigError;

const MAX_TIMEOUT: Duration = Duration::from_secs(60);

/// The HTTP settings, validated. The fetcher borrows this group.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body_bytes: usize,
    pub(crate) allow_insecure_http: bool,
}

impl Default for Http {
    fn default() -> Self {
        Self {
            connect_timeout: CONNECT_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            max_body_bytes: MAX_JWKS_BYTES,
            allow_insecure_http: false,
        }
    }
}

impl Http {
    /// Checks the HTTP settings.
    pub(crate) fn check(self) -> Result<Self, ConfigError> {
        if self.connect_timeout.is_zero() || self.request_timeout.is_zero() {
            return Err(ConfigError::new(
                "AXIOMS_HTTP_TIMEOUT_SECS",
                "a zero timeout would fail every fetch",
                "use a positive timeout (default 10 s)",
            ));
        }
        if self.connect_timeout > MAX_TIMEOUT || self.request_timeout > MAX_TIMEOUT {
            return Err(ConfigError::new(
                "AXIOMS_HTTP_TIMEOUT_SECS",
                "a timeout over 60 s makes requests wait that long for a key fetch",
                "use at most 60 seconds (default 10)",
            ));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::new(
                "jwks_limits",
                "the JWKS size limit is too small to hold any key",
                "allow at least 1024 bytes (default 512 KiB)",
            ));
        }
        Ok(self)
    }
}
