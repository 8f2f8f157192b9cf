//! Sender-constrained tokens: DPoP proofs (RFC 9449) and certificate-bound tokens (RFC 8705).

use crate::defaults::{DPOP_PROOF_LIFETIME, DPOP_REPLAY_ENTRIES, MAX_DPOP_PROOF_LIFETIME};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderName;

use super::ConfigError;
use super::requests::Resource;
use crate::algorithm::Algorithm;
use crate::rejection::DpopOffer;

/// The sender-constraint settings as the builder collects them.
#[derive(Clone, Debug)]
pub(crate) struct DpopSettings {
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) proof_lifetime: Duration,
    pub(crate) required: bool,
    pub(crate) nonce_secret: Option<Vec<u8>>,
    pub(crate) origin: Option<String>,
    pub(crate) replay_entries: usize,
    pub(crate) replay_entries_per_key: Option<usize>,
    pub(crate) redis_url: Option<String>,
    pub(crate) client_cert_header: Option<String>,
}

impl Default for DpopSettings {
    fn default() -> Self {
        Self {
            algorithms: Algorithm::ALL.to_vec(),
            proof_lifetime: DPOP_PROOF_LIFETIME,
            required: false,
            nonce_secret: None,
            origin: None,
            replay_entries: DPOP_REPLAY_ENTRIES,
            replay_entries_per_key: None,
            redis_url: None,
            client_cert_header: None,
        }
    }
}

/// The sender-constraint settings, validated.
#[derive(Clone)]
pub(crate) struct Dpop {
    /// The public origin `htu` is checked against (`https://api.example.com`); `None`: DPoP
    /// is off, since no proof could be checked.
    pub(crate) origin: Option<Arc<str>>,
    pub(crate) algorithms: Arc<[Algorithm]>,
    /// What the challenge offers.
    pub(crate) offer: Option<Arc<DpopOffer>>,
    pub(crate) proof_lifetime: Duration,
    pub(crate) required: bool,
    /// The HMAC key of server nonces; `None`: no nonces.
    pub(crate) nonce_key: Option<Arc<aws_lc_rs::hmac::Key>>,
    pub(crate) replay_entries: usize,
    /// Unexpired proofs of one client key the replay store holds at most.
    pub(crate) replay_entries_per_key: usize,
    pub(crate) redis_url: Option<String>,
    /// The header a trusted TLS-terminating proxy puts the client certificate in (RFC 9440).
    pub(crate) client_cert_header: Option<HeaderName>,
}

impl DpopSettings {
    pub(crate) fn check(
        self,
        resource: Option<&Resource>,
        allow_http: bool,
    ) -> Result<Dpop, ConfigError> {
        let origin = match (&self.origin, resource) {
            (Some(raw), _) => {
                let url = super::parse_url("AXIOMS_DPOP_ORIGIN", raw, allow_http)?;
                if !matches!(url.path(), "" | "/") || url.query().is_some() {
                    return Err(ConfigError::new(
                        "AXIOMS_DPOP_ORIGIN",
                        format!("`{raw}` is not a bare origin"),
                        "give scheme, host and port only, e.g. `https://api.example.com`; the \
                         path of `htu` is the request's",
                    ));
                }
                Some(Arc::from(url.origin().ascii_serialization()))
            }
            (None, Some(resource)) => url::Url::parse(&resource.uri)
                .ok()
                .map(|u| Arc::from(u.origin().ascii_serialization())),
            (None, None) => None,
        };
        if self.required && origin.is_none() {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_REQUIRED",
                "DPoP is required, but no proof could be checked: `htu` needs this server's \
                 public URL",
                "set AXIOMS_RESOURCE (or AXIOMS_DPOP_ORIGIN)",
            ));
        }
        if self.algorithms.is_empty() {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_ALGORITHMS",
                "no DPoP proof algorithm is allowed",
                "list at least one, e.g. `ES256,EdDSA`",
            ));
        }
        if self.algorithms.iter().any(|a| a.is_hmac()) {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_ALGORITHMS",
                "a DPoP proof is signed with the client's private key (RFC 9449 §4.2): HMAC \
                 cannot prove possession of a public key",
                "list asymmetric algorithms only, e.g. `ES256,EdDSA`",
            ));
        }
        if self.proof_lifetime.is_zero() || self.proof_lifetime > MAX_DPOP_PROOF_LIFETIME {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_PROOF_LIFETIME_SECS",
                format!(
                    "a proof lifetime of {} s is outside 1..=300 s",
                    self.proof_lifetime.as_secs()
                ),
                "RFC 9449 §11.1 asks for seconds or minutes; the default is 60",
            ));
        }
        let nonce_key = match &self.nonce_secret {
            None => None,
            Some(secret) if secret.len() == 32 => Some(Arc::new(aws_lc_rs::hmac::Key::new(
                aws_lc_rs::hmac::HMAC_SHA256,
                secret,
            ))),
            Some(secret) => {
                return Err(ConfigError::new(
                    "AXIOMS_DPOP_NONCE_SECRET",
                    format!("the nonce secret is {} bytes, not 32", secret.len()),
                    "generate one with `openssl rand 32 | basenc --base64url` and give the same \
                     one to every instance",
                ));
            }
        };
        if self.replay_entries == 0 {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_REPLAY_ENTRIES",
                "a replay store that remembers nothing would accept every replayed proof",
                "leave the default (100000) or raise it",
            ));
        }
        let replay_entries_per_key = self
            .replay_entries_per_key
            .unwrap_or((self.replay_entries / 4).max(1));
        if replay_entries_per_key == 0 {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY",
                "a client key that may hold no proof could never make a DPoP request",
                "leave the default (a quarter of AXIOMS_DPOP_REPLAY_ENTRIES) or raise it",
            ));
        }
        if self.redis_url.is_some() && !cfg!(feature = "redis") {
            return Err(ConfigError::new(
                "AXIOMS_DPOP_REDIS_URL",
                "axioms was built without the `redis` feature",
                "enable it: `axioms = { version = \"…\", features = [\"redis\"] }`",
            ));
        }
        let client_cert_header = self
            .client_cert_header
            .as_deref()
            .map(|name| {
                HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ConfigError::new(
                        "AXIOMS_TRUSTED_CLIENT_CERT_HEADER",
                        format!("`{name}` is not a header name"),
                        "use the header your proxy sets, e.g. `Client-Cert` (RFC 9440)",
                    )
                })
            })
            .transpose()?;
        let algs = algs_param(&self.algorithms);
        Ok(Dpop {
            offer: origin.as_ref().map(|_| {
                Arc::new(DpopOffer {
                    algs: Arc::from(algs),
                    bearer: !self.required,
                })
            }),
            origin,
            algorithms: Arc::from(self.algorithms),
            proof_lifetime: self.proof_lifetime,
            required: self.required,
            nonce_key,
            replay_entries: self.replay_entries,
            replay_entries_per_key,
            redis_url: self.redis_url,
            client_cert_header,
        })
    }
}

/// The `algs` of the challenge: `EdDSA` is offered under its fully-specified name
/// `Ed25519` too (RFC 9864), which some clients sign with.
fn algs_param(algorithms: &[Algorithm]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for alg in algorithms {
        if !names.contains(&alg.as_str()) {
            names.push(alg.as_str());
        }
        if *alg == Algorithm::EdDSA && !names.contains(&"Ed25519") {
            names.push("Ed25519");
        }
    }
    names.join(" ")
}

/// Decodes `AXIOMS_DPOP_NONCE_SECRET` (unpadded base64url, as `basenc --base64url` without
/// its padding, or padded).
pub(super) fn nonce_secret(value: &str) -> Result<Vec<u8>, ConfigError> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| {
            ConfigError::new(
                "AXIOMS_DPOP_NONCE_SECRET",
                "the nonce secret is not base64url",
                "generate one with `openssl rand 32 | basenc --base64url`",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algs_name_ed25519_beside_eddsa() {
        assert_eq!(
            algs_param(&[Algorithm::ES256, Algorithm::EdDSA]),
            "ES256 EdDSA Ed25519"
        );
    }

    #[test]
    fn required_needs_an_origin() {
        let settings = DpopSettings {
            required: true,
            ..DpopSettings::default()
        };
        let err = settings.check(None, false).err().map(|e| e.setting());
        assert_eq!(err, Some("AXIOMS_DPOP_REQUIRED"));
    }

    #[test]
    fn the_origin_defaults_to_the_resource_s() {
        let resource = Resource::parse("https://API.example.com:443/mcp", false).ok();
        let dpop = DpopSettings::default().check(resource.as_ref(), false).ok();
        assert_eq!(
            dpop.and_then(|d| d.origin).as_deref(),
            Some("https://api.example.com")
        );
    }

    #[test]
    fn nonce_secrets_are_32_bytes() {
        for (len, ok) in [(31, false), (32, true), (33, false)] {
            let settings = DpopSettings {
                nonce_secret: Some(vec![7; len]),
                ..DpopSettings::default()
            };
            assert_eq!(settings.check(None, false).is_ok(), ok, "{len}");
        }
    }
}
