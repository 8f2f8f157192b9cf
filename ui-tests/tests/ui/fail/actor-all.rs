//! A delegated token has one current actor: `actor = all(…)` could never hold.
use axioms::protected;

#[protected(actor = all("https://orders.example.com", "https://billing.example.com"))]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _ = handler;
}
