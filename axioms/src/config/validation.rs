//! Token validation: whose tokens, for whom, of which kind, how old, how large.

use crate::defaults::LEEWAY;
use std::sync::Arc;
use std::time::Duration;

use super::ConfigError;
use crate::claims::{ClaimName, ClaimNames};
use crate::clock::Clock;
use crate::issuer_id::IssuerId;

/// Which `typ` header values are accepted.
///
/// # Example
///
/// ```
/// use axioms::{Config, Issuer, TokenType};
/// let issuer = Issuer::builder()
///     .issuer("https://issuer.example/")
///     .audience("api")
///     .token_type(TokenType::Rfc9068);
/// let config = Config::builder(issuer).build().unwrap();
/// assert_eq!(config.primary().token_type(), TokenType::Rfc9068);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenType {
    /// `at+jwt`, `application/at+jwt` (case-insensitively), `JWT`, or no `typ` at all: what
    /// Auth0, Cognito, Entra, Okta and Keycloak issue today. The default. ID tokens are still
    /// refused by their claims (see the README's "Token kinds").
    #[default]
    AccessOrJwt,
    /// RFC 9068 strict: `typ` must be `at+jwt` or `application/at+jwt`, and the claims
    /// `iss`, `exp`, `aud`, `sub`, `client_id`, `iat` and `jti` must be present. Rejects ID
    /// tokens and every other JWT kind presented as an access token.
    Rfc9068,
}

/// Which claim carries the audience.
///
/// # Example
///
/// ```
/// use axioms::{AudienceClaim, Config, Issuer};
/// // AWS Cognito access tokens have no `aud`: the app client is in `client_id`.
/// let issuer = Issuer::builder()
///     .issuer("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf")
///     .audience("1example23456789")
///     .audience_claim(AudienceClaim::ClientId);
/// let config = Config::builder(issuer).build().unwrap();
/// assert_eq!(config.primary().audience_claim(), AudienceClaim::ClientId);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudienceClaim {
    /// `aud` (a string or an array of strings) must name an accepted audience. The default,
    /// and what RFC 9068 requires.
    #[default]
    Aud,
    /// `client_id` must equal an accepted audience (AWS Cognito access tokens, which carry no
    /// `aud`). An `aud` that is present anyway must name an accepted audience too.
    ClientId,
}

/// Which tenants of a multi-tenant issuer template are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tenants {
    /// The issuer is exact: there are no tenants to choose.
    NotATemplate,
    /// These `tid`s (lower-case GUIDs) only.
    Listed(Vec<String>),
    /// Every tenant (`AXIOMS_ACCEPT_EVERY_TENANT`).
    Every,
}

impl Tenants {
    /// Whether a token of tenant `tid` is accepted (its `iss` matched the template already).
    pub(crate) fn accepts(&self, tid: Option<&str>) -> bool {
        match self {
            Tenants::NotATemplate | Tenants::Every => true,
            Tenants::Listed(tenants) => {
                tid.is_some_and(|tid| tenants.iter().any(|t| t.eq_ignore_ascii_case(tid)))
            }
        }
    }
}

/// The validation settings, validated. The verifier borrows this group; the token size
/// limit and the clock are the service's, given to every issuer.
#[derive(Clone)]
pub(crate) struct Validation {
    pub(crate) issuer: Option<IssuerId>,
    pub(crate) tenants: Tenants,
    pub(crate) audiences: Vec<String>,
    pub(crate) audience_claim: AudienceClaim,
    pub(crate) claim_names: ClaimNames,
    /// Seconds.
    pub(crate) leeway: i64,
    pub(crate) token_type: TokenType,
    pub(crate) max_token_bytes: usize,
    pub(crate) require_subject: bool,
    pub(crate) clock: Arc<dyn Clock>,
}

/// The validation settings as the builder collects them.
#[derive(Clone)]
pub(crate) struct ValidationSettings {
    pub(crate) audiences: Vec<String>,
    pub(crate) audience_claim: AudienceClaim,
    pub(crate) scope_claims: Option<Vec<String>>,
    pub(crate) roles_claims: Option<Vec<String>>,
    pub(crate) permissions_claims: Option<Vec<String>>,
    pub(crate) leeway: Duration,
    pub(crate) token_type: TokenType,
    pub(crate) require_subject: bool,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        Self {
            audiences: Vec::new(),
            audience_claim: AudienceClaim::Aud,
            scope_claims: None,
            roles_claims: None,
            permissions_claims: None,
            leeway: LEEWAY,
            token_type: TokenType::default(),
            require_subject: true,
        }
    }
}

impl ValidationSettings {
    /// Checks every validation setting; `issuer` and `tenants` were checked by the caller,
    /// and `max_token_bytes` and `clock` are the service's.
    pub(crate) fn check(
        self,
        issuer: Option<IssuerId>,
        tenants: Tenants,
        max_token_bytes: usize,
        clock: Arc<dyn Clock>,
    ) -> Result<Validation, ConfigError> {
        if self.audiences.is_empty() || self.audiences.iter().any(String::is_empty) {
            return Err(ConfigError::new(
                "AXIOMS_AUDIENCE",
                "no audience is set",
                "set AXIOMS_AUDIENCE (or `.audience(…)`) to your API's identifier, the value \
                 your authorization server puts in the `aud` claim, or AXIOMS_RESOURCE to your \
                 resource's URI (it is then the audience)",
            ));
        }
        let defaults = ClaimNames::default();
        let claim_names = ClaimNames {
            scopes: claim_list("AXIOMS_SCOPE_CLAIMS", self.scope_claims, defaults.scopes)?,
            roles: claim_list("AXIOMS_ROLES_CLAIMS", self.roles_claims, defaults.roles)?,
            permissions: claim_list(
                "AXIOMS_PERMISSIONS_CLAIMS",
                self.permissions_claims,
                defaults.permissions,
            )?,
        };
        if self.leeway > Duration::from_secs(300) {
            return Err(ConfigError::new(
                "AXIOMS_LEEWAY_SECS",
                format!(
                    "{} s of leeway lets expired tokens live too long",
                    self.leeway.as_secs()
                ),
                "use at most 300 seconds; 30 to 60 is typical",
            ));
        }
        if self.token_type == TokenType::Rfc9068 && !self.require_subject {
            return Err(ConfigError::new(
                "AXIOMS_ALLOW_TOKENS_WITHOUT_SUB",
                "the strict RFC 9068 token type requires `sub`, so it cannot be waived",
                "use AXIOMS_TOKEN_TYPE=jwt, or keep `sub` required",
            ));
        }
        Ok(Validation {
            issuer,
            tenants,
            audiences: self.audiences,
            audience_claim: self.audience_claim,
            claim_names,
            // At most 300: the cast cannot wrap.
            leeway: i64::try_from(self.leeway.as_secs()).unwrap_or(300),
            token_type: self.token_type,
            max_token_bytes,
            require_subject: self.require_subject,
            clock,
        })
    }
}

fn claim_list(
    setting: &'static str,
    given: Option<Vec<String>>,
    default: Vec<ClaimName>,
) -> Result<Vec<ClaimName>, ConfigError> {
    let Some(given) = given else {
        return Ok(default);
    };
    if given.is_empty() {
        return Err(ConfigError::new(
            setting,
            "the list of claim names is empty",
            "name at least one claim, or unset the variable to use the default",
        ));
    }
    given
        .iter()
        .map(|n| {
            n.parse::<ClaimName>().map_err(|e| {
                ConfigError::new(
                    setting,
                    e.to_string(),
                    "use a member name (`roles`, `cognito:groups`, `https://x/roles`) or a JSON \
                     Pointer (`/realm_access/roles`)",
                )
            })
        })
        .collect()
}
