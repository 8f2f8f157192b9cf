//! The JWS algorithms axioms accepts.

use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm that axioms can verify.
///
/// `none` does not exist here. The HMAC family (`HS256`, `HS384`, `HS512`) exists only for an
/// issuer whose secret is configured locally with
/// [`IssuerBuilder::hmac_secret`](crate::IssuerBuilder::hmac_secret): it is not in
/// [`ALL`](Self::ALL), cannot be parsed from a string (so no `AXIOMS_ALGORITHMS` can name
/// it), is refused by [`IssuerBuilder::algorithms`](crate::IssuerBuilder::algorithms) and
/// for DPoP proofs, and no key of a JWKS is ever admitted for it.
///
/// # Example
///
/// ```
/// use axioms::Algorithm;
/// let alg: Algorithm = "PS256".parse().unwrap();
/// assert_eq!(alg, Algorithm::PS256);
/// assert!("HS256".parse::<Algorithm>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// Ed25519 (RFC 8037).
    EdDSA,
    /// HMAC with SHA-256: only with [`IssuerBuilder::hmac_secret`](crate::IssuerBuilder::hmac_secret).
    HS256,
    /// HMAC with SHA-384: only with [`IssuerBuilder::hmac_secret`](crate::IssuerBuilder::hmac_secret).
    HS384,
    /// HMAC with SHA-512: only with [`IssuerBuilder::hmac_secret`](crate::IssuerBuilder::hmac_secret).
    HS512,
}

impl Algorithm {
    /// Every supported algorithm: the default allow-list.
    pub const ALL: [Algorithm; 10] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::ES512,
        Self::EdDSA,
    ];

    /// The `alg` value on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::ES512 => "ES512",
            Self::EdDSA => "EdDSA",
            Self::HS256 => "HS256",
            Self::HS384 => "HS384",
            Self::HS512 => "HS512",
        }
    }

    /// Whether this is an HMAC algorithm (`HS256`, `HS384`, `HS512`).
    ///
    /// ```
    /// assert!(axioms::Algorithm::HS256.is_hmac());
    /// assert!(!axioms::Algorithm::ES256.is_hmac());
    /// ```
    pub const fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }

    /// The HMAC algorithm named exactly `name`, for a token header checked against an
    /// issuer's pinned secret.
    pub(crate) fn from_hmac_name(name: &str) -> Option<Self> {
        [Self::HS256, Self::HS384, Self::HS512]
            .into_iter()
            .find(|a| a.as_str() == name)
    }

    /// Parses an `alg` value exactly (case-sensitive, RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub(crate) const fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::RS256 | Self::RS384 | Self::RS512 | Self::PS256 | Self::PS384 | Self::PS512
        )
    }

    /// The aws-lc-rs verification algorithm of a public-key `alg` (`None` for HMAC).
    pub(crate) fn verification(
        self,
    ) -> Option<&'static dyn aws_lc_rs::signature::VerificationAlgorithm> {
        use aws_lc_rs::signature as sig;
        Some(match self {
            Self::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
            Self::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
            Self::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
            Self::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
            Self::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
            Self::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
            // JWS ECDSA signatures are R || S (RFC 7518 §3.4): the "fixed" encoding.
            Self::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
            Self::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
            Self::ES512 => &sig::ECDSA_P521_SHA512_FIXED,
            Self::EdDSA => &sig::ED25519,
            Self::HS256 | Self::HS384 | Self::HS512 => return None,
        })
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an [`Algorithm`] that axioms does not support.
///
/// # Example
///
/// ```
/// use axioms::Algorithm;
/// let err = "none".parse::<Algorithm>().unwrap_err();
/// assert!(err.to_string().contains("none"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a supported algorithm; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA"
)]
pub struct UnsupportedAlgorithm(String);

impl FromStr for Algorithm {
    type Err = UnsupportedAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_name(s).ok_or_else(|| UnsupportedAlgorithm(s.to_owned()))
    }
}
