//! Expansion: constant rule data, one hidden policy type, and the guard argument.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{FnArg, Ident, ItemFn, Member, Type, Visibility};

use super::ast::{Clause, Owner, PolicyAst};
use crate::paths;

/// The `Rule` expression of the whole policy.
fn rule(ast: &PolicyAst) -> TokenStream {
    let rule = paths::rule();
    if ast.clauses.is_empty() {
        return quote!(#rule::Authenticated);
    }
    let clauses = ast.clauses.iter().map(clause);
    quote!(#rule::AllOf(&[#(#clauses),*]))
}

fn clause(c: &Clause) -> TokenStream {
    let rule = paths::rule();
    let mode = paths::mode();
    match c {
        Clause::Claim { kind, values, .. } => {
            let variant = Ident::new(kind.variant(), Span::call_site());
            let m = if values.any {
                quote!(#mode::Any)
            } else {
                quote!(#mode::All)
            };
            let list = &values.list;
            quote!(#rule::#variant(#m, &[#(#list),*]))
        }
        Clause::Owner(_) => quote!(#rule::Owner),
        Clause::Group { any, clauses, .. } => {
            let inner = clauses.iter().map(clause);
            if *any {
                quote!(#rule::AnyOf(&[#(#inner),*]))
            } else {
                quote!(#rule::AllOf(&[#(#inner),*]))
            }
        }
    }
}

fn owner_of(ast: &PolicyAst) -> Option<&Owner> {
    let mut owners = Vec::new();
    for c in &ast.clauses {
        c.owners(&mut owners);
    }
    owners.into_iter().next()
}

/// `SafeMethods` constant of the listed methods (`HEAD` is part of `GET`).
fn safe_methods(methods: &[syn::LitStr]) -> TokenStream {
    let safe = paths::safe_methods();
    let mut set = quote!(#safe::NONE);
    for name in ["GET", "OPTIONS", "TRACE"] {
        if methods.iter().any(|m| m.value() == name) {
            let ident = Ident::new(name, Span::call_site());
            set = quote!(#set.union(#safe::#ident));
        }
    }
    set
}

/// The policy type's definition and its `Policy` impl.
pub(crate) fn policy_item(
    ast: &PolicyAst,
    vis: &Visibility,
    name: &Ident,
    state: Option<&Type>,
    doc: &str,
) -> TokenStream {
    let policy = paths::policy();
    let private = paths::private();
    let rule = rule(ast);
    let safe = ast.safe_methods.as_ref().map(|(_, methods)| {
        let set = safe_methods(methods);
        let safe = paths::safe_methods();
        quote!(const SAFE_METHODS: ::core::option::Option<#safe> = ::core::option::Option::Some(#set);)
    });
    let owner = owner_of(ast).zip(state);
    let (bounds, owner_items) = match owner {
        None => (TokenStream::new(), TokenStream::new()),
        Some((owner, state)) => {
            let mismatch = owner
                .mismatch
                .as_ref()
                .is_some_and(|m| m.base10_digits() == "404")
                .then(|| {
                    let mismatch = paths::mismatch();
                    quote!(
                        const MISMATCH: #mismatch = #mismatch::NotFound;
                    )
                });
            let fetch = owner
                .fetch
                .as_ref()
                .map_or_else(|| quote!(::core::unimplemented!()), |f| quote!(#f));
            let fetch_span = owner
                .fetch
                .as_ref()
                .map_or(owner.span(), syn::spanned::Spanned::span);
            let (field, field_span) = match &owner.field {
                Some(lit) => (member(&lit.value(), lit.span()), lit.span()),
                None => (member("user", owner.span()), owner.span()),
            };
            let claim = owner
                .claim
                .as_ref()
                .map_or_else(|| "sub".to_owned(), syn::LitStr::value);
            let check_owner = paths::check_owner_at(fetch_span);
            let access = quote_spanned!(field_span=> |object| -> &dyn ::axioms::policy::OwnerValue { &object.#field });
            let call = quote_spanned!(fetch_span=>
                #check_owner::<#state, S, _, _, _>(#fetch, #access, #claim, parts, state, claims)
            );
            (
                quote!(#state: #private::FromRef<S>,),
                quote_spanned! {fetch_span=>
                    #mismatch
                    fn check_owner(
                        parts: &mut #private::Parts,
                        state: &S,
                        claims: &#private::Claims,
                    ) -> impl ::core::future::Future<
                        Output = ::core::result::Result<bool, #private::Response>,
                    > + ::core::marker::Send {
                        #call
                    }
                },
            )
        }
    };
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #name;

        #[automatically_derived]
        impl<S> #policy<S> for #name
        where
            S: ::core::marker::Send + ::core::marker::Sync,
            #bounds
        {
            const RULE: #private::Rule = #rule;
            #safe
            #owner_items
        }
    }
}

/// For a named policy without `owner(…)`: the marker that lets it be a router layer.
pub(crate) fn layer_marker(ast: &PolicyAst, name: &Ident) -> TokenStream {
    if owner_of(ast).is_some() {
        return TokenStream::new();
    }
    let private = paths::private();
    quote! {
        #[automatically_derived]
        impl #private::LayerPolicy for #name {}
    }
}

fn member(name: &str, span: Span) -> Member {
    match name.parse::<u32>() {
        Ok(index) => Member::Unnamed(syn::Index { index, span }),
        Err(_) => Member::Named(Ident::new(name, span)),
    }
}

/// `#[protected]`: the policy item (unless a named policy is used) and the handler with its
/// guard argument first.
pub(crate) fn handler(ast: &PolicyAst, mut item: ItemFn, state: Option<&Type>) -> TokenStream {
    let guard = paths::guard();
    let (policy_item, policy_ty) = match &ast.policy {
        Some((_, path)) => (TokenStream::new(), quote!(#path)),
        None => {
            let name = format_ident!("__axioms_policy_{}", item.sig.ident);
            let doc = format!(" The `#[protected]` policy of `{}`.", item.sig.ident);
            let hidden_vis = item.vis.clone();
            let def = policy_item(ast, &hidden_vis, &name, state, &doc);
            (quote!(#[doc(hidden)] #def), quote!(#name))
        }
    };
    let arg: FnArg = syn::parse_quote!(__axioms_guard: #guard<#policy_ty>);
    item.sig.inputs.insert(0, arg);
    quote! {
        #policy_item
        #item
    }
}
