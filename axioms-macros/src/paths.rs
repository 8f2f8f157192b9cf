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

pub(crate) fn safe_methods() -> TokenStream {
    quote!(::axioms::__private::SafeMethods)
}
pub(crate) fn mismatch() -> TokenStream {
    quote!(::axioms::__private::Mismatch)
}

/// `__private::check_owner`, spanned at the user's `fetch = …` so type errors land there.
pub(crate) fn check_owner_at(span: Span) -> TokenStream {
    quote_spanned!(span=> ::axioms::__private::check_owner)
}
