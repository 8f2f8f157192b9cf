//! The validator: every value check, and the model it resolves the syntax tree into.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{ItemFn, Member, parse_quote};

use super::messages;
use crate::errors::Ctxt;
use crate::protected::model::{ClaimKind, Handler, Mismatch, Mode, Policy, Rule, SafeMethod};
use crate::protected::{parse, validate};

/// Validates `#[protected(args)]` on `function`, hands the model to `inspect`, and returns
/// every error.
fn check(args: TokenStream, function: &ItemFn, inspect: impl FnOnce(&Handler<'_>)) -> Vec<String> {
    let cx = Ctxt::new();
    let args = parse::args(args, &cx);
    let handler = validate::handler(&args, function, &cx);
    inspect(&handler);
    messages(cx)
}

fn handler() -> ItemFn {
    parse_quote!(
        async fn handler() {}
    )
}

fn errors(args: TokenStream) -> Vec<String> {
    check(args, &handler(), |_| {})
}

/// The inline policy of `args` on a plain handler, which must have no mistake.
fn policy(args: TokenStream, inspect: impl FnOnce(&Policy<'_>)) {
    let errors = check(args, &handler(), |handler| match handler {
        Handler::Inline(policy) => inspect(policy),
        Handler::Named(..) => panic!("an inline policy"),
    });
    assert_eq!(errors, Vec::<String>::new());
}

fn rule(args: TokenStream) -> Rule {
    let mut rule = None;
    policy(args, |policy| rule = Some(policy.rule.clone()));
    rule.expect("inspected")
}

fn claims(kind: ClaimKind, mode: Mode, values: &[&str]) -> Rule {
    Rule::Claims(kind, mode, values.iter().map(|v| (*v).to_owned()).collect())
}

#[test]
fn rules() {
    assert_eq!(rule(quote!()), Rule::Authenticated);
    assert_eq!(
        rule(quote!(
            scopes = any("a", "b"),
            roles = "r",
            permissions = all("p", "q")
        )),
        Rule::AllOf(vec![
            claims(ClaimKind::Scopes, Mode::Any, &["a", "b"]),
            claims(ClaimKind::Roles, Mode::Any, &["r"]),
            claims(ClaimKind::Permissions, Mode::All, &["p", "q"]),
        ])
    );
    assert_eq!(
        rule(quote!(
            any_of(
                roles = "a",
                roles = "b",
                all_of(scopes = "s", owner(fetch = f))
            ),
            state = S
        )),
        Rule::AllOf(vec![Rule::AnyOf(vec![
            claims(ClaimKind::Roles, Mode::Any, &["a"]),
            claims(ClaimKind::Roles, Mode::Any, &["b"]),
            Rule::AllOf(vec![
                claims(ClaimKind::Scopes, Mode::Any, &["s"]),
                Rule::Owner
            ]),
        ])])
    );
}

#[test]
fn the_owner_and_its_defaults() {
    policy(
        quote!(owner(fetch = get_article), state = AppState),
        |policy| {
            let owner = policy.owner.as_ref().expect("an owner");
            assert_eq!(owner.fetch.to_token_stream().to_string(), "get_article");
            assert!(matches!(&owner.field, Member::Named(field) if field == "user"));
            assert_eq!(owner.claim, "sub");
            assert_eq!(owner.mismatch, Mismatch::Forbidden);
            assert_eq!(owner.state.to_token_stream().to_string(), "AppState");
        },
    );
    policy(
        quote!(
            owner(
                mismatch = 404,
                claim = "email",
                field = "0",
                fetch = db::get
            ),
            state = Db
        ),
        |policy| {
            let owner = policy.owner.as_ref().expect("an owner");
            assert!(matches!(&owner.field, Member::Unnamed(index) if index.index == 0));
            assert_eq!(owner.claim, "email");
            assert_eq!(owner.mismatch, Mismatch::NotFound);
        },
    );
    policy(quote!(roles = "admin", state = AppState), |policy| {
        assert!(policy.owner.is_none());
    });
}

#[test]
fn the_state_type_is_inferred_from_the_handler_or_named() {
    let function: ItemFn = parse_quote!(
        async fn handler(Path(id): Path<u32>, State(s): State<AppState>) {}
    );
    let state = |args: TokenStream| {
        let mut state = String::new();
        let errors = check(args, &function, |handler| {
            if let Handler::Inline(Policy {
                owner: Some(owner), ..
            }) = handler
            {
                state = owner.state.to_token_stream().to_string();
            }
        });
        assert_eq!(errors, Vec::<String>::new());
        state
    };
    assert_eq!(state(quote!(owner(fetch = f))), "AppState");
    assert_eq!(state(quote!(owner(fetch = f), state = Db)), "Db");
    assert_eq!(
        errors(quote!(owner(fetch = f))),
        [
            "`owner(…)` runs its fetch function with the router's state: add `state = AppState` to the attribute, or take `State<AppState>` in the handler"
        ]
    );
}

#[test]
fn safe_methods() {
    let methods = |args: TokenStream| {
        let mut methods = None;
        policy(args, |policy| methods = policy.safe_methods.clone());
        methods
    };
    assert_eq!(methods(quote!(roles = "a")), None);
    assert_eq!(methods(quote!(safe_methods = [])), Some(vec![]));
    assert_eq!(
        methods(quote!(safe_methods = ["GET", "HEAD", "OPTIONS", "TRACE"])),
        Some(vec![
            SafeMethod::Get,
            SafeMethod::Options,
            SafeMethod::Trace
        ])
    );
    assert_eq!(
        errors(quote!(safe_methods = ["POST", "PUT", "PATCH", "DELETE", "CONNECT"])),
        ["POST", "PUT", "PATCH", "DELETE", "CONNECT"].map(|method| format!(
            "{method:?} changes state, so it can never skip authentication; safe methods are \"GET\", \"HEAD\", \"OPTIONS\" and \"TRACE\""
        ))
    );
    let head = "\"HEAD\" without \"GET\" would run the GET handler (which answers HEAD in axum) for anonymous callers while GET needs a token: list \"GET\" too (it makes HEAD safe as well), or neither";
    assert_eq!(errors(quote!(safe_methods = ["HEAD", "OPTIONS"])), [head]);
    assert_eq!(
        errors(quote!(
            safe_methods = ["get", "HEAD", "FETCH", "GET", "GET"]
        )),
        [
            "\"get\" is not an HTTP method; methods are upper case: \"GET\"",
            "\"FETCH\" is not an HTTP method; expected one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, TRACE, CONNECT",
            "duplicate method \"GET\"; list each method once",
        ]
    );
    // `[GET, "HEAD"]`: the GET written without quotes is the only mistake reported.
    assert_eq!(
        errors(quote!(safe_methods = [GET, "HEAD"])),
        ["write the method as a string: \"GET\""]
    );
}

#[test]
fn values() {
    assert_eq!(
        errors(quote!(
            scopes = "",
            roles = " admin",
            permissions = "read write"
        )),
        [
            "empty string: name a scope, role or permission",
            "stray whitespace around the value: write \"admin\"",
            "values cannot contain spaces (a space separates scopes in a token); list them separately: `all(\"read\", \"write\")` (all required) or `any(\"read\", \"write\")` (one is enough)",
        ]
    );
    assert_eq!(
        errors(quote!(roles = any("a", "b", "a"), scopes = all())),
        [
            "duplicate value \"a\" in `any(…)`; list each value once",
            "`all()` is empty; list at least one value, e.g. `scopes = all(\"a\")`, or remove `scopes`",
        ]
    );
    // Not empty, but nothing parsed: the parser's error is the only one.
    assert_eq!(
        errors(quote!(roles = any(42))),
        ["expected a string literal such as \"read:data\""]
    );
}

#[test]
fn duplicates_and_groups() {
    assert_eq!(
        errors(quote!(scopes = "a", scopes = "b", state = A, state = B)),
        [
            "duplicate key `scopes`; combine the values in one list: `scopes = all(\"a\", \"b\")` (all required) or `scopes = any(\"a\", \"b\")` (one is enough)",
            "duplicate key `state`; give it once",
        ]
    );
    assert_eq!(
        errors(quote!(
            all_of(roles = "a", roles = "b"),
            any_of(roles = "a", roles = "b")
        )),
        ["duplicate key `roles` in `all_of(…)`; combine the values: `roles = all(\"a\", \"b\")`"]
    );
    assert_eq!(
        errors(quote!(any_of(), all_of(any_of()))),
        [
            "`any_of()` is empty; list at least one clause",
            "`any_of()` is empty; list at least one clause",
        ]
    );
}

#[test]
fn owner_arguments() {
    assert_eq!(
        errors(quote!(
            owner(
                fetch = f,
                field = "a b",
                claim = "",
                mismatch = 500,
                fetch = g
            ),
            state = S
        )),
        [
            "\"a b\" is not a field name: `field` names the owner field of the fetched type, e.g. `field = \"created_by\"` (or `field = \"0\"` for a tuple struct)",
            "empty claim name: `claim` names the token claim that holds the caller's id, e.g. `claim = \"sub\"` (the default)",
            "`mismatch` is 403 (the default: forbidden) or 404 (hide that the object exists)",
            "duplicate argument `fetch` in `owner(…)`; give it once",
        ]
    );
    assert_eq!(
        errors(quote!(owner(field = "user"), state = S)),
        [
            "`owner(…)` needs `fetch = your_fetch_fn`: an async fn that loads the object from the request's extractors"
        ]
    );
    // A fetch that did not parse was still given: only the parser's error.
    assert_eq!(
        errors(quote!(owner(fetch = "f"), state = S)),
        ["write the fetch function without quotes: `fetch = f`"]
    );
    let twice = "a policy fetches one object: use a single `owner(…)` (combine it with other clauses through `any_of(…)`/`all_of(…)`)";
    assert_eq!(
        errors(quote!(
            any_of(owner(fetch = f), owner(fetch = g)),
            state = S
        )),
        [twice]
    );
    assert_eq!(
        errors(quote!(owner(fetch = f), owner(fetch = g), state = S)),
        [twice]
    );
}

#[test]
fn policy_names() {
    let errors = check(quote!(policy = Admin), &handler(), |handler| {
        assert!(matches!(handler, Handler::Named(path, _) if path.is_ident("Admin")));
    });
    assert_eq!(errors, Vec::<String>::new());
    assert_eq!(
        self::errors(quote!(policy = Admin, roles = "r")),
        [
            "`policy = …` names a complete policy and stands alone; put the other clauses in its `axioms::policy!` definition"
        ]
    );
}

#[test]
fn named_policies() {
    let named = |tokens: TokenStream, inspect: &dyn Fn(&Policy<'_>)| {
        let cx = Ctxt::new();
        let named = parse::named(tokens, &cx).expect("a name");
        inspect(&validate::named(&named, &cx));
        messages(cx)
    };
    assert_eq!(
        named(
            quote!(pub Staff: roles = "staff", safe_methods = ["OPTIONS"]),
            &|policy| {
                assert_eq!(
                    policy.rule,
                    Rule::AllOf(vec![claims(ClaimKind::Roles, Mode::Any, &["staff"])])
                );
                assert_eq!(policy.safe_methods, Some(vec![SafeMethod::Options]));
            }
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        named(quote!(pub Again: policy = Admin), &|_| {}),
        ["`policy = …` is for `#[protected]`; a named policy cannot name another"]
    );
    assert_eq!(
        named(quote!(pub Mine: owner(fetch = f)), &|_| {}),
        ["`owner(…)` in a named policy needs the router's state type: add `state = AppState`"]
    );
}

#[test]
fn the_function() {
    let on = |function: ItemFn| check(quote!(roles = "a"), &function, |_| {});
    assert_eq!(
        on(parse_quote!(
            fn handler() {}
        )),
        ["`#[protected]` requires an `async fn`: axum handlers are async (write `async fn`)"]
    );
    assert_eq!(
        on(parse_quote!(
            async fn handler(&self) {}
        )),
        [
            "`#[protected]` cannot be used on a method with `self`: axum handlers are free functions (move it out of the `impl`, or take the value through `State`)"
        ]
    );
    assert_eq!(
        on(parse_quote!(
            async fn get_note(
                &self,
                request: Request<GetNote>,
            ) -> Result<Response<Note>, tonic::Status> {
            }
        )),
        [
            "`#[protected]` guards axum handlers, not the methods of a tonic service: name this method's policy in `axioms::grpc::GrpcMethods` (`.method::<YourPolicy>(\"/package.Service/Method\")`, with `axioms::policy!(YourPolicy: …)`), and put `GrpcLayer` on the server"
        ]
    );
    assert_eq!(
        on(parse_quote!(
            #[axioms::protected(scopes = "b")]
            async fn handler() {}
        )),
        [
            "a handler takes one `#[protected]`: combine the policies in one attribute — `#[protected(a, b)]` requires both, `#[protected(any_of(a, b))]` either"
        ]
    );
}

#[test]
fn mistakes_of_every_kind_are_reported_in_source_order_then_the_function() {
    let function: ItemFn = parse_quote!(
        fn handler() {}
    );
    let errors = check(
        quote!(
            scopes = any(),
            owner(field = "user"),
            safe_methods = ["get"]
        ),
        &function,
        |_| {},
    );
    assert_eq!(
        errors,
        [
            "`any()` is empty; list at least one value, e.g. `scopes = any(\"a\")`, or remove `scopes`",
            "`owner(…)` needs `fetch = your_fetch_fn`: an async fn that loads the object from the request's extractors",
            "\"get\" is not an HTTP method; methods are upper case: \"GET\"",
            "`#[protected]` requires an `async fn`: axum handlers are async (write `async fn`)",
            "`owner(…)` runs its fetch function with the router's state: add `state = AppState` to the attribute, or take `State<AppState>` in the handler",
        ]
    );
}

#[test]
#[should_panic(expected = "dropped without `check()`")]
fn an_unchecked_error_collector_is_a_bug() {
    let cx = Ctxt::new();
    cx.error_at(proc_macro2::Span::call_site(), "lost");
    drop(cx);
}

#[test]
fn actors() {
    let errors = |args: TokenStream| {
        let function: ItemFn = parse_quote!(
            async fn handler() {}
        );
        check(args, &function, |_| {})
    };
    assert!(errors(quote!(actor = "https://orders.example.com")).is_empty());
    assert!(errors(quote!(actor = any("a", "b"), roles = "admin")).is_empty());
    assert!(errors(quote!(actor = none)).is_empty());
    assert!(errors(quote!(any_of(actor = none, actor = "a"))).is_empty());
    assert_eq!(
        errors(quote!(actor = all("a", "b"))),
        [
            "a delegated token has one current actor (its `act` claim; prior actors never count): `actor = all(…)` could never hold; write `actor = any(…)`"
        ]
    );
    assert_eq!(
        errors(quote!(scopes = none)),
        [
            "`none` is a value of `actor` only (`actor = none`: no delegated token); to require nothing of `scopes`, leave `scopes` out"
        ]
    );
    assert_eq!(
        errors(quote!(actor = "a", actor = none)),
        [r#"duplicate key `actor`; list the values once: `actor = any("a", "b")`"#]
    );
}
