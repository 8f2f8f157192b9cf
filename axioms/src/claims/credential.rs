//! The kinds of credential a request can authenticate with.

use super::Claims;

/// A kind of credential a request can authenticate with, for `credentials = …` in a policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Credential {
    /// An access token (`Authorization: Bearer` or `DPoP`): `"token"`.
    Token,
    /// An API key ([`crate::api_key`]): `"api_key"`.
    ApiKey,
}

impl Credential {
    /// The kind of credential `claims` came from.
    ///
    /// ```
    /// use axioms::{Claims, policy::Credential};
    /// let claims = Claims::from_json_unverified(serde_json::json!({"sub": "a"})).unwrap();
    /// assert_eq!(Credential::of(&claims), Credential::Token);
    /// ```
    pub fn of(claims: &Claims) -> Self {
        if claims.api_key_id().is_some() {
            Self::ApiKey
        } else {
            Self::Token
        }
    }

    /// Its name in a policy: `"token"`, `"api_key"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::ApiKey => "api_key",
        }
    }
}
