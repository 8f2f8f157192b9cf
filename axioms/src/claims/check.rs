//! The authorization checks: pure functions over granted and required values.
//!
//! `any` is OR (at least one required value is granted), `all` is AND (every required value is
//! granted). By the usual convention `any` of nothing is `false` and `all` of nothing is
//! `true`; `#[protected]` refuses empty lists at compile time, so that corner is never reached
//! from a policy.

use std::collections::{HashMap, HashSet};
use std::fmt;

/// How a list of required values combines.
///
/// # Example
///
/// ```
/// use axioms::check::{Mode, satisfies};
/// let granted = ["read:data"];
/// assert!(satisfies(&granted, Mode::Any, &["read:data", "admin"]));
/// assert!(!satisfies(&granted, Mode::All, &["read:data", "admin"]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// At least one required value must be granted (OR).
    Any,
    /// Every required value must be granted (AND).
    All,
}

/// Whether `granted` satisfies `required` under `mode`, comparing exactly (case-sensitive,
/// no normalisation).
///
/// # Example
///
/// ```
/// use axioms::check::{Mode, satisfies};
/// assert!(satisfies(&["a", "b"], Mode::All, &["b", "a"]));
/// assert!(!satisfies(&["A"], Mode::Any, &["a"]));
/// ```
pub fn satisfies<G: AsRef<str>, R: AsRef<str>>(granted: &[G], mode: Mode, required: &[R]) -> bool {
    satisfies_with(&Exact, granted, mode, required)
}

/// Like [`satisfies`], with a [`ScopeMatcher`] deciding whether one granted value covers one
/// required value.
///
/// # Example
///
/// ```
/// use axioms::check::{Hierarchical, Mode, satisfies_with};
/// let m = Hierarchical::default();
/// assert!(satisfies_with(&m, &["items:*"], Mode::All, &["items:read", "items:edit"]));
/// ```
pub fn satisfies_with<M, G, R>(matcher: &M, granted: &[G], mode: Mode, required: &[R]) -> bool
where
    M: ScopeMatcher + ?Sized,
    G: AsRef<str>,
    R: AsRef<str>,
{
    let covered = |r: &R| {
        granted
            .iter()
            .any(|g| matcher.grants(g.as_ref(), r.as_ref()))
    };
    match mode {
        Mode::Any => required.iter().any(covered),
        Mode::All => required.iter().all(covered),
    }
}

/// Decides whether one granted value satisfies one required value.
///
/// # Example
///
/// ```
/// use axioms::check::ScopeMatcher;
///
/// /// Grants a requirement to any scope that is a prefix of it.
/// struct Prefix;
/// impl ScopeMatcher for Prefix {
///     fn grants(&self, granted: &str, required: &str) -> bool {
///         required.starts_with(granted)
///     }
/// }
/// assert!(Prefix.grants("items", "items:read"));
/// ```
pub trait ScopeMatcher: Send + Sync {
    /// `true` if holding `granted` satisfies a requirement for `required`.
    fn grants(&self, granted: &str, required: &str) -> bool;

    /// `true` if [`grants`](Self::grants) is exact equality, so a policy may look a scope up
    /// instead of trying every granted one (the default says no; [`Exact`] says yes).
    ///
    /// ```
    /// use axioms::check::{Exact, Hierarchical, ScopeMatcher};
    /// assert!(Exact.is_exact());
    /// assert!(!Hierarchical::default().is_exact());
    /// ```
    fn is_exact(&self) -> bool {
        false
    }
}

/// Exact, case-sensitive equality: the default, and the only matcher RFC 6749 describes.
///
/// # Example
///
/// ```
/// use axioms::check::{Exact, ScopeMatcher};
/// assert!(Exact.grants("read", "read"));
/// assert!(!Exact.grants("Read", "read"));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Exact;

impl ScopeMatcher for Exact {
    fn grants(&self, granted: &str, required: &str) -> bool {
        granted == required
    }

    fn is_exact(&self) -> bool {
        true
    }
}

/// Hierarchical `resource:action` scopes, as in fastapi-views' `HierarchicalScopeValidator`.
///
/// * an exact match always grants;
/// * `items:*` (wildcard action) grants every action on `items`;
/// * `*:read` (wildcard resource) grants `read` on every resource;
/// * an action grants the actions it implies: by default `edit` implies `read`
///   (transitively, with your own hierarchy).
///
/// A scope splits at its last `:`; a scope without `:` only matches exactly.
///
/// # Example
///
/// ```
/// use axioms::check::{Hierarchical, ScopeMatcher};
/// let m = Hierarchical::default();
/// assert!(m.grants("items:edit", "items:read"));
/// assert!(m.grants("*:read", "orders:read"));
/// assert!(!m.grants("items:read", "items:edit"));
///
/// let custom = Hierarchical::new([("admin", &["write"][..]), ("write", &["read"][..])]);
/// assert!(custom.grants("docs:admin", "docs:read"));
/// ```
#[derive(Clone)]
pub struct Hierarchical {
    /// For each action, every action it implies (transitive closure, computed once).
    implies: HashMap<Box<str>, HashSet<Box<str>>>,
}

impl Hierarchical {
    /// A matcher whose actions imply each other as `hierarchy` says (action → implied actions).
    pub fn new<'a, I>(hierarchy: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a [&'a str])>,
    {
        let direct: HashMap<&str, Vec<&str>> = hierarchy
            .into_iter()
            .map(|(action, implied)| (action, implied.to_vec()))
            .collect();
        let mut implies = HashMap::new();
        for &action in direct.keys() {
            let mut seen: HashSet<Box<str>> = HashSet::new();
            let mut stack: Vec<&str> = direct.get(action).cloned().unwrap_or_default();
            while let Some(next) = stack.pop() {
                if seen.insert(Box::from(next))
                    && let Some(more) = direct.get(next)
                {
                    stack.extend(more.iter().copied());
                }
            }
            implies.insert(Box::from(action), seen);
        }
        Self { implies }
    }
}

impl Default for Hierarchical {
    /// `edit` implies `read`.
    fn default() -> Self {
        Self::new([("edit", &["read"][..]), ("read", &[][..])])
    }
}

impl fmt::Debug for Hierarchical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hierarchical")
            .field("actions", &self.implies.len())
            .finish()
    }
}

impl ScopeMatcher for Hierarchical {
    fn grants(&self, granted: &str, required: &str) -> bool {
        if granted == required {
            return true;
        }
        let (Some((g_res, g_act)), Some((r_res, r_act))) =
            (granted.rsplit_once(':'), required.rsplit_once(':'))
        else {
            return false;
        };
        let resource_ok = g_res == r_res || g_res == "*";
        let action_ok = g_act == r_act
            || g_act == "*"
            || self
                .implies
                .get(g_act)
                .is_some_and(|implied| implied.contains(r_act));
        resource_ok && action_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: [&str; 0] = [];

    #[test]
    fn any_and_all_truth_table() {
        let g = ["a", "b"];
        assert!(satisfies(&g, Mode::Any, &["a"]));
        assert!(satisfies(&g, Mode::Any, &["x", "b"]));
        assert!(!satisfies(&g, Mode::Any, &["x", "y"]));
        assert!(satisfies(&g, Mode::All, &["a", "b"]));
        assert!(!satisfies(&g, Mode::All, &["a", "x"]));
        assert!(!satisfies(&NONE, Mode::Any, &["a"]));
        assert!(!satisfies(&NONE, Mode::All, &["a"]));
        assert!(!satisfies(&g, Mode::Any, &NONE));
        assert!(satisfies(&g, Mode::All, &NONE));
    }

    #[test]
    fn exhaustive_small_universe_matches_set_semantics() {
        // Every subset of a 4-value universe as granted and as required.
        let universe = ["a", "b", "c", "d"];
        let subset = |mask: u32| -> Vec<&str> {
            universe
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, v)| *v)
                .collect()
        };
        for gm in 0..16u32 {
            for rm in 0..16u32 {
                let (g, r) = (subset(gm), subset(rm));
                assert_eq!(
                    satisfies(&g, Mode::Any, &r),
                    gm & rm != 0,
                    "{g:?} any {r:?}"
                );
                assert_eq!(
                    satisfies(&g, Mode::All, &r),
                    gm & rm == rm,
                    "{g:?} all {r:?}"
                );
            }
        }
    }

    #[test]
    fn comparison_is_exact() {
        assert!(!satisfies(&["read"], Mode::Any, &["read "]));
        assert!(!satisfies(&["Read"], Mode::Any, &["read"]));
        assert!(!satisfies(&["read:data"], Mode::Any, &["read"]));
    }

    #[test]
    fn hierarchical_rules() {
        let m = Hierarchical::default();
        assert!(m.grants("items:*", "items:read"));
        assert!(m.grants("*:read", "items:read"));
        assert!(m.grants("items:edit", "items:read"));
        assert!(m.grants("*:*", "x:y"));
        assert!(!m.grants("items:read", "items:edit"));
        assert!(!m.grants("items:*", "orders:read"));
        assert!(!m.grants("items", "items:read"));
        assert!(!m.grants("*", "items:read"));
        assert!(m.grants("plain", "plain"));
    }

    #[test]
    fn hierarchy_is_transitive_and_cycle_safe() {
        let m = Hierarchical::new([
            ("admin", &["write"][..]),
            ("write", &["read"][..]),
            ("read", &["admin"][..]),
        ]);
        assert!(m.grants("d:admin", "d:read"));
        assert!(m.grants("d:read", "d:write"));
    }
}
