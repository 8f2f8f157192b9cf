// `#[protected]` writes the operation's `security` from its policy: a hand-written
// `security(…)` in `#[utoipa::path]` below it would be a second place to edit.
use axioms::protected;

#[protected(scopes = "items:read")]
#[utoipa::path(get, path = "/items", security(("oauth2" = ["items:read"])), responses((status = 200, description = "the items")))]
async fn list_items() -> &'static str {
    "items"
}

fn main() {}
