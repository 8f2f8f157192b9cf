// `max_age` takes a whole number of seconds.
use axioms::protected;

#[protected(max_age = "300")]
async fn quoted() {}

#[protected(max_age)]
async fn missing() {}

fn main() {}
