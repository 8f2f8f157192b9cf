//! Hardened HTTP fetches of JWKS, discovery and introspection documents, and the rule every
//! URL axioms is configured with obeys (https, or http on loopback).
//!
//! Connect and whole-request timeouts, a streamed body cap, no cookies, redirects followed
//! only within the same origin, `https` only (or loopback), and nothing from any token in the
//! request.

use std::net::IpAddr;
use std::time::Duration;

use http::header::CACHE_CONTROL;
use reqwest::redirect;
use serde_json::Value;
use url::Url;

use crate::config::http::Http;
use crate::token::json::parse_object;

/// Why a fetch failed. Logged by the cache; never shown to clients.
///
/// ```
/// let err = axioms::FetchError::Status(503);
/// assert_eq!(err.to_string(), "the authorization server answered HTTP 503");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// Could not connect, or the connection broke.
    #[error("could not reach the authorization server: {0}")]
    Network(String),
    /// The connect or whole-request timeout elapsed.
    #[error("the authorization server did not answer in time")]
    Timeout,
    /// A status other than 200.
    #[error("the authorization server answered HTTP {0}")]
    Status(u16),
    /// The body exceeded the configured size cap.
    #[error("the response body exceeds the size cap")]
    TooLarge,
    /// The body is not a JSON object (or repeats a member name).
    #[error("the response is not a JSON object")]
    NotJson,
    /// The JWKS has no usable key, too many keys, or no `keys` array.
    #[error("unusable key set: {0}")]
    KeySet(String),
    /// Discovery metadata is unusable: `issuer` differs from the configured one, or
    /// `jwks_uri` is missing or not https.
    #[error("unusable discovery document: {0}")]
    Discovery(&'static str),
    /// A fault inside axioms (a fetch task that panicked); logged, and retried like a
    /// network failure.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// The HTTP client could not be built (a TLS backend that fails to start): a startup error,
/// [`InitError::HttpClient`](crate::InitError::HttpClient).
#[derive(Debug)]
pub(crate) struct ClientError(pub(crate) String);

/// `true` for `localhost` and loopback IP literals.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Whether a URL is `https`, or `http` on loopback (or anywhere if allowed).
pub(crate) fn check_url_scheme(url: &Url, allow_http: bool) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => allow_http || is_loopback(url),
        _ => false,
    }
}

/// A fetched JSON document and how long it may be cached.
pub(crate) struct Fetched {
    pub(crate) body: Value,
    pub(crate) max_age: Option<Duration>,
}

/// An HTTP client configured for key fetches.
#[derive(Debug, Clone)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    max_bytes: usize,
    allow_http: bool,
}

impl Fetcher {
    pub(crate) fn new(config: &Http) -> Result<Self, ClientError> {
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(redirect::Policy::custom(|attempt| {
                let same_origin = attempt
                    .previous()
                    .first()
                    .is_some_and(|first| first.origin() == attempt.url().origin());
                if attempt.previous().len() > 3 {
                    attempt.error("too many redirects")
                } else if same_origin {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .user_agent(concat!("axioms/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError(e.to_string()))?;
        Ok(Self {
            client,
            max_bytes: config.max_body_bytes,
            allow_http: config.allow_insecure_http,
        })
    }

    /// GETs `url` and parses the body as a strict JSON object.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        let request = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json");
        self.json(request).await
    }

    /// POSTs a form to `url` with an `Authorization` header (client authentication, marked
    /// sensitive so no log shows it) and parses the answer as a strict JSON object.
    pub(crate) async fn post_form(
        &self,
        url: &Url,
        authorization: &http::HeaderValue,
        form: &[(&str, &str)],
    ) -> Result<Fetched, FetchError> {
        let request = self
            .form(url, form)
            .header(http::header::AUTHORIZATION, authorization.clone());
        self.json(request).await
    }

    /// A POST of `form` to `url` that accepts JSON.
    fn form(&self, url: &Url, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        self.client
            .post(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
    }

    /// POSTs a form to an OAuth endpoint whose error answers carry a JSON body too (RFC 6749
    /// §5.2): the status and the body as a strict JSON object, whatever the status; a body
    /// that is not one is `NotJson` for a 200, and an empty object otherwise. Headers are
    /// marked sensitive (client authentication), never logged.
    #[cfg(feature = "exchange")]
    pub(crate) async fn post_oauth_form(
        &self,
        url: &Url,
        headers: http::HeaderMap,
        form: &[(&str, &str)],
    ) -> Result<(http::StatusCode, http::HeaderMap, Value), FetchError> {
        let request = self.form(url, form).headers(headers);
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = self.read(&mut response).await?;
        match parse_object(&body) {
            Ok(object) => Ok((status, headers, Value::Object(object))),
            Err(_) if status != http::StatusCode::OK => {
                Ok((status, headers, Value::Object(serde_json::Map::new())))
            }
            Err(_) => Err(FetchError::NotJson),
        }
    }

    /// The body of `response`, within the size cap.
    async fn read(&self, response: &mut reqwest::Response) -> Result<Vec<u8>, FetchError> {
        if response
            .content_length()
            .is_some_and(|len| len > self.max_bytes as u64)
        {
            return Err(FetchError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Sends `request` and reads a 200 answer as a strict JSON object, within the size cap.
    async fn json(&self, request: reqwest::RequestBuilder) -> Result<Fetched, FetchError> {
        let mut response = request.send().await.map_err(classify)?;
        let status = response.status();
        if status != http::StatusCode::OK {
            return Err(FetchError::Status(status.as_u16()));
        }
        let max_age = response
            .headers()
            .get(CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_max_age);
        let body = self.read(&mut response).await?;
        let body = parse_object(&body)
            .map(Value::Object)
            .map_err(|_| FetchError::NotJson)?;
        Ok(Fetched { body, max_age })
    }

    /// Resolves `jwks_uri` from an OIDC discovery document, checking its `issuer`.
    pub(crate) async fn discover(
        &self,
        url: &Url,
        issuer: Option<&str>,
    ) -> Result<Url, FetchError> {
        self.discover_endpoint(url, issuer, "jwks_uri").await
    }

    /// Resolves an endpoint (`jwks_uri`, `introspection_endpoint`) from a discovery document
    /// whose `issuer` is the configured one.
    pub(crate) async fn discover_endpoint(
        &self,
        url: &Url,
        issuer: Option<&str>,
        member: &'static str,
    ) -> Result<Url, FetchError> {
        let doc = self.get_json(url).await?.body;
        let meta_issuer = doc
            .get("issuer")
            .and_then(Value::as_str)
            .ok_or(FetchError::Discovery("no `issuer`"))?;
        if let Some(issuer) = issuer
            && meta_issuer != issuer
        {
            return Err(FetchError::Discovery(
                "`issuer` differs from the configured issuer (OIDC Discovery §4.3)",
            ));
        }
        let endpoint = doc
            .get(member)
            .and_then(Value::as_str)
            .ok_or(FetchError::Discovery(match member {
                "jwks_uri" => "no `jwks_uri`",
                "token_endpoint" => "no `token_endpoint`",
                _ => "no `introspection_endpoint`",
            }))?;
        let endpoint =
            Url::parse(endpoint).map_err(|_| FetchError::Discovery("an endpoint is not a URL"))?;
        if !check_url_scheme(&endpoint, self.allow_http) {
            return Err(FetchError::Discovery("an endpoint is not https"));
        }
        Ok(endpoint)
    }
}

fn classify(err: reqwest::Error) -> FetchError {
    if err.is_timeout() {
        FetchError::Timeout
    } else if err.is_redirect() {
        FetchError::Network("redirect refused".to_owned())
    } else {
        // reqwest's error text names the URL and the cause, never a token.
        FetchError::Network(err.without_url().to_string())
    }
}

/// The `max-age` of a `Cache-Control` value; `no-cache`/`no-store` count as zero.
fn parse_max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',') {
        let directive = directive.trim();
        let (name, arg) = directive
            .split_once('=')
            .map_or((directive, None), |(n, a)| {
                (n.trim(), Some(a.trim().trim_matches('"')))
            });
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Some(Duration::ZERO);
        }
        if name.eq_ignore_ascii_case("max-age") {
            max_age = arg
                .and_then(|a| a.parse::<u64>().ok())
                .map(Duration::from_secs);
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control() {
        assert_eq!(
            parse_max_age("public, max-age=600"),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_max_age("MAX-AGE=\"30\""),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("max-age=abc"), None);
        assert_eq!(parse_max_age("public"), None);
    }
}
