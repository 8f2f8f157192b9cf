//! The keywords of the grammar, each written once, and the sets of them accepted at each place.
//!
//! A set is an enum that keeps the keyword token (for its span) and parses with `lookahead1`,
//! so a word that fits nowhere gets syn's "expected one of …"; its `NAMES` feed "did you mean".

use proc_macro2::Span;
use syn::parse::{Lookahead1, Parse, ParseStream};

macro_rules! keywords {
    ($($kw:ident)*) => {$(
        syn::custom_keyword!($kw);

        impl $kw {
            pub(crate) const NAME: &'static str = stringify!($kw);
        }
    )*};
}

keywords! {
    scopes roles permissions acr credentials issuer actor max_age dpop owner any_of all_of
    safe_methods state policy
    fetch field claim mismatch
    any all
    required none
}

macro_rules! keys {
    ($(
        $(#[$doc:meta])*
        enum $set:ident { $($variant:ident($kw:ident)),+ $(,)? }
    )*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub(crate) enum $set {
            $($variant($kw)),+
        }

        impl $set {
            /// The keywords of this set, in the order errors list them.
            pub(crate) const NAMES: &'static [&'static str] = &[$($kw::NAME),+];

            /// Whether the next token is one of the set (recorded for the lookahead's error).
            pub(crate) fn peek(lookahead: &Lookahead1<'_>) -> bool {
                $(lookahead.peek($kw))||+
            }

            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $kw::NAME),+
                }
            }

            pub(crate) fn span(self) -> Span {
                match self {
                    $(Self::$variant(kw) => kw.span),+
                }
            }
        }

        impl Parse for $set {
            fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
                let lookahead = input.lookahead1();
                $(
                    if lookahead.peek($kw) {
                        return input.parse().map(Self::$variant);
                    }
                )+
                Err(lookahead.error())
            }
        }
    )*};
}

keys! {
    /// The key of a claim clause: `scopes = …`, `roles = …`, `permissions = …`, the
    /// step-up `acr = …` (RFC 9470), the kinds of credential, `credentials = …`, and the
    /// trusted issuers, `issuer = …`, and the actor of a delegated token, `actor = …`.
    enum ClaimKey {
        Scopes(scopes),
        Roles(roles),
        Permissions(permissions),
        Acr(acr),
        Credentials(credentials),
        Issuer(issuer),
        Actor(actor),
    }

    /// A clause over clauses: `any_of(…)`, `all_of(…)`.
    enum GroupKey {
        AnyOf(any_of),
        AllOf(all_of),
    }

    /// A key that applies to the whole policy, so only at the top level.
    enum SettingKey {
        SafeMethods(safe_methods),
        State(state),
        Policy(policy),
    }

    /// An argument of `owner(…)`.
    enum OwnerKey {
        Fetch(fetch),
        Field(field),
        Claim(claim),
        Mismatch(mismatch),
    }

    /// How the values of one key combine: `any(…)` or `all(…)`.
    enum Combinator {
        Any(any),
        All(all),
    }
}
