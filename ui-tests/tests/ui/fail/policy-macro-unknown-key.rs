//! The grammar of `policy!` is that of `#[protected]`: a misspelt key is reported the same way.
axioms::policy!(pub AdminOnly: role = "admin");

fn main() {}
