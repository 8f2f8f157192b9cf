//! DPoP (RFC 9449) at the resource server: sender-constrained tokens whose holder proves,
//! on every request, the key the token is bound to.
//!
//! A request `Authorization: DPoP <token>` with a `DPoP: <proof>` header is accepted when
//! the token verifies as any other, carries `cnf.jkt`, and the proof passes every check of
//! RFC 9449 §4.3:
//!
//! * exactly one `DPoP` header, at most 8 KiB, a compact JWS;
//! * `typ` `dpop+jwt`; `alg` asymmetric and allowed (`AXIOMS_DPOP_ALGORITHMS`); `jwk` a
//!   public key admitted like the issuer's keys (no private members, RSA ≥ 2048 bits);
//! * the signature verifies with that `jwk`, and its RFC 7638 thumbprint is `cnf.jkt`;
//! * `htm` is the request's method; `htu` is the configured origin (`AXIOMS_DPOP_ORIGIN`,
//!   default the origin of `AXIOMS_RESOURCE`) plus the request's path, never `Host` or
//!   `X-Forwarded-*`;
//! * `iat` within the proof lifetime (60 s by default) and the leeway; `ath` is the hash of
//!   the token; `nonce` one this server issued, when nonces are on;
//! * `jti` not seen before: the [`ReplayStore`] remembers each proof while it could be
//!   accepted ([`MemoryReplayStore`] by default, [`RedisReplayStore`] across instances).
//!
//! A DPoP-bound token sent as `Bearer` is refused (RFC 9449 §7.2), and with
//! [`ConfigBuilder::require_dpop`](crate::ConfigBuilder::require_dpop) so is every unbound
//! one; a single route can demand it with `dpop = required` in its `#[protected]` policy.
//! Challenges offer `DPoP algs="…"` beside `Bearer`; errors go on the scheme the
//! request used.

pub(crate) mod nonce;
pub(crate) mod proof;
#[cfg(feature = "redis")]
mod redis;
mod replay;

pub use proof::thumbprint;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisReplayStore;
pub use replay::{MemoryReplayStore, ReplayKey, ReplayStore, ReplayStoreError};
