//! The error accumulator: every independent mistake is reported, not only the first.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;
use quote::ToTokens;

/// Collects spanned errors while parsing and validating; [`Ctxt::check`] hands them all back
/// as one `syn::Error`. As serde's `Ctxt`, it panics if dropped unchecked: a recorded error
/// can never be lost on the way to the compiler.
pub(crate) struct Ctxt {
    /// `None` once checked.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Self {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    /// Records an error.
    pub(crate) fn syn_error(&self, err: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(err);
        }
    }

    /// Records an error at `span`.
    pub(crate) fn error_at(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    /// Records an error spanning `tokens`.
    pub(crate) fn error_spanned_by(&self, tokens: impl ToTokens, message: impl Display) {
        self.syn_error(syn::Error::new_spanned(tokens, message));
    }

    /// `Ok(())` if nothing was recorded, else every error, in the order recorded.
    pub(crate) fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        match errors.into_iter().reduce(|mut all, next| {
            all.combine(next);
            all
        }) {
            None => Ok(()),
            Some(all) => Err(all),
        }
    }
}

impl Drop for Ctxt {
    #[allow(
        clippy::panic,
        reason = "a bug guard, as in serde_derive: an unchecked `Ctxt` would drop the user's errors"
    )]
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.get_mut().is_some() {
            panic!("axioms-macros bug: a `Ctxt` was dropped without `check()`");
        }
    }
}

/// The closest known word within edit distance 2, for "did you mean".
pub(crate) fn did_you_mean<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(word, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    // Levenshtein distance over one rolling row.
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        let mut next = Vec::with_capacity(row.len());
        next.push(left);
        for (cb, up) in b.iter().zip(row.iter().skip(1)) {
            let best = (diagonal + usize::from(ca != *cb))
                .min(up + 1)
                .min(left + 1);
            next.push(best);
            diagonal = *up;
            left = best;
        }
        row = next;
    }
    row.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let keys = ["scopes", "roles", "permissions", "owner"];
        assert_eq!(did_you_mean("role", &keys), Some("roles"));
        assert_eq!(did_you_mean("scope", &keys), Some("scopes"));
        assert_eq!(did_you_mean("permission", &keys), Some("permissions"));
        assert_eq!(did_you_mean("xyz", &keys), None);
    }
}
