//! `actor` twice: the values go in one list.
use axioms::protected;

#[protected(actor = "https://orders.example.com", actor = "https://billing.example.com")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {
    let _ = handler;
}
