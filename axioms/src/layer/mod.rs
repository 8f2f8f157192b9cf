//! The tower layers: one gate service, and the layer that authenticates every request of a
//! router.

mod future;
mod gate;
#[allow(clippy::module_inception)]
mod layer;

pub use future::ResponseFuture;
pub(crate) use gate::sealed::Sealed;
pub use gate::{Decision, Gate};
pub use layer::{AxiomsLayer, AxiomsService};
