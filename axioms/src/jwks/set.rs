//! A parsed JWK Set: the admitted keys, indexed by `kid`.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::key::{VerifyingKey, admit};
use crate::algorithm::Algorithm;
use crate::rejection::Reason;

/// The keys of one JWKS document.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    /// foldhash, seeded per process: a `kid` is the token's to choose, but the map is built
    /// from the issuer's key set and never grows from a request, so a fast keyed hash is
    /// enough (SipHash cost more than the rest of a cache hit's key check).
    by_kid: HashMap<Box<str>, Slot, foldhash::quality::RandomState>,
    /// Every admitted key, for lookups without a `kid`.
    all: Vec<Arc<VerifyingKey>>,
    /// One locally configured key that has no `kid` (a PEM key, an HMAC secret): it is the
    /// issuer's only key, so a token's `kid` selects nothing and is not used.
    sole: bool,
}

#[derive(Debug)]
enum Slot {
    Key(Arc<VerifyingKey>),
    /// Two different keys share this `kid`: tokens naming it are refused (RFC 7517 §4.5).
    Ambiguous,
}

/// Why a JWKS document was refused as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SetError {
    #[error("JWKS is not a JSON object with a `keys` array")]
    Shape,
    #[error("JWKS has more keys than the configured maximum")]
    TooManyKeys,
    #[error("JWKS holds no usable signature key")]
    NoUsableKey,
}

impl KeySet {
    /// Parses a JWKS document, admitting keys one by one (RFC 7517 §5: unusable keys are
    /// ignored). Fails only if the document is malformed, oversized, or has no usable key.
    ///
    /// Keys identical to one in `previous` (same kid, algorithm and material) keep their
    /// identity, so tokens they verified stay cached across refreshes.
    pub(crate) fn parse(
        doc: &Value,
        allowed: &[Algorithm],
        rsa_alg: Algorithm,
        max_keys: usize,
        previous: Option<&KeySet>,
    ) -> Result<Self, SetError> {
        let keys = doc
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(SetError::Shape)?;
        if keys.len() > max_keys {
            return Err(SetError::TooManyKeys);
        }
        let mut set = KeySet::default();
        for (index, jwk) in keys.iter().enumerate() {
            match admit(jwk, allowed, rsa_alg) {
                Ok(key) => set.insert(reuse(key, previous)),
                Err(skip) => {
                    let kid = jwk.get("kid").and_then(Value::as_str).map(escape_kid);
                    tracing::warn!(target: "axioms::jwks", index, kid, reason = %skip, "JWK skipped");
                }
            }
        }
        if set.all.is_empty() {
            return Err(SetError::NoUsableKey);
        }
        Ok(set)
    }

    fn insert(&mut self, key: Arc<VerifyingKey>) {
        if let Some(kid) = key.kid.clone() {
            match self.by_kid.get_mut(&kid) {
                None => {
                    self.by_kid.insert(kid, Slot::Key(Arc::clone(&key)));
                }
                Some(Slot::Key(existing)) => {
                    if existing.material == key.material && existing.alg == key.alg {
                        return; // the same key twice: harmless
                    }
                    tracing::warn!(
                        target: "axioms::jwks",
                        kid = %escape_kid(&kid),
                        "two different keys share one kid; tokens naming it will be refused"
                    );
                    self.by_kid.insert(kid, Slot::Ambiguous);
                }
                Some(Slot::Ambiguous) => {}
            }
        }
        self.all.push(key);
    }

    /// Finds the key for a token's `kid`.
    ///
    /// Without a `kid`, the set must hold exactly one key (OIDC Core §10.1); axioms never
    /// tries keys one after another.
    pub(crate) fn find(&self, kid: Option<&str>) -> Result<&Arc<VerifyingKey>, Reason> {
        if self.sole
            && let [only] = self.all.as_slice()
        {
            return Ok(only);
        }
        match kid {
            Some(kid) => match self.by_kid.get(kid) {
                Some(Slot::Key(key)) => Ok(key),
                Some(Slot::Ambiguous) => Err(Reason::AmbiguousKid),
                None => Err(Reason::UnknownKid),
            },
            None => match self.all.as_slice() {
                [only] => Ok(only),
                _ => Err(Reason::MissingKid),
            },
        }
    }

    /// The set of a locally configured key without a `kid` (a PEM key, an HMAC secret):
    /// every token of the issuer is verified with it, whatever `kid` it names.
    pub(crate) fn of_one(key: Arc<VerifyingKey>) -> Self {
        Self {
            by_kid: HashMap::default(),
            all: vec![key],
            sole: true,
        }
    }

    /// The number of admitted keys.
    pub(crate) fn len(&self) -> usize {
        self.all.len()
    }
}

/// The previous set's `Arc` for an identical key, or a new one.
fn reuse(key: VerifyingKey, previous: Option<&KeySet>) -> Arc<VerifyingKey> {
    previous
        .and_then(|p| {
            p.all.iter().find(|old| {
                old.kid == key.kid && old.alg == key.alg && old.material == key.material
            })
        })
        .map_or_else(|| Arc::new(key), Arc::clone)
}

/// A `kid` made safe for a log line: printable ASCII only, at most 64 characters.
pub(crate) fn escape_kid(kid: &str) -> String {
    kid.chars()
        .take(64)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}
