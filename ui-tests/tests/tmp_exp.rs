#![allow(missing_docs)]
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/owner-*.rs");
    t.compile_fail("tests/ui/fail/owner-f*.rs");
}
