//! Certificate-bound access tokens (RFC 8705 §3): a token with `cnf["x5t#S256"]` is accepted
//! only on a request whose TLS client certificate has that SHA-256 thumbprint.
//!
//! The certificate comes from one of two places:
//!
//! * **axioms's TLS server** — [`serve`] (feature `mtls`) terminates TLS with rustls,
//!   verifies client certificates against your CA, and puts each connection's certificate
//!   into its requests as a [`ClientCertificate`] extension. Any other TLS server can do the
//!   same: insert a `ClientCertificate` into the request extensions.
//! * **a trusted proxy** — with
//!   [`ConfigBuilder::trust_client_cert_header`](crate::ConfigBuilder::trust_client_cert_header)
//!   (off by default), the certificate is read from that header in the RFC 9440 form
//!   `:<base64 DER>:`. Only behind a proxy that verifies the certificate and strips the header
//!   from what clients send: anyone who can reach the server directly could claim any
//!   certificate.
//!
//! A certificate-bound token without a certificate, or with another one, is `401
//! invalid_token`.

use std::sync::Arc;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

#[cfg(feature = "mtls")]
mod serve;
#[cfg(feature = "mtls")]
#[cfg_attr(docsrs, doc(cfg(feature = "mtls")))]
pub use serve::serve;
/// The rustls that [`serve`] takes its `ServerConfig` from.
#[cfg(feature = "mtls")]
#[cfg_attr(docsrs, doc(cfg(feature = "mtls")))]
pub use tokio_rustls::rustls;

/// Set by [`serve`] on every request of its TLS connections, with or without a client
/// certificate: the trusted header is then never read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServedOverTls;

/// The TLS client certificate of the connection a request came on (DER, the end-entity
/// certificate), as a request extension.
///
/// # Example
///
/// ```
/// use axioms::mtls::ClientCertificate;
/// let cert = ClientCertificate::from_der(b"not really DER".to_vec());
/// assert_eq!(cert.thumbprint().len(), 43);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate(Arc<[u8]>);

impl ClientCertificate {
    /// The certificate from its DER encoding.
    pub fn from_der(der: impl Into<Arc<[u8]>>) -> Self {
        Self(der.into())
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.0
    }

    /// `x5t#S256`: base64url of the SHA-256 of the DER (RFC 8705 §3.1).
    pub fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(digest(&SHA256, &self.0))
    }
}

/// Largest accepted certificate header: 16 KiB.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Parses an RFC 9440 `Client-Cert` value: an RFC 8941 byte sequence, `:` standard base64
/// with padding `:`. `None` if malformed.
pub(crate) fn from_header(value: &[u8]) -> Option<ClientCertificate> {
    if value.len() > MAX_HEADER_BYTES {
        return None;
    }
    let inner = value.strip_prefix(b":")?.strip_suffix(b":")?;
    let der = STANDARD.decode(inner).ok()?;
    (!der.is_empty()).then(|| ClientCertificate::from_der(der))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_9440_byte_sequences() {
        let cert = from_header(b":AQID:").map(|c| c.der().to_vec());
        assert_eq!(cert, Some(vec![1, 2, 3]));
        for bad in [
            &b"AQID"[..],
            b":AQID",
            b"::",
            b":A*ID:",
            b": AQID:",
            b":AQ-D:",
        ] {
            assert!(from_header(bad).is_none(), "{bad:?}");
        }
    }
}
