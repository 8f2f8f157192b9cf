//! How requests are answered: the challenge's realm, the methods that need no token, scope
//! matching, and the verified-token cache.

use crate::defaults::{REALM, TOKEN_CACHE_BYTES, TOKEN_CACHE_ENTRIES};
use std::sync::Arc;

use http::Method;

use super::ConfigError;
use crate::check::{Exact, ScopeMatcher};
use crate::safe::SafeMethods;

/// The protected resource's identity (RFC 9728, RFC 8707): its canonical URI, and the URL
/// of its metadata document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resource {
    /// The canonical resource URI, as tokens carry it in `aud` and the metadata document in
    /// `resource`: lowercase scheme and host, no default port, no trailing slash on an empty
    /// path, no query or fragment.
    pub(crate) uri: Arc<str>,
    /// `<origin>/.well-known/oauth-protected-resource<path>` (RFC 9728 §3.1).
    pub(crate) metadata_url: Arc<str>,
    /// The path of that document on this server.
    pub(crate) metadata_path: Arc<str>,
}

/// The suffix RFC 9728 §3 registers.
pub(crate) const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

impl Resource {
    /// Parses and canonicalizes a resource URI; `https`, or `http` on loopback (or anywhere
    /// with `allow_http`).
    pub(crate) fn parse(raw: &str, allow_http: bool) -> Result<Self, ConfigError> {
        let url = super::parse_url("AXIOMS_RESOURCE", raw, allow_http)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::new(
                "AXIOMS_RESOURCE",
                "a resource identifier has no query or fragment (RFC 8707 §2, RFC 9728 §1.2)",
                "remove the `?…` / `#…` part",
            ));
        }
        if url.username() != "" || url.password().is_some() {
            return Err(ConfigError::new(
                "AXIOMS_RESOURCE",
                "a resource identifier carries no user information",
                "remove the `user:password@` part",
            ));
        }
        let origin = url.origin().ascii_serialization();
        let path = match url.path() {
            "/" => "",
            path => path,
        };
        Ok(Self {
            uri: Arc::from(format!("{origin}{path}")),
            metadata_url: Arc::from(format!("{origin}{WELL_KNOWN}{path}")),
            metadata_path: Arc::from(format!("{WELL_KNOWN}{path}")),
        })
    }
}

/// The request settings, validated.
#[derive(Clone)]
pub(crate) struct Requests {
    /// The protected resource, when one is configured.
    pub(crate) resource: Option<Resource>,
    pub(crate) realm: Arc<str>,
    pub(crate) safe_methods: SafeMethods,
    pub(crate) scope_matcher: Arc<dyn ScopeMatcher>,
    pub(crate) token_cache_entries: usize,
    pub(crate) token_cache_bytes: usize,
}

/// The request settings as the builder collects them.
#[derive(Clone)]
pub(crate) struct RequestSettings {
    pub(crate) resource: Option<String>,
    pub(crate) realm: String,
    pub(crate) safe_methods: Vec<Method>,
    pub(crate) scope_matcher: Arc<dyn ScopeMatcher>,
    pub(crate) token_cache_entries: usize,
    pub(crate) token_cache_bytes: usize,
}

impl Default for RequestSettings {
    fn default() -> Self {
        Self {
            resource: None,
            realm: REALM.to_owned(),
            safe_methods: Vec::new(),
            scope_matcher: Arc::new(Exact),
            token_cache_entries: TOKEN_CACHE_ENTRIES,
            token_cache_bytes: TOKEN_CACHE_BYTES,
        }
    }
}

impl RequestSettings {
    /// Checks the request settings; the resource was parsed by the caller (it also decides
    /// the audience).
    pub(crate) fn check(self, resource: Option<Resource>) -> Result<Requests, ConfigError> {
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
            resource,
            realm: Arc::from(self.realm),
            safe_methods,
            scope_matcher: self.scope_matcher,
            token_cache_entries: self.token_cache_entries,
            token_cache_bytes: self.token_cache_bytes,
        })
    }
}
