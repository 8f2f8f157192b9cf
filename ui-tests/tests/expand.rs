//! Expansion snapshots of `#[protected]` and `policy!`.
//!
//! The macro crate's own sources are compiled into this test (they work on `proc_macro2`),
//! each `expand/*.rs` input is expanded in-process, pretty-printed with prettyplease, and
//! compared with the committed `expand/*.expanded.rs`. CI checks; it never rewrites. After an
//! intended change, regenerate with `AXIOMS_BLESS=1 cargo test -p axioms-ui-tests --test expand`
//! and read the diff.
#![allow(
    missing_docs,
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "../../axioms-macros/src/errors.rs"]
mod errors;
#[path = "../../axioms-macros/src/paths.rs"]
mod paths;
#[path = "../../axioms-macros/src/protected/mod.rs"]
mod protected;

use std::path::{Path, PathBuf};

use quote::ToTokens;

fn expand_file(source: &str) -> String {
    let file = syn::parse_file(source).expect("snapshot input parses");
    let mut out = proc_macro2::TokenStream::new();
    for item in file.items {
        match item {
            syn::Item::Fn(mut function) => {
                let position = function
                    .attrs
                    .iter()
                    .position(|a| a.path().is_ident("protected"));
                match position {
                    Some(i) => {
                        let attr = function.attrs.remove(i);
                        let args = match attr.meta {
                            syn::Meta::List(list) => list.tokens,
                            _ => proc_macro2::TokenStream::new(),
                        };
                        out.extend(protected::expand_protected(
                            args,
                            function.into_token_stream(),
                        ));
                    }
                    None => out.extend(function.into_token_stream()),
                }
            }
            syn::Item::Macro(mac) if mac.mac.path.is_ident("policy") => {
                out.extend(protected::expand_policy(mac.mac.tokens));
            }
            other => out.extend(other.into_token_stream()),
        }
    }
    let expanded = syn::parse2::<syn::File>(out).expect("expansion parses as a file");
    prettyplease::unparse(&expanded)
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("expand");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("expand/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rs")
                && !p.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn expansions_match_snapshots() {
    let bless = std::env::var_os("AXIOMS_BLESS").is_some();
    let files = inputs();
    assert!(
        files.len() >= 5,
        "expected the snapshot inputs in ui-tests/expand/"
    );
    let mut stale = Vec::new();
    for input in files {
        let source = std::fs::read_to_string(&input).expect("input readable");
        let actual = expand_file(&source);
        let snapshot = input.with_extension("expanded.rs");
        if bless {
            std::fs::write(&snapshot, &actual).expect("snapshot writable");
            continue;
        }
        match std::fs::read_to_string(&snapshot) {
            Ok(expected) if expected == actual => {}
            _ => stale.push(format!(
                "{}:\n--- expected ({})\n--- actual\n{actual}",
                input.display(),
                snapshot.display()
            )),
        }
    }
    assert!(
        stale.is_empty(),
        "expansion snapshots differ (regenerate with AXIOMS_BLESS=1 after reading the diff):\n{}",
        stale.join("\n")
    );
}

#[test]
fn expansion_is_the_same_in_every_profile() {
    // The expansion reads no `cfg(debug_assertions)` and no environment: the same input
    // expands identically whatever the build, which this double expansion pins down.
    for input in inputs() {
        let source = std::fs::read_to_string(&input).expect("input readable");
        assert_eq!(expand_file(&source), expand_file(&source));
    }
}
