//! Differential testing against jsonwebtoken, a second JOSE implementation: on the same
//! tokens — keys, headers, payloads, signatures and encodings mutated as
//! `fuzz/src/differential.rs` describes — whenever axioms accepts, jsonwebtoken with the
//! equivalent strict validation accepts too, with the same claims; and every token axioms
//! refuses while jsonwebtoken accepts is refused by one of the rules listed in
//! `oracle::STRICTER`, each on purpose. The fuzz target `differential` runs the same
//! oracle on coverage-guided inputs.
//!
//! `PROPTEST_CASES` sets the number of cases (default 2 000); the tally of outcomes is printed
//! (`--nocapture`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[path = "../../../fuzz/src/differential.rs"]
#[allow(unreachable_pub)]
mod oracle;

use oracle::{Oracle, STRICTER, Verdict};

#[derive(Default, Debug)]
struct Tally {
    both_accepted: usize,
    both_refused: usize,
    stricter: BTreeMap<String, usize>,
    /// One token's header and payload per reason, for the report.
    examples: BTreeMap<String, String>,
}

#[test]
fn axioms_accepts_only_what_jsonwebtoken_accepts_and_refuses_more_only_on_purpose() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let oracle = rt.block_on(Oracle::start());
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    let tally = Mutex::new(Tally::default());
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // Short inputs leave the later choices at their well-formed defaults, so valid tokens and
    // tokens with one flaw are common, not only tokens with many.
    let result = runner.run(&vec(any::<u8>(), 0..24), |data| {
        let case = oracle.token(&data);
        let verdict = rt
            .block_on(oracle.judge(&case))
            .map_err(|e| TestCaseError::fail(format!("{e}\n{case:#?}")))?;
        let mut tally = tally.lock().unwrap();
        match verdict {
            Verdict::BothAccepted => tally.both_accepted += 1,
            Verdict::BothRefused(_) => tally.both_refused += 1,
            Verdict::Stricter(reason) => {
                prop_assert!(
                    STRICTER.iter().any(|(r, _)| *r == reason),
                    "axioms refuses ({reason:?}) what jsonwebtoken accepts, by no listed rule:\n{case:#?}"
                );
                let name = format!("{reason:?}");
                *tally.stricter.entry(name.clone()).or_default() += 1;
                tally.examples.entry(name).or_insert_with(|| case.describe());
            }
        }
        Ok(())
    });
    let tally = tally.into_inner().unwrap();
    eprintln!(
        "differential: {cases} inputs: {} accepted by both, {} refused by both, refused by axioms only: {:?}",
        tally.both_accepted, tally.both_refused, tally.stricter
    );
    for (reason, example) in &tally.examples {
        eprintln!("  {reason}, e.g. {example}");
    }
    if let Err(e) = result {
        panic!("{e}");
    }
    // The inputs reach every outcome: valid tokens, flaws both see, flaws only axioms sees.
    assert!(tally.both_accepted > 0, "{tally:?}");
    assert!(tally.both_refused > 0, "{tally:?}");
    assert!(!tally.stricter.is_empty(), "{tally:?}");
}
