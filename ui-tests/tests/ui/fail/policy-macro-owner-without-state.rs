//! A named policy with `owner(…)` but no `state = …`.
axioms::policy!(pub OwnerOnly: owner(fetch = axioms_ui_tests::get_article));

fn main() {}
