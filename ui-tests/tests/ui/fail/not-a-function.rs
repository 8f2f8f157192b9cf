//! `#[protected]` on a struct.
use axioms::protected;

#[protected(roles = "admin")]
struct Handler;

fn main() {
    let _ = Handler;
}
