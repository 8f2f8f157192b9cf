//! A typed builder for the RFC 6750 `WWW-Authenticate: Bearer …` challenge.
//!
//! Every attribute value is written as an RFC 9110 quoted-string. Characters that RFC 6750
//! §3 forbids in attribute values (`"` and `\` in `error_description`, control characters and
//! anything outside printable ASCII everywhere) are dropped rather than escaped, so a hostile
//! value can never break out of its quotes or smuggle a header line.

use std::fmt;

use http::HeaderValue;

/// The RFC 6750 §3.1 error codes.
///
/// # Example
///
/// ```
/// use axioms::ErrorCode;
/// assert_eq!(ErrorCode::InsufficientScope.as_str(), "insufficient_scope");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `invalid_request` (400): the request is malformed, e.g. two `Authorization` headers.
    InvalidRequest,
    /// `invalid_token` (401): the token is malformed, expired, revoked or not for us.
    InvalidToken,
    /// `insufficient_scope` (403): the token is valid but does not grant enough.
    InsufficientScope,
    /// `insufficient_user_authentication` (401, RFC 9470): the user's authentication is too
    /// weak or too old for this request; the challenge's `acr_values` / `max_age` say what
    /// would do.
    InsufficientUserAuthentication,
    /// `invalid_dpop_proof` (401, RFC 9449 §7.1): the DPoP proof is missing or fails a check
    /// of RFC 9449 §4.3.
    InvalidDpopProof,
    /// `use_dpop_nonce` (401, RFC 9449 §9): the proof must carry the nonce of the response's
    /// `DPoP-Nonce` header.
    UseDpopNonce,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::InsufficientUserAuthentication => "insufficient_user_authentication",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::UseDpopNonce => "use_dpop_nonce",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds the value of a `WWW-Authenticate: Bearer` challenge (RFC 6750 §3).
///
/// # Example
///
/// ```
/// use axioms::{BearerChallenge, ErrorCode};
///
/// let value = BearerChallenge::new("api")
///     .error(ErrorCode::InsufficientScope)
///     .description("the token lacks a required scope")
///     .scope(["read:data", "admin"])
///     .resource_metadata("https://api.example.com/.well-known/oauth-protected-resource")
///     .to_header_value();
/// assert_eq!(
///     value.to_str().unwrap(),
///     r#"Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:data admin", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource""#
/// );
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct BearerChallenge {
    realm: String,
    error: Option<ErrorCode>,
    description: Option<String>,
    scope: Option<String>,
    acr_values: Option<String>,
    max_age: Option<u64>,
    resource_metadata: Option<String>,
    /// The auth-scheme; empty means `Bearer`.
    scheme: &'static str,
    /// `algs` of a `DPoP` challenge (RFC 9449 §7.1).
    algs: Option<String>,
}

impl BearerChallenge {
    /// Starts a challenge for `realm`. An empty realm is omitted from the header.
    pub fn new(realm: impl Into<String>) -> Self {
        Self {
            realm: realm.into(),
            ..Self::default()
        }
    }

    /// Sets the `error` attribute. Leave it unset when the request carried no credentials
    /// (RFC 6750 §3.1: such a response SHOULD NOT include an error code).
    pub fn error(mut self, code: ErrorCode) -> Self {
        self.error = Some(code);
        self
    }

    /// Sets `error_description`: a human-readable hint for the client developer.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the `scope` attribute: the scopes that would satisfy the request.
    pub fn scope<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = scopes
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        if !joined.is_empty() {
            self.scope = Some(joined);
        }
        self
    }

    /// Sets the step-up parameters of RFC 9470 §3: `acr_values` (space-separated) and
    /// `max_age` (seconds).
    pub fn step_up<I, S>(mut self, acr_values: I, max_age: Option<u64>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = acr_values
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        self.acr_values = (!joined.is_empty()).then_some(joined);
        self.max_age = max_age;
        self
    }

    /// Sets `resource_metadata`: the URL of the protected resource's metadata document
    /// (RFC 9728 §5.1), from which a client discovers the authorization server.
    pub fn resource_metadata(mut self, url: impl Into<String>) -> Self {
        self.resource_metadata = Some(url.into());
        self
    }

    /// The challenge of another scheme with the same attributes (`DPoP`).
    pub(crate) fn scheme(mut self, scheme: &'static str) -> Self {
        self.scheme = scheme;
        self
    }

    /// Sets `algs`: the JWS algorithms accepted for DPoP proofs (RFC 9449 §7.1).
    pub(crate) fn algs(mut self, algs: impl Into<String>) -> Self {
        self.algs = Some(algs.into());
        self
    }

    /// Renders the challenge as a header value.
    pub fn to_header_value(&self) -> HeaderValue {
        // Only printable ASCII is written, so this cannot fail; fall back to the bare scheme
        // rather than panic if that invariant is ever broken.
        HeaderValue::from_str(&self.to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }
}

impl std::fmt::Display for BearerChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.scheme.is_empty() {
            "Bearer"
        } else {
            self.scheme
        };
        let mut out = String::from(scheme);
        let mut sep = " ";
        let mut attr = |name: &str, value: &str, out: &mut String| {
            out.push_str(sep);
            out.push_str(name);
            out.push_str("=\"");
            push_quoted(out, value);
            out.push('"');
            sep = ", ";
        };
        if !self.realm.is_empty() {
            attr("realm", &self.realm, &mut out);
        }
        if let Some(code) = self.error {
            attr("error", code.as_str(), &mut out);
        }
        if let Some(description) = &self.description {
            attr("error_description", description, &mut out);
        }
        if let Some(scope) = &self.scope {
            attr("scope", scope, &mut out);
        }
        if let Some(acr) = &self.acr_values {
            attr("acr_values", acr, &mut out);
        }
        if let Some(age) = self.max_age {
            attr("max_age", &age.to_string(), &mut out);
        }
        if let Some(algs) = &self.algs {
            attr("algs", algs, &mut out);
        }
        if let Some(url) = &self.resource_metadata {
            attr("resource_metadata", url, &mut out);
        }
        f.write_str(&out)
    }
}

/// Appends `value`, keeping only the characters RFC 6750 §3 allows inside attribute values:
/// `%x20-21 / %x23-5B / %x5D-7E` (printable ASCII without `"` and `\`).
fn push_quoted(out: &mut String, value: &str) {
    out.extend(
        value
            .chars()
            .filter(|&c| matches!(c, '\x20'..='\x7e') && c != '"' && c != '\\'),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_challenge_has_realm_only() {
        let v = BearerChallenge::new("api").to_header_value();
        assert_eq!(v, r#"Bearer realm="api""#);
    }

    #[test]
    fn empty_realm_is_omitted() {
        let v = BearerChallenge::new("")
            .error(ErrorCode::InvalidToken)
            .to_header_value();
        assert_eq!(v, r#"Bearer error="invalid_token""#);
    }

    #[test]
    fn hostile_characters_are_dropped() {
        let v = BearerChallenge::new("a\"b\\c\r\nd\u{e9}")
            .description("x\"y")
            .to_header_value();
        assert_eq!(v, r#"Bearer realm="abcd", error_description="xy""#);
    }

    #[test]
    fn empty_scope_list_is_omitted() {
        let v = BearerChallenge::new("api")
            .scope(Vec::<String>::new())
            .to_header_value();
        assert_eq!(v, r#"Bearer realm="api""#);
    }
}
