//! `policy!` without the `:` between the name and the clauses.
axioms::policy!(pub AdminOnly roles = "admin");

fn main() {}
