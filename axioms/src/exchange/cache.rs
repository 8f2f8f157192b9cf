//! Exchanged tokens, cached by (the subject token's hash, the downstream) until shortly before
//! they expire — never past the subject token's own expiry — within an entry and byte budget;
//! and one exchange in flight per key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use super::ExchangedToken;

/// What identifies an exchange: the SHA-256 of the subject token and the downstream's
/// canonical form (audiences, resource, sorted scopes).
#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) subject: [u8; 32],
    pub(super) target: Arc<str>,
}

struct Entry {
    token: ExchangedToken,
    /// When the entry stops being served (seconds since the epoch).
    until: i64,
    bytes: usize,
}

/// The cache and the exchanges in flight.
pub(super) struct Cache {
    entries: Mutex<Entries>,
    flights: Mutex<HashMap<Key, Weak<tokio::sync::Mutex<()>>>>,
    max_entries: usize,
    max_bytes: usize,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    bytes: usize,
}

/// What an entry costs besides its token: its key, the map's slot, the allocations.
const OVERHEAD: usize = 160;

impl Cache {
    pub(super) fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            entries: Mutex::default(),
            flights: Mutex::default(),
            max_entries,
            max_bytes,
        }
    }

    /// The token cached for `key`, if it is still to be served at `now`.
    pub(super) fn get(&self, key: &Key, now: i64) -> Option<ExchangedToken> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .map
            .get(key)
            .filter(|entry| now < entry.until)
            .map(|entry| entry.token.clone())
    }

    /// Keeps `token` for `key` until `until`, within the budget: expired entries go first,
    /// then those that expire soonest.
    pub(super) fn insert(&self, key: Key, token: ExchangedToken, until: i64, now: i64) {
        if self.max_entries == 0 {
            return;
        }
        let bytes = OVERHEAD + key.target.len() + token.secret().len();
        if bytes > self.max_bytes {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.bytes;
        }
        let full =
            |e: &Entries| e.map.len() >= self.max_entries || e.bytes + bytes > self.max_bytes;
        if full(&entries) {
            entries.map.retain(|_, entry| now < entry.until);
            entries.bytes = entries.map.values().map(|e| e.bytes).sum();
        }
        while full(&entries) {
            let Some(soonest) = entries
                .map
                .iter()
                .min_by_key(|(_, entry)| entry.until)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            if let Some(old) = entries.map.remove(&soonest) {
                entries.bytes -= old.bytes;
            }
        }
        entries.bytes += bytes;
        entries.map.insert(
            key,
            Entry {
                token,
                until,
                bytes,
            },
        );
    }

    /// The lock that makes concurrent requests for `key` wait for one exchange.
    pub(super) fn flight(&self, key: &Key) -> Arc<tokio::sync::Mutex<()>> {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(flight) = flights.get(key).and_then(Weak::upgrade) {
            return flight;
        }
        // Forget the flights nobody waits for any more, so the map stays as small as the
        // exchanges under way.
        if flights.len() >= 64 {
            flights.retain(|_, flight| flight.strong_count() > 0);
        }
        let flight = Arc::new(tokio::sync::Mutex::new(()));
        flights.insert(key.clone(), Arc::downgrade(&flight));
        flight
    }

    /// Entries and bytes held.
    pub(super) fn size(&self) -> (usize, usize) {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        (entries.map.len(), entries.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        Key {
            subject: [n; 32],
            target: Arc::from("aud=billing"),
        }
    }

    fn token(secret: &str, expires_at: i64) -> ExchangedToken {
        ExchangedToken::new(secret, "Bearer", expires_at)
    }

    #[test]
    fn an_entry_is_served_until_its_time() {
        let cache = Cache::new(10, 1 << 20);
        cache.insert(key(1), token("t1", 200), 150, 100);
        assert!(cache.get(&key(1), 149).is_some());
        assert!(cache.get(&key(1), 150).is_none());
        assert!(cache.get(&key(2), 100).is_none());
    }

    #[test]
    fn a_full_cache_drops_expired_entries_then_the_soonest_to_expire() {
        let cache = Cache::new(3, 1 << 20);
        cache.insert(key(1), token("a", 0), 110, 100);
        cache.insert(key(2), token("b", 0), 300, 100);
        cache.insert(key(3), token("c", 0), 200, 100);
        // At 120 the first has expired: it makes room.
        cache.insert(key(4), token("d", 0), 400, 120);
        assert_eq!(cache.size().0, 3);
        assert!(cache.get(&key(2), 120).is_some() && cache.get(&key(3), 120).is_some());
        // None expired: the one that expires soonest (3, at 200) goes.
        cache.insert(key(5), token("e", 0), 500, 120);
        assert!(cache.get(&key(3), 120).is_none());
        assert!(cache.get(&key(2), 120).is_some() && cache.get(&key(5), 120).is_some());
    }

    #[test]
    fn the_byte_budget_holds() {
        let cache = Cache::new(100, 3 * (OVERHEAD + 11 + 100));
        for n in 0..10 {
            cache.insert(key(n), token(&"x".repeat(100), 0), 1000 + i64::from(n), 0);
        }
        let (entries, bytes) = cache.size();
        assert_eq!(entries, 3);
        assert!(bytes <= 3 * (OVERHEAD + 11 + 100));
        // A token larger than the whole budget is not cached at all.
        cache.insert(key(50), token(&"y".repeat(10_000), 0), 5000, 0);
        assert!(cache.get(&key(50), 0).is_none());
    }

    #[test]
    fn concurrent_requests_share_one_flight() {
        let cache = Cache::new(10, 1 << 20);
        let a = cache.flight(&key(1));
        let b = cache.flight(&key(1));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &cache.flight(&key(2))));
        drop((a, b));
        // Nobody holds it any more: a new flight starts.
        let c = cache.flight(&key(1));
        assert_eq!(Arc::strong_count(&c), 1);
    }
}
