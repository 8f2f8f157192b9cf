// `credentials` names kinds of credential: "token" or "api_key", and one per request.
use axioms::protected;

#[protected(credentials = "cookie")]
async fn unknown() {}

#[protected(credentials = all("token", "api_key"))]
async fn both() {}

fn main() {}
