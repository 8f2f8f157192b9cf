//! `policy!` with `=` where the `:` after the name belongs.
axioms::policy!(pub AdminOnly = roles = "admin");

fn main() {}
