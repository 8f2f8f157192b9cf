//! The DPoP replay store shared through Redis: `SET key 1 NX PX ttl`, atomic on the server.

use std::fmt;
use std::time::Duration;

use futures_util::future::BoxFuture;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{ReplayKey, ReplayStore, ReplayStoreError};

/// How long one check may take before the request is refused (503): connecting and
/// answering included.
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// A [`ReplayStore`] in Redis, shared by every instance of the resource server.
///
/// Each proof is a key `axioms:dpop:<sha-256 hex>` set with `NX` and an expiry of the whole
/// window in which its `iat` is accepted (the proof lifetime, the leeway on each side, and two
/// seconds of margin), so the first instance to see a proof wins and every other refuses it. The
/// connection is made on first use and remade after a failure; a check that does not
/// complete within 500 ms fails **closed** (the request gets 503 with
/// `Retry-After`, and a warning is logged) — never open.
///
/// Configure it with `AXIOMS_DPOP_REDIS_URL` (or
/// [`ConfigBuilder::dpop_redis_url`](crate::ConfigBuilder::dpop_redis_url)), or install it
/// yourself:
///
/// ```no_run
/// # fn f(axioms: axioms::Axioms) -> Result<axioms::Axioms, redis::RedisError> {
/// use axioms::dpop::RedisReplayStore;
/// let store = RedisReplayStore::new("redis://127.0.0.1:6379/0")?;
/// let axioms = axioms.with_replay_store(store);
/// # Ok(axioms) }
/// ```
#[derive(Clone)]
pub struct RedisReplayStore {
    connection: ConnectionManager,
    prefix: String,
}

impl RedisReplayStore {
    /// A store on `url` (`redis://host:6379/0`, `unix://`; `rediss://` needs the redis
    /// crate's TLS support, which axioms does not build). Does not connect
    /// yet: the first DPoP request does, so an instance starts while Redis is away (and
    /// refuses DPoP requests until it is back).
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1);
        Ok(Self {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            prefix: "axioms:dpop:".to_owned(),
        })
    }

    /// Keys are `<prefix><sha-256 hex>` (default prefix `axioms:dpop:`): give each resource
    /// its own prefix when several share one Redis database and should not share proofs.
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl ReplayStore for RedisReplayStore {
    fn first_use(
        &self,
        key: ReplayKey,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<bool, ReplayStoreError>> {
        let mut connection = self.connection.clone();
        let name = format!("{}{key}", self.prefix);
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        Box::pin(async move {
            let mut command = redis::cmd("SET");
            command.arg(&name).arg(1).arg("NX").arg("PX").arg(millis);
            let set = command.query_async::<Option<String>>(&mut connection);
            match tokio::time::timeout(REDIS_TIMEOUT, set).await {
                Ok(Ok(reply)) => Ok(reply.is_some()),
                Ok(Err(err)) => Err(ReplayStoreError::Unavailable(err.to_string())),
                Err(_) => Err(ReplayStoreError::Unavailable(format!(
                    "no answer within {} ms",
                    REDIS_TIMEOUT.as_millis()
                ))),
            }
        })
    }
}
