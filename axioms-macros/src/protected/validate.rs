//! Validation: every check of what the syntax tree says, turning it into the model.
//!
//! Items are checked in source order, then what needs the whole picture (the state type, the
//! function the attribute sits on). Every mistake is recorded in the `Ctxt`; the model returned
//! is only expanded if there was none.

use std::mem::discriminant;

use proc_macro2::Span;
use syn::{FnArg, GenericArgument, Ident, ItemFn, LitStr, Member, Path, PathArguments, Type};

use super::ast::{Args, Clause, Item, List, Named, OwnerArg, OwnerValue, Values};
use super::kw::{self, ClaimKey, Combinator, GroupKey, OwnerKey};
use super::model::{ClaimKind, Handler, Mismatch, Mode, Owner, Policy, Rule, SafeMethod};
use crate::errors::Ctxt;

/// `#[protected(args)]` on `function`.
pub(crate) fn handler<'a>(args: &'a Args, function: &'a ItemFn, cx: &Ctxt) -> Handler<'a> {
    let top = Top::check(args, cx);
    check_function(function, cx);
    let owned = owned_arguments(function);
    if top.owner.is_none() && top.policy.is_none() {
        for (argument, _) in &owned {
            cx.error_spanned_by(
                argument,
                "`Owned<…>` is the object a policy's `owner(fetch = …)` fetched, and this policy has no `owner(…)`: add `owner(fetch = your_fetch_fn)` to `#[protected]`, or take the object with an extractor of your own",
            );
        }
    }
    let owner = top.owner.and_then(|owner| {
        let state = top.state.or_else(|| state_of(function));
        owner.resolve(state, "`owner(…)` runs its fetch function with the router's state: add `state = AppState` to the attribute, or take `State<AppState>` in the handler", cx)
    });
    let owner = owner.map(|owner| Owner {
        owned: owned.iter().map(|(_, object)| *object).collect(),
        ..owner
    });
    match top.policy {
        Some((kw, path)) => {
            if top.others {
                cx.error_at(
                    kw.span,
                    "`policy = …` names a complete policy and stands alone; put the other clauses in its `axioms::policy!` definition",
                );
            }
            Handler::Named(path, owned.iter().map(|(argument, _)| *argument).collect())
        }
        None => Handler::Inline(Policy {
            rule: top.rule,
            safe_methods: top.safe_methods,
            owner,
        }),
    }
}

/// `policy!(… Name: args)`.
pub(crate) fn named<'a>(named: &'a Named, cx: &Ctxt) -> Policy<'a> {
    let top = Top::check(&named.args, cx);
    if let Some((kw, _)) = top.policy {
        cx.error_at(
            kw.span,
            "`policy = …` is for `#[protected]`; a named policy cannot name another",
        );
    }
    let owner = top.owner.and_then(|owner| {
        owner.resolve(
            top.state,
            "`owner(…)` in a named policy needs the router's state type: add `state = AppState`",
            cx,
        )
    });
    Policy {
        rule: top.rule,
        safe_methods: top.safe_methods,
        owner,
    }
}

/// The top-level items, checked.
struct Top<'a> {
    rule: Rule,
    owner: Option<OwnerArgs<'a>>,
    safe_methods: Option<Vec<SafeMethod>>,
    state: Option<&'a Type>,
    policy: Option<(&'a kw::policy, &'a Path)>,
    /// Whether anything but `policy = …` was written.
    others: bool,
}

impl<'a> Top<'a> {
    fn check(args: &'a Args, cx: &Ctxt) -> Self {
        let mut rules = Rules { cx, owner: None };
        let mut clauses = Vec::new();
        let mut claims = Vec::new();
        let (mut safe_methods, mut state, mut policy) = (None, None, None);
        for item in &args.items {
            match item {
                Item::Clause(clause) => {
                    check_repeated(clause, &mut claims, None, cx);
                    clauses.push(rules.rule(clause));
                }
                Item::SafeMethods(kw, methods) => {
                    let methods = check_methods(methods, cx);
                    set(
                        &mut safe_methods,
                        methods,
                        kw.span,
                        kw::safe_methods::NAME,
                        cx,
                    );
                }
                Item::State(kw, ty) => set(&mut state, ty, kw.span, kw::state::NAME, cx),
                Item::Policy(kw, path) => {
                    set(&mut policy, (kw, path), kw.span, kw::policy::NAME, cx);
                }
            }
        }
        let others = !clauses.is_empty() || safe_methods.is_some() || state.is_some();
        Top {
            rule: if clauses.is_empty() {
                Rule::Authenticated
            } else {
                Rule::AllOf(clauses)
            },
            owner: rules.owner,
            safe_methods,
            state,
            policy,
            others,
        }
    }
}

/// A setting, given once: a second one is reported.
fn set<T>(slot: &mut Option<T>, value: T, key: Span, name: &str, cx: &Ctxt) {
    if slot.is_some() {
        cx.error_at(key, format!("duplicate key `{name}`; give it once"));
    } else {
        *slot = Some(value);
    }
}

/// A key that a list of clauses that must all hold (the top level, `all_of(…)`) takes once.
#[derive(Clone, Copy, PartialEq)]
enum Once {
    Claim(ClaimKind),
    MaxAge,
    Dpop,
}

/// Reports `clause` if its key was given before in the same list (`within`: the group's name,
/// `None` at the top level), and records it.
fn check_repeated(clause: &Clause, seen: &mut Vec<Once>, within: Option<&str>, cx: &Ctxt) {
    let (key, span, name) = match clause {
        Clause::Claim(key, _) => (Once::Claim(claim_kind(*key)), key.span(), key.name()),
        Clause::MaxAge(kw, _) => (Once::MaxAge, kw.span, kw::max_age::NAME),
        Clause::Dpop(kw) => (Once::Dpop, kw.span, kw::dpop::NAME),
        Clause::Owner(..) | Clause::Group(..) => return,
    };
    if !seen.contains(&key) {
        seen.push(key);
        return;
    }
    let place = within
        .map(|group| format!(" in `{group}`"))
        .unwrap_or_default();
    let fix = match key {
        // A token has one issuer, a request one credential, a login one `acr`: only `any`.
        Once::Claim(
            ClaimKind::Acr | ClaimKind::Credentials | ClaimKind::Issuer | ClaimKind::Actor,
        ) => {
            format!("list the values once: `{name} = any(\"a\", \"b\")`")
        }
        Once::Claim(_) if within.is_some() => {
            format!("combine the values: `{name} = all(\"a\", \"b\")`")
        }
        Once::Claim(_) => format!(
            "combine the values in one list: `{name} = all(\"a\", \"b\")` (all required) or `{name} = any(\"a\", \"b\")` (one is enough)"
        ),
        Once::MaxAge => {
            "give one maximum age, the shortest that applies: `max_age = 60`".to_owned()
        }
        Once::Dpop => "give it once".to_owned(),
    };
    cx.error_at(span, format!("duplicate key `{name}`{place}; {fix}"));
}

fn claim_kind(key: ClaimKey) -> ClaimKind {
    match key {
        ClaimKey::Scopes(_) => ClaimKind::Scopes,
        ClaimKey::Roles(_) => ClaimKind::Roles,
        ClaimKey::Permissions(_) => ClaimKind::Permissions,
        ClaimKey::Acr(_) => ClaimKind::Acr,
        ClaimKey::Credentials(_) => ClaimKind::Credentials,
        ClaimKey::Issuer(_) => ClaimKind::Issuer,
        ClaimKey::Actor(_) => ClaimKind::Actor,
    }
}

fn mode(combinator: Combinator) -> Mode {
    match combinator {
        Combinator::Any(_) => Mode::Any,
        Combinator::All(_) => Mode::All,
    }
}

/// Turns clauses into rules, collecting the policy's one `owner(…)`.
struct Rules<'a, 'c> {
    cx: &'c Ctxt,
    owner: Option<OwnerArgs<'a>>,
}

impl<'a> Rules<'a, '_> {
    fn rule(&mut self, clause: &'a Clause) -> Rule {
        match clause {
            Clause::Claim(key, values) => self.claims(*key, values),
            Clause::MaxAge(_, seconds) => Rule::MaxAge(max_age(seconds, self.cx)),
            Clause::Dpop(_) => Rule::Dpop,
            Clause::Owner(kw, args) => {
                if self.owner.is_some() {
                    self.cx.error_at(
                        kw.span,
                        "a policy fetches one object: use a single `owner(…)` (combine it with other clauses through `any_of(…)`/`all_of(…)`)",
                    );
                } else {
                    self.owner = Some(OwnerArgs::check(kw, args, self.cx));
                }
                Rule::Owner
            }
            Clause::Group(key, clauses) => {
                if clauses.items.is_empty() && clauses.complete {
                    self.cx.error_at(
                        clauses.span,
                        format!("`{}()` is empty; list at least one clause", key.name()),
                    );
                }
                let mut claims = Vec::new();
                let mut rules = Vec::new();
                for clause in &clauses.items {
                    // In `any_of(…)`, the same key twice is an alternative, not a repetition.
                    if let GroupKey::AllOf(_) = key {
                        check_repeated(clause, &mut claims, Some("all_of(…)"), self.cx);
                    }
                    rules.push(self.rule(clause));
                }
                match key {
                    GroupKey::AnyOf(_) => Rule::AnyOf(rules),
                    GroupKey::AllOf(_) => Rule::AllOf(rules),
                }
            }
        }
    }

    fn claims(&self, key: ClaimKey, values: &Values) -> Rule {
        let kind = claim_kind(key);
        if let Values::None(none) = values {
            if kind == ClaimKind::Actor {
                return Rule::NoActor;
            }
            let key = key.name();
            self.cx.error_at(
                none.span,
                format!("`none` is a value of `actor` only (`actor = none`: no delegated token); to require nothing of `{key}`, leave `{key}` out"),
            );
            return Rule::Authenticated;
        }
        if kind == ClaimKind::Credentials {
            let lits: &[syn::LitStr] = match values {
                Values::One(lit) => std::slice::from_ref(lit),
                Values::List(_, list) => &list.items,
                Values::None(_) => &[],
            };
            for lit in lits {
                let v = lit.value();
                if !CREDENTIAL_KINDS.contains(&v.as_str()) {
                    self.cx.error_at(
                        lit.span(),
                        format!("unknown kind of credential {v:?}; write \"token\" (an access token, Bearer or DPoP) or \"api_key\""),
                    );
                }
            }
        }
        if kind == ClaimKind::Issuer {
            let lits: &[syn::LitStr] = match values {
                Values::One(lit) => std::slice::from_ref(lit),
                Values::List(_, list) => &list.items,
                Values::None(_) => &[],
            };
            for lit in lits {
                let v = lit.value();
                if v.contains("://") {
                    self.cx.error_at(
                        lit.span(),
                        format!("name the issuer as the configuration trusts it, not by its URL {v:?}: `issuer = \"partner\"` for AXIOMS_TRUST=PARTNER (or `ConfigBuilder::trust(\"partner\", …)`); the primary issuer is `\"primary\"`, so one binary serves issuers whose URLs differ between staging and production"),
                    );
                } else if !is_issuer_name(&v) {
                    self.cx.error_at(
                        lit.span(),
                        format!("{v:?} cannot name a trusted issuer; names are lower-case letters, digits and `_`, as `AXIOMS_TRUST=PARTNER_A` trusts `\"partner_a\"`"),
                    );
                }
            }
        }
        if kind == ClaimKind::Scopes {
            let lits: &[syn::LitStr] = match values {
                Values::One(lit) => std::slice::from_ref(lit),
                Values::List(_, list) => &list.items,
                Values::None(_) => &[],
            };
            for lit in lits.iter().filter(|lit| lit.value() == "offline_access") {
                self.cx.error_at(
                    lit.span(),
                    "`offline_access` asks the authorization server for a refresh token; it grants nothing at a resource, and a client may not get it (OpenID Connect Core §11, MCP 2026-07-28): require the scopes of the resource itself",
                );
            }
        }
        let (combinator, list) = match values {
            Values::One(lit) => return Rule::Claims(kind, Mode::Any, vec![value(lit, self.cx)]),
            Values::List(combinator, list) => (*combinator, list),
            Values::None(_) => return Rule::NoActor,
        };
        let (name, key) = (combinator.name(), key.name());
        if list.items.is_empty() && list.complete {
            self.cx.error_at(
                list.span,
                format!("`{name}()` is empty; list at least one value, e.g. `{key} = {name}(\"a\")`, or remove `{key}`"),
            );
        }
        let mut values: Vec<String> = Vec::new();
        for lit in &list.items {
            let value = value(lit, self.cx);
            if values.contains(&value) {
                self.cx.error_at(
                    lit.span(),
                    format!("duplicate value {value:?} in `{name}(…)`; list each value once"),
                );
            } else {
                values.push(value);
            }
        }
        if let (ClaimKind::Acr, Combinator::All(all)) = (kind, combinator) {
            self.cx.error_at(
                all.span,
                "a token names one authentication context class: `acr = all(…)` could never hold; write `acr = any(…)` (one of them is enough)",
            );
        }
        if let (ClaimKind::Credentials, Combinator::All(all)) = (kind, combinator) {
            self.cx.error_at(
                all.span,
                "a request carries one credential: `credentials = all(…)` could never hold; write `credentials = any(…)`",
            );
        }
        if let (ClaimKind::Issuer, Combinator::All(all)) = (kind, combinator) {
            self.cx.error_at(
                all.span,
                "one issuer vouches for a token: `issuer = all(…)` could never hold; write `issuer = any(…)`",
            );
        }
        if let (ClaimKind::Actor, Combinator::All(all)) = (kind, combinator) {
            self.cx.error_at(
                all.span,
                "a delegated token has one current actor (its `act` claim; prior actors never count): `actor = all(…)` could never hold; write `actor = any(…)`",
            );
        }
        Rule::Claims(kind, mode(combinator), values)
    }
}

/// A trusted issuer's name: 1 to 64 lower-case ASCII letters, digits and `_` (what
/// `AXIOMS_TRUST=PARTNER_A` trusts as `partner_a`).
fn is_issuer_name(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The kinds of credential `credentials = …` can name.
const CREDENTIAL_KINDS: &[&str] = &["token", "api_key"];

/// The largest `max_age`: a day. A longer one is not a step-up requirement.
const MAX_AGE_LIMIT: u64 = 86_400;

/// `max_age = N`: a whole number of seconds, from 1 to a day.
fn max_age(seconds: &syn::LitInt, cx: &Ctxt) -> u64 {
    match seconds.base10_parse::<u64>() {
        Ok(secs) if seconds.suffix().is_empty() && (1..=MAX_AGE_LIMIT).contains(&secs) => secs,
        Ok(_) if !seconds.suffix().is_empty() => {
            cx.error_at(
                seconds.span(),
                format!(
                    "write the seconds without a suffix: `max_age = {}`",
                    seconds.base10_digits()
                ),
            );
            0
        }
        _ => {
            cx.error_at(
                seconds.span(),
                format!(
                    "`max_age` is the seconds since the user authenticated, from 1 to {MAX_AGE_LIMIT} (a day), e.g. `max_age = 300`"
                ),
            );
            0
        }
    }
}

/// A scope, role or permission: one word.
fn value(lit: &LitStr, cx: &Ctxt) -> String {
    let value = lit.value();
    if value.is_empty() {
        cx.error_at(lit.span(), "empty string: name a scope, role or permission");
    } else if value.contains(char::is_whitespace) {
        let words: Vec<String> = value.split_whitespace().map(|w| format!("{w:?}")).collect();
        let message = match words.as_slice() {
            [] => "blank value: name a scope, role or permission".to_owned(),
            [word] => format!("stray whitespace around the value: write {word}"),
            _ => format!(
                "values cannot contain spaces (a space separates scopes in a token); list them separately: `all({list})` (all required) or `any({list})` (one is enough)",
                list = words.join(", ")
            ),
        };
        cx.error_at(lit.span(), message);
    }
    value
}

/// What each HTTP method means in `safe_methods`, in the order errors list them.
const METHODS: &[(&str, Method)] = &[
    ("GET", Method::Safe(SafeMethod::Get)),
    ("HEAD", Method::Head),
    ("OPTIONS", Method::Safe(SafeMethod::Options)),
    ("POST", Method::Unsafe),
    ("PUT", Method::Unsafe),
    ("PATCH", Method::Unsafe),
    ("DELETE", Method::Unsafe),
    ("TRACE", Method::Safe(SafeMethod::Trace)),
    ("CONNECT", Method::Unsafe),
];

#[derive(Clone, Copy)]
enum Method {
    Safe(SafeMethod),
    /// Safe only with `GET`, whose handler answers it.
    Head,
    /// Changes state: never safe.
    Unsafe,
}

fn check_methods(list: &List<LitStr>, cx: &Ctxt) -> Vec<SafeMethod> {
    let mut methods = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut head = None;
    let mut clean = list.complete;
    for lit in &list.items {
        let name = lit.value();
        let Some((_, method)) = METHODS.iter().find(|(known, _)| *known == name) else {
            let hint = METHODS
                .iter()
                .find(|(known, _)| known.eq_ignore_ascii_case(&name))
                .map(|(known, _)| format!("; methods are upper case: \"{known}\""))
                .unwrap_or_else(|| {
                    let all: Vec<&str> = METHODS.iter().map(|(known, _)| *known).collect();
                    format!("; expected one of {}", all.join(", "))
                });
            cx.error_at(lit.span(), format!("{name:?} is not an HTTP method{hint}"));
            clean = false;
            continue;
        };
        if seen.contains(&name) {
            cx.error_at(
                lit.span(),
                format!("duplicate method {name:?}; list each method once"),
            );
            continue;
        }
        seen.push(name);
        match method {
            Method::Safe(method) => methods.push(*method),
            Method::Head => head = Some(lit),
            Method::Unsafe => {
                cx.error_at(
                    lit.span(),
                    format!("{:?} changes state, so it can never skip authentication; safe methods are \"GET\", \"HEAD\", \"OPTIONS\" and \"TRACE\"", lit.value()),
                );
                clean = false;
            }
        }
    }
    if let Some(head) = head
        && clean
        && !methods.contains(&SafeMethod::Get)
    {
        cx.error_at(
            head.span(),
            "\"HEAD\" without \"GET\" would run the GET handler (which answers HEAD in axum) for anonymous callers while GET needs a token: list \"GET\" too (it makes HEAD safe as well), or neither",
        );
    }
    methods
}

/// The arguments of the policy's `owner(…)`, checked; the state type comes last.
struct OwnerArgs<'a> {
    kw: &'a kw::owner,
    fetch: Option<&'a Path>,
    field: Option<Member>,
    claim: Option<String>,
    mismatch: Mismatch,
}

impl<'a> OwnerArgs<'a> {
    fn check(kw: &'a kw::owner, args: &'a List<OwnerArg>, cx: &Ctxt) -> Self {
        let mut owner = OwnerArgs {
            kw,
            fetch: None,
            field: None,
            claim: None,
            mismatch: Mismatch::Forbidden,
        };
        for (i, arg) in args.items.iter().enumerate() {
            let earlier = args.items.iter().take(i);
            if earlier
                .into_iter()
                .any(|a| discriminant(&a.key) == discriminant(&arg.key))
            {
                cx.error_at(
                    arg.key.span(),
                    format!(
                        "duplicate argument `{}` in `owner(…)`; give it once",
                        arg.key.name()
                    ),
                );
                continue;
            }
            match &arg.value {
                Some(OwnerValue::Fetch(path)) => owner.fetch = Some(path),
                Some(OwnerValue::Field(lit)) => owner.field = field(lit, cx),
                Some(OwnerValue::Claim(lit)) if lit.value().is_empty() => cx.error_at(
                    lit.span(),
                    "empty claim name: `claim` names the token claim that holds the caller's id, e.g. `claim = \"sub\"` (the default)",
                ),
                Some(OwnerValue::Claim(lit)) => owner.claim = Some(lit.value()),
                Some(OwnerValue::Mismatch(lit)) => match lit.base10_digits() {
                    "403" => owner.mismatch = Mismatch::Forbidden,
                    "404" => owner.mismatch = Mismatch::NotFound,
                    _ => cx.error_at(
                        lit.span(),
                        "`mismatch` is 403 (the default: forbidden) or 404 (hide that the object exists)",
                    ),
                },
                // Reported when parsed.
                None => {}
            }
        }
        if !args
            .items
            .iter()
            .any(|arg| matches!(arg.key, OwnerKey::Fetch(_)))
        {
            cx.error_at(
                kw.span,
                "`owner(…)` needs `fetch = your_fetch_fn`: an async fn that loads the object from the request's extractors",
            );
        }
        owner
    }

    /// The owner, with the state type its fetch function extracts from.
    fn resolve(self, state: Option<&'a Type>, missing: &str, cx: &Ctxt) -> Option<Owner<'a>> {
        let Some(state) = state else {
            cx.error_at(self.kw.span, missing);
            return None;
        };
        Some(Owner {
            fetch: self.fetch?,
            field: self
                .field
                .unwrap_or_else(|| Member::Named(Ident::new("user", self.kw.span))),
            claim: self.claim.unwrap_or_else(|| "sub".to_owned()),
            mismatch: self.mismatch,
            state,
            owned: Vec::new(),
        })
    }
}

/// `field = "created_by"` (or `"0"` for a tuple struct), spanned at the string.
fn field(lit: &LitStr, cx: &Ctxt) -> Option<Member> {
    match syn::parse_str::<Member>(&lit.value()) {
        Ok(Member::Named(mut ident)) => {
            ident.set_span(lit.span());
            Some(Member::Named(ident))
        }
        Ok(Member::Unnamed(mut index)) => {
            index.span = lit.span();
            Some(Member::Unnamed(index))
        }
        Err(_) => {
            cx.error_at(
                lit.span(),
                format!(
                    "{:?} is not a field name: `field` names the owner field of the fetched type, e.g. `field = \"created_by\"` (or `field = \"0\"` for a tuple struct)",
                    lit.value()
                ),
            );
            None
        }
    }
}

/// The handler's `Owned<T>` arguments (by the type's last path segment, as written), each with
/// its `T`.
fn owned_arguments(function: &ItemFn) -> Vec<(&Type, &Type)> {
    function
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(typed) => Some(&*typed.ty),
            FnArg::Receiver(_) => None,
        })
        .filter_map(|ty| {
            let Type::Path(path) = ty else { return None };
            let segment = path.path.segments.last()?;
            let PathArguments::AngleBracketed(generics) = &segment.arguments else {
                return None;
            };
            match generics.args.iter().collect::<Vec<_>>().as_slice() {
                [GenericArgument::Type(object)] if segment.ident == "Owned" => Some((ty, object)),
                _ => None,
            }
        })
        .collect()
}

/// Whether `function` looks like a tonic service method: it returns `Result<…, Status>`.
fn returns_grpc_status(function: &ItemFn) -> bool {
    let syn::ReturnType::Type(_, ty) = &function.sig.output else {
        return false;
    };
    let syn::Type::Path(path) = &**ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return false;
    };
    last.ident == "Result"
        && args.args.iter().nth(1).is_some_and(|error| {
            matches!(error, syn::GenericArgument::Type(syn::Type::Path(p))
                if p.path.segments.last().is_some_and(|s| s.ident == "Status"))
        })
}

/// Whether `function` looks like an rmcp tool or prompt: `#[tool]`/`#[prompt]` on it, or a
/// `Result<CallToolResult | GetPromptResult | GetPromptResponse, …>`.
fn is_mcp_operation(function: &ItemFn) -> bool {
    let marked = function.attrs.iter().any(|attr| {
        attr.path()
            .segments
            .last()
            .is_some_and(|s| s.ident == "tool" || s.ident == "prompt")
    });
    let syn::ReturnType::Type(_, ty) = &function.sig.output else {
        return marked;
    };
    let returns = matches!(&**ty, syn::Type::Path(path) if path.path.segments.last().is_some_and(|last| {
        matches!(&last.arguments, syn::PathArguments::AngleBracketed(args)
            if args.args.first().is_some_and(|ok| matches!(ok, syn::GenericArgument::Type(syn::Type::Path(p))
                if p.path.segments.last().is_some_and(|s| {
                    ["CallToolResult", "GetPromptResult", "GetPromptResponse"].iter().any(|name| s.ident == name)
                }))))
    }));
    marked || returns
}

fn check_function(function: &ItemFn, cx: &Ctxt) {
    if function.sig.asyncness.is_none() {
        cx.error_at(
            function.sig.fn_token.span,
            "`#[protected]` requires an `async fn`: axum handlers are async (write `async fn`)",
        );
    }
    if let Some(FnArg::Receiver(receiver)) = function.sig.inputs.first() {
        let message = if is_mcp_operation(function) {
            "`#[protected]` on an rmcp tool or prompt needs `#[axioms::mcp::policies]` on its `impl`, above `#[tool_router]` (or `#[prompt_router]`): it turns each `#[protected(…)]` into the tool's policy for `McpLayer`"
        } else if returns_grpc_status(function) {
            "`#[protected]` guards axum handlers, not the methods of a tonic service: name this method's policy in `axioms::grpc::GrpcMethods` (`.method::<YourPolicy>(\"/package.Service/Method\")`, with `axioms::policy!(YourPolicy: …)`), and put `GrpcLayer` on the server"
        } else {
            "`#[protected]` cannot be used on a method with `self`: axum handlers are free functions (move it out of the `impl`, or take the value through `State`)"
        };
        cx.error_spanned_by(receiver, message);
    }
    for attr in &function.attrs {
        if let Some(security) = utoipa_path(attr).and_then(|tokens| top_level(&tokens, "security"))
        {
            cx.error_at(
                security.span(),
                "`#[protected]` writes this operation's `security` from its policy (with `axioms::openapi::SecurityDoc`): remove `security(…)` here, so that the policy is stated once and the document cannot drift from it",
            );
        }
        if attr
            .path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "protected")
        {
            cx.error_spanned_by(
                attr,
                "a handler takes one `#[protected]`: combine the policies in one attribute — `#[protected(a, b)]` requires both, `#[protected(any_of(a, b))]` either",
            );
        }
    }
}

/// The arguments of a `#[utoipa::path(…)]` attribute.
fn utoipa_path(attr: &syn::Attribute) -> Option<proc_macro2::TokenStream> {
    let segments: Vec<String> = attr
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if segments != ["utoipa", "path"] {
        return None;
    }
    match &attr.meta {
        syn::Meta::List(list) => Some(list.tokens.clone()),
        _ => None,
    }
}

/// The identifier `name` at the top level of an attribute's arguments.
fn top_level(tokens: &proc_macro2::TokenStream, name: &str) -> Option<proc_macro2::Ident> {
    tokens.clone().into_iter().find_map(|tt| match tt {
        proc_macro2::TokenTree::Ident(ident) if ident == name => Some(ident),
        _ => None,
    })
}

/// The `operation_id = "…"` of a `#[utoipa::path]` below `#[protected]`: the name the
/// OpenAPI document knows the handler by, registered beside the function's own.
pub(crate) fn operation_id(function: &ItemFn) -> Option<String> {
    function
        .attrs
        .iter()
        .filter_map(utoipa_path)
        .find_map(|tokens| {
            let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
            tokens.windows(3).find_map(|w| match w {
                [
                    proc_macro2::TokenTree::Ident(key),
                    proc_macro2::TokenTree::Punct(eq),
                    proc_macro2::TokenTree::Literal(lit),
                ] if key == "operation_id" && eq.as_char() == '=' => {
                    match syn::parse_str::<syn::LitStr>(&lit.to_string()) {
                        Ok(lit) => Some(lit.value()),
                        Err(_) => None,
                    }
                }
                _ => None,
            })
        })
}

/// The `T` of the handler's `State<T>` argument.
fn state_of(function: &ItemFn) -> Option<&Type> {
    function.sig.inputs.iter().find_map(|arg| {
        let FnArg::Typed(arg) = arg else { return None };
        let Type::Path(path) = &*arg.ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first()? {
            GenericArgument::Type(ty) if last.ident == "State" && args.args.len() == 1 => Some(ty),
            _ => None,
        }
    })
}
