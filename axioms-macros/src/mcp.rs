//! `#[axioms::mcp::policies]`: the policies of an rmcp server's `#[tool]` and `#[prompt]`
//! methods, written on each method as `#[protected(…)]` with the grammar of handlers, and
//! collected into one function that returns the `McpPolicies`.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, Ident, ImplItem, ItemImpl, Lit, LitStr, Meta, Path, Token};

use crate::errors::Ctxt;
use crate::paths;

/// What kind of MCP operation a method is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tool,
    Prompt,
}

impl Kind {
    fn of(attr: &Attribute) -> Option<Self> {
        match attr.path().segments.last()?.ident.to_string().as_str() {
            "tool" => Some(Self::Tool),
            "prompt" => Some(Self::Prompt),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Self::Tool => "tool",
            Self::Prompt => "prompt",
        }
    }
}

/// One `#[protected(…)]` of a method: the argument it depends on, if any, and its clauses.
struct Protected {
    span: Span,
    argument: Option<(Ident, Lit)>,
    /// `policy = Name`: a named policy, used as it is.
    named: Option<Path>,
    clauses: TokenStream,
}

/// `#[axioms::mcp::policies]` / `#[axioms::mcp::policies(fn_name)]` on an impl block.
pub(crate) fn policies(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut block = match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(block) => block,
        Err(_) => {
            let err = syn::Error::new(
                Span::call_site(),
                "`#[axioms::mcp::policies]` goes on the `impl` block of an rmcp server's tools or prompts, above `#[tool_router]` or `#[prompt_router]`",
            )
            .into_compile_error();
            return quote!(#err #item);
        }
    };
    let cx = Ctxt::new();
    let function = if attr.is_empty() {
        Ident::new("mcp_policies", Span::call_site())
    } else {
        match syn::parse2::<Ident>(attr) {
            Ok(name) => name,
            Err(err) => {
                cx.error_at(
                    err.span(),
                    "`#[axioms::mcp::policies]` takes nothing, or the name of the function it defines: `#[axioms::mcp::policies(tool_policies)]`",
                );
                Ident::new("mcp_policies", Span::call_site())
            }
        }
    };
    let owner = match &*block.self_ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    };
    let mut definitions = Vec::new();
    let mut calls = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else {
            continue;
        };
        let kind = method
            .attrs
            .iter()
            .find_map(|a| Kind::of(a).map(|k| (k, a.clone())));
        let mut protected = Vec::new();
        method.attrs.retain(|attr| {
            if attr
                .path()
                .segments
                .last()
                .is_some_and(|s| s.ident == "protected")
            {
                protected.push(attr.clone());
                false
            } else {
                true
            }
        });
        let Some((kind, marker)) = kind else {
            for attr in &protected {
                cx.error_spanned_by(
                    attr,
                    "`#[protected]` in an `#[axioms::mcp::policies]` impl goes on a `#[tool]` or `#[prompt]` method",
                );
            }
            continue;
        };
        let name = operation_name(&marker, &method.sig.ident, &cx);
        if protected.is_empty() {
            cx.error_at(
                method.sig.ident.span(),
                format!(
                    "this {word} has no policy: add `#[protected(…)]` under `#[{word}]`, e.g. `#[protected(scopes = \"notes:read\")]` (`#[protected]` alone: any valid token); an operation without a policy is refused",
                    word = kind.word()
                ),
            );
            continue;
        }
        let (mut base, mut by_argument) = (None, false);
        for (index, attr) in protected.iter().enumerate() {
            let Some(parsed) = parse_protected(attr, &cx) else {
                continue;
            };
            if parsed.argument.is_some() && kind == Kind::Prompt {
                cx.error_at(
                    parsed.span,
                    "`argument(…)` decides a tool's scopes by its arguments; a prompt has one policy",
                );
                continue;
            }
            if let Some(owner) = owner_clause(parsed.clauses.clone()) {
                cx.error_at(
                    owner.span(),
                    format!(
                        "a {}'s policy cannot name `owner(…)`: it is decided before the call, with no object to fetch. Ownership of a resource is `McpPolicies::resource` with an ownership policy (its fetch reads the URI template's variables); in a tool, compare with `Claims::owns`",
                        kind.word()
                    ),
                );
                continue;
            }
            let ty = match &parsed.named {
                Some(path) => quote!(#path),
                None => {
                    // Named after the method (what an operator extends to a partner
                    // issuer); a policy that an argument adds, after the argument too.
                    let ty = match &parsed.argument {
                        None => format_ident!(
                            "__axioms_mcp_{}__{}",
                            owner,
                            method.sig.ident,
                            span = parsed.span
                        ),
                        Some((argument, _)) => format_ident!(
                            "__axioms_mcp_{}__{}_{}_{}",
                            owner,
                            method.sig.ident,
                            argument,
                            index,
                            span = parsed.span
                        ),
                    };
                    let clauses = &parsed.clauses;
                    definitions.push(crate::protected::policy(quote_spanned! {parsed.span=>
                        #[doc(hidden)]
                        #[allow(non_camel_case_types)]
                        #ty: #clauses
                    }));
                    quote!(#ty)
                }
            };
            match (&parsed.argument, kind) {
                (Some((argument, value)), _) => {
                    by_argument = true;
                    let argument = argument.to_string();
                    calls.push(quote_spanned! {parsed.span=>
                        .tool_argument::<#ty>(#name, #argument, #value)
                    });
                }
                (None, _) if base.is_some() => cx.error_at(
                    parsed.span,
                    format!(
                        "a second policy for this {}: write every clause in one `#[protected(…)]` (they all must hold), or make this one depend on an argument: `#[protected(argument(mode = \"write\"), scopes = …)]`",
                        kind.word()
                    ),
                ),
                (None, Kind::Tool) => {
                    base = Some(());
                    calls.push(quote_spanned! {parsed.span=> .tool::<#ty>(#name) });
                }
                (None, Kind::Prompt) => {
                    base = Some(());
                    calls.push(quote_spanned! {parsed.span=> .prompt::<#ty>(#name) });
                }
            }
        }
        if base.is_none() && by_argument {
            cx.error_at(
                method.sig.ident.span(),
                "this tool's policies all depend on arguments: add one without `argument(…)`, the policy of every call",
            );
        }
    }
    let (mcp_policies, self_ty) = (paths::mcp_policies(), &block.self_ty);
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    if let Err(err) = cx.check() {
        // The errors, the policies' own (a clause mistake is reported at the clause), and
        // the function with no policy (every operation refused), so that its callers add no
        // error of their own.
        let err = err.into_compile_error();
        return quote! {
            #err
            #block
            #(#definitions)*
            impl #impl_generics #self_ty #where_clause {
                #[doc(hidden)]
                pub fn #function() -> #mcp_policies {
                    #mcp_policies::new()
                }
            }
        };
    }
    let doc = format!(
        " The MCP policies of `{owner}`'s tools and prompts, as their `#[protected(…)]` say: give them to `McpLayer::new` (with `McpPolicies::and` to add others)."
    );
    quote! {
        #block
        #(#definitions)*
        impl #impl_generics #self_ty #where_clause {
            #[doc = #doc]
            #[must_use]
            pub fn #function() -> #mcp_policies {
                #mcp_policies::new() #(#calls)*
            }
        }
    }
}

/// The operation's name: `#[tool(name = "…")]`'s, else the method's.
fn operation_name(marker: &Attribute, method: &Ident, cx: &Ctxt) -> LitStr {
    if let Meta::List(list) = &marker.meta {
        let parser = syn::punctuated::Punctuated::<Meta, Token![,]>::parse_terminated;
        if let Ok(items) = parser.parse2(list.tokens.clone()) {
            for item in items {
                if let Meta::NameValue(pair) = item
                    && pair.path.is_ident("name")
                {
                    if let syn::Expr::Lit(syn::ExprLit {
                        lit: Lit::Str(name),
                        ..
                    }) = &pair.value
                    {
                        return name.clone();
                    }
                    cx.error_spanned_by(&pair.value, "the name of an MCP operation is a string");
                }
            }
        }
    }
    LitStr::new(&method.to_string(), method.span())
}

/// `#[protected]`, `#[protected(clauses)]`, `#[protected(policy = Name)]`,
/// `#[protected(argument(name = value), clauses)]`.
fn parse_protected(attr: &Attribute, cx: &Ctxt) -> Option<Protected> {
    let span = attr.span();
    let tokens = match &attr.meta {
        Meta::Path(_) => TokenStream::new(),
        Meta::List(list) => list.tokens.clone(),
        Meta::NameValue(pair) => {
            cx.error_spanned_by(
                pair,
                "write `#[protected(…)]`, with the policy's clauses in parentheses",
            );
            return None;
        }
    };
    let parser = |input: ParseStream<'_>| {
        let argument = if input.peek(Ident)
            && input.fork().parse::<Ident>()? == "argument"
            && input.peek2(syn::token::Paren)
        {
            let _: Ident = input.parse()?;
            let content;
            syn::parenthesized!(content in input);
            let name: Ident = content.parse()?;
            let _: Token![=] = content.parse()?;
            let value: Lit = content.parse()?;
            if !content.is_empty() {
                return Err(content.error(
                    "`argument(…)` names one argument and its value: `argument(mode = \"write\")`",
                ));
            }
            if !matches!(value, Lit::Str(_) | Lit::Bool(_) | Lit::Int(_)) {
                return Err(syn::Error::new(
                    value.span(),
                    "an argument's value is a string, a boolean or an integer, compared with the call's JSON argument",
                ));
            }
            if !input.is_empty() {
                let _: Token![,] = input.parse()?;
            }
            Some((name, value))
        } else {
            None
        };
        let clauses: TokenStream = input.parse()?;
        Ok((argument, clauses))
    };
    let (argument, clauses) = match parser.parse2(tokens) {
        Ok(parsed) => parsed,
        Err(err) => {
            cx.syn_error(err);
            return None;
        }
    };
    let named = syn::parse2::<NamedPolicy>(clauses.clone())
        .ok()
        .map(|n| n.0);
    Some(Protected {
        span,
        argument,
        named,
        clauses,
    })
}

/// An `owner(…)` clause anywhere in the clauses (in `any_of(…)` too): its keyword.
fn owner_clause(tokens: TokenStream) -> Option<Ident> {
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            proc_macro2::TokenTree::Ident(ident)
                if ident == "owner"
                    && matches!(tokens.peek(), Some(proc_macro2::TokenTree::Group(g)) if g.delimiter() == proc_macro2::Delimiter::Parenthesis) =>
            {
                return Some(ident);
            }
            proc_macro2::TokenTree::Group(group) => {
                if let Some(found) = owner_clause(group.stream()) {
                    return Some(found);
                }
            }
            _ => {}
        }
    }
    None
}

/// `policy = Path`, alone.
struct NamedPolicy(Path);

impl syn::parse::Parse for NamedPolicy {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: Ident = input.parse()?;
        if key != "policy" {
            return Err(input.error("not `policy = …`"));
        }
        let _: Token![=] = input.parse()?;
        let path: Path = input.parse()?;
        if !input.is_empty() {
            return Err(input.error("more than `policy = …`"));
        }
        Ok(Self(path))
    }
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a failing test panics"
)]
mod tests {
    use super::*;

    /// The expansion's compile errors, in order (empty if it compiles).
    fn errors(attr: TokenStream, item: TokenStream) -> Vec<String> {
        let out = policies(attr, item).to_string();
        out.split("compile_error !")
            .skip(1)
            .map(|rest| {
                let start = rest.find('"').unwrap_or(0) + 1;
                let end = rest[start..].find("\" }").map_or(rest.len(), |e| start + e);
                rest[start..end].replace("\\\"", "\"")
            })
            .collect()
    }

    #[test]
    fn a_tool_without_a_policy_does_not_compile() {
        let errs = errors(
            quote!(),
            quote! {
                impl S {
                    #[tool(description = "x")]
                    async fn open(&self) {}
                    #[prompt]
                    async fn ask(&self) {}
                    fn helper(&self) {}
                }
            },
        );
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].starts_with("this tool has no policy"), "{errs:?}");
        assert!(errs[1].starts_with("this prompt has no policy"), "{errs:?}");
    }

    #[test]
    fn policies_that_cannot_be_meant_do_not_compile() {
        let errs = errors(
            quote!(),
            quote! {
                impl S {
                    #[tool]
                    #[protected(scopes = "a")]
                    #[protected(scopes = "b")]
                    async fn twice(&self) {}
                    #[tool]
                    #[protected(argument(mode = "write"), scopes = "b")]
                    async fn only_argument(&self) {}
                    #[prompt]
                    #[protected(argument(mode = "x"), scopes = "b")]
                    async fn prompt(&self) {}
                    #[tool]
                    #[protected(argument(mode = 1.5), scopes = "b")]
                    async fn float(&self) {}
                    #[protected(scopes = "a")]
                    async fn not_an_operation(&self) {}
                    #[tool]
                    #[protected(any_of(owner(fetch = get), roles = "admin"), state = ())]
                    async fn owned(&self) {}
                }
            },
        );
        let expected = [
            "a second policy for this tool",
            "this tool's policies all depend on arguments",
            "`argument(…)` decides a tool's scopes by its arguments",
            "an argument's value is a string, a boolean or an integer",
            "`#[protected]` in an `#[axioms::mcp::policies]` impl goes on a `#[tool]` or `#[prompt]` method",
            "a tool's policy cannot name `owner(…)`",
        ];
        assert_eq!(errs.len(), expected.len(), "{errs:#?}");
        for (err, expected) in errs.iter().zip(expected) {
            assert!(
                err.starts_with(expected),
                "{err:?} should start with {expected:?}"
            );
        }
    }

    #[test]
    fn the_function_takes_its_name_from_the_attribute() {
        let out = policies(
            quote!(prompt_policies),
            quote! {
                impl S {
                    #[prompt(name = "summarize")]
                    #[protected(scopes = "a")]
                    async fn summary(&self) {}
                }
            },
        )
        .to_string();
        assert!(out.contains("pub fn prompt_policies ()"), "{out}");
        assert!(
            out.contains(". prompt :: < __axioms_mcp_S__summary > (\"summarize\")"),
            "{out}"
        );
        // The policy's name, as an operator extends it to a partner issuer: the method's.
        assert!(
            out.contains("const NAME : & 'static str = \"summary\""),
            "{out}"
        );
        assert!(
            !out.contains("# [protected"),
            "the attribute is removed: {out}"
        );
        let errs = errors(quote!(1), quote!(impl S {}));
        assert!(
            errs[0].starts_with("`#[axioms::mcp::policies]` takes nothing"),
            "{errs:?}"
        );
        let errs = errors(
            quote!(),
            quote!(
                fn f() {}
            ),
        );
        assert!(errs[0].contains("goes on the `impl` block"), "{errs:?}");
    }
}
