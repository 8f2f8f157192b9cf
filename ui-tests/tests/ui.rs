//! Compile-pass and compile-fail cases of `#[protected]` and `policy!`.
//!
//! Regenerate the `.stderr` snapshots with `TRYBUILD=overwrite cargo test --test ui`, then read
//! every one of them as a user would.
#![allow(missing_docs)]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
