//! An error accumulator: every independent mistake is reported, not just the first.

/// Collects spanned errors; `finish` turns them into one combined `syn::Error`.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    /// Records an error.
    pub(crate) fn push(&mut self, err: syn::Error) {
        match &mut self.combined {
            Some(all) => all.combine(err),
            None => self.combined = Some(err),
        }
    }

    /// Records an error at `span`.
    pub(crate) fn at(&mut self, span: proc_macro2::Span, message: impl std::fmt::Display) {
        self.push(syn::Error::new(span, message));
    }

    /// Records an error spanning `tokens`.
    pub(crate) fn spanned(
        &mut self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Whether nothing was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.combined.is_none()
    }

    /// `Ok(())` if nothing was recorded, else every error.
    pub(crate) fn finish(self) -> syn::Result<()> {
        match self.combined {
            None => Ok(()),
            Some(err) => Err(err),
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
