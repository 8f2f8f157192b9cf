//! Step 3b of the pipeline: the token is bound to something the request must prove.
//!
//! | `cnf` of the token | `Bearer` | `DPoP` |
//! |---|---|---|
//! | none | accepted (refused when DPoP is required) | refused: not DPoP-bound |
//! | `jkt` | refused (RFC 9449 §7.2) | the proof's checks, then its key (DPoP on) |
//! | `x5t#S256` | the client certificate's thumbprint (RFC 8705 §3) | refused: not DPoP-bound |
//! | anything else | refused: a binding axioms cannot check | refused |

use http::request::Parts;
use serde_json::Value;

use crate::claims::Claims;
use crate::dpop::ReplayKey;
use crate::dpop::{nonce, proof};
use crate::mtls::{self, ClientCertificate};
use crate::pipeline::Authentication;
use crate::rejection::{AuthError, Reason, Scheme};
use crate::verifier::Axioms;

/// What a token is bound to.
enum Binding<'a> {
    None,
    /// `cnf.jkt`: a DPoP key's thumbprint.
    Key(&'a str),
    /// `cnf["x5t#S256"]`: a client certificate's thumbprint.
    Certificate(&'a str),
}

/// The binding a token's `cnf` names; a `cnf` that is not exactly one binding axioms
/// checks is refused rather than ignored.
fn binding(claims: &Claims) -> Result<Binding<'_>, Reason> {
    if !claims.has_cnf() {
        return Ok(Binding::None);
    }
    let Some(cnf) = claims.as_map().get("cnf") else {
        return Ok(Binding::None);
    };
    let cnf = cnf.as_object().ok_or(Reason::SenderConstrained)?;
    let mut members = cnf.iter();
    match (members.next(), members.next()) {
        (Some((name, Value::String(jkt))), None) if name == "jkt" && !jkt.is_empty() => {
            Ok(Binding::Key(jkt))
        }
        (Some((name, Value::String(x5t))), None) if name == "x5t#S256" && !x5t.is_empty() => {
            Ok(Binding::Certificate(x5t))
        }
        _ => Err(Reason::SenderConstrained),
    }
}

/// A DPoP proof that passed every check but the last: whether it is used for the first
/// time, which only the replay store can say.
pub(crate) struct FirstUse {
    key: ReplayKey,
    ttl: std::time::Duration,
    scheme: Scheme,
}

/// Checks the binding of `claims` (verified from `token`, presented with `scheme`), all
/// but the DPoP replay check: that one needs the replay store, and is [`FirstUse::check`].
/// Synchronous, so a request without a proof carries no replay store's future.
pub(crate) fn check(
    axioms: &Axioms,
    parts: &Parts,
    scheme: Scheme,
    token: &[u8],
    claims: &Claims,
) -> Result<Option<FirstUse>, AuthError> {
    let fail = |reason: Reason| axioms.error(reason).presented_with(scheme);
    let config = axioms.config();
    let dpop = &config.dpop;
    match (scheme, binding(claims).map_err(fail)?) {
        (Scheme::Bearer, Binding::Key(_)) if dpop.origin.is_none() => {
            Err(fail(Reason::DpopNotConfigured))
        }
        (Scheme::Bearer, Binding::Key(_)) => Err(fail(Reason::BoundTokenAsBearer)),
        (Scheme::Bearer, Binding::None) if dpop.required => Err(fail(Reason::DpopRequired)),
        (Scheme::Bearer, Binding::None) => Ok(None),
        (Scheme::Bearer, Binding::Certificate(x5t)) => {
            let cert = client_certificate(axioms, parts).map_err(fail)?;
            match cert {
                None => Err(fail(Reason::MissingClientCertificate)),
                Some(cert) if cert.thumbprint() == x5t => {
                    if dpop.required {
                        Err(fail(Reason::DpopRequired))
                    } else {
                        Ok(None)
                    }
                }
                Some(_) => Err(fail(Reason::ClientCertificateMismatch)),
            }
        }
        (Scheme::DPoP, Binding::None | Binding::Certificate(_)) => {
            Err(fail(Reason::TokenNotDpopBound))
        }
        (Scheme::DPoP, Binding::Key(jkt)) => {
            // `credentials` reads the DPoP scheme only where DPoP is on.
            let Some(origin) = dpop.origin.as_deref() else {
                return Err(fail(Reason::TokenNotDpopBound));
            };
            // Proofs are held to the primary issuer's leeway, on the service's clock.
            let validation = &config.primary().validation;
            let now = config.clock.now();
            let path = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| parts.uri.path(), |original| original.0.path());
            let request = proof::Request {
                headers: &parts.headers,
                method: &parts.method,
                path,
                // Computed once per token: cache hits share it.
                token_hash: claims.token_hash(token),
                now,
                leeway: validation.leeway,
            };
            let proof =
                proof::check(dpop, axioms.dpop_headers(), origin, &request).map_err(|reason| {
                    let err = fail(reason);
                    match (&dpop.nonce_key, reason) {
                        (Some(key), Reason::DpopNonceRequired) => {
                            err.with_dpop_nonce(nonce::current(key, now))
                        }
                        _ => err,
                    }
                })?;
            if proof.thumbprint != jkt {
                return Err(fail(Reason::DpopKeyMismatch));
            }
            // Last, so that only a proof that passed everything else takes a place. Remembered
            // as long as its `iat` can be accepted: the lifetime and the leeway on each side,
            // plus a second for `now` being whole seconds and a second for clock skew
            // between instances.
            let ttl = dpop.proof_lifetime
                + std::time::Duration::from_secs(validation.leeway.unsigned_abs()) * 2
                + std::time::Duration::from_secs(2);
            Ok(Some(FirstUse {
                key: ReplayKey::new(&proof.thumbprint, &proof.jti),
                ttl,
                scheme,
            }))
        }
    }
}

impl FirstUse {
    /// The last check of a DPoP proof: the replay store takes its `jti` only once. The
    /// verdict for `claims`, the token's.
    pub(crate) async fn check(self, axioms: &Axioms, claims: Claims) -> Authentication {
        let fail = |reason: Reason| axioms.error(reason).presented_with(self.scheme);
        let refused = match axioms.replay_store().first_use(self.key, self.ttl).await {
            Ok(true) => return Authentication::Verified(claims),
            Ok(false) => fail(Reason::DpopProofReplayed),
            Err(crate::dpop::ReplayStoreError::Full) => fail(Reason::ReplayStoreFull),
            Err(crate::dpop::ReplayStoreError::KeyQuota) => fail(Reason::DpopKeyQuota),
            Err(err) => fail(Reason::ReplayStoreUnavailable).with_detail(err.to_string()),
        };
        Authentication::Rejected(refused)
    }
}

/// The request's client certificate: the TLS connection's, else (only when configured) the
/// trusted proxy header's.
fn client_certificate(axioms: &Axioms, parts: &Parts) -> Result<Option<ClientCertificate>, Reason> {
    if let Some(cert) = parts.extensions.get::<ClientCertificate>() {
        return Ok(Some(cert.clone()));
    }
    // On a connection axioms's own TLS server accepted, the TLS layer is the only source: a
    // client without a certificate must not name one in a header.
    if parts.extensions.get::<mtls::ServedOverTls>().is_some() {
        return Ok(None);
    }
    let Some(name) = &axioms.config().dpop.client_cert_header else {
        return Ok(None);
    };
    let mut values = parts.headers.get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(value), None) => mtls::from_header(value.as_bytes())
            .map(Some)
            .ok_or(Reason::MalformedClientCertificate),
        (Some(_), Some(_)) => Err(Reason::MalformedClientCertificate),
    }
}
