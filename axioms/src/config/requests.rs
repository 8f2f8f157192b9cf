//! How requests are answered: the challenge's realm, the methods that need no token, scope
//! matching, and the verified-token cache.

use std::sync::Arc;

use http::Method;

use super::ConfigError;
use crate::check::{Exact, ScopeMatcher};
use crate::pipeline::SafeMethods;

/// Verified tokens kept in the token cache: 4096 (0 turns the cache off).
pub const TOKEN_CACHE_ENTRIES: usize = 4096;
/// Memory ceiling of the token cache, counting each token and its parsed claims: 8 MiB.
pub const TOKEN_CACHE_BYTES: usize = 8 * 1024 * 1024;
/// Realm of the `WWW-Authenticate` challenge: `api`.
pub const REALM: &str = "api";

/// The request settings, validated.
#[derive(Clone)]
pub(crate) struct Requests {
    pub(crate) realm: Arc<str>,
    pub(crate) safe_methods: SafeMethods,
    pub(crate) scope_matcher: Arc<dyn ScopeMatcher>,
    pub(crate) token_cache_entries: usize,
    pub(crate) token_cache_bytes: usize,
}

/// The request settings as the builder collects them.
#[derive(Clone)]
pub(crate) struct RequestSettings {
    pub(crate) realm: String,
    pub(crate) safe_methods: Vec<Method>,
    pub(crate) scope_matcher: Arc<dyn ScopeMatcher>,
    pub(crate) token_cache_entries: usize,
    pub(crate) token_cache_bytes: usize,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            realm: REALM.to_owned(),
            safe_methods: Vec::new(),
            scope_matcher: Arc::new(Exact),
            token_cache_entries: TOKEN_CACHE_ENTRIES,
            token_cache_bytes: TOKEN_CACHE_BYTES,
        }
    }
}

impl RequestSettings {
    /// Checks the request settings.
    pub(crate) fn check(self) -> Result<Requests, ConfigError> {
        if self
            .realm
            .chars()
            .any(|c| !matches!(c, '\x20'..='\x7e') || c == '"' || c == '\\')
        {
            return Err(ConfigError::new(
                "AXIOMS_REALM",
                "the realm must be printable ASCII without `\"` or `\\`",
                "use a plain name such as `api`",
            ));
        }
        let safe_methods = SafeMethods::from_methods(&self.safe_methods).map_err(|problem| {
            ConfigError::new("AXIOMS_SAFE_METHODS", problem.to_string(), problem.fix())
        })?;
        Ok(Requests {
            realm: Arc::from(self.realm),
            safe_methods,
            scope_matcher: self.scope_matcher,
            token_cache_entries: self.token_cache_entries,
            token_cache_bytes: self.token_cache_bytes,
        })
    }
}
