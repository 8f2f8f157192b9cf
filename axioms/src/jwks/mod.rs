//! JSON Web Key Sets: admission of keys, hardened fetching, and the cache.

pub(crate) mod cache;
pub(crate) mod fetch;
pub(crate) mod key;
pub(crate) mod set;

pub use fetch::FetchError;
