//! Policies as constant data, and their three-valued evaluation.

use crate::check::{Mode, ScopeMatcher, satisfies_with};
use crate::claims::{Claims, Credential, Granted};
use crate::rejection::Reason;

/// One clause of a policy. `#[protected]` and [`policy!`](crate::policy!) write these as
/// constants; the runtime evaluates them.
///
/// # Example
///
/// ```
/// use axioms::check::Mode;
/// use axioms::policy::Rule;
///
/// // "read:data or admin scope, and the editor role"
/// const RULE: Rule = Rule::AllOf(&[
///     Rule::Scopes(Mode::Any, &["read:data", "admin"]),
///     Rule::Roles(Mode::Any, &["editor"]),
/// ]);
/// # let _ = RULE;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// A valid token is enough.
    Authenticated,
    /// Scopes, combined by the mode.
    Scopes(Mode, &'static [&'static str]),
    /// Roles, combined by the mode.
    Roles(Mode, &'static [&'static str]),
    /// Permissions, combined by the mode.
    Permissions(Mode, &'static [&'static str]),
    /// The caller owns the fetched object.
    Owner,
    /// At least one clause holds.
    AnyOf(&'static [Rule]),
    /// Every clause holds.
    AllOf(&'static [Rule]),
    /// The user authenticated with one of these authentication context classes (the token's
    /// `acr`, RFC 9470 step-up).
    Acr(&'static [&'static str]),
    /// The user authenticated at most this many seconds ago (the token's `auth_time`,
    /// RFC 9470 step-up).
    MaxAge(u64),
    /// The token is DPoP-bound (`cnf.jkt`, RFC 9449), so the pipeline has checked its
    /// proof: `dpop = required`.
    Dpop,
    /// The request came with one of these kinds of credential: `credentials = any(…)`.
    Credentials(&'static [Credential]),
    /// One of these trusted issuers, by the names they are trusted under, vouched for the
    /// token ([`Claims::vouched_by`]): `issuer = any(…)`. An API key has no issuer.
    ///
    /// It also decides whose claims the clauses beside it may read: in an
    /// [`AllOf`](Rule::AllOf) (the attribute's own list is one), the other clauses accept
    /// the named issuers' tokens, while everywhere else only issuers of the primary directory
    /// (and partners the operator extends the policy to) count.
    Issuer(&'static [&'static str]),
    /// The token was obtained for its subject by one of these actors, by token exchange: the
    /// current actor's `sub` (the `act` claim, RFC 8693 §4.1, [`Claims::actor`]) is one of
    /// them — `actor = any(…)`. Prior actors (nested `act`) never count.
    Actor(&'static [&'static str]),
    /// The token is not delegated: it has no `act` claim — `actor = none`.
    NoActor,
}

/// What a rule is evaluated with besides the claims: how scopes match, the clock, and the
/// name of the policy (which partners the operator extends it to).
pub(crate) struct Ctx<'a> {
    pub(crate) matcher: &'a dyn ScopeMatcher,
    /// Read only by the rules that need the time (`max_age`): most policies never do.
    pub(crate) clock: &'a dyn crate::clock::Clock,
    /// The policy's name, as `trusted_for` lists it.
    pub(crate) policy: &'a str,
}

const fn any_has_owner(rules: &[Rule]) -> bool {
    match rules {
        [] => false,
        [first, rest @ ..] => first.has_owner() || any_has_owner(rest),
    }
}

/// Every clause of an `all_of` holds (`Unknown` while one depends on the object).
fn all_of<const TRUSTED: bool>(
    rules: &[Rule],
    claims: &Claims,
    owner: Option<bool>,
    m: &Ctx<'_>,
) -> Tri {
    let mut unknown = false;
    for r in rules {
        match r.eval_in::<TRUSTED>(claims, owner, m) {
            Tri::No => return Tri::No,
            Tri::Unknown => unknown = true,
            Tri::Yes => {}
        }
    }
    if unknown { Tri::Unknown } else { Tri::Yes }
}

/// Whether the claims' issuer is one of `names` (an API key has none).
fn vouched_by_one_of(claims: &Claims, names: &[&str]) -> bool {
    claims.vouched_by().is_some_and(|n| names.contains(&n))
}

/// Whether `rules`, the clauses of one `all_of`, name the claims' issuer: they hold an
/// `issuer = …` clause, and the claims' issuer is in every one. The other clauses may then
/// read what that issuer vouches for.
fn names_issuer_of(rules: &[Rule], claims: &Claims) -> bool {
    let mut named = false;
    for rule in rules {
        if let Rule::Issuer(names) = rule {
            if !vouched_by_one_of(claims, names) {
                return false;
            }
            named = true;
        }
    }
    named
}

/// A three-valued truth: ownership is unknown until the object is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tri {
    Yes,
    No,
    Unknown,
}

impl Rule {
    /// Whether the rule mentions ownership anywhere.
    pub const fn has_owner(&self) -> bool {
        match self {
            Rule::Owner => true,
            Rule::AnyOf(rules) | Rule::AllOf(rules) => any_has_owner(rules),
            _ => false,
        }
    }

    /// Evaluates the rule for verified claims, with the default exact scope matching:
    /// `Some(true)` allows, `Some(false)` denies, `None` means the answer still depends on
    /// ownership (`owner` is `None` until the object is fetched).
    ///
    /// ```
    /// use axioms::{Claims, check::Mode, policy::Rule};
    /// use serde_json::json;
    ///
    /// const ADMIN_OR_OWNER: Rule = Rule::AnyOf(&[Rule::Roles(Mode::Any, &["admin"]), Rule::Owner]);
    /// let user = Claims::from_json_unverified(json!({"roles": ["user"]})).unwrap();
    /// assert_eq!(ADMIN_OR_OWNER.evaluate(&user, None), None);
    /// assert_eq!(ADMIN_OR_OWNER.evaluate(&user, Some(true)), Some(true));
    /// ```
    pub fn evaluate(&self, claims: &Claims, owner: Option<bool>) -> Option<bool> {
        let ctx = Ctx {
            matcher: &crate::check::Exact,
            clock: &crate::clock::SystemClock,
            policy: "",
        };
        match self.eval(claims, owner, &ctx) {
            Tri::Yes => Some(true),
            Tri::No => Some(false),
            Tri::Unknown => None,
        }
    }

    /// Evaluates the rule; `owner` is `None` while the object has not been fetched. Claims
    /// of an issuer the policy does not trust satisfy only `issuer = …` clauses naming it
    /// (and the clauses those scope).
    pub(crate) fn eval(&self, claims: &Claims, owner: Option<bool>, m: &Ctx<'_>) -> Tri {
        if claims.trusted_by(m.policy) {
            self.eval_in::<true>(claims, owner, m)
        } else {
            self.eval_in::<false>(claims, owner, m)
        }
    }

    /// [`eval`](Self::eval) where `TRUSTED` says whether the claims' issuer counts here: a
    /// constant, so that the usual evaluation (claims of the primary directory) carries no
    /// trust check at all.
    fn eval_in<const TRUSTED: bool>(
        &self,
        claims: &Claims,
        owner: Option<bool>,
        m: &Ctx<'_>,
    ) -> Tri {
        let bool_tri = |b: bool| if b { Tri::Yes } else { Tri::No };
        match self {
            Rule::Issuer(issuers) => bool_tri(vouched_by_one_of(claims, issuers)),
            Rule::AnyOf(rules) => {
                let mut unknown = false;
                for r in *rules {
                    match r.eval_in::<TRUSTED>(claims, owner, m) {
                        Tri::Yes => return Tri::Yes,
                        Tri::Unknown => unknown = true,
                        Tri::No => {}
                    }
                }
                if unknown { Tri::Unknown } else { Tri::No }
            }
            Rule::AllOf(rules) if !TRUSTED && names_issuer_of(rules, claims) => {
                all_of::<true>(rules, claims, owner, m)
            }
            Rule::AllOf(rules) => all_of::<TRUSTED>(rules, claims, owner, m),
            // Every other clause reads what the issuer vouches for.
            _ if !TRUSTED => Tri::No,
            Rule::Acr(classes) => bool_tri(
                claims
                    .value("acr")
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|acr| classes.contains(&acr)),
            ),
            Rule::MaxAge(secs) => bool_tri(claims.auth_time().is_some_and(|at| {
                let age = i128::from(m.clock.now()) - i128::from(at);
                age <= i128::from(*secs)
            })),
            // The pipeline accepts a `cnf.jkt` token only with a valid proof of that key.
            Rule::Dpop => bool_tri(claims.is_dpop_bound()),
            Rule::Credentials(kinds) => bool_tri(kinds.contains(&Credential::of(claims))),
            Rule::Actor(subjects) => bool_tri(
                claims
                    .actor()
                    .is_some_and(|actor| subjects.contains(&actor.subject())),
            ),
            Rule::NoActor => bool_tri(claims.actor().is_none()),
            Rule::Authenticated => Tri::Yes,
            Rule::Scopes(mode, req) if m.matcher.is_exact() => {
                bool_tri(claims.holds(Granted::Scopes, *mode, req))
            }
            Rule::Scopes(mode, req) => {
                bool_tri(satisfies_with(m.matcher, claims.scopes(), *mode, req))
            }
            Rule::Roles(mode, req) => bool_tri(claims.holds(Granted::Roles, *mode, req)),
            Rule::Permissions(mode, req) => {
                bool_tri(claims.holds(Granted::Permissions, *mode, req))
            }
            Rule::Owner => owner.map_or(Tri::Unknown, bool_tri),
        }
    }

    /// Why the rule denied: the first failing clause, and the scopes that would satisfy it
    /// (with how they combine).
    pub(crate) fn denial(
        &self,
        claims: &Claims,
        owner: Option<bool>,
        m: &Ctx<'_>,
    ) -> (Reason, &'static [&'static str], Mode) {
        self.denial_in(claims, owner, m, claims.trusted_by(m.policy))
    }

    fn denial_in(
        &self,
        claims: &Claims,
        owner: Option<bool>,
        m: &Ctx<'_>,
        trusted: bool,
    ) -> (Reason, &'static [&'static str], Mode) {
        match self {
            Rule::Issuer(_) => (Reason::IssuerNotAccepted, &[], Mode::All),
            // Blame a clause that said no; one that is only unknown (ownership not yet
            // fetched) is not the reason for a denial.
            Rule::AllOf(rules) => {
                let trusted = trusted || names_issuer_of(rules, claims);
                let eval = |r: &Rule| {
                    if trusted {
                        r.eval_in::<true>(claims, owner, m)
                    } else {
                        r.eval_in::<false>(claims, owner, m)
                    }
                };
                rules
                    .iter()
                    .find(|r| eval(r) == Tri::No)
                    .or_else(|| rules.iter().find(|r| eval(r) != Tri::Yes))
                    .map_or((Reason::PolicyDenied, &[], Mode::All), |r| {
                        r.denial_in(claims, owner, m, trusted)
                    })
            }
            // Nothing but an `issuer = …` alternative could have let it through.
            Rule::AnyOf(rules)
                if !trusted && !rules.iter().any(|r| matches!(r, Rule::Issuer(_))) =>
            {
                (Reason::IssuerNotAccepted, &[], Mode::All)
            }
            Rule::AnyOf(rules) => {
                let (scopes, mode) = rules
                    .iter()
                    .find_map(|r| match r {
                        Rule::Scopes(mode, req) => Some((*req, *mode)),
                        _ => None,
                    })
                    .unwrap_or((&[], Mode::All));
                (Reason::PolicyDenied, scopes, mode)
            }
            _ if !trusted => (Reason::IssuerNotAccepted, &[], Mode::All),
            Rule::Acr(_) | Rule::MaxAge(_) => {
                (Reason::InsufficientUserAuthentication, &[], Mode::All)
            }
            Rule::Dpop => (Reason::DpopRequired, &[], Mode::All),
            Rule::Credentials(_) => (Reason::CredentialNotAccepted, &[], Mode::All),
            Rule::Actor(_) | Rule::NoActor => (Reason::ActorNotAccepted, &[], Mode::All),
            Rule::Scopes(mode, req) => (Reason::MissingScope, req, *mode),
            Rule::Roles(..) => (Reason::MissingRole, &[], Mode::All),
            Rule::Permissions(..) => (Reason::MissingPermission, &[], Mode::All),
            Rule::Owner => (Reason::NotOwner, &[], Mode::All),
            Rule::Authenticated => (Reason::PolicyDenied, &[], Mode::All),
        }
    }

    /// The scopes a client should ask for to satisfy the rule (the `scope` of a 401
    /// challenge), and how they combine: a clause's own list; under `all_of`, every list
    /// (all of them, which covers each); under `any_of`, the first alternative that names
    /// scopes.
    pub(crate) fn challenge_scopes(&self) -> (Vec<&'static str>, Mode) {
        match self {
            Rule::Scopes(mode, req) => (req.to_vec(), *mode),
            Rule::AllOf(rules) => {
                let lists: Vec<_> = rules
                    .iter()
                    .map(Rule::challenge_scopes)
                    .filter(|(s, _)| !s.is_empty())
                    .collect();
                match lists.as_slice() {
                    [] => (Vec::new(), Mode::All),
                    [(one, mode)] => (one.clone(), *mode),
                    several => {
                        let mut all: Vec<&'static str> = Vec::new();
                        for scope in several.iter().flat_map(|(s, _)| s) {
                            if !all.contains(scope) {
                                all.push(scope);
                            }
                        }
                        (all, Mode::All)
                    }
                }
            }
            Rule::AnyOf(rules) => rules
                .iter()
                .map(Rule::challenge_scopes)
                .find(|(s, _)| !s.is_empty())
                .unwrap_or((Vec::new(), Mode::All)),
            Rule::Authenticated
            | Rule::Roles(..)
            | Rule::Permissions(..)
            | Rule::Owner
            | Rule::Acr(_)
            | Rule::MaxAge(_)
            | Rule::Dpop
            | Rule::Credentials(_)
            | Rule::Issuer(_)
            | Rule::Actor(_)
            | Rule::NoActor => (Vec::new(), Mode::All),
        }
    }

    /// What a step-up challenge (RFC 9470) asks for: the `acr` values of the rule's first
    /// `acr` clause and its smallest `max_age`.
    pub(crate) fn step_up(&self) -> (&'static [&'static str], Option<u64>) {
        match self {
            Rule::Acr(classes) => (classes, None),
            Rule::MaxAge(secs) => (&[], Some(*secs)),
            Rule::AllOf(rules) | Rule::AnyOf(rules) => {
                rules.iter().fold((&[][..], None), |(acr, age), rule| {
                    let (a, m) = rule.step_up();
                    let acr = if acr.is_empty() { a } else { acr };
                    let age = match (age, m) {
                        (Some(x), Some(y)) => Some(x.min(y)),
                        (x, y) => x.or(y),
                    };
                    (acr, age)
                })
            }
            _ => (&[], None),
        }
    }

    /// Every trusted issuer the rule names (`issuer = …`), in order, once each.
    ///
    /// ```
    /// use axioms::policy::Rule;
    /// const RULE: Rule = Rule::AnyOf(&[Rule::Issuer(&["partner"]), Rule::Owner]);
    /// assert_eq!(RULE.issuers(), ["partner"]);
    /// ```
    pub fn issuers(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        self.visit(&mut |rule| {
            if let Rule::Issuer(names) = rule {
                for name in *names {
                    if !out.contains(name) {
                        out.push(*name);
                    }
                }
            }
        });
        out
    }

    /// Calls `f` on the rule and every clause inside it.
    fn visit(&self, f: &mut impl FnMut(&Rule)) {
        f(self);
        if let Rule::AllOf(rules) | Rule::AnyOf(rules) = self {
            for rule in *rules {
                rule.visit(f);
            }
        }
    }

    /// Every scope the rule names, in order, once each (for `scopes_supported`).
    pub fn scopes(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        self.collect_scopes(&mut out);
        out
    }

    fn collect_scopes(&self, out: &mut Vec<&'static str>) {
        match self {
            Rule::Scopes(_, req) => {
                for scope in *req {
                    if !out.contains(scope) {
                        out.push(scope);
                    }
                }
            }
            Rule::AllOf(rules) | Rule::AnyOf(rules) => {
                for rule in *rules {
                    rule.collect_scopes(out);
                }
            }
            Rule::Authenticated
            | Rule::Roles(..)
            | Rule::Permissions(..)
            | Rule::Owner
            | Rule::Acr(_)
            | Rule::MaxAge(_)
            | Rule::Dpop
            | Rule::Credentials(_)
            | Rule::Issuer(_)
            | Rule::Actor(_)
            | Rule::NoActor => {}
        }
    }
}

/// The rule in the attribute's own grammar: `all_of(scopes = any("a", "b"), roles = "editor")`.
///
/// ```
/// use axioms::{check::Mode, policy::Rule};
/// const RULE: Rule = Rule::AnyOf(&[Rule::Owner, Rule::Roles(Mode::Any, &["admin", "moderator"])]);
/// assert_eq!(RULE.to_string(), r#"any_of(owner, roles = any("admin", "moderator"))"#);
/// ```
impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let values = |f: &mut std::fmt::Formatter<'_>, key: &str, mode: &Mode, list: &[&str]| {
            let quoted: Vec<String> = list.iter().map(|v| format!("{v:?}")).collect();
            match (mode, quoted.as_slice()) {
                (_, [one]) => write!(f, "{key} = {one}"),
                (Mode::Any, _) => write!(f, "{key} = any({})", quoted.join(", ")),
                (Mode::All, _) => write!(f, "{key} = all({})", quoted.join(", ")),
            }
        };
        let group = |f: &mut std::fmt::Formatter<'_>, name: &str, rules: &[Rule]| {
            let inner: Vec<String> = rules.iter().map(Rule::to_string).collect();
            write!(f, "{name}({})", inner.join(", "))
        };
        match self {
            Rule::Authenticated => f.write_str("a valid token"),
            Rule::Scopes(mode, list) => values(f, "scopes", mode, list),
            Rule::Roles(mode, list) => values(f, "roles", mode, list),
            Rule::Permissions(mode, list) => values(f, "permissions", mode, list),
            Rule::Owner => f.write_str("owner"),
            Rule::Acr(classes) => values(f, "acr", &Mode::Any, classes),
            Rule::MaxAge(secs) => write!(f, "max_age = {secs}"),
            Rule::Dpop => f.write_str("dpop = required"),
            Rule::Credentials(kinds) => {
                let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
                values(f, "credentials", &Mode::Any, &names)
            }
            Rule::Issuer(issuers) => values(f, "issuer", &Mode::Any, issuers),
            Rule::Actor(subjects) => values(f, "actor", &Mode::Any, subjects),
            Rule::NoActor => f.write_str("actor = none"),
            Rule::AnyOf(rules) => group(f, "any_of", rules),
            Rule::AllOf(rules) => group(f, "all_of", rules),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Exact;
    use serde_json::json;

    fn ctx() -> Ctx<'static> {
        Ctx {
            matcher: &Exact,
            clock: Box::leak(Box::new(crate::clock::ManualClock::new(1_000))),
            policy: "extended",
        }
    }

    #[test]
    fn step_up_checks_acr_and_auth_time() {
        const MFA: Rule = Rule::AllOf(&[Rule::Acr(&["urn:example:mfa"]), Rule::MaxAge(300)]);
        let fresh = claims(json!({"acr": "urn:example:mfa", "auth_time": 800}));
        assert_eq!(MFA.eval(&fresh, None, &ctx()), Tri::Yes);
        for bad in [
            json!({"acr": "urn:example:mfa", "auth_time": 600}),
            json!({"acr": "urn:example:mfa"}),
            json!({"acr": "urn:example:pwd", "auth_time": 900}),
            json!({"auth_time": 900}),
        ] {
            let c = claims(bad.clone());
            assert_eq!(MFA.eval(&c, None, &ctx()), Tri::No, "{bad}");
            assert_eq!(
                MFA.denial(&c, None, &ctx()).0,
                Reason::InsufficientUserAuthentication
            );
        }
        // `acr` is a string (OIDC Core §2): any other shape makes the token malformed.
        assert!(Claims::from_json_unverified(json!({"acr": ["urn:example:mfa"]})).is_none());
        assert_eq!(MFA.step_up(), (&["urn:example:mfa"][..], Some(300)));
        assert_eq!(
            MFA.to_string(),
            r#"all_of(acr = "urn:example:mfa", max_age = 300)"#
        );
    }

    fn claims(v: serde_json::Value) -> Claims {
        Claims::from_json_unverified(v).unwrap()
    }

    #[test]
    fn owner_is_unknown_until_fetched() {
        let c = claims(json!({"roles": ["user"]}));
        let admin_or_owner = Rule::AnyOf(&[Rule::Roles(Mode::Any, &["admin"]), Rule::Owner]);
        assert_eq!(admin_or_owner.eval(&c, None, &ctx()), Tri::Unknown);
        assert_eq!(admin_or_owner.eval(&c, Some(true), &ctx()), Tri::Yes);
        assert_eq!(admin_or_owner.eval(&c, Some(false), &ctx()), Tri::No);
        let admin = claims(json!({"roles": ["admin"]}));
        assert_eq!(admin_or_owner.eval(&admin, None, &ctx()), Tri::Yes);
    }

    #[test]
    fn all_of_short_circuits_on_a_known_no() {
        let c = claims(json!({"scope": "a"}));
        let r = Rule::AllOf(&[Rule::Scopes(Mode::All, &["a", "b"]), Rule::Owner]);
        assert_eq!(r.eval(&c, None, &ctx()), Tri::No);
        assert_eq!(
            r.denial(&c, None, &ctx()),
            (Reason::MissingScope, &["a", "b"][..], Mode::All)
        );
    }

    #[test]
    fn challenge_scopes_say_what_to_ask_for() {
        let any = Rule::AllOf(&[Rule::Scopes(Mode::Any, &["read", "admin"])]);
        assert_eq!(any.challenge_scopes(), (vec!["read", "admin"], Mode::Any));
        let two = Rule::AllOf(&[
            Rule::Scopes(Mode::Any, &["a", "b"]),
            Rule::Roles(Mode::Any, &["r"]),
            Rule::Scopes(Mode::All, &["b", "c"]),
        ]);
        assert_eq!(two.challenge_scopes(), (vec!["a", "b", "c"], Mode::All));
        let either = Rule::AnyOf(&[Rule::Owner, Rule::Scopes(Mode::All, &["mod"])]);
        assert_eq!(either.challenge_scopes(), (vec!["mod"], Mode::All));
        assert_eq!(two.scopes(), ["a", "b", "c"]);
        assert!(Rule::Authenticated.challenge_scopes().0.is_empty());
    }

    /// Claims vouched for by the trusted issuer `name` of `directory`, extended to the
    /// policies `policies`.
    fn vouched(name: &str, directory: &str, policies: &[&str], v: serde_json::Value) -> Claims {
        let voucher = std::sync::Arc::new(crate::claims::Voucher::new(
            1,
            name,
            directory,
            policies.iter().map(|p| Box::from(*p)),
        ));
        claims(v).vouch(&voucher)
    }

    #[test]
    fn a_partner_satisfies_only_what_names_it_or_is_extended_to_it() {
        let admin = json!({"sub": "alice", "roles": ["admin"], "scope": "notes:read"});
        let partner = vouched("partner", "partner", &[], admin.clone());
        let extended = vouched("partner", "partner", &["extended"], admin.clone());
        let migrated = vouched("keycloak", "primary", &[], admin.clone());
        let ours = vouched("primary", "primary", &[], admin);
        let roles = Rule::AllOf(&[Rule::Roles(Mode::Any, &["admin"])]);
        let named = Rule::AllOf(&[
            Rule::Issuer(&["partner"]),
            Rule::Roles(Mode::Any, &["admin"]),
        ]);
        let either = Rule::AnyOf(&[
            Rule::AllOf(&[Rule::Issuer(&["partner"]), Rule::Owner]),
            Rule::Roles(Mode::Any, &["admin"]),
        ]);
        let other = Ctx {
            policy: "other",
            ..ctx()
        };
        // Not named, not extended: nothing, not even a bare valid token.
        for rule in [&roles, &Rule::Authenticated, &Rule::Dpop] {
            assert_eq!(rule.eval(&partner, None, &other), Tri::No, "{rule}");
        }
        assert_eq!(
            roles.denial(&partner, None, &other).0,
            Reason::IssuerNotAccepted
        );
        // Named: its clauses beside the name read the partner's claims.
        assert_eq!(named.eval(&partner, None, &other), Tri::Yes);
        assert_eq!(named.eval(&ours, None, &other), Tri::No);
        // Named in one branch only: the other branch still refuses its roles.
        assert_eq!(either.eval(&partner, Some(false), &other), Tri::No);
        assert_eq!(either.eval(&partner, Some(true), &other), Tri::Yes);
        assert_eq!(either.eval(&ours, Some(false), &other), Tri::Yes);
        // Extended by the operator to this policy (the context's name is `extended`).
        assert_eq!(roles.eval(&extended, None, &ctx()), Tri::Yes);
        assert_eq!(roles.eval(&extended, None, &other), Tri::No);
        // The primary directory: trusted everywhere.
        for c in [&ours, &migrated] {
            assert_eq!(roles.eval(c, None, &other), Tri::Yes);
        }
        assert_eq!(named.issuers(), ["partner"]);
    }

    #[test]
    fn has_owner_is_deep() {
        const R: Rule = Rule::AllOf(&[Rule::AnyOf(&[Rule::Authenticated, Rule::Owner])]);
        const { assert!(R.has_owner()) };
        assert!(!Rule::AllOf(&[Rule::Authenticated]).has_owner());
    }
}
