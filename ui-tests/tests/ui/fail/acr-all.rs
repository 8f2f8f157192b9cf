// A token carries one `acr`: `all(…)` of several could never hold.
use axioms::protected;

#[protected(acr = all("urn:example:mfa", "urn:example:hwk"))]
async fn handler() {}

fn main() {}
