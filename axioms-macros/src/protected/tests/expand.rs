//! Expansion snapshots: each `tests-data/expand/*.rs` input is expanded in-process,
//! pretty-printed, and compared with the committed `*.expanded.rs`. This test never rewrites
//! them; after an intended change, regenerate with
//! `AXIOMS_BLESS=1 cargo test -p axioms-macros snapshots` and read the diff.

use std::path::{Path, PathBuf};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use crate::protected;

/// Expands every `#[protected]` function, `policy!` invocation and `#[axioms::mcp::policies]`
/// impl of a file, as rustc would.
fn expand_file(source: &str) -> String {
    let file = syn::parse_file(source).expect("snapshot input parses");
    let mut out = TokenStream::new();
    for item in file.items {
        match item {
            syn::Item::Fn(mut function) => {
                match function
                    .attrs
                    .iter()
                    .position(|attr| attr.path().is_ident("protected"))
                {
                    Some(i) => {
                        let attr = function.attrs.remove(i);
                        let args = match attr.meta {
                            syn::Meta::List(list) => list.tokens,
                            _ => TokenStream::new(),
                        };
                        out.extend(protected::protected(args, function.into_token_stream()));
                    }
                    None => out.extend(function.into_token_stream()),
                }
            }
            syn::Item::Impl(mut block) => {
                let mcp = block.attrs.iter().position(|attr| {
                    attr.path()
                        .segments
                        .last()
                        .is_some_and(|s| s.ident == "policies")
                });
                match mcp {
                    Some(i) => {
                        let attr = block.attrs.remove(i);
                        let args = match attr.meta {
                            syn::Meta::List(list) => list.tokens,
                            _ => TokenStream::new(),
                        };
                        out.extend(crate::mcp::policies(args, block.into_token_stream()));
                    }
                    None => out.extend(block.into_token_stream()),
                }
            }
            syn::Item::Macro(mac) if mac.mac.path.is_ident("policy") => {
                out.extend(protected::policy(mac.mac.tokens));
            }
            other => out.extend(other.into_token_stream()),
        }
    }
    let expanded = syn::parse2::<syn::File>(out).expect("the expansion parses as a file");
    prettyplease::unparse(&expanded)
}

fn inputs() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests-data/expand");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests-data/expand/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "rs")
                && !path.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn snapshots() {
    let bless = std::env::var_os("AXIOMS_BLESS").is_some();
    let files = inputs();
    assert!(
        files.len() >= 7,
        "expected the inputs in tests-data/expand/"
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
fn a_handler_with_mistakes_is_emitted_unchanged_after_the_errors() {
    let function = quote!(
        async fn handler() {}
    );
    let out = protected::protected(quote!(role = "admin"), function.clone()).to_string();
    let expected = format!(
        "{} {function}",
        quote!(::core::compile_error! { "unknown key `role`; did you mean `roles`?" })
    );
    assert_eq!(out, expected);
}

#[test]
fn a_named_policy_with_mistakes_still_defines_a_policy_that_denies() {
    let out = protected::policy(quote!(pub AdminOnly: role = "admin")).to_string();
    assert!(out.starts_with(&quote!(::core::compile_error!).to_string()));
    let policy = quote!(impl<__S> ::axioms::__private::Policy<__S> for AdminOnly).to_string();
    let deny = quote!(
        const RULE: ::axioms::__private::Rule = ::axioms::__private::Rule::AnyOf(&[]);
    )
    .to_string();
    let layer = quote!(impl ::axioms::__private::LayerPolicy for AdminOnly {}).to_string();
    assert!(out.contains(&policy), "{out}");
    assert!(out.contains(&deny), "{out}");
    assert!(out.contains(&layer), "{out}");
}

#[test]
fn a_policy_without_a_name_is_only_the_error() {
    let out = protected::policy(quote!(pub roles = "admin"));
    let expected = quote!(::core::compile_error! {
        "the policy needs a name before its clauses: `axioms::policy!(pub AdminOnly: roles …)`"
    });
    assert_eq!(out.to_string(), expected.to_string());
}
