//! `max_age` twice in a named policy.
axioms::policy!(pub RecentAdmins: roles = "admin", max_age = 300, max_age = 60);

fn main() {}
