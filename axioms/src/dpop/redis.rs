//! The DPoP replay store shared through Redis: one script, atomic on the server, that sets the
//! proof's key unless it exists and counts the client key's unexpired proofs for its quota.

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
/// Each proof is a key `axioms:dpop:<sha-256 hex>` set, unless it exists, with an expiry of the
/// whole window in which its `iat` is accepted (the proof lifetime, the leeway on each side,
/// and two seconds of margin), so the first instance to see a proof wins and every other
/// refuses it. Each client key's unexpired proofs are counted in a sorted set
/// `axioms:dpop:client:<hex>` (scored by expiry, on the server's clock): a key that holds its
/// quota ([`with_key_quota`](Self::with_key_quota)) gets 503 for its new proofs while every
/// other key's pass. Both happen in one Lua script, atomic on the server. The
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
    per_key: usize,
}

/// Sets the proof's key unless it exists (0: a replay), unless the client key already holds its
/// quota of unexpired proofs (-1); 1: the proof is new. `KEYS`: the proof, the client's set;
/// `ARGV`: the expiry in milliseconds, the quota.
const FIRST_USE: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return -1 end
redis.call('SET', KEYS[1], 1, 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, KEYS[1])
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
"#;

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
            per_key: crate::defaults::DPOP_REPLAY_ENTRIES / 4,
        })
    }

    /// At most `proofs` unexpired proofs of any one client key (at least 1; default a
    /// quarter of [`DPOP_REPLAY_ENTRIES`](crate::defaults::DPOP_REPLAY_ENTRIES), or what
    /// `AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY` says).
    #[must_use]
    pub fn with_key_quota(mut self, proofs: usize) -> Self {
        self.per_key = proofs.max(1);
        self
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
            .field("per_key", &self.per_key)
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
        let client: String = key.client().iter().map(|b| format!("{b:02x}")).collect();
        let client = format!("{}client:{client}", self.prefix);
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        let per_key = self.per_key;
        Box::pin(async move {
            let mut command = redis::cmd("EVAL");
            command
                .arg(FIRST_USE)
                .arg(2)
                .arg(&name)
                .arg(&client)
                .arg(millis)
                .arg(per_key);
            let set = command.query_async::<i64>(&mut connection);
            match tokio::time::timeout(REDIS_TIMEOUT, set).await {
                Ok(Ok(1)) => Ok(true),
                Ok(Ok(0)) => Ok(false),
                Ok(Ok(-1)) => Err(ReplayStoreError::KeyQuota),
                Ok(Ok(other)) => Err(ReplayStoreError::Unavailable(format!(
                    "unexpected answer {other}"
                ))),
                Ok(Err(err)) => Err(ReplayStoreError::Unavailable(err.to_string())),
                Err(_) => Err(ReplayStoreError::Unavailable(format!(
                    "no answer within {} ms",
                    REDIS_TIMEOUT.as_millis()
                ))),
            }
        })
    }
}
