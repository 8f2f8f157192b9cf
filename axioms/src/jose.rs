//! JOSE helpers that know nothing of tokens, keys or configuration: the strict base64url
//! grammar of compact serializations, and the access-token hash of DPoP proofs.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `ath`: base64url of the SHA-256 of the token's ASCII (RFC 9449 §4.2).
pub(crate) fn token_hash(token: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, token))
}

/// Strict unpadded base64url, canonical trailing bits included, without allocating.
pub(crate) fn is_strict_base64url(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.len() % 4 == 1 {
        return false;
    }
    let value = |b: u8| match b {
        b'A'..=b'Z' => Some(b - b'A'),
        b'a'..=b'z' => Some(b - b'a' + 26),
        b'0'..=b'9' => Some(b - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    };
    if !bytes.iter().all(|&b| value(b).is_some()) {
        return false;
    }
    // The unused low bits of the last character must be zero.
    match (bytes.len() % 4, bytes.last().and_then(|&b| value(b))) {
        (2, Some(last)) => last & 0x0f == 0,
        (3, Some(last)) => last & 0x03 == 0,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ath_of_rfc_9449_figure_14() {
        assert_eq!(
            token_hash(b"Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"),
            "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
        );
    }
}
