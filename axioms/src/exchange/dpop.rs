//! The API's own DPoP key (RFC 9449), for tokens bound to it: proofs for the token endpoint
//! and for each call to a downstream API that requires DPoP.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use url::Url;

use crate::config::ConfigError;

/// The API's DPoP key: a private key from PEM whose public half travels in each proof's
/// `jwk` header. With [`TokenExchangeBuilder::dpop`](super::TokenExchangeBuilder::dpop), the
/// exchange asks for tokens bound to it (RFC 9449 §5) and [`TokenExchange::authorize`](super::TokenExchange::authorize)
/// sends each with a fresh proof for its method and URL (`ath` the token's hash).
///
/// Its `Debug` shows the key's thumbprint only.
///
/// ```
/// let err = axioms::exchange::ProofKey::from_pem(axioms::Algorithm::ES256, b"no key").unwrap_err();
/// assert_eq!(err.setting(), "ProofKey::from_pem");
/// ```
pub struct ProofKey {
    key: jsonwebtoken::EncodingKey,
    header: jsonwebtoken::Header,
    thumbprint: String,
}

impl fmt::Debug for ProofKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofKey")
            .field("alg", &self.header.alg)
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl ProofKey {
    /// A private key in PEM for `alg`: ES256, ES384, RS256, PS256 or EdDSA (what DPoP servers
    /// accept; ES256 is the common choice).
    ///
    /// # Errors
    ///
    /// If the algorithm is not one of those, or the PEM is not a private key of its type.
    ///
    /// ```
    /// # fn f(pem: &[u8]) -> Result<(), axioms::ConfigError> {
    /// let key = axioms::exchange::ProofKey::from_pem(axioms::Algorithm::ES256, pem)?;
    /// println!("cnf.jkt of tokens bound to it: {}", key.thumbprint());
    /// # Ok(()) }
    /// ```
    pub fn from_pem(alg: crate::Algorithm, pem: &[u8]) -> Result<Self, ConfigError> {
        use jsonwebtoken::{Algorithm as A, EncodingKey};
        let invalid = |why: &str| {
            ConfigError::new(
                "ProofKey::from_pem",
                why,
                "give the PEM of a private key of the algorithm's type (PKCS#8)",
            )
        };
        let (alg, key) = match alg {
            crate::Algorithm::ES256 => (A::ES256, EncodingKey::from_ec_pem(pem)),
            crate::Algorithm::ES384 => (A::ES384, EncodingKey::from_ec_pem(pem)),
            crate::Algorithm::RS256 => (A::RS256, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::PS256 => (A::PS256, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::EdDSA => (A::EdDSA, EncodingKey::from_ed_pem(pem)),
            _ => return Err(invalid("this algorithm cannot sign DPoP proofs here")),
        };
        let key = key.map_err(|_| invalid("the PEM is not a private key of this type"))?;
        let mut jwk = jsonwebtoken::jwk::Jwk::from_encoding_key(&key, alg)
            .map_err(|_| invalid("the key's public half cannot be written as a JWK"))?;
        // Only the key itself: the thumbprint and the verifier need nothing else.
        jwk.common = jsonwebtoken::jwk::CommonParameters::default();
        let thumbprint = jwk
            .thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .map_err(|_| invalid("the key's thumbprint cannot be computed"))?;
        let mut header = jsonwebtoken::Header::new(alg);
        header.typ = Some("dpop+jwt".to_owned());
        header.jwk = Some(jwk);
        Ok(Self {
            key,
            header,
            thumbprint,
        })
    }

    /// The key's JWK SHA-256 thumbprint (RFC 7638): the `cnf.jkt` of tokens bound to it.
    ///
    /// ```
    /// # fn f(key: axioms::exchange::ProofKey) {
    /// assert_eq!(key.thumbprint().len(), 43);
    /// # }
    /// ```
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// A proof for `method` on `url` (its query and fragment left out, RFC 9449 §4.2), for
    /// `token` (`ath`) if any, with the server's `nonce` if it asked for one.
    pub(crate) fn proof(
        &self,
        method: &str,
        url: &Url,
        token: Option<&str>,
        nonce: Option<&str>,
        now: i64,
    ) -> Result<String, &'static str> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| "no randomness for the proof's jti")?;
        let mut claims = serde_json::Map::new();
        claims.insert("jti".into(), URL_SAFE_NO_PAD.encode(jti).into());
        claims.insert("htm".into(), method.into());
        claims.insert("htu".into(), htu.as_str().into());
        claims.insert("iat".into(), now.into());
        if let Some(token) = token {
            let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
            claims.insert("ath".into(), URL_SAFE_NO_PAD.encode(hash.as_ref()).into());
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), nonce.into());
        }
        jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|_| "the DPoP proof could not be signed")
    }
}
