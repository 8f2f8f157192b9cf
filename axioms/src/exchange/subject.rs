//! The caller's access token, as the subject of an exchange.

use std::fmt;

use axum::extract::{FromRef, FromRequestParts};
use http::request::Parts;

use crate::claims::{Claims, Credential};
use crate::pipeline;
use crate::rejection::{Reason, Rejection};
use crate::verifier::Axioms;

/// The request's verified access token, to exchange for a downstream API's token
/// ([`TokenExchange::token_for`](super::TokenExchange::token_for)). An extractor: the request
/// is authenticated by the one pipeline exactly as for [`Claims`] (the verdict of a guard or
/// layer is reused), and refused likewise — 401 without a valid token, and for a partner's
/// token that no policy admitted.
///
/// Its `Debug` never shows the token.
///
/// ```
/// use axioms::exchange::SubjectToken;
/// use axioms::protected;
///
/// #[protected(scopes = "orders:read")]
/// async fn handler(subject: SubjectToken) -> String {
///     format!("{} until {}", subject.claims().subject().unwrap_or("?"), subject.expires_at())
/// }
/// ```
#[derive(Clone)]
pub struct SubjectToken {
    token: Box<str>,
    hash: [u8; 32],
    claims: Claims,
    expires_at: i64,
}

impl fmt::Debug for SubjectToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubjectToken")
            .field("subject", &self.claims.subject())
            .field("issuer", &self.issuer())
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl SubjectToken {
    /// The token's verified claims.
    ///
    /// ```
    /// # fn f(subject: axioms::exchange::SubjectToken) { let _ = subject.claims().subject(); }
    /// ```
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Its `exp`: an exchanged token is never cached past it.
    ///
    /// ```
    /// # fn f(subject: axioms::exchange::SubjectToken) { let _ = subject.expires_at(); }
    /// ```
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The name of the trusted issuer that vouched for it.
    pub(crate) fn issuer(&self) -> &str {
        self.claims.vouched_by().unwrap_or(crate::claims::PRIMARY)
    }

    /// The token, for the request to the token endpoint only.
    pub(crate) fn secret(&self) -> &str {
        &self.token
    }

    /// The SHA-256 of the token: the cache's key.
    pub(crate) fn hash(&self) -> [u8; 32] {
        self.hash
    }

    /// The subject token of a request whose `claims` the pipeline verified from `token`.
    fn new(token: &[u8], claims: Claims) -> Result<Self, Reason> {
        let token = std::str::from_utf8(token).map_err(|_| Reason::MalformedAuthorization)?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest.as_ref());
        // Verification requires `exp` of every token it accepts; an introspected token
        // without one is kept no longer than a minute.
        let expires_at = claims.expires_at().unwrap_or(i64::MIN);
        Ok(Self {
            token: Box::from(token),
            hash,
            claims,
            expires_at,
        })
    }
}

impl<S> FromRequestParts<S> for SubjectToken
where
    Axioms: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        // Exactly what `Claims` admits (the one pipeline, its verdict reused).
        let claims = Claims::from_request_parts(parts, state).await?;
        let axioms = Axioms::from_ref(state);
        // An API key is not a token of the issuer; a DPoP-bound token is bound to the
        // client's key, which this API does not hold, so the issuer would refuse it.
        let refuse = |reason| Err(axioms.reject(axioms.denial(reason, &claims)));
        if Credential::of(&claims) != Credential::Token || claims.is_dpop_bound() {
            return refuse(Reason::CredentialNotAccepted);
        }
        let Some(token) = pipeline::presented_token(&axioms, parts) else {
            return refuse(Reason::CredentialNotAccepted);
        };
        Self::new(&token, claims).map_err(|reason| axioms.reject(axioms.error(reason)))
    }
}
