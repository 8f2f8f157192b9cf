//! Property tests: the policy evaluator, the `any`/`all` checks and claim-name lookups agree
//! with simple reference models, over random claim sets and random policies.
//!
//! Scopes, roles and permissions are drawn from one small universe (case variants included),
//! so a clause that read the wrong list, or compared loosely, would be caught. Set
//! `PROPTEST_CASES` to run more cases than the defaults below.

use std::collections::BTreeSet;

use axioms::check::{Exact, Hierarchical, Mode, satisfies, satisfies_with};
use axioms::policy::Rule;
use axioms::{ClaimName, Claims};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use serde_json::{Map, Value, json};

/// Values granted and required: small enough for frequent overlaps, with a case variant and
/// hierarchical-looking scopes.
const UNIVERSE: [&str; 7] = ["a", "b", "c", "A", "items:read", "items:*", "admin"];

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

fn value() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&UNIVERSE[..])
}

/// A list of values with repeats and in any order, possibly empty.
fn values(max: usize) -> impl Strategy<Value = Vec<&'static str>> {
    prop::collection::vec(value(), 0..=max)
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![Just(Mode::Any), Just(Mode::All)]
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

/// The reference `any`/`all`: set intersection and inclusion.
fn model_satisfies(granted: &BTreeSet<String>, mode: Mode, required: &[&str]) -> bool {
    let required = set(required);
    match mode {
        Mode::Any => !granted.is_disjoint(&required),
        Mode::All => required.is_subset(granted),
    }
}

// ---- claim sets

/// What a token grants, and how its claims spell it.
#[derive(Debug, Clone)]
struct Grants {
    scopes: Vec<&'static str>,
    roles: Vec<&'static str>,
    permissions: Vec<&'static str>,
    /// `scope` as a space-delimited string (with runs of spaces), else Okta's `scp` array.
    scope_string: bool,
    /// A single role as a bare string instead of a one-element array.
    role_string: bool,
}

impl Grants {
    fn claims(&self) -> Claims {
        let mut m = Map::new();
        m.insert("sub".into(), json!("user-1"));
        if self.scope_string {
            // Runs of spaces and leading/trailing spaces are not scopes.
            m.insert(
                "scope".into(),
                json!(format!(" {} ", self.scopes.join("  "))),
            );
        } else {
            m.insert("scp".into(), json!(self.scopes));
        }
        match self.roles.as_slice() {
            [] => {}
            [one] if self.role_string => {
                m.insert("roles".into(), json!(one));
            }
            roles => {
                m.insert("roles".into(), json!(roles));
            }
        }
        if !self.permissions.is_empty() {
            m.insert("permissions".into(), json!(self.permissions));
        }
        Claims::from_json_unverified(Value::Object(m)).expect("well-typed claims")
    }
}

fn grants() -> impl Strategy<Value = Grants> {
    (
        values(5),
        values(4),
        values(4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(scopes, roles, permissions, scope_string, role_string)| Grants {
                scopes,
                roles,
                permissions,
                scope_string,
                role_string,
            },
        )
}

// ---- policies

/// A policy as plain data; [`Model::rule`] turns it into an `axioms::policy::Rule`.
#[derive(Debug, Clone)]
enum Model {
    Authenticated,
    Scopes(Mode, Vec<&'static str>),
    Roles(Mode, Vec<&'static str>),
    Permissions(Mode, Vec<&'static str>),
    Owner,
    AnyOf(Vec<Model>),
    AllOf(Vec<Model>),
}

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Box::leak(v.into_boxed_slice())
}

impl Model {
    fn rule(&self) -> Rule {
        match self {
            Model::Authenticated => Rule::Authenticated,
            Model::Scopes(m, v) => Rule::Scopes(*m, leak(v.clone())),
            Model::Roles(m, v) => Rule::Roles(*m, leak(v.clone())),
            Model::Permissions(m, v) => Rule::Permissions(*m, leak(v.clone())),
            Model::Owner => Rule::Owner,
            Model::AnyOf(rules) => Rule::AnyOf(leak(rules.iter().map(Model::rule).collect())),
            Model::AllOf(rules) => Rule::AllOf(leak(rules.iter().map(Model::rule).collect())),
        }
    }

    fn mentions_owner(&self) -> bool {
        match self {
            Model::Owner => true,
            Model::AnyOf(r) | Model::AllOf(r) => r.iter().any(Model::mentions_owner),
            _ => false,
        }
    }

    /// The reference evaluation: set semantics for the clauses, Kleene's three-valued or/and
    /// for the combinators (`None` = depends on ownership, not yet known).
    fn eval(&self, g: &Grants, owner: Option<bool>) -> Option<bool> {
        match self {
            Model::Authenticated => Some(true),
            Model::Scopes(m, req) => Some(model_satisfies(&set(&g.scopes), *m, req)),
            Model::Roles(m, req) => Some(model_satisfies(&set(&g.roles), *m, req)),
            Model::Permissions(m, req) => Some(model_satisfies(&set(&g.permissions), *m, req)),
            Model::Owner => owner,
            Model::AnyOf(rules) => {
                let r: Vec<Option<bool>> = rules.iter().map(|r| r.eval(g, owner)).collect();
                if r.contains(&Some(true)) {
                    Some(true)
                } else if r.contains(&None) {
                    None
                } else {
                    Some(false)
                }
            }
            Model::AllOf(rules) => {
                let r: Vec<Option<bool>> = rules.iter().map(|r| r.eval(g, owner)).collect();
                if r.contains(&Some(false)) {
                    Some(false)
                } else if r.contains(&None) {
                    None
                } else {
                    Some(true)
                }
            }
        }
    }
}

/// Random policies: leaves with non-empty lists, combinators of 0 to 3 clauses, nested up to
/// depth 3.
fn model() -> impl Strategy<Value = Model> {
    let list = || prop::collection::vec(value(), 1..=3);
    let leaf = prop_oneof![
        1 => Just(Model::Authenticated),
        3 => (mode(), list()).prop_map(|(m, v)| Model::Scopes(m, v)),
        3 => (mode(), list()).prop_map(|(m, v)| Model::Roles(m, v)),
        3 => (mode(), list()).prop_map(|(m, v)| Model::Permissions(m, v)),
        2 => Just(Model::Owner),
    ];
    leaf.prop_recursive(3, 40, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..=3).prop_map(Model::AnyOf),
            prop::collection::vec(inner, 0..=3).prop_map(Model::AllOf),
        ]
    })
}

fn owner() -> impl Strategy<Value = Option<bool>> {
    prop_oneof![Just(None), Just(Some(false)), Just(Some(true))]
}

proptest! {
    #![proptest_config(cases(4096))]

    /// `Rule::evaluate` agrees with the reference model for every ownership state.
    #[test]
    fn policy_evaluation_matches_the_model(policy in model(), g in grants(), own in owner()) {
        let rule = policy.rule();
        let claims = g.claims();
        prop_assert_eq!(rule.evaluate(&claims, own), policy.eval(&g, own));
    }

    /// An answer given before the object is fetched never changes once ownership is known,
    /// and "undecided" means ownership really decides.
    #[test]
    fn ownership_is_only_awaited_when_it_decides(policy in model(), g in grants()) {
        let rule = policy.rule();
        let claims = g.claims();
        let early = rule.evaluate(&claims, None);
        let owned = rule.evaluate(&claims, Some(true));
        let not_owned = rule.evaluate(&claims, Some(false));
        prop_assert!(owned.is_some() && not_owned.is_some());
        match early {
            Some(answer) => {
                prop_assert_eq!(owned, Some(answer));
                prop_assert_eq!(not_owned, Some(answer));
            }
            None => {
                prop_assert_eq!(owned, Some(true));
                prop_assert_eq!(not_owned, Some(false));
            }
        }
        prop_assert_eq!(rule.has_owner(), policy.mentions_owner());
        if !rule.has_owner() {
            prop_assert!(early.is_some());
        }
    }
}

proptest! {
    #![proptest_config(cases(4096))]

    /// `check::satisfies` is set intersection (`any`) and inclusion (`all`), empty lists
    /// included, and `satisfies_with(&Exact, …)` is the same function.
    #[test]
    fn satisfies_is_set_semantics(granted in values(6), required in values(4), m in mode()) {
        let want = model_satisfies(&set(&granted), m, &required);
        prop_assert_eq!(satisfies(&granted, m, &required), want);
        prop_assert_eq!(satisfies_with(&Exact, &granted, m, &required), want);
        let owned: Vec<String> = granted.iter().map(|s| (*s).to_owned()).collect();
        prop_assert_eq!(satisfies(&owned, m, &required), want);
    }

    /// The hierarchical matcher only ever grants more than exact matching.
    #[test]
    fn hierarchical_extends_exact(granted in values(6), required in values(4), m in mode()) {
        if satisfies(&granted, m, &required) {
            prop_assert!(satisfies_with(&Hierarchical::default(), &granted, m, &required));
        }
    }

    /// The claim accessors see exactly what the claims grant.
    #[test]
    fn claims_expose_the_granted_sets(g in grants(), v in value()) {
        let claims = g.claims();
        let list = |l: &[Box<str>]| l.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        prop_assert_eq!(list(claims.scopes()), set(&g.scopes));
        prop_assert_eq!(list(claims.roles()), set(&g.roles));
        prop_assert_eq!(list(claims.permissions()), set(&g.permissions));
        prop_assert_eq!(claims.has_scope(v), g.scopes.contains(&v));
        prop_assert_eq!(claims.has_role(v), g.roles.contains(&v));
        prop_assert_eq!(claims.has_permission(v), g.permissions.contains(&v));
    }
}

// ---- claim names

/// Member names, including the characters JSON Pointer escapes and array-index look-alikes.
const KEYS: [&str; 12] = [
    "a",
    "b",
    "realm_access",
    "0",
    "1",
    "01",
    "-",
    "a/b",
    "~",
    "~1",
    "x~0y",
    "",
];

fn key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&KEYS[..])
}

fn json_tree() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        value().prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..4).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
            }),
        ]
    })
}

fn claim_set() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(key(), json_tree(), 0..5)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// RFC 6901 escaping of one reference token.
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

proptest! {
    #![proptest_config(cases(2048))]

    /// A `/a/b` claim name finds what `serde_json`'s `Value::pointer` finds.
    #[test]
    fn pointer_names_agree_with_serde_json(
        claims in claim_set(),
        path in prop::collection::vec(key().prop_filter("non-empty", |k| !k.is_empty()), 1..=4),
    ) {
        let pointer: String = path.iter().map(|s| format!("/{}", escape(s))).collect();
        let name: ClaimName = pointer.parse().expect("a well-formed pointer");
        prop_assert_eq!(name.as_str(), pointer.as_str());
        let whole = Value::Object(claims.clone());
        prop_assert_eq!(name.lookup(&claims), whole.pointer(&pointer));
        let c = Claims::from_json_unverified(whole.clone()).expect("no registered claims");
        prop_assert_eq!(c.value(&pointer), whole.pointer(&pointer));
    }

    /// A plain name is one top-level member, whatever characters it holds.
    #[test]
    fn plain_names_are_members(claims in claim_set(), k in key()) {
        prop_assume!(!k.is_empty() && !k.starts_with('/'));
        let name: ClaimName = k.parse().expect("a plain name");
        prop_assert_eq!(name.lookup(&claims), claims.get(k));
    }

    /// Pointers with an empty segment are refused rather than read as the `""` member.
    #[test]
    fn empty_segments_are_refused(
        before in prop::collection::vec(key().prop_filter("non-empty", |k| !k.is_empty()), 0..3),
        after in prop::collection::vec(key().prop_filter("non-empty", |k| !k.is_empty()), 0..3),
    ) {
        let mut segments: Vec<String> = before.iter().map(|s| escape(s)).collect();
        segments.push(String::new());
        segments.extend(after.iter().map(|s| escape(s)));
        let pointer: String = segments.iter().map(|s| format!("/{s}")).collect();
        prop_assert!(pointer.parse::<ClaimName>().is_err(), "{} parsed", pointer);
    }
}

/// The generators are not degenerate: random policies over random claims allow, deny and
/// wait for ownership each in at least 5% of cases.
#[test]
fn generated_policies_cover_every_outcome() {
    use proptest::strategy::ValueTree as _;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut allow, mut deny, mut undecided) = (0u32, 0u32, 0u32);
    let n = 4000;
    for _ in 0..n {
        let policy = model().new_tree(&mut runner).unwrap().current();
        let g = grants().new_tree(&mut runner).unwrap().current();
        match policy.rule().evaluate(&g.claims(), None) {
            Some(true) => allow += 1,
            Some(false) => deny += 1,
            None => undecided += 1,
        }
    }
    eprintln!("allow {allow}, deny {deny}, undecided {undecided} of {n}");
    for (what, count) in [("allow", allow), ("deny", deny), ("undecided", undecided)] {
        assert!(count * 20 >= n, "only {count} of {n} policies {what}");
    }
}
