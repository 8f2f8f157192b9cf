//! Every path the expansion names, in one table: the whole contract between generated code and
//! the runtime (`::axioms::__private`), and the few `::core` items it uses. All absolute, so
//! nothing the user has in scope can capture them.

use proc_macro2::TokenStream;
use quote::quote;

use crate::protected::model::{ClaimKind, Mismatch, Mode, SafeMethod};

macro_rules! paths {
    ($($name:ident: [$($path:tt)+])*) => {$(
        pub(crate) fn $name() -> TokenStream {
            quote!($($path)+)
        }
    )*};
}

paths! {
    policy: [::axioms::__private::Policy]
    mcp_policies: [::axioms::mcp::McpPolicies]
    layer_policy: [::axioms::__private::LayerPolicy]
    guard: [::axioms::__private::Guard]
    rule: [::axioms::__private::Rule]
    rule_authenticated: [::axioms::__private::Rule::Authenticated]
    rule_owner: [::axioms::__private::Rule::Owner]
    rule_acr: [::axioms::__private::Rule::Acr]
    rule_max_age: [::axioms::__private::Rule::MaxAge]
    rule_dpop: [::axioms::__private::Rule::Dpop]
    rule_credentials: [::axioms::__private::Rule::Credentials]
    rule_issuer: [::axioms::__private::Rule::Issuer]
    rule_actor: [::axioms::__private::Rule::Actor]
    rule_no_actor: [::axioms::__private::Rule::NoActor]
    credential_token: [::axioms::__private::Credential::Token]
    credential_api_key: [::axioms::__private::Credential::ApiKey]
    rule_all_of: [::axioms::__private::Rule::AllOf]
    rule_any_of: [::axioms::__private::Rule::AnyOf]
    safe_methods: [::axioms::__private::SafeMethods]
    safe_methods_none: [::axioms::__private::SafeMethods::NONE]
    mismatch: [::axioms::__private::Mismatch]
    // The ownership check in one call: state conversion, fetch, comparison, hand-over.
    check_owner: [::axioms::__private::check_owner]
    // `Owned<T>` in a handler: `T` must be the object its policy's fetch function returns.
    object_of: [::axioms::__private::object_of]
    is_fetched: [::axioms::__private::is_fetched]
    fetches_object: [::axioms::__private::FetchesObject]
    policy_fetches: [::axioms::__private::policy_fetches]
    submit: [::axioms::__private::inventory::submit]
    registered: [::axioms::__private::Registered]
    owner_value: [::axioms::policy::OwnerValue]
    from_ref: [::axioms::__private::FromRef]
    parts: [::axioms::__private::Parts]
    claims: [::axioms::__private::Claims]
    response: [::axioms::__private::Response]
    future: [::core::future::Future]
    result: [::core::result::Result]
    option: [::core::option::Option]
    send: [::core::marker::Send]
    sync: [::core::marker::Sync]
}

pub(crate) fn rule_claims(kind: ClaimKind) -> TokenStream {
    match kind {
        ClaimKind::Scopes => quote!(::axioms::__private::Rule::Scopes),
        ClaimKind::Roles => quote!(::axioms::__private::Rule::Roles),
        ClaimKind::Permissions => quote!(::axioms::__private::Rule::Permissions),
        // Transcribed by `expand` as `Rule::Acr(&[…])` (no mode); never reached.
        ClaimKind::Acr => quote!(::axioms::__private::Rule::Acr),
        // Transcribed by `expand` as `Rule::Credentials(&[…])`; never reached.
        ClaimKind::Credentials => quote!(::axioms::__private::Rule::Credentials),
        // Transcribed by `expand` as `Rule::Issuer(&[…])`; never reached.
        ClaimKind::Issuer => quote!(::axioms::__private::Rule::Issuer),
        // Transcribed by `expand` as `Rule::Actor(&[…])`; never reached.
        ClaimKind::Actor => quote!(::axioms::__private::Rule::Actor),
    }
}

pub(crate) fn mode(mode: Mode) -> TokenStream {
    match mode {
        Mode::Any => quote!(::axioms::__private::Mode::Any),
        Mode::All => quote!(::axioms::__private::Mode::All),
    }
}

pub(crate) fn safe_method(method: SafeMethod) -> TokenStream {
    match method {
        SafeMethod::Get => quote!(::axioms::__private::SafeMethods::GET),
        SafeMethod::Options => quote!(::axioms::__private::SafeMethods::OPTIONS),
        SafeMethod::Trace => quote!(::axioms::__private::SafeMethods::TRACE),
    }
}

pub(crate) fn mismatch_value(mismatch: Mismatch) -> TokenStream {
    match mismatch {
        Mismatch::Forbidden => quote!(::axioms::__private::Mismatch::Forbidden),
        Mismatch::NotFound => quote!(::axioms::__private::Mismatch::NotFound),
    }
}
