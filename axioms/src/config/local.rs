//! Keys configured in the application instead of fetched: public keys as JWK or JWKS, or an
//! HMAC secret (opt-in, for tokens a service signs itself).

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use super::ConfigError;
use crate::algorithm::Algorithm;
use crate::jwks::key::{PublicKey, VerifyingKey};
use crate::jwks::set::KeySet;

/// What the builder was given.
#[derive(Clone)]
pub(crate) enum LocalKeys {
    /// A JWK Set document, or one JWK.
    Jwks(String),
    /// An HMAC secret, pinned to one of HS256/384/512.
    Hmac { secret: Vec<u8>, alg: Algorithm },
}

impl fmt::Debug for LocalKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Jwks(_) => f.write_str("LocalKeys::Jwks"),
            // Never the secret.
            Self::Hmac { alg, .. } => write!(f, "LocalKeys::Hmac({alg})"),
        }
    }
}

impl LocalKeys {
    /// The key set, admitted under the same rules as a fetched JWKS (an HMAC secret: one key
    /// for its one algorithm).
    pub(crate) fn load(
        self,
        algorithms: &[Algorithm],
        rsa_alg: Algorithm,
        max_keys: usize,
    ) -> Result<KeySet, ConfigError> {
        match self {
            Self::Jwks(text) => {
                let doc: Value = serde_json::from_str(&text).map_err(|e| {
                    ConfigError::new(
                        "AXIOMS_LOCAL_KEYS_FILE",
                        format!("the local keys are not JSON: {e}"),
                        "give a JWK Set (`{\"keys\": [...]}`) or one public JWK",
                    )
                })?;
                // One JWK is a set of one.
                let doc = if doc.get("kty").is_some() {
                    serde_json::json!({ "keys": [doc] })
                } else {
                    doc
                };
                let set = KeySet::parse(&doc, algorithms, rsa_alg, max_keys, None).map_err(|e| {
                    ConfigError::new(
                        "AXIOMS_LOCAL_KEYS_FILE",
                        format!("the local keys were refused: {e} (each refused key is logged with its reason)"),
                        "give public signature keys (RSA of at least 2048 bits, EC P-256/384/521, \
                         Ed25519), without private members, of an allowed algorithm",
                    )
                })?;
                Ok(set)
            }
            Self::Hmac { secret, alg } => {
                let (digest, bytes) = match alg {
                    Algorithm::HS256 => (aws_lc_rs::hmac::HMAC_SHA256, 32),
                    Algorithm::HS384 => (aws_lc_rs::hmac::HMAC_SHA384, 48),
                    Algorithm::HS512 => (aws_lc_rs::hmac::HMAC_SHA512, 64),
                    other => {
                        return Err(ConfigError::new(
                            "AXIOMS_HMAC_ALG",
                            format!("{other} is not an HMAC algorithm"),
                            "use HS256, HS384 or HS512",
                        ));
                    }
                };
                if looks_like_public_key(&secret) {
                    return Err(ConfigError::new(
                        "AXIOMS_HMAC_SECRET",
                        "the HMAC secret is a public key: anyone who can read a public key \
                         could sign tokens with it (the RS256/HS256 confusion)",
                        "give the public key with AXIOMS_LOCAL_KEYS_FILE instead, or a random \
                         secret (`openssl rand -base64 48`)",
                    ));
                }
                // RFC 7518 §3.2: a key at least as long as the hash output.
                if secret.len() < bytes {
                    return Err(ConfigError::new(
                        "AXIOMS_HMAC_SECRET",
                        format!(
                            "an {alg} secret of {} bits is too short to resist guessing \
                             (RFC 7518 §3.2 requires at least {} bits)",
                            secret.len() * 8,
                            bytes * 8
                        ),
                        format!(
                            "use at least {bytes} random bytes, e.g. `openssl rand -base64 {}`",
                            bytes.max(32) + 16
                        ),
                    ));
                }
                let key = VerifyingKey {
                    kid: None,
                    alg,
                    implied_alg: false,
                    key: PublicKey::Hmac(Box::new(aws_lc_rs::hmac::Key::new(digest, &secret))),
                    material: Vec::new(),
                };
                Ok(KeySet::of_one(Arc::new(key)))
            }
        }
    }
}

/// A PEM public key or a JWK, given where a secret belongs.
fn looks_like_public_key(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let text = text.trim_start();
    text.starts_with("-----BEGIN") || (text.starts_with('{') && text.contains("\"kty\""))
}
