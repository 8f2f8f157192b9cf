//! Expansion: constant rule data, one hidden policy type, and the guard argument.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
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

/// The policy type's definition and its `Policy` impl.
pub(crate) fn policy_item(
    ast: &PolicyAst,
    vis: &Visibility,
    name: &Ident,
    state: Option<&Type>,
    doc: &str,
    record_claims: bool,
) -> TokenStream {
    let policy = paths::policy();
    let private = paths::private();
    let rule = rule(ast);
    let safe = ast.safe_methods.as_ref().map(|(_, methods)| {
        quote!(const SAFE_METHODS: ::core::option::Option<&'static [&'static str]> = ::core::option::Option::Some(&[#(#methods),*]);)
    });
    let record = (!record_claims).then(|| {
        quote!(
            const RECORD_CLAIMS: bool = false;
        )
    });
    let owner = owner_of(ast).zip(state);
    let (bounds, owner_items) = match owner {
        None => (TokenStream::new(), TokenStream::new()),
        Some((owner, state)) => {
            let hide = owner
                .mismatch
                .as_ref()
                .is_some_and(|m| m.base10_digits() == "404")
                .then(|| {
                    quote!(
                        const HIDE_FORBIDDEN: bool = true;
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
            let fetch_fn = paths::fetch_at(fetch_span);
            let call = quote_spanned!(fetch_span=>
                #fetch_fn::<_, _, #state>(#fetch, parts, &state).await?
            );
            let access = quote_spanned!(field_span=> &object.#field);
            (
                quote!(#state: #private::FromRef<S>,),
                quote! {
                    const HAS_OWNER: bool = true;
                    #hide
                    async fn check_owner(
                        parts: &mut #private::Parts,
                        state: &S,
                        claims: &#private::Claims,
                    ) -> ::core::result::Result<bool, #private::Response> {
                        let state = <#state as #private::FromRef<S>>::from_ref(state);
                        let object = #call;
                        let owns = #private::owns(#access, claims, #claim);
                        #private::hand_over(parts, object);
                        ::core::result::Result::Ok(owns)
                    }
                },
            )
        }
    };
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #[derive(Debug, Clone, Copy)]
        #vis struct #name;

        #[automatically_derived]
        impl<S> #policy<S> for #name
        where
            S: ::core::marker::Send + ::core::marker::Sync,
            #bounds
        {
            const RULE: #private::Rule = #rule;
            #safe
            #record
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

/// Whether any argument's type names `Claims` (`Claims`, `Option<Claims>`, a path to it):
/// only then does the guard record the verified claims for a later extractor.
fn takes_claims(item: &ItemFn) -> bool {
    fn mentions(tokens: TokenStream) -> bool {
        tokens.into_iter().any(|tt| match tt {
            proc_macro2::TokenTree::Ident(id) => id == "Claims",
            proc_macro2::TokenTree::Group(g) => mentions(g.stream()),
            _ => false,
        })
    }
    item.sig.inputs.iter().any(|arg| match arg {
        FnArg::Typed(pat) => mentions(pat.ty.to_token_stream()),
        FnArg::Receiver(_) => false,
    })
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
            let def = policy_item(ast, &hidden_vis, &name, state, &doc, takes_claims(&item));
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
