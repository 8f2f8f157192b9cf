//! Parsing, tolerant of mistakes: each comma-separated item is parsed on its own, so every
//! independent error is reported together.

use proc_macro2::{Delimiter, Span, TokenStream, TokenTree};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Ident, LitInt, LitStr, Path, Type};

use super::ast::{ClaimKind, Clause, Owner, PolicyAst, Values};
use crate::errors::{Errors, did_you_mean};

const TOP_KEYS: &[&str] = &[
    "scopes",
    "roles",
    "permissions",
    "owner",
    "any_of",
    "all_of",
    "safe_methods",
    "state",
    "policy",
];
const CLAUSE_KEYS: &[&str] = &[
    "scopes",
    "roles",
    "permissions",
    "owner",
    "any_of",
    "all_of",
];
const OWNER_ARGS: &[&str] = &["fetch", "field", "claim", "mismatch"];
/// Methods that change state: never safe.
const UNSAFE_METHODS: &[&str] = &["POST", "PUT", "PATCH", "DELETE", "CONNECT"];

pub(crate) const METHODS: &[&str] = &[
    "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT",
];

/// Splits a token stream at top-level commas. Empty items (from a trailing comma) are
/// dropped; a doubled comma is reported.
fn split(tokens: TokenStream, errors: &mut Errors) -> Vec<Vec<TokenTree>> {
    let mut items = vec![Vec::new()];
    for tt in tokens {
        match &tt {
            TokenTree::Punct(p) if p.as_char() == ',' => {
                if items.last().is_some_and(Vec::is_empty) {
                    errors.at(p.span(), "unexpected `,` with nothing before it; remove it");
                }
                items.push(Vec::new());
            }
            _ => {
                if let Some(last) = items.last_mut() {
                    last.push(tt);
                }
            }
        }
    }
    if items.last().is_some_and(Vec::is_empty) {
        items.pop();
    }
    items
}

/// Parses the attribute arguments (top level: clauses plus `safe_methods`, `state`, `policy`).
pub(crate) fn parse_policy(tokens: TokenStream, errors: &mut Errors) -> PolicyAst {
    let mut ast = PolicyAst::default();
    let mut seen: Vec<Ident> = Vec::new();
    for item in split(tokens, errors) {
        let mut iter = item.into_iter();
        let Some(first) = iter.next() else { continue };
        let rest: Vec<TokenTree> = iter.collect();
        let TokenTree::Ident(key) = first else {
            errors.at(
                first.span(),
                "expected a policy clause such as `scopes = any(\"read:data\")`, `roles = \"admin\"` or `owner(fetch = …)`",
            );
            continue;
        };
        let name = key.to_string();
        if let Some(previous) = seen.iter().find(|k| **k == name)
            && name != "any_of"
            && name != "all_of"
        {
            let fix = match name.as_str() {
                "scopes" | "roles" | "permissions" => format!(
                    "; combine the values in one list: `{name} = all(\"a\", \"b\")` (all required) or `{name} = any(\"a\", \"b\")` (one is enough)"
                ),
                "owner" => "; a policy fetches one object: use a single `owner(…)`".to_owned(),
                _ => String::new(),
            };
            let _ = previous;
            errors.at(key.span(), format!("duplicate key `{name}`{fix}"));
            continue;
        }
        seen.push(key.clone());
        match name.as_str() {
            "safe_methods" => {
                if let Some(list) = parse_safe_methods(&key, rest, errors) {
                    ast.safe_methods = Some((key, list));
                }
            }
            "state" => {
                if let Some(ty) = parse_assign(
                    &key,
                    rest,
                    errors,
                    "a type, e.g. `state = AppState`",
                )
                .and_then(|ts| {
                    let message = match quoted(&ts) {
                        Some(name) => format!("write the type without quotes: `state = {name}`"),
                        None => "expected a type, e.g. `state = AppState`".to_owned(),
                    };
                    parse_or_report::<Type>(ts, errors, &message)
                }) {
                    ast.state = Some((key, ty));
                }
            }
            "policy" => {
                if let Some(path) = parse_assign(
                    &key,
                    rest,
                    errors,
                    "a policy name, e.g. `policy = AdminOnly`",
                )
                .and_then(|ts| {
                    let message = match quoted(&ts) {
                        Some(name) => format!(
                            "write the policy's name without quotes: `policy = {name}`"
                        ),
                        None => "expected the name of a policy defined with `axioms::policy!`, e.g. `policy = AdminOnly`".to_owned(),
                    };
                    parse_or_report::<Path>(ts, errors, &message)
                }) {
                    ast.policy = Some((key, path));
                }
            }
            _ => {
                if let Some(clause) = parse_clause(key, rest, errors, TOP_KEYS) {
                    ast.clauses.push(clause);
                }
            }
        }
    }
    ast
}

/// Parses the clauses inside `any_of(…)` / `all_of(…)`.
fn parse_clauses(tokens: TokenStream, errors: &mut Errors, any: bool) -> Vec<Clause> {
    let mut clauses = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for item in split(tokens, errors) {
        let mut iter = item.into_iter();
        let Some(first) = iter.next() else { continue };
        let TokenTree::Ident(key) = first else {
            errors.at(
                first.span(),
                "expected a clause such as `roles = \"admin\"` or `owner(fetch = …)`",
            );
            continue;
        };
        let name = key.to_string();
        if matches!(name.as_str(), "safe_methods" | "state" | "policy") {
            errors.at(
                key.span(),
                format!("`{name}` applies to the whole policy: move it out of `any_of(…)`/`all_of(…)` to the top level"),
            );
            continue;
        }
        if !any
            && matches!(name.as_str(), "scopes" | "roles" | "permissions")
            && seen.contains(&name)
        {
            errors.at(
                key.span(),
                format!("duplicate key `{name}` in `all_of(…)`; combine the values: `{name} = all(\"a\", \"b\")`"),
            );
            continue;
        }
        seen.push(name);
        if let Some(clause) = parse_clause(key, iter.collect(), errors, CLAUSE_KEYS) {
            clauses.push(clause);
        }
    }
    clauses
}

fn parse_clause(
    key: Ident,
    rest: Vec<TokenTree>,
    errors: &mut Errors,
    known: &[&str],
) -> Option<Clause> {
    let name = key.to_string();
    match name.as_str() {
        "scopes" | "roles" | "permissions" => {
            let kind = match name.as_str() {
                "scopes" => ClaimKind::Scopes,
                "roles" => ClaimKind::Roles,
                _ => ClaimKind::Permissions,
            };
            let value = parse_assign(
                &key,
                rest,
                errors,
                "`any(\"a\", \"b\")`, `all(\"a\", \"b\")` or `\"a\"`",
            )?;
            let values = parse_values(&key, value, errors)?;
            Some(Clause::Claim { kind, values })
        }
        "owner" => {
            let group = single_group(&key, rest, errors, "`owner(fetch = get_object)`")?;
            Some(Clause::Owner(parse_owner(key, group, errors)))
        }
        "any_of" | "all_of" => {
            let any = name == "any_of";
            let group = single_group(
                &key,
                rest,
                errors,
                &format!("`{name}(roles = \"admin\", owner(fetch = get_object))`"),
            )?;
            let span = group.span();
            let clauses = parse_clauses(group.stream(), errors, any);
            if clauses.is_empty() && errors.is_empty() {
                errors.at(
                    span,
                    format!("`{name}()` is empty; list at least one clause"),
                );
            }
            Some(Clause::Group { any, clauses })
        }
        "any" | "all" => {
            errors.at(
                key.span(),
                format!(
                    "`{name}(…)` lists the values of one key, as in `roles = {name}(\"a\", \"b\")`; to combine whole clauses write `{name}_of(…)`"
                ),
            );
            None
        }
        _ => {
            let hint = did_you_mean(&name, known)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_else(|| format!("; expected one of {}", list(known)));
            errors.at(key.span(), format!("unknown key `{name}`{hint}"));
            None
        }
    }
}

fn list(known: &[&str]) -> String {
    known
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Expects `= <tokens>` and returns the tokens.
fn parse_assign(
    key: &Ident,
    rest: Vec<TokenTree>,
    errors: &mut Errors,
    what: &str,
) -> Option<TokenStream> {
    let mut iter = rest.into_iter();
    match iter.next() {
        Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
            let value: TokenStream = iter.collect();
            if value.is_empty() {
                errors.at(p.span(), format!("expected {what} after `=`"));
                None
            } else {
                Some(value)
            }
        }
        Some(other) => {
            errors.at(
                other.span(),
                format!("expected `=` after `{key}`, then {what}"),
            );
            None
        }
        None => {
            errors.at(
                key.span(),
                format!("`{key}` needs a value: `{key} = ` followed by {what}"),
            );
            None
        }
    }
}

fn single_group(
    key: &Ident,
    rest: Vec<TokenTree>,
    errors: &mut Errors,
    example: &str,
) -> Option<proc_macro2::Group> {
    let mut iter = rest.into_iter();
    match (iter.next(), iter.next()) {
        (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Parenthesis => Some(g),
        (None, _) => {
            errors.at(
                key.span(),
                format!("`{key}` needs arguments in parentheses, e.g. {example}"),
            );
            None
        }
        (Some(TokenTree::Punct(p)), _) if p.as_char() == '=' => {
            errors.at(
                p.span(),
                format!("`{key}` takes parentheses, not `=`: write {example}"),
            );
            None
        }
        (Some(other), _) => {
            errors.at(
                other.span(),
                format!("expected parentheses after `{key}`, e.g. {example}"),
            );
            None
        }
    }
}

/// The contents of `tokens` if they are one string literal (a name written in quotes).
fn quoted(tokens: &TokenStream) -> Option<String> {
    let items: Vec<TokenTree> = tokens.clone().into_iter().collect();
    match items.as_slice() {
        [tt @ TokenTree::Literal(_)] => match syn::parse2::<syn::Lit>(tt.clone().into()) {
            Ok(syn::Lit::Str(s)) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

fn parse_or_report<T: syn::parse::Parse>(
    tokens: TokenStream,
    errors: &mut Errors,
    message: &str,
) -> Option<T> {
    let span = tokens.span();
    match syn::parse2::<T>(tokens) {
        Ok(v) => Some(v),
        Err(_) => {
            errors.at(span, message);
            None
        }
    }
}

/// `"a"`, `any("a", …)`, `all("a", …)`.
fn parse_values(key: &Ident, tokens: TokenStream, errors: &mut Errors) -> Option<Values> {
    let items: Vec<TokenTree> = tokens.into_iter().collect();
    match items.as_slice() {
        [tt @ TokenTree::Literal(_)] => {
            let lit = string_lit(tt, errors)?;
            check_value(&lit, errors);
            Some(Values {
                any: true,
                list: vec![lit],
            })
        }
        [TokenTree::Ident(comb), TokenTree::Group(g)]
            if g.delimiter() == Delimiter::Parenthesis =>
        {
            let any = match comb.to_string().as_str() {
                "any" => true,
                "all" => false,
                other => {
                    let hint = did_you_mean(other, &["any", "all"])
                        .map(|k| format!("did you mean `{k}`? "))
                        .unwrap_or_default();
                    errors.at(
                        comb.span(),
                        format!("unknown combinator `{other}`; {hint}use `any(…)` (one is enough) or `all(…)` (all required)"),
                    );
                    return None;
                }
            };
            let mut list: Vec<LitStr> = Vec::new();
            for item in split(g.stream(), errors) {
                let [tt] = item.as_slice() else {
                    let span = item.first().map_or(g.span(), TokenTree::span);
                    errors.at(span, "expected a string literal such as \"read:data\"");
                    continue;
                };
                let Some(lit) = string_lit(tt, errors) else {
                    continue;
                };
                check_value(&lit, errors);
                if list.iter().any(|l| l.value() == lit.value()) {
                    errors.at(
                        lit.span(),
                        format!(
                            "duplicate value {:?} in `{comb}(…)`; list each value once",
                            lit.value()
                        ),
                    );
                    continue;
                }
                list.push(lit);
            }
            if list.is_empty() && g.stream().is_empty() {
                errors.at(
                    g.span(),
                    format!("`{comb}()` is empty; list at least one value, e.g. `{key} = {comb}(\"a\")`, or remove `{key}`"),
                );
                return None;
            }
            (!list.is_empty()).then_some(Values { any, list })
        }
        [TokenTree::Group(g)] if g.delimiter() == Delimiter::Bracket => {
            errors.at(
                g.span(),
                format!("a list needs a combinator: `{key} = any(…)` (one is enough) or `{key} = all(…)` (all required)"),
            );
            None
        }
        [TokenTree::Ident(word)] if word != "any" && word != "all" => {
            errors.at(
                word.span(),
                format!("write the value as a string: `{key} = \"{word}\"`, or list several with `{key} = any(\"a\", \"b\")`"),
            );
            None
        }
        [first, ..] => {
            errors.at(
                first.span(),
                format!("expected `any(\"a\", \"b\")`, `all(\"a\", \"b\")` or a string literal after `{key} =`"),
            );
            None
        }
        [] => None,
    }
}

fn string_lit(tt: &TokenTree, errors: &mut Errors) -> Option<LitStr> {
    match syn::parse2::<syn::Lit>(tt.clone().into()) {
        Ok(syn::Lit::Str(s)) => Some(s),
        _ if matches!(tt, TokenTree::Ident(_)) => {
            errors.at(tt.span(), format!("write the value as a string: \"{tt}\""));
            None
        }
        _ => {
            errors.at(tt.span(), "expected a string literal such as \"read:data\"");
            None
        }
    }
}

fn check_value(lit: &LitStr, errors: &mut Errors) {
    let v = lit.value();
    if v.is_empty() {
        errors.at(lit.span(), "empty string: name a scope, role or permission");
    } else if v.trim() != v || v.contains(' ') {
        let words: Vec<String> = v.split_whitespace().map(|w| format!("{w:?}")).collect();
        let message = match words.as_slice() {
            [] => "blank value: name a scope, role or permission".to_owned(),
            [word] => format!("stray whitespace around the value: write {word}"),
            _ => format!(
                "values cannot contain spaces (a space separates scopes in a token); list them separately: `all({list})` (all required) or `any({list})` (one is enough)",
                list = words.join(", ")
            ),
        };
        errors.at(lit.span(), message);
    }
}

fn parse_owner(kw: Ident, group: proc_macro2::Group, errors: &mut Errors) -> Owner {
    let mut owner = Owner {
        kw,
        fetch: None,
        field: None,
        claim: None,
        mismatch: None,
    };
    let mut seen: Vec<String> = Vec::new();
    for item in split(group.stream(), errors) {
        let mut iter = item.into_iter();
        let Some(first) = iter.next() else { continue };
        let TokenTree::Ident(arg) = first else {
            errors.at(
                first.span(),
                "expected `fetch = …`, `field = \"…\"`, `claim = \"…\"` or `mismatch = 404`",
            );
            continue;
        };
        let name = arg.to_string();
        if !OWNER_ARGS.contains(&name.as_str()) {
            let hint = did_you_mean(&name, OWNER_ARGS)
                .map(|k| format!("; did you mean `{k}`?"))
                .unwrap_or_else(|| format!("; expected one of {}", list(OWNER_ARGS)));
            errors.at(
                arg.span(),
                format!("unknown argument `{name}` in `owner(…)`{hint}"),
            );
            continue;
        }
        if seen.contains(&name) {
            errors.at(
                arg.span(),
                format!("duplicate argument `{name}` in `owner(…)`; give it once"),
            );
            continue;
        }
        seen.push(name.clone());
        let Some(value) = parse_assign(&arg, iter.collect(), errors, "a value") else {
            continue;
        };
        match name.as_str() {
            "fetch" => {
                owner.fetch = parse_or_report::<Path>(
                    value,
                    errors,
                    "expected the path of an async fn, e.g. `fetch = get_article`",
                );
            }
            "field" | "claim" => {
                let lit = parse_or_report::<LitStr>(
                    value,
                    errors,
                    "expected a string literal, e.g. `field = \"created_by\"`",
                );
                if let Some(lit) = lit {
                    if name == "field"
                        && syn::parse_str::<Ident>(&lit.value()).is_err()
                        && lit.value().parse::<u32>().is_err()
                    {
                        errors.at(
                            lit.span(),
                            format!(
                                "{:?} is not a field name: `field` names the owner field of the fetched type, e.g. `field = \"created_by\"` (or `field = \"0\"` for a tuple struct)",
                                lit.value()
                            ),
                        );
                        continue;
                    }
                    if name == "claim" && lit.value().is_empty() {
                        errors.at(
                            lit.span(),
                            "empty claim name: `claim` names the token claim that holds the caller's id, e.g. `claim = \"sub\"` (the default)",
                        );
                        continue;
                    }
                    if name == "field" {
                        owner.field = Some(lit);
                    } else {
                        owner.claim = Some(lit);
                    }
                }
            }
            _ => {
                let lit = parse_or_report::<LitInt>(
                    value,
                    errors,
                    "expected `mismatch = 403` or `mismatch = 404`",
                );
                if let Some(lit) = lit {
                    match lit.base10_digits() {
                        "403" | "404" => owner.mismatch = Some(lit),
                        _ => errors.at(lit.span(), "`mismatch` is 403 (the default: forbidden) or 404 (hide that the object exists)"),
                    }
                }
            }
        }
    }
    if owner.fetch.is_none() && !seen.iter().any(|s| s == "fetch") {
        errors.at(
            owner.kw.span(),
            "`owner(…)` needs `fetch = your_fetch_fn`: an async fn that loads the object from the request's extractors",
        );
    }
    owner
}

fn parse_safe_methods(
    key: &Ident,
    rest: Vec<TokenTree>,
    errors: &mut Errors,
) -> Option<Vec<LitStr>> {
    let value = parse_assign(
        key,
        rest,
        errors,
        "a list such as `[\"GET\", \"HEAD\", \"OPTIONS\"]`",
    )?;
    let items: Vec<TokenTree> = value.into_iter().collect();
    let [TokenTree::Group(g)] = items.as_slice() else {
        let span = items.first().map_or(key.span(), TokenTree::span);
        errors.at(
            span,
            "expected a list such as `safe_methods = [\"GET\", \"HEAD\", \"OPTIONS\"]`",
        );
        return None;
    };
    if g.delimiter() != Delimiter::Bracket {
        errors.at(
            g.span(),
            "expected square brackets: `safe_methods = [\"GET\", \"OPTIONS\"]`",
        );
        return None;
    }
    let mut methods: Vec<LitStr> = Vec::new();
    for item in split(g.stream(), errors) {
        let [tt] = item.as_slice() else {
            let span = item.first().map_or_else(Span::call_site, TokenTree::span);
            errors.at(span, "expected an HTTP method as a string, e.g. \"GET\"");
            continue;
        };
        let lit = match tt {
            TokenTree::Ident(id) => {
                let upper = id.to_string();
                errors.at(
                    id.span(),
                    format!("write the method as a string: \"{upper}\""),
                );
                continue;
            }
            _ => match string_lit(tt, errors) {
                Some(l) => l,
                None => continue,
            },
        };
        let v = lit.value();
        if !METHODS.contains(&v.as_str()) {
            let hint = METHODS
                .iter()
                .find(|m| m.eq_ignore_ascii_case(&v))
                .map(|m| format!("; methods are upper case: \"{m}\""))
                .unwrap_or_else(|| format!("; expected one of {}", METHODS.join(", ")));
            errors.at(lit.span(), format!("{v:?} is not an HTTP method{hint}"));
            continue;
        }
        if methods.iter().any(|m| m.value() == v) {
            errors.at(
                lit.span(),
                format!("duplicate method {v:?}; list each method once"),
            );
            continue;
        }
        if UNSAFE_METHODS.contains(&v.as_str()) {
            errors.at(
                lit.span(),
                format!(
                    "{v:?} changes state, so it can never skip authentication; safe methods are \"GET\", \"HEAD\", \"OPTIONS\" and \"TRACE\""
                ),
            );
            continue;
        }
        methods.push(lit);
    }
    let has = |name: &str| methods.iter().any(|m| m.value() == name);
    if has("HEAD")
        && !has("GET")
        && let Some(head) = methods.iter().find(|m| m.value() == "HEAD")
    {
        errors.at(
            head.span(),
            "\"HEAD\" without \"GET\" would run the GET handler (which answers HEAD in axum) for anonymous callers while GET needs a token: list \"GET\" too (it makes HEAD safe as well), or neither",
        );
    }
    Some(methods)
}

/// `policy!(pub Name: clauses…)`: the visibility, the name, then the clauses.
pub(crate) fn parse_named(
    tokens: TokenStream,
) -> syn::Result<(syn::Visibility, Ident, TokenStream)> {
    let parser = |input: syn::parse::ParseStream<'_>| {
        let vis: syn::Visibility = input.parse()?;
        let name: Ident = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "expected a policy name: `axioms::policy!(pub AdminOnly: roles = \"admin\")`",
            )
        })?;
        if !input.peek(syn::Token![:])
            && (input.peek(syn::Token![=]) || input.peek(syn::token::Paren))
            && TOP_KEYS.contains(&name.to_string().as_str())
        {
            // `policy!(pub roles = "admin")`: what was read as the name is a clause key.
            return Err(syn::Error::new(
                name.span(),
                format!(
                    "the policy needs a name before its clauses: `axioms::policy!(pub AdminOnly: {name} …)`"
                ),
            ));
        }
        input.parse::<syn::Token![:]>().map_err(|e| {
            syn::Error::new(
                e.span(),
                format!(
                    "expected `:` after the policy name, then its clauses: `axioms::policy!(pub {name}: roles = \"admin\")`"
                ),
            )
        })?;
        let rest: TokenStream = input.parse()?;
        Ok((vis, name, rest))
    };
    parser.parse2(tokens)
}
