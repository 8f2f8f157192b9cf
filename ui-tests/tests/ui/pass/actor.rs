// `actor = …` alone, `actor = none`, beside other clauses, in a group, and in a named policy.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

axioms::policy!(pub FromOrders: actor = "https://orders.example.com", scopes = "billing:read");

#[protected(actor = any("https://orders.example.com", "https://web.example.com"))]
async fn delegated() -> &'static str {
    "for orders or web"
}

#[protected(actor = none, roles = "admin")]
async fn direct_admin() -> &'static str {
    "an admin's own token"
}

#[protected(any_of(actor = "https://orders.example.com", all_of(actor = none, roles = "admin")))]
async fn either() -> &'static str {
    "either"
}

#[protected(policy = FromOrders)]
async fn named() -> &'static str {
    "named"
}

fn main() {
    let _: Router<Axioms> = Router::new()
        .route("/delegated", get(delegated))
        .route("/direct", get(direct_admin))
        .route("/either", get(either))
        .route("/named", get(named));
}
