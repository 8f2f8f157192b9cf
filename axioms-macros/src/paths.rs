//! Every runtime path the expansion names, in one table.

use proc_macro2::TokenStream;
use quote::quote;

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
