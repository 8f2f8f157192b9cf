// `issuer` names trusted issuers exactly as configured (URLs), and one vouches per token.
use axioms::protected;

#[protected(issuer = "auth0")]
async fn bare_name() {}

#[protected(issuer = any("https://a.example/", "https://b.example/?tenant=1"))]
async fn with_query() {}

#[protected(issuer = all("https://a.example/", "https://b.example/"))]
async fn both() {}

fn main() {}
