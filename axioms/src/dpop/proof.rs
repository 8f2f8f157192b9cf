//! The checks of a DPoP proof at a resource server (RFC 9449 §4.3), in this order: one
//! header, size, compact JWS, header (`typ`, `alg`, `jwk`), signature — and only then the
//! claims (`htm`, `htu`, `iat`, `ath`, `nonce`). Nothing in the proof is trusted before its
//! signature verifies.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::{HeaderMap, HeaderName, Method};
use serde_json::{Map, Value};
use url::Url;

use crate::algorithm::Algorithm;
use crate::config::dpop::Dpop;
use crate::defaults::MAX_DPOP_PROOF_BYTES;
use crate::jose::is_strict_base64url;
use crate::jwks::key::{self, Skip, VerifyingKey};
use crate::rejection::Reason;
use crate::token::json::{JsonError, parse_object};

use super::nonce;

/// The `DPoP` request header.
pub(crate) static DPOP: HeaderName = HeaderName::from_static("dpop");

/// Longest accepted `jti`, in bytes (RFC 9449 §11.1: refuse "unnecessarily large" ones).
const MAX_JTI_BYTES: usize = 256;

/// A proof that passed every check but the binding and the replay check.
#[derive(Debug)]
pub(crate) struct Proof {
    /// The RFC 7638 SHA-256 thumbprint of the proof key, base64url: what `cnf.jkt` must be.
    pub(crate) thumbprint: String,
    /// The proof's `jti`.
    pub(crate) jti: String,
}

/// What the proof is checked against.
pub(crate) struct Request<'a> {
    pub(crate) headers: &'a HeaderMap,
    pub(crate) method: &'a Method,
    /// The request path as received (before any `Router::nest` stripped a prefix).
    pub(crate) path: &'a str,
    /// `ath`: the hash of the access token of the `Authorization` header.
    pub(crate) token_hash: &'a str,
    /// Seconds since the Unix epoch.
    pub(crate) now: i64,
    /// Seconds of clock skew tolerated.
    pub(crate) leeway: i64,
}

/// Checks the request's one `DPoP` proof, and returns its key thumbprint and `jti`.
pub(crate) fn check(
    dpop: &Dpop,
    headers: &HeaderCache,
    origin: &str,
    req: &Request<'_>,
) -> Result<Proof, Reason> {
    let mut values = req.headers.get_all(&DPOP).iter();
    let value = values.next().ok_or(Reason::MissingDpopProof)?;
    if values.next().is_some() {
        return Err(Reason::MultipleDpopProofs);
    }
    if value.len() > MAX_DPOP_PROOF_BYTES {
        return Err(Reason::MalformedDpopProof);
    }
    let proof = value.to_str().map_err(|_| Reason::MalformedDpopProof)?;
    let mut segments = proof.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) else {
        return Err(Reason::MalformedDpopProof);
    };
    let signature = match URL_SAFE_NO_PAD.decode(signature_b64) {
        Ok(signature) if !signature.is_empty() => signature,
        _ => return Err(Reason::MalformedDpopProof),
    };
    let key = headers.key(dpop, header_b64)?;
    let signing_input = proof
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(Reason::MalformedDpopProof)?;
    if !key.key.verify(signing_input.as_bytes(), &signature) {
        return Err(Reason::DpopProofSignature);
    }
    // Signed by the key it carries: now the claims may be read.
    let claims = object(payload_b64)?;
    let jti = string(&claims, "jti")?;
    if jti.is_empty() || jti.len() > MAX_JTI_BYTES {
        return Err(Reason::MalformedDpopProof);
    }
    if string(&claims, "htm")? != req.method.as_str() {
        return Err(Reason::DpopMethodMismatch);
    }
    check_htu(string(&claims, "htu")?, origin, req.path)?;
    let iat = match claims.get("iat") {
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or(Reason::MalformedDpopProof)?,
        _ => return Err(Reason::MalformedDpopProof),
    };
    let lifetime = i64::try_from(dpop.proof_lifetime.as_secs()).unwrap_or(i64::MAX);
    let earliest = req.now.saturating_sub(lifetime).saturating_sub(req.leeway);
    if iat < earliest || iat > req.now.saturating_add(req.leeway) {
        return Err(Reason::DpopProofStale);
    }
    match claims.get("ath") {
        Some(Value::String(ath)) if ath == req.token_hash => {}
        _ => return Err(Reason::DpopTokenHashMismatch),
    }
    if let Some(nonce_key) = &dpop.nonce_key {
        let ok = match claims.get("nonce") {
            Some(Value::String(n)) => nonce::is_valid(nonce_key, n, req.now),
            _ => false,
        };
        if !ok {
            return Err(Reason::DpopNonceRequired);
        }
    }
    Ok(Proof {
        thumbprint: key.thumbprint.to_string(),
        jti: jti.to_owned(),
    })
}

/// A proof header that passed its checks: the key it carries and that key's thumbprint.
pub(crate) struct ProofKey {
    key: VerifyingKey,
    thumbprint: Box<str>,
}

/// The checks of a proof's protected header (`typ`, `alg`, `jwk`), and its key.
fn header_key(dpop: &Dpop, header_b64: &str) -> Result<ProofKey, Reason> {
    let header = object(header_b64)?;
    let alg = header_alg(dpop, &header)?;
    let jwk = header.get("jwk").ok_or(Reason::DpopProofKey)?;
    if !jwk.is_object() {
        return Err(Reason::DpopProofKey);
    }
    // The same admission as the issuer's keys: public members only (a `d` is refused), a
    // supported curve, RSA of 2048 bits or more, and a key type that fits `alg`.
    let key = key::admit(jwk, &[alg], alg).map_err(|_: Skip| Reason::DpopProofKey)?;
    if key.alg != alg {
        return Err(Reason::DpopProofKey);
    }
    let thumbprint = thumbprint(jwk).ok_or(Reason::DpopProofKey)?;
    Ok(ProofKey {
        key,
        thumbprint: thumbprint.into_boxed_str(),
    })
}

/// Proof headers already checked, by their exact base64url segment. A client signs every
/// proof with one key, so its header segment repeats byte for byte: decoding, parsing and
/// admitting it, and hashing its thumbprint, happen once per key instead of once per request.
/// Only headers that passed are kept; the same bytes under the same configuration always
/// give the same answer, so nothing is skipped. Bounded: when full, a random entry (the
/// map's keyed iteration order) makes room.
pub(crate) struct HeaderCache {
    entries: RwLock<HashMap<Box<str>, Arc<ProofKey>>>,
}

/// Distinct proof keys remembered per verifier.
const HEADER_CACHE_ENTRIES: usize = 1024;
/// Longer header segments are checked every time rather than kept (an RSA-4096 `jwk` header
/// is about 950 bytes).
const MAX_CACHED_HEADER_BYTES: usize = 2048;

impl HeaderCache {
    pub(crate) fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The key of a proof header, from the cache or checked now.
    pub(crate) fn key(&self, dpop: &Dpop, header_b64: &str) -> Result<Arc<ProofKey>, Reason> {
        if let Some(key) = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(header_b64)
        {
            return Ok(Arc::clone(key));
        }
        let key = Arc::new(header_key(dpop, header_b64)?);
        if header_b64.len() <= MAX_CACHED_HEADER_BYTES {
            let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
            if entries.len() >= HEADER_CACHE_ENTRIES
                && let Some(victim) = entries.keys().next().cloned()
            {
                entries.remove(&victim);
            }
            entries.insert(header_b64.into(), Arc::clone(&key));
        }
        Ok(key)
    }
}

impl std::fmt::Debug for HeaderCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        f.debug_struct("HeaderCache")
            .field("entries", &len)
            .finish()
    }
}

fn object(segment: &str) -> Result<Map<String, Value>, Reason> {
    if segment.is_empty() || !is_strict_base64url(segment) {
        return Err(Reason::MalformedDpopProof);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Reason::MalformedDpopProof)?;
    parse_object(&bytes).map_err(|e| match e {
        JsonError::Duplicate | JsonError::Invalid => Reason::MalformedDpopProof,
    })
}

fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, Reason> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .ok_or(Reason::MalformedDpopProof)
}

/// `typ`, `alg` and the header members a proof may not carry.
fn header_alg(dpop: &Dpop, header: &Map<String, Value>) -> Result<Algorithm, Reason> {
    match header.get("typ").and_then(Value::as_str) {
        // Media types compare case-insensitively (RFC 2045 §5.1).
        Some(typ) if typ.eq_ignore_ascii_case("dpop+jwt") => {}
        _ => return Err(Reason::DpopProofType),
    }
    // A JWS extension or a nested/encrypted form has no place in a proof.
    if ["crit", "b64", "zip", "enc", "cty"]
        .iter()
        .any(|m| header.contains_key(*m))
    {
        return Err(Reason::MalformedDpopProof);
    }
    let name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(Reason::DpopProofAlgorithm)?;
    // `Ed25519` is the fully-specified name of EdDSA on Ed25519 (RFC 9864).
    let alg = if name == "Ed25519" {
        Some(Algorithm::EdDSA)
    } else {
        Algorithm::from_name(name)
    };
    alg.filter(|a| dpop.algorithms.contains(a))
        .ok_or(Reason::DpopProofAlgorithm)
}

/// `htu` against `origin` + the request path, both normalized (RFC 3986 §6.2.2–6.2.3, as
/// the `url` crate does: case, default port, dot-segments), query and fragment ignored.
///
/// The router matched the request path byte for byte, so the path must be exactly what a URL
/// parser reads: a path the WHATWG parser would rewrite is refused — a dot-segment (`..`, `.`,
/// `%2e%2e`), a backslash (a `/` in an `http(s)` URL), a tab or newline (dropped), a character
/// it percent-encodes. Otherwise a proof for `/admin` would also fit `/files/%2e%2e/admin` or
/// `/files/x\..\admin`, which the router sends elsewhere.
fn check_htu(htu: &str, origin: &str, path: &str) -> Result<(), Reason> {
    let normalize = |raw: &str| {
        let mut url = Url::parse(raw).ok()?;
        if !matches!(url.scheme(), "https" | "http") {
            return None;
        }
        url.set_query(None);
        url.set_fragment(None);
        Some(url)
    };
    let expected = normalize(&format!("{origin}{path}")).ok_or(Reason::DpopUriMismatch)?;
    if expected.path() != path {
        return Err(Reason::DpopUriMismatch);
    }
    match normalize(htu) {
        Some(got) if got == expected => Ok(()),
        _ => Err(Reason::DpopUriMismatch),
    }
}

/// The RFC 7638 SHA-256 thumbprint of a public JWK, base64url: what a DPoP-bound token
/// carries in `cnf.jkt`. Its required members in lexicographic order, no whitespace; `None`
/// for a key type other than RSA, EC and OKP, or a missing member.
///
/// ```
/// let jwk = serde_json::json!({
///     "kty": "EC", "crv": "P-256",
///     "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
///     "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
/// });
/// assert_eq!(
///     axioms::dpop::thumbprint(&jwk).as_deref(),
///     Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
/// );
/// ```
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let member = |name: &str| -> Option<String> {
        let value = jwk.get(name)?.as_str()?;
        // A JSON string, escaped as serde_json does (the values are base64url or names).
        Some(format!("\"{name}\":{}", serde_json::to_string(value).ok()?))
    };
    let members: Vec<String> = match jwk.get("kty")?.as_str()? {
        "RSA" => vec![member("e")?, member("kty")?, member("n")?],
        "EC" => vec![member("crv")?, member("kty")?, member("x")?, member("y")?],
        "OKP" => vec![member("crv")?, member("kty")?, member("x")?],
        _ => return None,
    };
    let canonical = format!("{{{}}}", members.join(","));
    Some(URL_SAFE_NO_PAD.encode(digest(&SHA256, canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segment(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
    }

    #[test]
    fn checked_headers_are_kept_bounded_and_failures_are_not() {
        let dpop = crate::config::dpop::DpopSettings::default()
            .check(None, false)
            .unwrap_or_else(|e| panic!("{e}"));
        let cache = HeaderCache::new();
        let header = |x: &str| {
            segment(&json!({
                "typ": "dpop+jwt", "alg": "ES256",
                "jwk": {"kty": "EC", "crv": "P-256", "x": x,
                        "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"},
            }))
        };
        let good = header("l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs");
        let first = cache.key(&dpop, &good).unwrap_or_else(|r| panic!("{r}"));
        assert_eq!(
            &*first.thumbprint,
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        let again = cache.key(&dpop, &good).unwrap_or_else(|r| panic!("{r}"));
        assert!(Arc::ptr_eq(&first, &again), "the second lookup is a hit");
        // A refused header is refused every time and never kept.
        let private = segment(&json!({
            "typ": "dpop+jwt", "alg": "ES256",
            "jwk": {"kty": "EC", "crv": "P-256", "d": "AAAA",
                    "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
                    "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"},
        }));
        for _ in 0..2 {
            assert_eq!(cache.key(&dpop, &private).err(), Some(Reason::DpopProofKey));
        }
        let len = || cache.entries.read().map(|e| e.len()).unwrap_or_default();
        assert_eq!(len(), 1);
        // Distinct headers (another member each) never grow it past its bound.
        for i in 0..HEADER_CACHE_ENTRIES + 10 {
            let h = segment(&json!({
                "typ": "dpop+jwt", "alg": "ES256", "n": i,
                "jwk": {"kty": "EC", "crv": "P-256",
                        "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
                        "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"},
            }));
            assert!(cache.key(&dpop, &h).is_ok());
        }
        assert_eq!(len(), HEADER_CACHE_ENTRIES);
    }

    #[test]
    fn dot_segments_never_match() {
        let origin = "https://api.example.com";
        assert_eq!(
            check_htu("https://api.example.com/admin", origin, "/admin"),
            Ok(())
        );
        for (htu, path) in [
            ("https://api.example.com/admin", "/files/../admin"),
            ("https://api.example.com/admin", "/files/%2e%2e/admin"),
            ("https://api.example.com/admin", "/files/%2E./admin"),
            ("https://api.example.com/admin/", "/admin/."),
            ("https://api.example.com/admin", "/files/.%2E/admin"),
            ("https://api.example.com/admin", "/files/%2e/../admin"),
        ] {
            assert_eq!(
                check_htu(htu, origin, path),
                Err(Reason::DpopUriMismatch),
                "{htu} {path}"
            );
        }
        // Dots inside a segment are ordinary characters.
        assert_eq!(
            check_htu("https://api.example.com/v1.2/..x", origin, "/v1.2/..x"),
            Ok(())
        );
    }

    #[test]
    fn paths_a_url_parser_rewrites_never_match() {
        let origin = "https://api.example.com";
        // Each of these routes as written (axum matches the raw path), while the URL parser
        // would read it as another path: a proof for that path must not fit.
        for (htu, path) in [
            ("https://api.example.com/orders", "/files/x\\..\\..\\orders"),
            ("https://api.example.com/files/x/y", "/files/x\\y"),
            ("https://api.example.com/orders", "/files\\..\\orders"),
            ("https://api.example.com/ab", "/a\tb"),
            ("https://api.example.com/ab", "/a\nb"),
            ("https://api.example.com/a%7Bb%7D", "/a{b}"),
            ("https://api.example.com/a%20b", "/a b"),
        ] {
            assert_eq!(
                check_htu(htu, origin, path),
                Err(Reason::DpopUriMismatch),
                "{htu} {path:?}"
            );
        }
        // Percent-encoded backslashes and slashes are decoded neither by the parser nor by
        // the router: the path is one segment for both, and only a proof for it fits.
        for path in [
            "/files/x%5c..%5c..%5corders",
            "/files/x%2f..%2forders",
            "/a%41",
        ] {
            let htu = format!("{origin}{path}");
            assert_eq!(check_htu(&htu, origin, path), Ok(()), "{path}");
            assert_eq!(
                check_htu("https://api.example.com/orders", origin, path),
                Err(Reason::DpopUriMismatch),
                "{path}"
            );
        }
    }

    #[test]
    fn thumbprint_of_rfc_9449_figure_4() {
        let jwk = json!({
            "kty": "EC",
            "x": "l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y": "9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA",
            "crv": "P-256"
        });
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I")
        );
    }

    #[test]
    fn thumbprint_of_rfc_7638_section_3_1() {
        let jwk = json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        });
        assert_eq!(
            thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn htu_is_compared_normalized_without_query() {
        let origin = "https://api.example.com";
        for ok in [
            "https://api.example.com/a/b",
            "HTTPS://API.Example.COM:443/a/./b",
            "https://api.example.com/a/b?x=1#f",
            "https://api.example.com/a/c/../b",
        ] {
            assert_eq!(check_htu(ok, origin, "/a/b"), Ok(()), "{ok}");
        }
        for bad in [
            "https://api.example.com/a/b/",
            "https://api.example.com:8443/a/b",
            "http://api.example.com/a/b",
            "https://evil.example.com/a/b",
            "https://api.example.com/a",
            "/a/b",
            "ftp://api.example.com/a/b",
        ] {
            assert_eq!(
                check_htu(bad, origin, "/a/b"),
                Err(Reason::DpopUriMismatch),
                "{bad}"
            );
        }
    }
}
