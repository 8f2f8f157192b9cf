//! Every runtime path the expansion names, in one table.

use proc_macro2::Span;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub(crate) fn private() -> TokenStream {
    quote!(::axioms::__private)
}
pub(crate) fn guard() -> TokenStream {
    quote!(::axioms::__private::Guard)
}
pub(crate) fn policy() -> TokenStream {
    quote!(::axioms::__private::Policy)
}
pub(crate) fn rule() -> TokenStream {
    quote!(::axioms::__private::Rule)
}
pub(crate) fn mode() -> TokenStream {
    quote!(::axioms::__private::Mode)
}

/// `__private::fetch`, spanned at the user's `fetch = …` so type errors land there alone.
pub(crate) fn fetch_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::axioms::__private::fetch)
}
