// `dpop` takes one value, `required`: a route either demands DPoP-bound tokens or says nothing.
use axioms::protected;

#[protected(dpop = optional)]
async fn optional() {}

#[protected(dpop = true)]
async fn boolean() {}

#[protected(dpop)]
async fn bare() {}

fn main() {}
