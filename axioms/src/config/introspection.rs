//! Opaque tokens: where and how an issuer's introspection endpoint is asked (RFC 7662).

use crate::defaults::{
    INTROSPECTION_CACHE, INTROSPECTION_CACHE_BYTES, INTROSPECTION_CACHE_ENTRIES,
    INTROSPECTION_NEGATIVE_CACHE,
};
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::HeaderValue;
use url::Url;

use super::{ConfigError, parse_url};

/// The introspection settings as the builder collects them.
#[derive(Clone, Default)]
pub(crate) struct IntrospectionSettings {
    pub(crate) client: Option<(String, String)>,
    pub(crate) endpoint: Option<String>,
    pub(crate) cache: Option<Duration>,
    pub(crate) negative_cache: Option<Duration>,
    pub(crate) entries: Option<usize>,
}

impl fmt::Debug for IntrospectionSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionSettings")
            .field("client_id", &self.client.as_ref().map(|(id, _)| id))
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Where the endpoint is.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    /// Configured.
    Fixed(Url),
    /// The `introspection_endpoint` of the issuer's discovery document at this URL.
    Discover(Url),
}

/// The introspection settings, validated.
#[derive(Clone)]
pub(crate) struct Introspection {
    pub(crate) endpoint: Endpoint,
    /// `Basic` client authentication (RFC 6749 §2.3.1), marked sensitive.
    pub(crate) authorization: HeaderValue,
    pub(crate) cache: Duration,
    pub(crate) negative_cache: Duration,
    pub(crate) entries: usize,
    pub(crate) bytes: usize,
}

impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the client secret.
        f.debug_struct("Introspection")
            .field("endpoint", &self.endpoint)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl IntrospectionSettings {
    /// Checks the settings; `None` when introspection is off.
    pub(crate) fn check(
        self,
        issuer: Option<&crate::issuer_id::IssuerId>,
        allow_http: bool,
    ) -> Result<Option<Introspection>, ConfigError> {
        let Some((id, secret)) = self.client else {
            if self.endpoint.is_some() {
                return Err(ConfigError::new(
                    "AXIOMS_INTROSPECTION_CLIENT_ID",
                    "an introspection endpoint without client credentials (RFC 7662 §2.1 \
                     requires the resource server to authenticate)",
                    "set AXIOMS_INTROSPECTION_CLIENT_ID and AXIOMS_INTROSPECTION_CLIENT_SECRET",
                ));
            }
            return Ok(None);
        };
        if id.is_empty() || secret.is_empty() {
            return Err(ConfigError::new(
                "AXIOMS_INTROSPECTION_CLIENT_SECRET",
                "introspection needs both a client id and its secret",
                "set AXIOMS_INTROSPECTION_CLIENT_ID and AXIOMS_INTROSPECTION_CLIENT_SECRET",
            ));
        }
        let endpoint = match (&self.endpoint, issuer.map(|i| i.exact())) {
            (Some(url), _) => {
                Endpoint::Fixed(parse_url("AXIOMS_INTROSPECTION_URL", url, allow_http)?)
            }
            (None, Some(None)) => {
                return Err(ConfigError::new(
                    "AXIOMS_INTROSPECTION_URL",
                    "a multi-tenant issuer template has no introspection endpoint to discover",
                    "set AXIOMS_INTROSPECTION_URL",
                ));
            }
            (None, Some(Some(issuer))) => Endpoint::Discover(parse_url(
                "AXIOMS_INTROSPECTION_URL",
                &format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                ),
                allow_http,
            )?),
            (None, None) => {
                return Err(ConfigError::new(
                    "AXIOMS_INTROSPECTION_URL",
                    "no introspection endpoint, and no issuer to discover it from",
                    "set AXIOMS_INTROSPECTION_URL, or AXIOMS_ISS_URL",
                ));
            }
        };
        let cache = self.cache.unwrap_or(INTROSPECTION_CACHE);
        if cache > Duration::from_secs(3600) {
            return Err(ConfigError::new(
                "AXIOMS_INTROSPECTION_CACHE_SECS",
                "reusing an introspection answer for over an hour keeps revoked tokens working \
                 that long",
                "use at most 3600 seconds (default 60; 0 asks every time)",
            ));
        }
        let negative_cache = self.negative_cache.unwrap_or(INTROSPECTION_NEGATIVE_CACHE);
        if negative_cache > Duration::from_secs(60) {
            return Err(ConfigError::new(
                "AXIOMS_INTROSPECTION_NEGATIVE_CACHE_SECS",
                "an inactive answer reused for over a minute refuses a token that became \
                 valid for too long",
                "use at most 60 seconds (default 5)",
            ));
        }
        // RFC 6749 §2.3.1: the id and the secret are form-encoded, then joined by `:`.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = STANDARD.encode(format!("{}:{}", encode(&id), encode(&secret)));
        let mut authorization = HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| {
            ConfigError::new(
                "AXIOMS_INTROSPECTION_CLIENT_SECRET",
                "the client credentials cannot form a header",
                "check AXIOMS_INTROSPECTION_CLIENT_ID and _SECRET",
            )
        })?;
        authorization.set_sensitive(true);
        Ok(Some(Introspection {
            endpoint,
            authorization,
            cache,
            negative_cache,
            entries: self.entries.unwrap_or(INTROSPECTION_CACHE_ENTRIES),
            bytes: INTROSPECTION_CACHE_BYTES,
        }))
    }
}
