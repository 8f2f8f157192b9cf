// `issuer = …` alone, beside other clauses, in a group, and in a named policy.
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

axioms::policy!(pub Partner: issuer = "https://partner.example/", scopes = "read:data");

#[protected(issuer = "https://partner.example/")]
async fn partner_only() -> &'static str {
    "partner"
}

#[protected(scopes = "read:data", issuer = any("https://a.example/", "https://b.example/realms/main"))]
async fn two_issuers() -> &'static str {
    "a or b"
}

#[protected(any_of(issuer = "https://staff.example/", roles = "admin"))]
async fn staff_or_admin() -> &'static str {
    "staff"
}

#[protected(policy = Partner)]
async fn named() -> &'static str {
    "named"
}

fn main() {
    let _: Router<Axioms> = Router::new()
        .route("/partner", get(partner_only))
        .route("/two", get(two_issuers))
        .route("/staff", get(staff_or_admin))
        .route("/named", get(named));
}
