//! Checks that need the whole picture: the function the attribute sits on, and rules that
//! span several clauses.

use syn::{FnArg, GenericArgument, ItemFn, PathArguments, Type};

use super::ast::{Owner, PolicyAst};
use crate::errors::Errors;

/// Where a policy is written.
pub(crate) enum Site<'a> {
    /// `#[protected]` on this function.
    Handler(&'a ItemFn),
    /// `policy!(…)`.
    Named,
}

/// Validates the policy; returns the state type ownership fetches with, if any.
pub(crate) fn validate(ast: &PolicyAst, site: &Site<'_>, errors: &mut Errors) -> Option<Type> {
    let mut owners: Vec<&Owner> = Vec::new();
    for clause in &ast.clauses {
        clause.owners(&mut owners);
    }
    for extra in owners.iter().skip(1) {
        errors.at(
            extra.span(),
            "a policy fetches one object: use a single `owner(…)` (combine it with other clauses through `any_of(…)`/`all_of(…)`)",
        );
    }
    if let Some((kw, _)) = &ast.policy {
        if !ast.clauses.is_empty() || ast.safe_methods.is_some() || ast.state.is_some() {
            errors.at(
                kw.span(),
                "`policy = …` names a complete policy and stands alone; put the other clauses in its `axioms::policy!` definition",
            );
        }
        if matches!(site, Site::Named) {
            errors.at(
                kw.span(),
                "`policy = …` is for `#[protected]`; a named policy cannot name another",
            );
        }
    }
    if let Site::Handler(item) = site {
        check_function(item, errors);
    }
    let owner = owners.first()?;
    if let Some((_, ty)) = &ast.state {
        return Some(ty.clone());
    }
    let inferred = match site {
        Site::Handler(item) => state_of(item),
        Site::Named => None,
    };
    if inferred.is_none() {
        errors.at(
            owner.span(),
            match site {
                Site::Handler(_) => "`owner(…)` runs its fetch function with the router's state: add `state = AppState` to the attribute, or take `State<AppState>` in the handler",
                Site::Named => "`owner(…)` in a named policy needs the router's state type: add `state = AppState`",
            },
        );
    }
    inferred
}

fn check_function(item: &ItemFn, errors: &mut Errors) {
    if item.sig.asyncness.is_none() {
        errors.at(
            item.sig.fn_token.span,
            "`#[protected]` requires an `async fn`: axum handlers are async (write `async fn`)",
        );
    }
    if let Some(FnArg::Receiver(receiver)) = item.sig.inputs.first() {
        errors.spanned(
            receiver,
            "`#[protected]` cannot be used on a method with `self`: axum handlers are free functions (move it out of the `impl`, or take the value through `State`)",
        );
    }
    for attr in &item.attrs {
        if is_protected(attr) {
            errors.spanned(
                attr,
                "a handler takes one `#[protected]`: combine the policies in one attribute — `#[protected(a, b)]` requires both, `#[protected(any_of(a, b))]` either",
            );
        }
    }
}

/// Whether an attribute is (another) `#[protected]`.
pub(crate) fn is_protected(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "protected")
}

/// The `T` of the handler's `State<T>` argument.
fn state_of(item: &ItemFn) -> Option<Type> {
    item.sig.inputs.iter().find_map(|arg| {
        let FnArg::Typed(pat) = arg else { return None };
        let Type::Path(path) = &*pat.ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        if last.ident != "State" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        match args.args.first()? {
            GenericArgument::Type(ty) if args.args.len() == 1 => Some(ty.clone()),
            _ => None,
        }
    })
}
