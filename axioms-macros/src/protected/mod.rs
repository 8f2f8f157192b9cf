//! `#[protected(...)]` and `policy!(...)`: parse → validate → expand.

mod ast;
mod expand;
mod parse;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::errors::Errors;

/// Expands `#[protected(attr)] item`.
pub(crate) fn expand_protected(attr: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(function) = syn::parse2::<ItemFn>(item.clone()) else {
        let err = syn::Error::new(
            proc_macro2::Span::call_site(),
            "`#[protected]` goes on an `async fn` handler",
        )
        .to_compile_error();
        return quote!(#err #item);
    };
    let mut errors = Errors::default();
    let ast = parse::parse_policy(attr, &mut errors);
    let state = validate::validate(&ast, &validate::Site::Handler(&function), &mut errors);
    match errors.finish() {
        Ok(()) => expand::handler(&ast, function, state.as_ref()),
        // Emit the function unchanged so the rest of the crate still compiles against it.
        Err(err) => {
            let err = err.to_compile_error();
            quote!(#err #item)
        }
    }
}

/// Expands `policy!(vis Name: clauses)`.
pub(crate) fn expand_policy(input: TokenStream) -> TokenStream {
    let (vis, name, clauses) = match parse::parse_named(input) {
        Ok(parts) => parts,
        Err(err) => return err.to_compile_error(),
    };
    let doc = format!(" The named policy `{name}`: `{clauses}`.");
    let mut errors = Errors::default();
    let ast = parse::parse_policy(clauses, &mut errors);
    let state = validate::validate(&ast, &validate::Site::Named, &mut errors);
    match errors.finish() {
        Ok(()) => {
            let item = expand::policy_item(&ast, &vis, &name, state.as_ref(), &doc);
            let marker = expand::layer_marker(&ast, &name);
            quote!(#item #marker)
        }
        Err(err) => {
            let err = err.to_compile_error();
            quote! {
                #err
                #vis struct #name;
            }
        }
    }
}
