//! API keys: machine callers authenticated by a key in a header (default `X-API-Key`), under
//! the same `#[protected(…)]` policies as token callers.
//!
//! axioms never holds the keys themselves, only their SHA-256 digests: a leaked key list
//! opens nothing. A presented key is hashed and looked up by its digest, so no comparison
//! ever runs on key bytes (nothing to time), and the digest found is compared again in
//! constant time. Each key maps to a principal — a `sub` and its scopes, roles and
//! permissions — which becomes the request's [`Claims`](crate::Claims): every policy applies
//! to it unchanged. Keys are never logged or echoed.
//!
//! API keys must be long random secrets (e.g. `openssl rand -base64 32`): a digest of a
//! guessable key is as guessable. Hash one for the key list with
//! `printf %s "$KEY" | sha256sum`, or [`ApiKeys::digest`].
//!
//! # Example
//!
//! ```
//! use axioms::api_key::ApiKeys;
//!
//! let digest = ApiKeys::digest("k3y-of-the-ci-runner-0123456789abcdef");
//! let keys = ApiKeys::from_json(&format!(
//!     r#"{{"keys": [{{"id": "ci", "sha256": "{digest}", "sub": "svc-ci", "roles": ["deployer"]}}]}}"#
//! ))?;
//! assert_eq!(keys.len(), 1);
//! # Ok::<(), axioms::api_key::ApiKeysError>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use aws_lc_rs::digest::{SHA256, digest};
use futures_util::future::BoxFuture;
use serde::Deserialize;

/// Who an API key stands for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ApiKeyPrincipal {
    /// The key's name, for the logs and for [`Claims::api_key_id`](crate::Claims::api_key_id)
    /// (never the key).
    pub id: String,
    /// The principal, as a token's `sub`.
    pub sub: String,
    /// The scopes it is granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Its roles.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Its permissions.
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl ApiKeyPrincipal {
    /// A principal `sub` for the key named `id`, with no privileges yet.
    ///
    /// ```
    /// let p = axioms::api_key::ApiKeyPrincipal::new("ci", "svc-ci").with_roles(["deployer"]);
    /// assert_eq!(p.roles, ["deployer"]);
    /// ```
    pub fn new(id: impl Into<String>, sub: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            sub: sub.into(),
            scopes: Vec::new(),
            roles: Vec::new(),
            permissions: Vec::new(),
        }
    }

    /// Sets its scopes.
    #[must_use]
    pub fn with_scopes<I: IntoIterator<Item = S>, S: Into<String>>(mut self, scopes: I) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Sets its roles.
    #[must_use]
    pub fn with_roles<I: IntoIterator<Item = S>, S: Into<String>>(mut self, roles: I) -> Self {
        self.roles = roles.into_iter().map(Into::into).collect();
        self
    }

    /// Sets its permissions.
    #[must_use]
    pub fn with_permissions<I: IntoIterator<Item = S>, S: Into<String>>(
        mut self,
        permissions: I,
    ) -> Self {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }
}

/// Why a store could not answer: the request gets 503, never "invalid key".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("API key store unavailable: {0}")]
pub struct ApiKeyStoreError(pub String);

/// Where API keys are looked up. [`ApiKeys`] (digests in memory) is the default; implement
/// this for keys in a database. `lookup` receives the SHA-256 of the presented key, never
/// the key, and must answer in bounded time.
///
/// ```
/// use axioms::api_key::{ApiKeyPrincipal, ApiKeyStore, ApiKeyStoreError};
/// use futures_util::future::BoxFuture;
///
/// #[derive(Debug)]
/// struct Nobody;
///
/// impl ApiKeyStore for Nobody {
///     fn lookup(&self, _sha256: [u8; 32]) -> BoxFuture<'_, Result<Option<ApiKeyPrincipal>, ApiKeyStoreError>> {
///         Box::pin(async { Ok(None) })
///     }
/// }
/// ```
pub trait ApiKeyStore: Send + Sync + fmt::Debug + 'static {
    /// The principal of the key whose SHA-256 is `sha256`, if it is a key of this store.
    /// A lookup that takes longer than
    /// [`API_KEY_LOOKUP_TIMEOUT`](crate::defaults::API_KEY_LOOKUP_TIMEOUT) is abandoned: the
    /// request gets 503, as for an error.
    fn lookup(
        &self,
        sha256: [u8; 32],
    ) -> BoxFuture<'_, Result<Option<ApiKeyPrincipal>, ApiKeyStoreError>>;
}

/// A malformed key list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ApiKeysError(String);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyList {
    keys: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    sha256: String,
    sub: String,
    #[serde(default)]
    scopes: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    permissions: Vec<String>,
}

/// The default [`ApiKeyStore`]: SHA-256 digests of the keys, each with its principal, in
/// memory.
///
/// The list is JSON — `AXIOMS_API_KEYS_FILE` names a file holding it, `AXIOMS_API_KEYS` holds
/// it inline:
///
/// ```json
/// {"keys": [
///   {"id": "ci-deploy", "sha256": "<64 hex digits>", "sub": "svc-ci",
///    "scopes": ["deploy"], "roles": ["deployer"], "permissions": []}
/// ]}
/// ```
///
/// Ids and digests must be unique, `sub` non-empty; unknown members are errors.
#[derive(Clone, Default)]
pub struct ApiKeys {
    by_digest: HashMap<[u8; 32], ApiKeyPrincipal>,
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The ids only: digests are not secrets, but they are nobody's business in a log.
        let mut ids: Vec<&str> = self.by_digest.values().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        f.debug_struct("ApiKeys").field("ids", &ids).finish()
    }
}

impl ApiKeys {
    /// No keys.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the key whose SHA-256 (hex) is `sha256`, for `principal`.
    ///
    /// ```
    /// use axioms::api_key::{ApiKeyPrincipal, ApiKeys};
    /// let keys = ApiKeys::new()
    ///     .with(&ApiKeys::digest("a long random key, 32 bytes or more"), ApiKeyPrincipal::new("ci", "svc-ci"))?;
    /// assert_eq!(keys.len(), 1);
    /// # Ok::<(), axioms::api_key::ApiKeysError>(())
    /// ```
    pub fn with(mut self, sha256: &str, principal: ApiKeyPrincipal) -> Result<Self, ApiKeysError> {
        let digest = parse_digest(sha256).ok_or_else(|| {
            ApiKeysError(format!(
                "key `{}`: `sha256` must be 64 hex digits",
                principal.id
            ))
        })?;
        if principal.sub.is_empty() {
            return Err(ApiKeysError(format!(
                "key `{}`: `sub` is empty",
                principal.id
            )));
        }
        if self.by_digest.values().any(|p| p.id == principal.id) {
            return Err(ApiKeysError(format!(
                "key id `{}` is listed twice",
                principal.id
            )));
        }
        if self.by_digest.contains_key(&digest) {
            return Err(ApiKeysError(format!(
                "key `{}` has the digest of another key",
                principal.id
            )));
        }
        self.by_digest.insert(digest, principal);
        Ok(self)
    }

    /// Parses a key list (see the type's documentation).
    pub fn from_json(json: &str) -> Result<Self, ApiKeysError> {
        let list: KeyList = serde_json::from_str(json)
            .map_err(|e| ApiKeysError(format!("not a key list ({e})")))?;
        list.keys.into_iter().try_fold(Self::new(), |keys, e| {
            keys.with(
                &e.sha256,
                ApiKeyPrincipal {
                    id: e.id,
                    sub: e.sub,
                    scopes: e.scopes,
                    roles: e.roles,
                    permissions: e.permissions,
                },
            )
        })
    }

    /// Reads a key list from a file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ApiKeysError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|e| ApiKeysError(format!("cannot read {}: {e}", path.display())))?;
        Self::from_json(&json)
    }

    /// The SHA-256 of `key`, in lowercase hex: what the list holds for it (the same as
    /// `printf %s "$KEY" | sha256sum`).
    pub fn digest(key: &str) -> String {
        digest(&SHA256, key.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.by_digest.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_digest.is_empty()
    }
}

impl ApiKeyStore for ApiKeys {
    fn lookup(
        &self,
        sha256: [u8; 32],
    ) -> BoxFuture<'_, Result<Option<ApiKeyPrincipal>, ApiKeyStoreError>> {
        let found = self
            .by_digest
            .get_key_value(&sha256)
            .and_then(|(digest, p)| {
                // Looked up by digest, then compared again in constant time.
                aws_lc_rs::constant_time::verify_slices_are_equal(digest, &sha256)
                    .ok()
                    .map(|()| p.clone())
            });
        Box::pin(async move { Ok(found) })
    }
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    let bytes = hex.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = (pair.first().copied()?, pair.get(1).copied()?);
        *byte = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Some(out)
}

/// The SHA-256 of a presented key.
pub(crate) fn hash(key: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, key).as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_sha256sum_and_lists_are_checked() {
        // printf %s abc | sha256sum
        assert_eq!(
            ApiKeys::digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let d = ApiKeys::digest("k");
        let ok = format!(r#"{{"keys":[{{"id":"a","sha256":"{d}","sub":"s"}}]}}"#);
        assert_eq!(ApiKeys::from_json(&ok).map(|k| k.len()), Ok(1));
        for bad in [
            format!(r#"{{"keys":[{{"id":"a","sha256":"{d}","sub":""}}]}}"#),
            r#"{"keys":[{"id":"a","sha256":"abc","sub":"s"}]}"#.to_owned(),
            format!(r#"{{"keys":[{{"id":"a","sha256":"{d}","sub":"s","key":"k"}}]}}"#),
            format!(
                r#"{{"keys":[{{"id":"a","sha256":"{d}","sub":"s"}},{{"id":"b","sha256":"{d}","sub":"t"}}]}}"#
            ),
            format!(
                r#"{{"keys":[{{"id":"a","sha256":"{d}","sub":"s"}},{{"id":"a","sha256":"{}","sub":"t"}}]}}"#,
                ApiKeys::digest("other")
            ),
            "[]".to_owned(),
        ] {
            assert!(ApiKeys::from_json(&bad).is_err(), "{bad}");
        }
        assert_eq!(parse_digest(&d.to_uppercase()), Some(hash(b"k")));
    }
}
