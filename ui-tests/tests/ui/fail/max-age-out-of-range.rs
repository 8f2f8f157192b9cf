// `max_age` is seconds since the user authenticated: from 1 to a day.
use axioms::protected;

#[protected(max_age = 0)]
async fn zero() {}

#[protected(max_age = 604800)]
async fn a_week() {}

#[protected(max_age = 300s)]
async fn suffixed() {}

fn main() {}
