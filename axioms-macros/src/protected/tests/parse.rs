//! The parser: syntax only, every mistake reported once, parsing resumed after each.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::parse_quote;

use super::messages;
use crate::errors::Ctxt;
use crate::protected::ast::{Args, Clause, Item, Named, OwnerValue, Values};
use crate::protected::kw::{ClaimKey, Combinator, GroupKey, OwnerKey};
use crate::protected::parse;

/// The arguments, and every error the parser reported.
fn parse(tokens: TokenStream) -> (Args, Vec<String>) {
    let cx = Ctxt::new();
    let args = parse::args(tokens, &cx);
    (args, messages(cx))
}

fn errors(tokens: TokenStream) -> Vec<String> {
    parse(tokens).1
}

fn named(tokens: TokenStream) -> (Option<Named>, Vec<String>) {
    let cx = Ctxt::new();
    let named = parse::named(tokens, &cx);
    (named, messages(cx))
}

#[test]
fn every_item_of_the_grammar() {
    let (args, errors) = parse(parse_quote! {
        scopes = any("a", "b"),
        roles = "r",
        permissions = all("p",),
        owner(fetch = crate::db::get, field = "f", claim = "c", mismatch = 404),
        any_of(roles = "x", all_of(scopes = "y")),
        safe_methods = ["GET", "OPTIONS"],
        state = AppState,
        policy = policies::Admin,
    });
    assert_eq!(errors, Vec::<String>::new());
    assert!(args.complete);
    let [a, b, c, d, e, f, g, h] = args.items.as_slice() else {
        panic!("eight items, got {}", args.items.len());
    };
    assert!(matches!(
        a,
        Item::Clause(Clause::Claim(ClaimKey::Scopes(_), Values::List(Combinator::Any(_), list)))
            if list.items.len() == 2
    ));
    assert!(matches!(
        b,
        Item::Clause(Clause::Claim(ClaimKey::Roles(_), Values::One(lit))) if lit.value() == "r"
    ));
    assert!(matches!(
        c,
        Item::Clause(Clause::Claim(ClaimKey::Permissions(_), Values::List(Combinator::All(_), list)))
            if list.items.len() == 1
    ));
    let Item::Clause(Clause::Owner(_, owner)) = d else {
        panic!("owner");
    };
    let keys: Vec<&str> = owner.items.iter().map(|arg| arg.key.name()).collect();
    assert_eq!(keys, ["fetch", "field", "claim", "mismatch"]);
    assert!(matches!(
        &owner.items[0].value,
        Some(OwnerValue::Fetch(path)) if path.to_token_stream().to_string() == "crate :: db :: get"
    ));
    assert!(
        matches!(&owner.items[3].value, Some(OwnerValue::Mismatch(lit)) if lit.base10_digits() == "404")
    );
    let Item::Clause(Clause::Group(GroupKey::AnyOf(_), group)) = e else {
        panic!("any_of");
    };
    assert!(matches!(
        group.items.as_slice(),
        [Clause::Claim(..), Clause::Group(GroupKey::AllOf(_), inner)] if inner.items.len() == 1
    ));
    assert!(matches!(f, Item::SafeMethods(_, methods) if methods.items.len() == 2));
    assert!(matches!(g, Item::State(_, ty) if ty.to_token_stream().to_string() == "AppState"));
    assert!(matches!(h, Item::Policy(_, path) if path.segments.len() == 2));
}

#[test]
fn nothing_and_trailing_commas() {
    assert!(parse(TokenStream::new()).0.items.is_empty());
    assert_eq!(errors(parse_quote!(roles = "a",)), Vec::<String>::new());
    assert_eq!(
        errors(parse_quote!(roles = "a",, scopes = "b")),
        ["unexpected `,` with nothing before it; remove it"]
    );
}

#[test]
fn parsing_is_syntax_only() {
    // Each of these is a mistake, but not of syntax: the validator reports them.
    let (args, errors) = parse(parse_quote! {
        scopes = any(),
        scopes = "",
        roles = " admin",
        owner(mismatch = 500, field = "created by", claim = ""),
        owner(field = "user"),
        all_of(),
        safe_methods = ["POST", "get", "FETCH", "HEAD"],
        policy = Admin,
    });
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(args.items.len(), 8);
}

#[test]
fn unknown_keys_are_suggested_or_listed_by_syn() {
    assert_eq!(
        errors(parse_quote!(role = "admin")),
        ["unknown key `role`; did you mean `roles`?"]
    );
    assert_eq!(
        errors(parse_quote!(audience = "api")),
        [
            "unknown key `audience`; expected one of: `scopes`, `roles`, `permissions`, `acr`, `credentials`, `issuer`, `actor`, `max_age`, `dpop`, `owner`, `any_of`, `all_of`, `safe_methods`, `state`, `policy`"
        ]
    );
    assert_eq!(
        errors(parse_quote!(any_of(audience = "api"))),
        [
            "unknown key `audience`; expected one of: `scopes`, `roles`, `permissions`, `acr`, `credentials`, `issuer`, `actor`, `max_age`, `dpop`, `owner`, `any_of`, `all_of`"
        ]
    );
    assert_eq!(
        errors(parse_quote!(owner(fetch = f, feild = "user"))),
        ["unknown argument `feild` in `owner(…)`; did you mean `field`?"]
    );
    assert_eq!(
        errors(parse_quote!(owner(fetch = f, by = "user"))),
        [
            "unknown argument `by` in `owner(…)`; expected one of: `fetch`, `field`, `claim`, `mismatch`"
        ]
    );
    assert_eq!(
        errors(parse_quote!(roles = alll("a"))),
        [
            "unknown combinator `alll`; did you mean `all`? use `any(…)` (one is enough) or `all(…)` (all required)"
        ]
    );
}

#[test]
fn every_mistake_is_reported_and_parsing_resumes_after_it() {
    let (args, errors) = parse(parse_quote! {
        role = "admin",
        "admin",
        permissions = ["a"],
        roles = admin,
        scopes = any("a", 42, b),
        owner = get,
        any_of = (roles = "a"),
        any(roles = "a"),
        any_of(roles = "a", safe_methods = ["GET"]),
        safe_methods = "GET",
        safe_methods = ("GET"),
        safe_methods = [GET],
        state = "AppState",
        policy = "Admin",
        owner(fetch = "get", field = user),
        roles,
        roles "a",
        scopes = ,
        roles = "a" "b",
    });
    assert_eq!(
        errors,
        [
            "unknown key `role`; did you mean `roles`?",
            "expected a policy clause such as `scopes = any(\"read:data\")`, `roles = \"admin\"` or `owner(fetch = …)`",
            "a list needs a combinator: `permissions = any(…)` (one is enough) or `permissions = all(…)` (all required)",
            "write the value as a string: `roles = \"admin\"`, or list several with `roles = any(\"a\", \"b\")`",
            "expected a string literal such as \"read:data\"",
            "write the value as a string: \"b\"",
            "`owner` takes parentheses, not `=`: write `owner(fetch = get_object)`",
            "`any_of` takes parentheses, not `=`: write `any_of(roles = \"admin\", owner(fetch = get_object))`",
            "`any(…)` lists the values of one key, as in `roles = any(\"a\", \"b\")`; to combine whole clauses write `any_of(…)`",
            "`safe_methods` applies to the whole policy: move it out of `any_of(…)`/`all_of(…)` to the top level",
            "expected a list such as `safe_methods = [\"GET\", \"HEAD\", \"OPTIONS\"]`",
            "expected square brackets: `safe_methods = [\"GET\", \"OPTIONS\"]`",
            "write the method as a string: \"GET\"",
            "write the type without quotes: `state = AppState`",
            "write the policy's name without quotes: `policy = Admin`",
            "write the fetch function without quotes: `fetch = get`",
            "write the value as a string: `field = \"user\"`",
            "`roles` needs a value: `roles = ` followed by `any(\"a\", \"b\")`, `all(\"a\", \"b\")` or `\"a\"`",
            "expected `=` after `roles`, then `any(\"a\", \"b\")`, `all(\"a\", \"b\")` or `\"a\"`",
            "expected `any(\"a\", \"b\")`, `all(\"a\", \"b\")` or `\"a\"` after `=`",
            "expected `,`",
        ]
    );
    // What parsed is kept: the values list without its two mistakes, the groups, and the
    // `owner(…)` whose values did not parse, with its keys (so no "missing `fetch`" follows).
    assert!(!args.complete);
    let kept: Vec<String> = args.items.iter().map(describe).collect();
    assert_eq!(
        kept,
        [
            "scopes(1 parsed)",
            "any_of(1 parsed)",
            "safe_methods(0 parsed)",
            "owner(fetch?, field?)"
        ]
    );
}

/// A short description of a top-level item, for the recovery test.
fn describe(item: &Item) -> String {
    match item {
        Item::Clause(Clause::Claim(key, Values::List(_, list))) => {
            format!("{}({} parsed)", key.name(), list.items.len())
        }
        Item::Clause(Clause::Group(key, list)) => {
            format!("{}({} parsed)", key.name(), list.items.len())
        }
        Item::SafeMethods(_, list) => format!("safe_methods({} parsed)", list.items.len()),
        Item::Clause(Clause::Owner(_, args)) => {
            let args: Vec<String> = args
                .items
                .iter()
                .map(|arg| {
                    format!(
                        "{}{}",
                        arg.key.name(),
                        if arg.value.is_some() { "" } else { "?" }
                    )
                })
                .collect();
            format!("owner({})", args.join(", "))
        }
        _ => "other".to_owned(),
    }
}

#[test]
fn a_list_knows_whether_every_item_parsed() {
    let (args, _) = parse(parse_quote!(roles = any(42), scopes = any()));
    let complete: Vec<bool> = args
        .items
        .iter()
        .map(|item| match item {
            Item::Clause(Clause::Claim(_, Values::List(_, list))) => list.complete,
            _ => panic!("a values list"),
        })
        .collect();
    assert_eq!(complete, [false, true]);
}

#[test]
fn owner_arguments_keep_their_key() {
    let (args, errors) = parse(parse_quote!(owner(fetch = "get_article", mismatch = "404")));
    assert_eq!(
        errors,
        [
            "write the fetch function without quotes: `fetch = get_article`",
            "expected `mismatch = 403` or `mismatch = 404`",
        ]
    );
    let [Item::Clause(Clause::Owner(_, owner))] = args.items.as_slice() else {
        panic!("one owner");
    };
    assert!(matches!(
        owner.items.as_slice(),
        [a, b] if matches!(a.key, OwnerKey::Fetch(_)) && a.value.is_none()
            && matches!(b.key, OwnerKey::Mismatch(_)) && b.value.is_none()
    ));
}

#[test]
fn named_policies() {
    let (named_policy, errors) = named(quote! {
        /// Admins only.
        pub(crate) AdminOnly: roles = "admin"
    });
    assert_eq!(errors, Vec::<String>::new());
    let named_policy = named_policy.expect("parsed");
    assert_eq!(named_policy.name, "AdminOnly");
    assert_eq!(named_policy.attrs.len(), 1);
    assert_eq!(
        named_policy.vis.to_token_stream().to_string(),
        "pub (crate)"
    );
    assert_eq!(named_policy.args.items.len(), 1);

    for (input, error) in [
        (
            quote!(pub roles = "admin"),
            "the policy needs a name before its clauses: `axioms::policy!(pub AdminOnly: roles …)`",
        ),
        (
            quote!(pub AdminOnly roles = "admin"),
            "expected `:` after the policy name, then its clauses: `axioms::policy!(pub AdminOnly: roles = \"admin\")`",
        ),
        (
            quote!(pub AdminOnly = roles = "admin"),
            "expected `:` after the policy name, then its clauses: `axioms::policy!(pub AdminOnly: roles = \"admin\")`",
        ),
        (
            quote!(),
            "expected a policy name: `axioms::policy!(pub AdminOnly: roles = \"admin\")`",
        ),
    ] {
        let (parsed, errors) = named(input);
        assert!(parsed.is_none());
        assert_eq!(errors, [error]);
    }

    // The clauses have the grammar of `#[protected]`, with the same recovery.
    let (parsed, errors) = named(quote!(pub AdminOnly: role = "admin", scopes = "s"));
    assert_eq!(errors, ["unknown key `role`; did you mean `roles`?"]);
    assert_eq!(parsed.expect("the name parsed").args.items.len(), 1);
}
