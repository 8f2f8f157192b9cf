//! `policy!` without a name.
axioms::policy!(pub roles = "admin");

fn main() {}
