//! A named policy whose definition is `policy = …`.
axioms::policy!(pub AdminOnly: roles = "admin");
axioms::policy!(pub Again: policy = AdminOnly);

fn main() {}
