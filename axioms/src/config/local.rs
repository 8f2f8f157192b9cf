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
    /// A JWK Set document, one JWK, or a PEM public key.
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
            Self::Jwks(text) if text.trim_start().starts_with("-----BEGIN") => {
                pem_key(&text, algorithms, rsa_alg).map(|key| KeySet::of_one(Arc::new(key)))
            }
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
                // A local file is yours: a key refused there is a mistake to fix now, not one
                // to log and skip as in an IdP's set.
                let given = doc
                    .get("keys")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                if set.len() != given {
                    return Err(ConfigError::new(
                        "AXIOMS_LOCAL_KEYS_FILE",
                        format!(
                            "{} of the {given} local keys were refused (the log says why)",
                            given.saturating_sub(set.len())
                        ),
                        "give public signature keys (RSA of at least 2048 bits, EC \
                         P-256/384/521, Ed25519), without private members, of an allowed \
                         algorithm, each once",
                    ));
                }
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

/// A PEM public key (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo), admitted like a
/// JWK without `alg`: RSA of at least 2048 bits pinned to `rsa_alg`, EC pinned to its curve's
/// algorithm, Ed25519 to EdDSA; the algorithm must be allowed.
fn pem_key(
    text: &str,
    algorithms: &[Algorithm],
    rsa_alg: Algorithm,
) -> Result<VerifyingKey, ConfigError> {
    use aws_lc_rs::signature::{self as sig, ParsedPublicKey};
    use rustls_pki_types::SubjectPublicKeyInfoDer;
    use rustls_pki_types::pem::PemObject as _;

    let refused = |problem: String| {
        ConfigError::new(
            "AXIOMS_LOCAL_KEYS_FILE",
            problem,
            "give a public key as `-----BEGIN PUBLIC KEY-----` PEM (`openssl pkey -pubout`), or as a JWK",
        )
    };
    let der = SubjectPublicKeyInfoDer::from_pem_slice(text.as_bytes())
        .map_err(|e| refused(format!("no PEM public key could be read: {e}")))?;
    let der: &[u8] = der.as_ref();
    // RSA of any size parses with the legacy parameters; the size is then checked.
    let alg = if ParsedPublicKey::new(&sig::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, der)
        .is_ok()
    {
        let bits = aws_lc_rs::rsa::PublicEncryptingKey::from_der(der).map(|k| k.key_size_bits());
        if !bits.is_ok_and(|bits| bits >= 2048) {
            return Err(refused(
                "the RSA key is shorter than 2048 bits (RFC 8725 §3.5, NIST SP 800-131A)".into(),
            ));
        }
        rsa_alg
    } else {
        let ec = [
            (Algorithm::ES256, &sig::ECDSA_P256_SHA256_FIXED),
            (Algorithm::ES384, &sig::ECDSA_P384_SHA384_FIXED),
            (Algorithm::ES512, &sig::ECDSA_P521_SHA512_FIXED),
        ];
        let found = ec
            .into_iter()
            .find(|(_, v)| ParsedPublicKey::new(*v, der).is_ok())
            .map(|(alg, _)| alg);
        match found {
            Some(alg) => alg,
            None if ParsedPublicKey::new(&sig::ED25519, der).is_ok() => Algorithm::EdDSA,
            None => {
                return Err(refused(
                    "the PEM key is not an RSA, EC (P-256, P-384, P-521) or Ed25519 public key"
                        .into(),
                ));
            }
        }
    };
    if !algorithms.contains(&alg) {
        return Err(refused(format!(
            "the key verifies {alg}, which the algorithm allow-list does not contain"
        )));
    }
    let Some(verification) = alg.verification() else {
        return Err(refused(format!("{alg} is not a public-key algorithm")));
    };
    let key = ParsedPublicKey::new(verification, der)
        .map_err(|e| refused(format!("the key was refused: {e}")))?;
    Ok(VerifyingKey {
        kid: None,
        alg,
        implied_alg: true,
        key: PublicKey::Parsed(Box::new(key)),
        material: der.to_vec(),
    })
}

/// A PEM public key or a JWK, given where a secret belongs.
fn looks_like_public_key(secret: &[u8]) -> bool {
    let text = String::from_utf8_lossy(secret);
    let text = text.trim_start();
    text.starts_with("-----BEGIN") || (text.starts_with('{') && text.contains("\"kty\""))
}
