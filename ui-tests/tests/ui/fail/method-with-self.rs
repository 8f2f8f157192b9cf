//! `#[protected]` on a method taking `self`.
use axioms::protected;

struct Api;

impl Api {
    #[protected(roles = "admin")]
    async fn handler(&self) -> &'static str {
        "admin"
    }
}

fn main() {
    let _ = Api::handler;
}
