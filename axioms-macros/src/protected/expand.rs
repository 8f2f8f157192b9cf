//! Expansion: transcribes the model into constant data, one hidden policy type and the guard
//! argument. Nothing is decided here; every path named comes from `paths`.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use super::ast::Named;
use super::model::{ClaimKind, Handler, Mismatch, Owner, Policy, Rule, SafeMethod};
use crate::paths;

/// `#[protected]`: the hidden policy type (unless the attribute names one) and the handler with
/// the guard as its first argument, so that the policy runs before any other extractor.
pub(crate) fn handler(
    handler: &Handler<'_>,
    function: &ItemFn,
    operation_id: Option<&str>,
) -> TokenStream {
    let mut function = function.clone();
    let (policy, name) = match handler {
        Handler::Named(path, owned) => {
            // The handler uses a named policy: say which, under the handler's name (and the
            // OpenAPI operation id given to `#[utoipa::path]` below, if any).
            let (submit, registered) = (paths::submit(), paths::registered());
            let policy_name = path
                .segments
                .last()
                .map(|segment| segment.ident.to_string())
                .unwrap_or_default();
            let handler_name = function.sig.ident.to_string();
            let names = std::iter::once(handler_name).chain(operation_id.map(str::to_owned));
            let mut registration = quote! {
                #( #submit! { #registered::uses(#names, #policy_name) } )*
            };
            registration.extend(policy_fetches(path, owned));
            (registration, quote!(#path))
        }
        Handler::Inline(policy) => {
            let name = format_ident!("__axioms_policy_{}", function.sig.ident);
            let vis = &function.vis;
            let mut policy = policy_impl(policy, &name);
            if let Some(id) = operation_id {
                policy.extend(register_as(&name, id, &policy_state(handler)));
            }
            let item = quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                #vis struct #name;
                #policy
            };
            (item, quote!(#name))
        }
    };
    let guard = paths::guard();
    function
        .sig
        .inputs
        .insert(0, syn::parse_quote!(__axioms_guard: #guard<#name>));
    quote!(#policy #function)
}

/// `policy!`: the named type, its `Policy` impl, and `LayerPolicy` unless it needs a handler's
/// object.
pub(crate) fn named(named: &Named, policy: &Policy<'_>) -> TokenStream {
    let Named {
        attrs, vis, name, ..
    } = named;
    let doc = (!attrs.iter().any(|attr| attr.path().is_ident("doc"))).then(|| {
        // What the clauses say: the top-level `all_of` is the attribute's own list.
        let clauses = match &policy.rule {
            Rule::AllOf(rules) => rules
                .iter()
                .map(Rule::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            rule => rule.to_string(),
        };
        let doc = format!(" The named policy `{name}`: `{clauses}`.");
        quote!(#[doc = #doc])
    });
    let policy_impl = policy_impl(policy, name);
    let layer = policy.owner.is_none().then(|| {
        let layer_policy = paths::layer_policy();
        quote! {
            #[automatically_derived]
            impl #layer_policy for #name {}
        }
    });
    let fetches = policy.owner.is_some().then(|| {
        let fetches_object = paths::fetches_object();
        quote! {
            #[automatically_derived]
            impl #fetches_object for #name {}
        }
    });
    quote! {
        #(#attrs)*
        #doc
        #vis struct #name;
        #policy_impl
        #layer
        #fetches
    }
}

/// A `policy!` with mistakes still defines its name, with a rule that denies every request, so
/// that only the mistakes are reported and not also every use of the name.
pub(crate) fn denying(named: &Named) -> TokenStream {
    let deny_all = Policy {
        rule: Rule::AnyOf(Vec::new()),
        safe_methods: None,
        owner: None,
    };
    let mut tokens = self::named(named, &deny_all);
    // Nor an error at every `Owned<…>` of a handler that uses it.
    let (name, fetches_object) = (&named.name, paths::fetches_object());
    tokens.extend(quote! {
        #[automatically_derived]
        impl #fetches_object for #name {}
    });
    tokens
}

/// For a handler that takes `Owned<…>` under `policy = Name`: a call that compiles only if the
/// named policy fetches an object, spanned at the argument.
fn policy_fetches(path: &syn::Path, owned: &[&syn::Type]) -> TokenStream {
    let Some(first) = owned.first() else {
        return TokenStream::new();
    };
    let policy_fetches = paths::policy_fetches();
    let check = at(first.span(), quote!(#policy_fetches::<#path>));
    quote!(const _: fn() = #check;)
}

/// The state type a handler's policy is implemented for (its owner's, or any).
fn policy_state(handler: &Handler<'_>) -> TokenStream {
    match handler {
        Handler::Inline(Policy {
            owner: Some(owner), ..
        }) => {
            let state = owner.state;
            quote!(#state)
        }
        _ => quote!(()),
    }
}

/// Registers a handler's policy under an OpenAPI operation id as well.
fn register_as(name: &Ident, id: &str, state: &TokenStream) -> TokenStream {
    let (submit, registered, policy_trait) =
        (paths::submit(), paths::registered(), paths::policy());
    let policy = quote!(<#name as #policy_trait<#state>>);
    quote! {
        #submit! { #registered::handler(#id, &#policy::RULE, #policy::SAFE_METHODS) }
    }
}

/// Registers the rule with the runtime (under a state type the policy is implemented for), so
/// that the resource metadata lists every scope the binary's policies name and the OpenAPI
/// document states each handler's requirement.
fn register(name: &Ident, state: &TokenStream) -> TokenStream {
    let (submit, registered, policy_trait) =
        (paths::submit(), paths::registered(), paths::policy());
    let label = runtime_name(name);
    let constructor = if name.to_string().starts_with("__axioms_policy_") {
        quote!(handler)
    } else {
        quote!(named)
    };
    let policy = quote!(<#name as #policy_trait<#state>>);
    quote! {
        #submit! {
            #registered::#constructor(#label, &#policy::RULE, #policy::SAFE_METHODS)
        }
    }
}

/// The policy's name at run time: the handler's (`#[protected]`) or the named policy's.
/// The policy's name at run time (what `AXIOMS_<ISSUER>_TRUSTED_FOR` lists): a handler's
/// or an MCP tool's or prompt's method name, or the named policy's.
fn runtime_name(name: &Ident) -> String {
    let label = name.to_string();
    if let Some(handler) = label.strip_prefix("__axioms_policy_") {
        return handler.to_owned();
    }
    // `__axioms_mcp_<Type>__<method>`: the type keeps the servers of one module apart.
    match label
        .strip_prefix("__axioms_mcp_")
        .and_then(|rest| rest.split_once("__"))
    {
        Some((_, method)) => method.to_owned(),
        None => label,
    }
}

fn policy_impl(policy: &Policy<'_>, name: &Ident) -> TokenStream {
    let (policy_trait, rule_type) = (paths::policy(), paths::rule());
    let rule = transcribe(&policy.rule);
    let label = runtime_name(name);
    let safe_methods = policy.safe_methods.as_deref().map(|methods| {
        let (option, safe_methods) = (paths::option(), paths::safe_methods());
        let set = safe_method_set(methods);
        quote!(const SAFE_METHODS: #option<#safe_methods> = #option::Some(#set);)
    });
    let Some(owner) = &policy.owner else {
        let registration = register(name, &quote!(()));
        return quote! {
            #[automatically_derived]
            impl<__S> #policy_trait<__S> for #name {
                const NAME: &'static str = #label;
                const RULE: #rule_type = #rule;
                #safe_methods
            }
            #registration
        };
    };
    let (send, sync, from_ref, state) =
        (paths::send(), paths::sync(), paths::from_ref(), owner.state);
    let mismatch = (owner.mismatch == Mismatch::NotFound).then(|| {
        let (mismatch, value) = (paths::mismatch(), paths::mismatch_value(owner.mismatch));
        quote!(const MISMATCH: #mismatch = #value;)
    });
    let check_owner = check_owner(owner);
    let owned = owned_is_fetched(owner);
    let registration = register(name, &quote!(#state));
    quote! {
        #[automatically_derived]
        impl<__S> #policy_trait<__S> for #name
        where
            __S: #send + #sync,
            #state: #from_ref<__S>,
        {
            const NAME: &'static str = #label;
            const RULE: #rule_type = #rule;
            #safe_methods
            #mismatch
            #check_owner
        }
        #owned
        #registration
    }
}

/// For each `Owned<T>` argument of the handler, a call that compiles only if `T` is the object
/// the fetch function returns; spanned at `T`, so that the error (the unmet `IsFetched` bound,
/// whose message says what to write) points at the argument.
fn owned_is_fetched(owner: &Owner<'_>) -> TokenStream {
    if owner.owned.is_empty() {
        return TokenStream::new();
    }
    let (object_of, is_fetched, state, fetch) = (
        paths::object_of(),
        paths::is_fetched(),
        owner.state,
        owner.fetch,
    );
    let checks = owner.owned.iter().map(|object| {
        let call = quote!(#is_fetched::<#object, _>(#object_of::<#state, _, _>(#fetch)););
        at(object.span(), call)
    });
    quote! {
        const _: () = {
            #[allow(dead_code)]
            fn __axioms_owned_is_fetched() {
                #(#checks)*
            }
        };
    }
}

fn transcribe(rule: &Rule) -> TokenStream {
    match rule {
        Rule::Authenticated => paths::rule_authenticated(),
        Rule::Owner => paths::rule_owner(),
        Rule::Dpop => paths::rule_dpop(),
        Rule::NoActor => paths::rule_no_actor(),
        Rule::MaxAge(secs) => {
            let variant = paths::rule_max_age();
            quote!(#variant(#secs))
        }
        Rule::Claims(ClaimKind::Acr, _, values) => {
            let variant = paths::rule_acr();
            quote!(#variant(&[#(#values),*]))
        }
        Rule::Claims(ClaimKind::Issuer, _, values) => {
            let variant = paths::rule_issuer();
            quote!(#variant(&[#(#values),*]))
        }
        Rule::Claims(ClaimKind::Actor, _, values) => {
            let variant = paths::rule_actor();
            quote!(#variant(&[#(#values),*]))
        }
        Rule::Claims(ClaimKind::Credentials, _, values) => {
            let variant = paths::rule_credentials();
            let kinds = values.iter().map(|v| match v.as_str() {
                "api_key" => paths::credential_api_key(),
                _ => paths::credential_token(),
            });
            quote!(#variant(&[#(#kinds),*]))
        }
        Rule::Claims(kind, mode, values) => {
            let (variant, mode) = (paths::rule_claims(*kind), paths::mode(*mode));
            quote!(#variant(#mode, &[#(#values),*]))
        }
        Rule::AllOf(rules) => {
            let (variant, rules) = (paths::rule_all_of(), rules.iter().map(transcribe));
            quote!(#variant(&[#(#rules),*]))
        }
        Rule::AnyOf(rules) => {
            let (variant, rules) = (paths::rule_any_of(), rules.iter().map(transcribe));
            quote!(#variant(&[#(#rules),*]))
        }
    }
}

fn safe_method_set(methods: &[SafeMethod]) -> TokenStream {
    let mut methods = methods.iter().map(|method| paths::safe_method(*method));
    match methods.next() {
        None => paths::safe_methods_none(),
        Some(first) => quote!(#first #(.union(#methods))*),
    }
}

/// The ownership check: one runtime call. The signature is spanned at the user's `fetch = …`,
/// so that rustc's errors about the fetch function land there (once); the field access, and
/// its coercion to `&dyn OwnerValue`, at the field, so that errors about the field land there.
fn check_owner(owner: &Owner<'_>) -> TokenStream {
    let Owner {
        fetch,
        field,
        claim,
        state,
        ..
    } = owner;
    let (fetch_span, field_span) = (fetch.span(), field.span());
    // Parameter names that the user's fetch path cannot see (a fetch function may be named
    // `state`). The closure's needs no hygiene: only a field name is written inside it.
    let [parts, router_state, claims] =
        ["parts", "state", "claims"].map(|name| Ident::new(name, Span::mixed_site()));
    let object = Ident::new("object", field_span);
    let (parts_type, claims_type) = (paths::parts(), paths::claims());
    let output = at(fetch_span, {
        let (future, result, response, send) = (
            paths::future(),
            paths::result(),
            paths::response(),
            paths::send(),
        );
        quote!(impl #future<Output = #result<bool, #response>> + #send)
    });
    let check_owner = at(fetch_span, paths::check_owner());
    let owner_value = at(field_span, paths::owner_value());
    let field_of = quote_spanned!(field_span=> |#object| -> &dyn #owner_value { &#object.#field });
    quote_spanned! {fetch_span=>
        fn check_owner(
            #parts: &mut #parts_type,
            #router_state: &__S,
            #claims: &#claims_type,
        ) -> #output {
            #check_owner::<#state, __S, _, _, _>(#fetch, #field_of, #claim, #parts, #router_state, #claims)
        }
    }
}

/// `tokens` spanned at `span`, so that rustc's errors about them are reported there.
fn at(span: Span, tokens: TokenStream) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), at(span, group.stream()));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
