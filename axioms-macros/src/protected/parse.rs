//! Parsing: syntax only. Keys come from `kw` through `lookahead1`; what a value means is
//! `validate`'s business.
//!
//! Every list is parsed by [`list`], which recovers at the next comma: an item that does not
//! parse is reported and skipped, so every independent mistake is reported at once.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{Lookahead1, ParseStream, Parser};
use syn::{Attribute, Ident, LitStr, Token, bracketed, parenthesized, token};

use super::ast::{Args, Clause, Item, List, Named, OwnerArg, OwnerValue, Values};
use super::kw::{self, ClaimKey, Combinator, GroupKey, OwnerKey, SettingKey};
use crate::errors::{Ctxt, did_you_mean};

/// `#[protected(…)]`'s arguments. Never fails: what does not parse is recorded in `cx`.
pub(crate) fn args(tokens: TokenStream, cx: &Ctxt) -> Args {
    let parser = |input: ParseStream<'_>| Ok(items(input, cx));
    parser.parse2(tokens).unwrap_or_else(|err| {
        cx.syn_error(err);
        List {
            items: Vec::new(),
            span: Span::call_site(),
            complete: false,
        }
    })
}

/// `policy!(#[attrs] vis Name: args)`; `None` (recorded in `cx`) if there is no name to define.
pub(crate) fn named(tokens: TokenStream, cx: &Ctxt) -> Option<Named> {
    let parser = |input: ParseStream<'_>| {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name = policy_name(input)?;
        Ok(Named {
            attrs,
            vis,
            name,
            args: items(input, cx),
        })
    };
    parser.parse2(tokens).map_err(|err| cx.syn_error(err)).ok()
}

fn items(input: ParseStream<'_>, cx: &Ctxt) -> Args {
    list(input, Span::call_site(), cx, |input| item(input, cx))
}

/// `item, item, …` to the end of `input`: the one loop of the parser.
fn list<T>(
    input: ParseStream<'_>,
    span: Span,
    cx: &Ctxt,
    mut item: impl FnMut(ParseStream<'_>) -> syn::Result<T>,
) -> List<T> {
    let mut list = List {
        items: Vec::new(),
        span,
        complete: true,
    };
    while !input.is_empty() {
        if input.peek(Token![,]) {
            if let Ok(comma) = input.parse::<Token![,]>() {
                cx.error_at(
                    comma.span,
                    "unexpected `,` with nothing before it; remove it",
                );
            }
            continue;
        }
        match item(input).and_then(|item| end_of_item(input).map(|()| item)) {
            Ok(item) => list.items.push(item),
            Err(err) => {
                cx.syn_error(err);
                list.complete = false;
                skip_item(input);
            }
        }
        if input.peek(Token![,]) {
            let _: syn::Result<Token![,]> = input.parse();
        }
    }
    list
}

/// After an item: a comma, or the end of the list.
fn end_of_item(input: ParseStream<'_>) -> syn::Result<()> {
    let lookahead = input.lookahead1();
    if lookahead.peek(Token![,]) || lookahead.peek(syn::parse::End) {
        Ok(())
    } else {
        Err(lookahead.error())
    }
}

/// Skips the rest of an item that did not parse, up to its comma.
fn skip_item(input: ParseStream<'_>) {
    let _: syn::Result<()> = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            if matches!(&tt, TokenTree::Punct(p) if p.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

/// An error at the next token, all of it if it is a `(…)` or `[…]` group.
fn error_at_next(input: ParseStream<'_>, message: impl std::fmt::Display) -> syn::Error {
    match input.cursor().token_tree() {
        Some((token, _)) => syn::Error::new(token.span(), message),
        None => input.error(message),
    }
}

/// Whether the item is over: nothing, or only its comma, left.
fn at_end(input: ParseStream<'_>) -> bool {
    input.is_empty() || input.peek(Token![,])
}

/// The keys that start a clause, in the order errors list them.
fn clause_keys() -> Vec<&'static str> {
    [
        ClaimKey::NAMES,
        &[kw::max_age::NAME, kw::dpop::NAME, kw::owner::NAME],
        GroupKey::NAMES,
    ]
    .concat()
}

fn top_keys() -> Vec<&'static str> {
    [clause_keys().as_slice(), SettingKey::NAMES].concat()
}

fn peek_clause(lookahead: &Lookahead1<'_>) -> bool {
    ClaimKey::peek(lookahead)
        || lookahead.peek(kw::max_age)
        || lookahead.peek(kw::dpop)
        || lookahead.peek(kw::owner)
        || GroupKey::peek(lookahead)
}

/// A top-level item: a clause, or a setting of the whole policy.
fn item(input: ParseStream<'_>, cx: &Ctxt) -> syn::Result<Item> {
    let lookahead = input.lookahead1();
    if peek_clause(&lookahead) {
        return clause(input, cx).map(Item::Clause);
    }
    if SettingKey::peek(&lookahead) {
        return setting(input, cx);
    }
    Err(not_a_clause(
        input,
        lookahead,
        &top_keys(),
        "expected a policy clause such as `scopes = any(\"read:data\")`, `roles = \"admin\"` or `owner(fetch = …)`",
    ))
}

/// A clause inside `any_of(…)` / `all_of(…)`.
fn group_item(input: ParseStream<'_>, cx: &Ctxt) -> syn::Result<Clause> {
    let lookahead = input.lookahead1();
    if peek_clause(&lookahead) {
        return clause(input, cx);
    }
    if let Ok(key) = input.fork().parse::<SettingKey>() {
        return Err(syn::Error::new(
            key.span(),
            format!(
                "`{}` applies to the whole policy: move it out of `any_of(…)`/`all_of(…)` to the top level",
                key.name()
            ),
        ));
    }
    Err(not_a_clause(
        input,
        lookahead,
        &clause_keys(),
        "expected a clause such as `roles = \"admin\"` or `owner(fetch = …)`",
    ))
}

/// The error for an item that starts with no key: `any(…)` for `any_of(…)`, a misspelt key,
/// or no word at all.
fn not_a_clause(
    input: ParseStream<'_>,
    lookahead: Lookahead1<'_>,
    known: &[&str],
    example: &str,
) -> syn::Error {
    if let Ok(combinator) = input.fork().parse::<Combinator>() {
        let name = combinator.name();
        return syn::Error::new(
            combinator.span(),
            format!(
                "`{name}(…)` lists the values of one key, as in `roles = {name}(\"a\", \"b\")`; to combine whole clauses write `{name}_of(…)`"
            ),
        );
    }
    match input.fork().call(Ident::parse_any) {
        Ok(word) => unknown(&word, "key", "", known, lookahead.error()),
        Err(_) => error_at_next(input, example),
    }
}

/// "unknown key `role`; did you mean `roles`?", or syn's "expected one of …" after it.
fn unknown(
    word: &Ident,
    what: &str,
    place: &str,
    known: &[&str],
    expected: syn::Error,
) -> syn::Error {
    let hint = match did_you_mean(&word.unraw().to_string(), known) {
        Some(key) => format!("did you mean `{key}`?"),
        None => expected.to_string(),
    };
    syn::Error::new(
        word.span(),
        format!("unknown {what} `{word}`{place}; {hint}"),
    )
}

fn clause(input: ParseStream<'_>, cx: &Ctxt) -> syn::Result<Clause> {
    let lookahead = input.lookahead1();
    if ClaimKey::peek(&lookahead) {
        let key: ClaimKey = input.parse()?;
        equals(
            input,
            key.span(),
            key.name(),
            "`any(\"a\", \"b\")`, `all(\"a\", \"b\")` or `\"a\"`",
        )?;
        values(input, cx, key).map(|values| Clause::Claim(key, values))
    } else if lookahead.peek(kw::max_age) {
        let kw: kw::max_age = input.parse()?;
        equals(
            input,
            kw.span,
            kw::max_age::NAME,
            "the seconds since the user authenticated, e.g. `300`",
        )?;
        let seconds = input.parse().map_err(|err| {
            syn::Error::new(
                err.span(),
                "expected a whole number of seconds, e.g. `max_age = 300`",
            )
        })?;
        Ok(Clause::MaxAge(kw, seconds))
    } else if lookahead.peek(kw::dpop) {
        let kw: kw::dpop = input.parse()?;
        equals(input, kw.span, kw::dpop::NAME, "`required`")?;
        match input.parse::<kw::required>() {
            Ok(_) => Ok(Clause::Dpop(kw)),
            Err(_) => Err(error_at_next(
                input,
                "expected `required`: `dpop = required` accepts only DPoP-bound tokens (leave it out to accept bearer tokens too)",
            )),
        }
    } else if lookahead.peek(kw::owner) {
        let kw: kw::owner = input.parse()?;
        parens(
            input,
            kw.span,
            kw::owner::NAME,
            "`owner(fetch = get_object)`",
        )?;
        let content;
        let paren = parenthesized!(content in input);
        let args = list(&content, paren.span.join(), cx, |input| {
            owner_arg(input, cx)
        });
        Ok(Clause::Owner(kw, args))
    } else if GroupKey::peek(&lookahead) {
        let key: GroupKey = input.parse()?;
        let example = format!(
            "`{}(roles = \"admin\", owner(fetch = get_object))`",
            key.name()
        );
        parens(input, key.span(), key.name(), &example)?;
        let content;
        let paren = parenthesized!(content in input);
        let clauses = list(&content, paren.span.join(), cx, |input| {
            group_item(input, cx)
        });
        Ok(Clause::Group(key, clauses))
    } else {
        Err(lookahead.error())
    }
}

/// `= ` and a value to come after `key`; a key alone is reported at the key.
fn equals(input: ParseStream<'_>, key: Span, name: &str, what: &str) -> syn::Result<()> {
    if at_end(input) {
        return Err(syn::Error::new(
            key,
            format!("`{name}` needs a value: `{name} = ` followed by {what}"),
        ));
    }
    let eq: Token![=] = input.parse().map_err(|err| {
        syn::Error::new(
            err.span(),
            format!("expected `=` after `{name}`, then {what}"),
        )
    })?;
    if at_end(input) {
        return Err(syn::Error::new(
            eq.span,
            format!("expected {what} after `=`"),
        ));
    }
    Ok(())
}

/// `(` after `key`, or the error for what is there instead.
fn parens(input: ParseStream<'_>, key: Span, name: &str, example: &str) -> syn::Result<()> {
    if input.peek(token::Paren) {
        Ok(())
    } else if at_end(input) {
        Err(syn::Error::new(
            key,
            format!("`{name}` needs arguments in parentheses, e.g. {example}"),
        ))
    } else if input.peek(Token![=]) {
        Err(error_at_next(
            input,
            format!("`{name}` takes parentheses, not `=`: write {example}"),
        ))
    } else {
        Err(error_at_next(
            input,
            format!("expected parentheses after `{name}`, e.g. {example}"),
        ))
    }
}

/// A name written in quotes (`state = "AppState"`): the error says to drop them.
fn unquoted(input: ParseStream<'_>, what: &str, key: &str) -> syn::Result<()> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return Err(syn::Error::new(
            lit.span(),
            format!("write {what} without quotes: `{key} = {}`", lit.value()),
        ));
    }
    Ok(())
}

/// `"a"`, `any("a", …)` or `all("a", …)`.
fn values(input: ParseStream<'_>, cx: &Ctxt, key: ClaimKey) -> syn::Result<Values> {
    // Outside the lookahead: `none` is a value of `actor` only, so the "expected …" of every
    // other key does not list it (validation says where it belongs).
    if input.peek(kw::none) && !input.peek2(token::Paren) {
        return input.parse().map(Values::None);
    }
    let lookahead = input.lookahead1();
    let key = key.name();
    if lookahead.peek(LitStr) {
        return input.parse().map(Values::One);
    }
    if Combinator::peek(&lookahead) {
        let combinator: Combinator = input.parse()?;
        let name = combinator.name();
        parens(
            input,
            combinator.span(),
            name,
            &format!("`{key} = {name}(\"a\", \"b\")`"),
        )?;
        let content;
        let paren = parenthesized!(content in input);
        let values = list(&content, paren.span.join(), cx, value);
        return Ok(Values::List(combinator, values));
    }
    if input.peek(token::Bracket) {
        return Err(error_at_next(
            input,
            format!(
                "a list needs a combinator: `{key} = any(…)` (one is enough) or `{key} = all(…)` (all required)"
            ),
        ));
    }
    if let Ok(word) = input.fork().call(Ident::parse_any) {
        if input.peek2(token::Paren) {
            let hint = did_you_mean(&word.to_string(), Combinator::NAMES)
                .map(|name| format!("did you mean `{name}`? "))
                .unwrap_or_default();
            return Err(syn::Error::new(
                word.span(),
                format!(
                    "unknown combinator `{word}`; {hint}use `any(…)` (one is enough) or `all(…)` (all required)"
                ),
            ));
        }
        return Err(syn::Error::new(
            word.span(),
            format!(
                "write the value as a string: `{key} = \"{word}\"`, or list several with `{key} = any(\"a\", \"b\")`"
            ),
        ));
    }
    Err(error_at_next(
        input,
        format!(
            "expected `any(\"a\", \"b\")`, `all(\"a\", \"b\")` or a string literal after `{key} =`"
        ),
    ))
}

/// One value inside `any(…)` / `all(…)`.
fn value(input: ParseStream<'_>) -> syn::Result<LitStr> {
    string(input, |word| {
        format!("write the value as a string: \"{word}\"")
    })
}

/// A string literal; `unquoted` says how to fix a bare word.
fn string(input: ParseStream<'_>, unquoted: impl FnOnce(&Ident) -> String) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    match input.fork().call(Ident::parse_any) {
        Ok(word) => Err(syn::Error::new(word.span(), unquoted(&word))),
        Err(_) => Err(error_at_next(
            input,
            "expected a string literal such as \"read:data\"",
        )),
    }
}

/// `safe_methods = […]`, `state = …`, `policy = …`.
fn setting(input: ParseStream<'_>, cx: &Ctxt) -> syn::Result<Item> {
    match input.parse::<SettingKey>()? {
        SettingKey::SafeMethods(kw) => {
            equals(
                input,
                kw.span,
                kw::safe_methods::NAME,
                "a list such as `[\"GET\", \"HEAD\", \"OPTIONS\"]`",
            )?;
            if input.peek(token::Bracket) {
                let content;
                let bracket = bracketed!(content in input);
                let methods = list(&content, bracket.span.join(), cx, |input| {
                    string(input, |word| {
                        format!("write the method as a string: \"{word}\"")
                    })
                });
                Ok(Item::SafeMethods(kw, methods))
            } else if input.peek(token::Paren) {
                Err(error_at_next(
                    input,
                    "expected square brackets: `safe_methods = [\"GET\", \"OPTIONS\"]`",
                ))
            } else {
                Err(error_at_next(
                    input,
                    "expected a list such as `safe_methods = [\"GET\", \"HEAD\", \"OPTIONS\"]`",
                ))
            }
        }
        SettingKey::State(kw) => {
            let example = "a type, e.g. `state = AppState`";
            equals(input, kw.span, kw::state::NAME, example)?;
            unquoted(input, "the type", kw::state::NAME)?;
            let ty = input
                .parse()
                .map_err(|err| syn::Error::new(err.span(), format!("expected {example}")))?;
            Ok(Item::State(kw, ty))
        }
        SettingKey::Policy(kw) => {
            equals(
                input,
                kw.span,
                kw::policy::NAME,
                "a policy name, e.g. `policy = AdminOnly`",
            )?;
            unquoted(input, "the policy's name", kw::policy::NAME)?;
            let path = input.parse().map_err(|err| {
                syn::Error::new(
                    err.span(),
                    "expected the name of a policy defined with `axioms::policy!`, e.g. `policy = AdminOnly`",
                )
            })?;
            Ok(Item::Policy(kw, path))
        }
    }
}

/// One `owner(…)` argument. A key whose value does not parse is kept (see [`OwnerArg`]).
fn owner_arg(input: ParseStream<'_>, cx: &Ctxt) -> syn::Result<OwnerArg> {
    let lookahead = input.lookahead1();
    if !OwnerKey::peek(&lookahead) {
        return Err(match input.fork().call(Ident::parse_any) {
            Ok(word) => unknown(
                &word,
                "argument",
                " in `owner(…)`",
                OwnerKey::NAMES,
                lookahead.error(),
            ),
            Err(_) => error_at_next(
                input,
                "expected `fetch = …`, `field = \"…\"`, `claim = \"…\"` or `mismatch = 404`",
            ),
        });
    }
    let key: OwnerKey = input.parse()?;
    let value =
        equals(input, key.span(), key.name(), "a value").and_then(|()| owner_value(input, key));
    match value {
        Ok(value) => Ok(OwnerArg {
            key,
            value: Some(value),
        }),
        Err(err) => {
            cx.syn_error(err);
            skip_item(input);
            Ok(OwnerArg { key, value: None })
        }
    }
}

fn owner_value(input: ParseStream<'_>, key: OwnerKey) -> syn::Result<OwnerValue> {
    let name = key.name();
    let quote_it = |word: &Ident| format!("write the value as a string: `{name} = \"{word}\"`");
    Ok(match key {
        OwnerKey::Fetch(_) => {
            unquoted(input, "the fetch function", name)?;
            OwnerValue::Fetch(input.parse().map_err(|err| {
                syn::Error::new(
                    err.span(),
                    "expected the path of an async fn, e.g. `fetch = get_article`",
                )
            })?)
        }
        OwnerKey::Field(_) => OwnerValue::Field(string(input, quote_it)?),
        OwnerKey::Claim(_) => OwnerValue::Claim(string(input, quote_it)?),
        OwnerKey::Mismatch(_) => OwnerValue::Mismatch(input.parse().map_err(|err| {
            syn::Error::new(err.span(), "expected `mismatch = 403` or `mismatch = 404`")
        })?),
    })
}

/// `Name:` in `policy!(pub Name: …)`.
fn policy_name(input: ParseStream<'_>) -> syn::Result<Ident> {
    let name: Ident = input.parse().map_err(|err| {
        syn::Error::new(
            err.span(),
            "expected a policy name: `axioms::policy!(pub AdminOnly: roles = \"admin\")`",
        )
    })?;
    if !input.peek(Token![:])
        && (input.peek(Token![=]) || input.peek(token::Paren))
        && top_keys().iter().any(|key| name == key)
    {
        // `policy!(pub roles = "admin")`: what was read as the name is a key.
        return Err(syn::Error::new(
            name.span(),
            format!(
                "the policy needs a name before its clauses: `axioms::policy!(pub AdminOnly: {name} …)`"
            ),
        ));
    }
    input.parse::<Token![:]>().map_err(|err| {
        syn::Error::new(
            err.span(),
            format!(
                "expected `:` after the policy name, then its clauses: `axioms::policy!(pub {name}: roles = \"admin\")`"
            ),
        )
    })?;
    Ok(name)
}
