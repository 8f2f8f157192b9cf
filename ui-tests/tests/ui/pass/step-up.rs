// Step-up (RFC 9470): `acr` and `max_age`, alone, together, combined with other clauses, and
// in a named policy.
use axioms::{Axioms, protected};
use axum::{Router, routing::post};

axioms::policy!(pub RecentMfa: acr = any("urn:example:mfa", "urn:example:hwk"), max_age = 300);

#[protected(roles = any("admin"), acr = "urn:example:mfa", max_age = 300)]
async fn rotate_keys() -> &'static str {
    "rotated"
}

#[protected(any_of(acr = "urn:example:hwk", all_of(max_age = 60, scopes = "keys:write")))]
async fn either() -> &'static str {
    "either"
}

#[protected(policy = RecentMfa)]
async fn named() -> &'static str {
    "named"
}

fn main() {
    let _: Router<Axioms> = Router::new()
        .route("/admin/keys", post(rotate_keys))
        .route("/either", post(either))
        .route("/named", post(named));
}
