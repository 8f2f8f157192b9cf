// `issuer = …` alone, beside other clauses, in a group, and in a named policy: by the names
// the configuration trusts issuers under.
use axioms::policy::Owned;
use axioms::{Axioms, protected};
use axum::{Router, routing::get};

axioms::policy!(pub Partner: issuer = "partner", scopes = "read:data");

#[protected(issuer = "partner")]
async fn partner_only() -> &'static str {
    "partner"
}

#[protected(scopes = "read:data", issuer = any("primary", "partner_b"))]
async fn two_issuers() -> &'static str {
    "primary or partner_b"
}

#[protected(
    any_of(all_of(issuer = "partner", owner(fetch = note)), roles = "admin"),
    state = Axioms
)]
async fn partner_owner_or_admin(Owned(note): Owned<Note>) -> &'static str {
    let _ = note.user;
    "staff"
}

struct Note {
    user: axioms::Principal,
}

async fn note() -> Option<Note> {
    None
}

#[protected(policy = Partner)]
async fn named() -> &'static str {
    "named"
}

fn main() {
    let _: Router<Axioms> = Router::new()
        .route("/partner", get(partner_only))
        .route("/two", get(two_issuers))
        .route("/mixed", get(partner_owner_or_admin))
        .route("/named", get(named));
}
