// `issuer` names trusted issuers as the configuration trusts them (`primary`, `partner`),
// never by URL, and one vouches per token.
use axioms::protected;

#[protected(issuer = "https://partner.example/")]
async fn by_url() {}

#[protected(issuer = any("primary", "Partner-A"))]
async fn not_a_name() {}

#[protected(issuer = all("primary", "partner"))]
async fn both() {}

fn main() {}
