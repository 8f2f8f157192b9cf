//! Several independent mistakes in one attribute and on the function: all are reported at once.
use axioms::protected;

#[protected(
    role = "admin",
    scopes = any(),
    permissions = ["a"],
    owner(feild = "user"),
    safe_methods = ["get"],
    any_of(roles = "a", safe_methods = ["GET"]),
)]
fn handler() {}

fn main() {
    let _ = handler;
}
