// `offline_access` asks for a refresh token; no resource can require it of an access token.
use axioms::protected;

#[protected(scopes = "offline_access")]
async fn refresh() {}

axioms::policy!(pub Reader: scopes = all("notes:read", "offline_access"));

fn main() {}
