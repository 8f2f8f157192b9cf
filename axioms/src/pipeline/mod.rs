//! The authentication pipeline: the one path every entry point takes.
//!
//! ```text
//!   request ─► recorded? ─► credentials ─► verify ─► record ─► verdict ─► demand ─► policy
//! ```
//!
//! 1. **Recorded?** If *this verifier* already decided the request (a layer ran first), its
//!    verdict is reused. A verdict recorded by another [`Axioms`] instance is never trusted:
//!    the request is verified again. The record is a crate-private type, so no other code
//!    can forge one.
//! 2. **Credentials**: the `Authorization` header, `Bearer` (RFC 6750 §2.1) or `DPoP`
//!    (RFC 9449 §7.1); or, when configured, an API key in its header — one of them, never
//!    both.
//! 3. **Verify**: the token (token cache, signature, claims, token kind), then its binding:
//!    a DPoP proof (RFC 9449 §4.3) or a client certificate (RFC 8705 §3), see `bind`; an
//!    API key is looked up by its digest and its principal becomes the claims.
//! 4. **Record**: the [`Authentication`] verdict goes into the request extensions, tagged with
//!    the verifier that produced it; a rejection is logged here, once.
//! 5. **Demand**: each entry point says what it needs — nothing (`AxiomsLayer::record`), a
//!    verdict (`Option<Claims>`), a token (`Claims`, `AxiomsLayer::require`), or a token for
//!    a policy to judge (the `#[protected]` guard, `PolicyLayer`, `McpLayer`). Safe methods
//!    are applied here and nowhere else. A partner issuer's token (one that does not vouch
//!    for the primary's user directory) meets a verdict or token demand only if a policy of
//!    this verifier admitted the request first: whatever a handler then reads from it, the
//!    operator or a policy extended to that issuer.
//! 6. **Policy**: the guard and `PolicyLayer` evaluate their rule on the admitted claims, and
//!    record the admission.
//!
//! The extractors, the guard and the layers are thin adapters over [`admit`].

mod api_key;
mod bind;
mod source;

use http::request::Parts;

use crate::claims::Claims;
use crate::rejection::{AuthError, Reason};
use crate::verifier::{Axioms, VerifierId};

pub(crate) use crate::safe::SafeMethods;

/// The authentication verdict of a request, as the pipeline recorded it.
///
/// As an extractor it yields the verdict of the state's [`Axioms`] — reusing the one an
/// [`AxiomsLayer`](crate::AxiomsLayer) recorded with the same verifier, or authenticating the
/// request now — and never rejects: the handler decides.
///
/// # Example
///
/// ```
/// use axioms::{Authentication, Axioms};
/// use axum::{Router, routing::get};
///
/// async fn handler(auth: Authentication) -> &'static str {
///     match auth {
///         Authentication::Verified(_) => "signed in",
///         Authentication::Anonymous => "no token",
///         Authentication::Rejected(_) => "bad token",
///         _ => "unknown",
///     }
/// }
///
/// fn app(axioms: Axioms) -> Router {
///     Router::new().route("/", get(handler)).with_state(axioms)
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Authentication {
    /// A valid token.
    Verified(Claims),
    /// No credentials.
    Anonymous,
    /// Credentials that failed; the error says why.
    Rejected(AuthError),
}

/// The verdict in the request extensions, with the verifier that produced it. Crate-private:
/// only the pipeline can write one.
#[derive(Clone)]
struct Recorded {
    verifier: VerifierId,
    auth: Authentication,
}

/// A policy of this verifier admitted the request: its claims count for the extractors and
/// layers that come after, whatever issuer vouched. Crate-private, like [`Recorded`].
#[derive(Clone, Copy)]
struct Admitted(VerifierId);

/// Records that a policy of `axioms` admitted the request with `claims`. Only a partner's
/// claims need it (the primary directory's count everywhere), so the usual request writes
/// nothing.
pub(crate) fn record_admission(axioms: &Axioms, parts: &mut Parts, claims: &Claims) {
    if !claims.is_home() {
        parts.extensions.insert(Admitted(axioms.id()));
    }
}

/// Whether `claims` count on a route without a policy of their own: they vouch for the
/// primary directory, or a policy of `axioms` admitted the request.
fn trusted_here(axioms: &Axioms, parts: &Parts, claims: &Claims) -> bool {
    claims.is_home()
        || parts
            .extensions
            .get::<Admitted>()
            .is_some_and(|admitted| admitted.0 == axioms.id())
}

impl Axioms {
    /// Authenticates a request through the one pipeline every extractor, guard and layer
    /// uses: a verdict this verifier already recorded for the request is reused; otherwise the
    /// credentials are read and verified, and the verdict recorded (and a rejection logged).
    ///
    /// For front ends of your own (a tonic interceptor, a custom middleware).
    ///
    /// ```no_run
    /// # async fn f(axioms: axioms::Axioms, request: http::Request<()>) {
    /// let (mut parts, _body) = request.into_parts();
    /// match axioms.authenticate(&mut parts).await {
    ///     axioms::Authentication::Verified(claims) => println!("{:?}", claims.subject()),
    ///     other => println!("{other:?}"),
    /// }
    /// # }
    /// ```
    pub async fn authenticate(&self, parts: &mut Parts) -> Authentication {
        authenticate(self, parts).await
    }
}

/// Steps 1–4: the request's verdict for `axioms`, recorded for later entry points.
pub(crate) async fn authenticate(axioms: &Axioms, parts: &mut Parts) -> Authentication {
    if let Some(recorded) = parts.extensions.get::<Recorded>()
        && recorded.verifier == axioms.id()
    {
        return recorded.auth.clone();
    }
    // Which credential the request presented, for the metrics: `none` where there was none,
    // or where it was refused before one could be chosen.
    let (auth, credential) = match presented(axioms, parts) {
        Presented::Nothing => (Authentication::Anonymous, "none"),
        Presented::Refused(reason, credential) => {
            (Authentication::Rejected(axioms.error(reason)), credential)
        }
        Presented::Token(scheme, ref token) => {
            // The cache first: a hit is a token that passed every check below before. The
            // rest is boxed: full verification (key fetches, introspection) and the DPoP
            // replay store would otherwise make every request's future larger — hits
            // included, whose future is allocated per request.
            let auth = match axioms.cached(token) {
                Some(claims) => match bind::check(axioms, parts, scheme, token, &claims) {
                    Ok(None) => Authentication::Verified(claims),
                    Ok(Some(first_use)) => Box::pin(first_use.check(axioms, claims)).await,
                    Err(err) => Authentication::Rejected(err),
                },
                None => Box::pin(verify(axioms, parts, scheme, token)).await,
            };
            (auth, "token")
        }
        Presented::ApiKey(key) => {
            let source = &axioms.config().api_keys;
            (
                Box::pin(api_key::authenticate(axioms, source, key)).await,
                "api_key",
            )
        }
    };
    match &auth {
        Authentication::Rejected(err) => {
            err.log();
            crate::metrics::authentication("rejected", credential);
        }
        Authentication::Verified(claims) => crate::metrics::authentication(
            "verified",
            crate::claims::Credential::of(claims).as_str(),
        ),
        Authentication::Anonymous => crate::metrics::authentication("anonymous", "none"),
    }
    parts.extensions.insert(Recorded {
        verifier: axioms.id(),
        auth: auth.clone(),
    });
    auth
}

/// The access token the request presents (what [`authenticate`] verified for it): the
/// subject of a token exchange.
#[cfg(feature = "exchange")]
pub(crate) fn presented_token(axioms: &Axioms, parts: &Parts) -> Option<Vec<u8>> {
    match presented(axioms, parts) {
        Presented::Token(_, token) => Some(token.into_owned()),
        _ => None,
    }
}

/// The request's one credential (step 2), or the verdict it already decided.
///
/// Small on purpose: it lives in every request's future, across the awaits below.
enum Presented<'a> {
    /// No credentials.
    Nothing,
    /// Refused at once: a malformed credential (labelled `token` or `api_key` for the
    /// metrics), or more than one (`none`: which one would count is nobody's guess).
    Refused(Reason, &'static str),
    /// An access token, its bytes not yet held to their grammar (see `source::Presented`).
    Token(crate::rejection::Scheme, std::borrow::Cow<'a, [u8]>),
    ApiKey(&'a [u8]),
}

/// Step 2: which credential the request presents — never two.
fn presented<'a>(axioms: &Axioms, parts: &'a Parts) -> Presented<'a> {
    let config = axioms.config();
    let dpop = config.dpop.origin.is_some();
    match (
        source::token(&config.sources, &parts.method, &parts.headers, dpop),
        api_key::presented(&config.api_keys, &parts.headers),
    ) {
        // A malformed token is that, whatever else the request carries (its grammar is
        // otherwise checked after the token cache: see `source::Presented`).
        (Ok(Some(token)), Ok(Some(_)) | Err(_))
            if !crate::token::bearer::is_b64token(&token.token) =>
        {
            Presented::Refused(Reason::MalformedAuthorization, "token")
        }
        // One credential per request: which one would count is nobody's guess.
        (Ok(Some(_)), Ok(Some(_)) | Err(_)) => {
            Presented::Refused(Reason::MultipleCredentials, "none")
        }
        (Ok(Some(token)), Ok(None)) => Presented::Token(token.scheme, token.token),
        (Err(Reason::MultipleAuthorizationHeaders), _) => {
            Presented::Refused(Reason::MultipleAuthorizationHeaders, "none")
        }
        (Err(reason), _) if reason != Reason::NotBearer => Presented::Refused(reason, "token"),
        // No usable `Authorization` (none, or another scheme: no credentials for a bearer
        // resource server, RFC 6750 §3.1): an API key, if any.
        (_, Err(reason)) => Presented::Refused(reason, "api_key"),
        (_, Ok(Some(key))) => Presented::ApiKey(key),
        (_, Ok(None)) => Presented::Nothing,
    }
}

/// Step 3 for a token the cache does not know: its grammar, full verification, its binding.
async fn verify(
    axioms: &Axioms,
    parts: &Parts,
    scheme: crate::rejection::Scheme,
    token: &[u8],
) -> Authentication {
    let text = match crate::token::bearer::b64token(token) {
        Ok(text) => text,
        Err(reason) => return Authentication::Rejected(axioms.error(reason)),
    };
    match axioms.verify_uncached(text).await {
        Ok(claims) => match bind::check(axioms, parts, scheme, token, &claims) {
            Ok(None) => Authentication::Verified(claims),
            Ok(Some(first_use)) => first_use.check(axioms, claims).await,
            Err(err) => Authentication::Rejected(err),
        },
        Err(err) => Authentication::Rejected(err.presented_with(scheme)),
    }
}

/// What an entry point needs from the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Demand {
    /// Nothing: record the verdict, never refuse (`AxiomsLayer::record`).
    Nothing,
    /// A verdict: no credentials is fine, bad credentials are refused (`Option<Claims>`).
    Verdict,
    /// A valid token, unless the method is one of `safe` (`Claims`, `AxiomsLayer::require`).
    Token(SafeMethods),
    /// A valid token for a policy to judge, unless the method is one of `safe` (the guard,
    /// `PolicyLayer`, `McpLayer`): whose claims count is the policy's to say.
    Policy(SafeMethods),
}

/// How a request passed its entry point.
#[derive(Debug)]
pub(crate) enum Admission {
    /// A valid token where one was needed: a policy decides next.
    Authenticated(Claims),
    /// No token was needed (a safe method, or a demand without one); the claims of a token
    /// that was present anyway.
    Pass(Option<Claims>),
}

/// The whole pipeline for one entry point: authenticate, then apply its demand.
pub(crate) async fn admit(
    axioms: &Axioms,
    parts: &mut Parts,
    demand: Demand,
) -> Result<Admission, AuthError> {
    let auth = authenticate(axioms, parts).await;
    let (needs_token, policy) = match demand {
        Demand::Nothing => {
            return Ok(Admission::Pass(match auth {
                Authentication::Verified(claims) => Some(claims),
                _ => None,
            }));
        }
        Demand::Verdict => (false, false),
        Demand::Token(safe) => (!safe.contains(&parts.method), false),
        Demand::Policy(safe) => (!safe.contains(&parts.method), true),
    };
    match auth {
        // A partner's token, with no policy to extend to it: not for this route.
        Authentication::Verified(claims) if !policy && !trusted_here(axioms, parts, &claims) => {
            let err = axioms.denial(Reason::IssuerNotAccepted, &claims);
            err.log();
            Err(err)
        }
        Authentication::Verified(claims) if needs_token => Ok(Admission::Authenticated(claims)),
        Authentication::Verified(claims) => Ok(Admission::Pass(Some(claims))),
        Authentication::Anonymous if needs_token => {
            let err = axioms.error(Reason::MissingToken);
            err.log();
            Err(err)
        }
        Authentication::Anonymous => Ok(Admission::Pass(None)),
        // Logged when it was recorded.
        Authentication::Rejected(err) => Err(err),
    }
}
