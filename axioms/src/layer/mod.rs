//! A tower layer that authenticates every request of a router.

mod future;
#[allow(clippy::module_inception)]
mod layer;
mod service;

pub use future::ResponseFuture;
pub use layer::AxiomsLayer;
pub use service::AxiomsService;
