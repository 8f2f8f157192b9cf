//! axioms against jsonwebtoken on the same tokens (see `src/differential.rs`): a panic is an
//! input axioms accepts and jsonwebtoken refuses, with different claims, or refused by axioms
//! alone for a reason not listed as one of its stricter rules.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

#[path = "../src/differential.rs"]
mod differential;

use differential::{Oracle, STRICTER, Verdict};

fn state() -> &'static (tokio::runtime::Runtime, Oracle) {
    static STATE: OnceLock<(tokio::runtime::Runtime, Oracle)> = OnceLock::new();
    STATE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let oracle = rt.block_on(Oracle::start());
        (rt, oracle)
    })
}

fuzz_target!(|data: &[u8]| {
    let (rt, oracle) = state();
    let case = oracle.token(data);
    match rt.block_on(oracle.judge(&case)) {
        Ok(Verdict::Stricter(reason)) => assert!(
            STRICTER.iter().any(|(r, _)| *r == reason),
            "refused by axioms only, for {reason:?}, by no listed rule: {}",
            case.describe()
        ),
        Ok(Verdict::BothAccepted | Verdict::BothRefused(_)) => {}
        Err(e) => panic!("{e}: {}", case.describe()),
    }
});
