//! JSON Web Key Sets: admission of keys, and the cache that fetches and refreshes them.

pub(crate) mod cache;
pub(crate) mod key;
pub(crate) mod set;
