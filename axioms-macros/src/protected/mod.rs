//! `#[protected(…)]` and `policy!(…)`: parse → validate → expand.

mod ast;
mod expand;
mod kw;
pub(crate) mod model;
mod parse;
#[cfg(test)]
mod tests;
mod validate;

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ItemFn;

use crate::errors::Ctxt;

/// `#[protected(attr)] item`. With mistakes: the errors, and the function unchanged, so that
/// the rest of the crate (the `Router` naming the handler) still compiles against it.
pub(crate) fn protected(attr: TokenStream, item: TokenStream) -> TokenStream {
    let Ok(function) = syn::parse2::<ItemFn>(item.clone()) else {
        let err = syn::Error::new(
            Span::call_site(),
            "`#[protected]` goes on an `async fn` handler",
        )
        .into_compile_error();
        return quote!(#err #item);
    };
    let cx = Ctxt::new();
    let args = parse::args(attr, &cx);
    let handler = validate::handler(&args, &function, &cx);
    let tokens = match cx.check() {
        Ok(()) => expand::handler(
            &handler,
            &function,
            validate::operation_id(&function).as_deref(),
        ),
        Err(err) => {
            let err = err.into_compile_error();
            quote!(#err #item)
        }
    };
    debug("#[protected]", tokens)
}

/// `policy!(vis Name: args)`. With mistakes in the clauses: the errors, and the name defined
/// with a policy that denies, so that its uses add no errors of their own.
pub(crate) fn policy(input: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let named = parse::named(input, &cx);
    let policy = named.as_ref().map(|named| validate::named(named, &cx));
    let tokens = match (cx.check(), &named, &policy) {
        (Ok(()), Some(named), Some(policy)) => expand::named(named, policy),
        (result, named, _) => {
            let err = result.err().map(syn::Error::into_compile_error);
            let fallback = named.as_ref().map(expand::denying);
            quote!(#err #fallback)
        }
    };
    debug("policy!", tokens)
}

/// `AXIOMS_MACROS_DEBUG=1` prints every expansion while compiling; the expansion itself never
/// depends on it.
fn debug(which: &str, tokens: TokenStream) -> TokenStream {
    if std::env::var_os("AXIOMS_MACROS_DEBUG").is_some_and(|v| v != "0") {
        eprintln!("--- {which} expands to:\n{tokens}\n---");
    }
    tokens
}
