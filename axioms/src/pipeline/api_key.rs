//! Step 2–3 for API keys: the key of the configured header, looked up by its digest.

use http::HeaderMap;

use super::Authentication;
use crate::api_key::hash;
use crate::claims::Claims;
use crate::config::ApiKeySource;
use crate::defaults::{API_KEY_LOOKUP_TIMEOUT, MAX_API_KEY_BYTES};
use crate::rejection::Reason;
use crate::verifier::Axioms;

/// The API key of the request: `Ok(None)` when API keys are off or the header is absent;
/// `Err` when it is repeated, empty, longer than [`MAX_API_KEY_BYTES`] or not visible ASCII.
pub(super) fn presented<'a>(
    source: &ApiKeySource,
    headers: &'a HeaderMap,
) -> Result<Option<&'a [u8]>, Reason> {
    let Some(name) = &source.header else {
        return Ok(None);
    };
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let key = value.as_bytes();
    let well_formed = values.next().is_none()
        && !key.is_empty()
        && key.len() <= MAX_API_KEY_BYTES
        && key.iter().all(|b| b.is_ascii_graphic());
    if well_formed {
        Ok(Some(key))
    } else {
        Err(Reason::MalformedApiKey)
    }
}

/// The verdict for a presented key. Neither the key nor its digest is logged.
pub(super) async fn authenticate(
    axioms: &Axioms,
    source: &ApiKeySource,
    key: &[u8],
) -> Authentication {
    let Some(store) = &source.store else {
        return Authentication::Anonymous;
    };
    // A store of the application's (a database, a service) that hangs must not hang the
    // request: past the bound it is unavailable, as when it errs.
    match tokio::time::timeout(API_KEY_LOOKUP_TIMEOUT, store.lookup(hash(key))).await {
        Ok(Ok(Some(principal))) => Authentication::Verified(Claims::for_api_key(principal)),
        Ok(Ok(None)) => Authentication::Rejected(axioms.error(Reason::InvalidApiKey)),
        Ok(Err(err)) => Authentication::Rejected(
            axioms
                .error(Reason::ApiKeyStoreUnavailable)
                .with_detail(err.to_string()),
        ),
        Err(_) => {
            Authentication::Rejected(axioms.error(Reason::ApiKeyStoreUnavailable).with_detail(
                format!("no answer within {} ms", API_KEY_LOOKUP_TIMEOUT.as_millis()),
            ))
        }
    }
}
