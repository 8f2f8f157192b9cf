//! The policies linked into the binary: `#[protected]` and `policy!` register each of
//! theirs, so that the resource metadata can list every scope they name (`scopes_supported`),
//! the OpenAPI document can state each handler's requirement, and the verifier can check the
//! issuers they name — without the user writing any of it twice.

use super::Rule;
use crate::safe::SafeMethods;

/// A policy linked into the binary, as generated code registers it.
///
/// ```
/// use axioms::__private::{Registered, Rule};
/// use axioms::check::Mode;
///
/// const RULE: Rule = Rule::Scopes(Mode::Any, &["notes:read"]);
/// static REGISTERED: Registered = Registered::handler("list_notes", &RULE, None);
/// assert_eq!(REGISTERED.name(), "list_notes");
/// assert_eq!(REGISTERED.rule(), Some(&RULE));
/// ```
#[derive(Debug)]
pub struct Registered {
    name: &'static str,
    kind: Registration,
}

/// What was registered under a name.
#[derive(Debug, Clone, Copy)]
enum Registration {
    /// A handler's own policy (`#[protected(…)]`).
    Handler(&'static Rule, Option<SafeMethods>),
    /// A named policy (`policy!`).
    Named(&'static Rule, Option<SafeMethods>),
    /// A handler that uses a named policy (`#[protected(policy = Name)]`).
    Uses(&'static str),
}

impl Registered {
    /// The policy of the handler `name`.
    pub const fn handler(
        name: &'static str,
        rule: &'static Rule,
        safe: Option<SafeMethods>,
    ) -> Self {
        Self {
            name,
            kind: Registration::Handler(rule, safe),
        }
    }

    /// The named policy `name`.
    pub const fn named(name: &'static str, rule: &'static Rule, safe: Option<SafeMethods>) -> Self {
        Self {
            name,
            kind: Registration::Named(rule, safe),
        }
    }

    /// The handler `name` uses the named policy `policy`.
    pub const fn uses(name: &'static str, policy: &'static str) -> Self {
        Self {
            name,
            kind: Registration::Uses(policy),
        }
    }

    /// The handler's or named policy's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its rule (`None` for a handler that uses a named policy: see
    /// [`policy_of`]).
    pub fn rule(&self) -> Option<&'static Rule> {
        match self.kind {
            Registration::Handler(rule, _) | Registration::Named(rule, _) => Some(rule),
            Registration::Uses(_) => None,
        }
    }
}

inventory::collect!(Registered);

/// Every policy registered in the binary.
pub(crate) fn registered() -> impl Iterator<Item = &'static Registered> {
    inventory::iter::<Registered>.into_iter()
}

/// The policy of the `#[protected]` handler `name` — its rule and its own safe methods —
/// following `policy = Name` to the named policy. `Err` lists the candidates when several
/// handlers share the name (different modules); `Ok(None)` when no handler has that name.
///
/// ```
/// assert_eq!(axioms::__private::policy_of("no_such_handler"), Ok(None));
/// ```
pub fn policy_of(
    name: &str,
) -> Result<Option<(&'static Rule, Option<SafeMethods>)>, Vec<&'static Rule>> {
    let resolve = |kind: Registration| match kind {
        Registration::Handler(rule, safe) => Some((rule, safe)),
        Registration::Uses(policy) => registered().find_map(|r| match r.kind {
            Registration::Named(rule, safe) if r.name == policy => Some((rule, safe)),
            _ => None,
        }),
        Registration::Named(..) => None,
    };
    let mut found: Vec<(&'static Rule, Option<SafeMethods>)> = registered()
        .filter(|r| r.name == name)
        .filter_map(|r| resolve(r.kind))
        .collect();
    found.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        several => Err(several.iter().map(|(rule, _)| *rule).collect()),
    }
}

/// Every `(policy, issuer)` pair where a registered policy names a trusted issuer
/// (`issuer = …`), for the startup check that each is configured.
pub(crate) fn registered_issuers() -> impl Iterator<Item = (&'static str, &'static str)> {
    registered().flat_map(|r| {
        r.rule()
            .map(Rule::issuers)
            .unwrap_or_default()
            .into_iter()
            .map(move |issuer| (r.name, issuer))
    })
}

/// Whether a handler or named policy called `name` is registered.
pub(crate) fn is_registered(name: &str) -> bool {
    registered().any(|r| r.name == name)
}

/// Every scope the registered policies name, sorted, once each.
pub(crate) fn registered_scopes() -> Vec<&'static str> {
    let mut scopes: Vec<&'static str> = registered()
        .filter_map(Registered::rule)
        .flat_map(Rule::scopes)
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}
