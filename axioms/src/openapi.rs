//! OpenAPI from the policies (feature `utoipa`): the security section of every operation,
//! written from the `#[protected]` policy that enforces it — one statement, not two.
//!
//! [`SecurityDoc::apply`] adds the security scheme to a utoipa `OpenApi` document and, for
//! every operation whose `operationId` is a `#[protected]` handler's name (utoipa's default),
//! sets `security` from the handler's rule:
//!
//! | policy | `security` (a list is OR; the scopes in one requirement are AND) |
//! |---|---|
//! | `#[protected]` (a valid token) | `[{"oauth2": []}]` |
//! | `scopes = "a"` / `all("a", "b")` | `[{"oauth2": ["a", "b"]}]` |
//! | `scopes = any("a", "b")` | `[{"oauth2": ["a"]}, {"oauth2": ["b"]}]` |
//! | clauses together (AND), `all_of(…)` | the cross product of the clauses' lists |
//! | `any_of(…)` | the union of the clauses' lists |
//! | `roles`, `permissions`, `owner(…)` | not scopes: they add no scope (a token is needed), and the operation says so |
//! | `safe_methods` covering the operation's method | `{}` added: no token needed |
//! | no policy (a public route) | `[{}]` (see [`leave_unprotected_operations`](SecurityDoc::leave_unprotected_operations)) |
//!
//! Roles, permissions and ownership cannot be OAuth scopes, so the requirement alone would
//! understate such a policy: every protected operation also carries `x-axioms-policy` (the
//! rule in the attribute's grammar, and whether the requirement states it exactly) and a line
//! in its description. Routes under a [`PolicyLayer`](crate::policy::PolicyLayer) or
//! [`AxiomsLayer::require`](crate::AxiomsLayer::require) get theirs from
//! [`policy_layer`](SecurityDoc::policy_layer) / [`require_layer`](SecurityDoc::require_layer).
//!
//! The document is built once, at startup: nothing here runs per request.
//!
//! # Example
//!
//! ```
//! use axioms::openapi::SecurityDoc;
//! use utoipa::openapi::OpenApi;
//!
//! # fn f(axioms: axioms::Axioms, mut doc: OpenApi) {
//! SecurityDoc::from_config(axioms.config()).apply(&mut doc);
//! # }
//! ```

use std::collections::BTreeSet;

use serde_json::{Value, json};
use utoipa::openapi::OpenApi;
use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, AuthorizationCode, ClientCredentials, Flow, HttpAuthScheme, HttpBuilder,
    OAuth2, OpenIdConnect, Scopes, SecurityRequirement, SecurityScheme,
};

use crate::check::Mode;
use crate::config::Config;
use crate::policy::{Credential, LayerPolicy, Rule, policy_of, registered_scopes};
use crate::safe::SafeMethods;
use crate::verifier::Axioms;

/// How many alternatives a requirement list may hold before it is collapsed (the cross
/// product of many `any(…)` clauses grows fast).
const MAX_ALTERNATIVES: usize = 64;

/// The security requirement of a rule: the scope sets of which one must be granted, and
/// whether that says everything the rule checks.
///
/// ```
/// use axioms::{check::Mode, openapi::Requirement, policy::Rule};
///
/// const STRICT: Rule = Rule::AllOf(&[
///     Rule::Scopes(Mode::Any, &["openid", "profile"]),
///     Rule::Roles(Mode::Any, &["editor"]),
/// ]);
/// let requirement = Requirement::of(&STRICT);
/// assert_eq!(requirement.alternatives(), [vec!["openid"], vec!["profile"]]);
/// assert!(!requirement.is_exact()); // the role is not a scope
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    alternatives: Vec<BTreeSet<&'static str>>,
    exact: bool,
}

impl Requirement {
    /// The requirement of `rule`.
    pub fn of(rule: &Rule) -> Self {
        Self::of_all(&[rule])
    }

    /// The requirement of several rules that all apply (a layer's and a handler's).
    pub fn of_all(rules: &[&Rule]) -> Self {
        let (mut alternatives, exact) = product(rules.iter().map(|r| alternatives(r)));
        alternatives.dedup();
        Self {
            alternatives,
            exact,
        }
    }

    /// The scope sets, each sorted; one of them must be granted.
    pub fn alternatives(&self) -> Vec<Vec<&'static str>> {
        self.alternatives
            .iter()
            .map(|set| set.iter().copied().collect())
            .collect()
    }

    /// Whether the scopes are all the rule checks (no roles, permissions or ownership).
    pub fn is_exact(&self) -> bool {
        self.exact
    }

    /// As OpenAPI security requirements of the scheme `scheme`.
    pub fn security(&self, scheme: &str) -> Vec<SecurityRequirement> {
        self.alternatives
            .iter()
            .map(|set| SecurityRequirement::new(scheme, set.iter().copied()))
            .collect()
    }
}

fn alternatives(rule: &Rule) -> (Vec<BTreeSet<&'static str>>, bool) {
    match rule {
        Rule::Authenticated => (vec![BTreeSet::new()], true),
        Rule::Scopes(Mode::Any, list) => {
            (list.iter().map(|s| BTreeSet::from([*s])).collect(), true)
        }
        Rule::Scopes(Mode::All, list) => (vec![list.iter().copied().collect()], true),
        // Not scopes: a token is needed, the rest is said in words.
        Rule::Roles(..)
        | Rule::Permissions(..)
        | Rule::Owner
        | Rule::Acr(_)
        | Rule::MaxAge(_)
        | Rule::Dpop
        | Rule::Credentials(_)
        | Rule::Issuer(_)
        | Rule::Actor(_)
        | Rule::NoActor => (vec![BTreeSet::new()], false),
        Rule::AllOf(rules) => product(rules.iter().map(alternatives)),
        Rule::AnyOf(rules) => {
            let mut union = Vec::new();
            let mut exact = true;
            for rule in *rules {
                let (child, child_exact) = alternatives(rule);
                exact &= child_exact;
                for set in child {
                    if !union.contains(&set) {
                        union.push(set);
                    }
                }
            }
            (union, exact)
        }
    }
}

type Alternatives = (Vec<BTreeSet<&'static str>>, bool);

/// The cross product of requirements that all apply.
fn product(children: impl Iterator<Item = Alternatives>) -> Alternatives {
    let mut product = vec![BTreeSet::new()];
    let mut exact = true;
    for (child, child_exact) in children {
        exact &= child_exact;
        let mut next = Vec::new();
        for a in &product {
            for b in &child {
                let union: BTreeSet<&str> = a.union(b).copied().collect();
                if !next.contains(&union) {
                    next.push(union);
                }
            }
        }
        if next.len() > MAX_ALTERNATIVES {
            // Too many to list: ask for every scope named (stricter, never looser).
            next = vec![next.into_iter().flatten().collect()];
            exact = false;
        }
        product = next;
    }
    (product, exact)
}

/// The security of an OpenAPI document: the scheme, and the policies of routes under layers.
///
/// ```
/// use axioms::openapi::SecurityDoc;
/// axioms::policy!(pub Admins: roles = "admin");
/// # fn f(axioms: axioms::Axioms, mut doc: utoipa::openapi::OpenApi) {
/// SecurityDoc::bearer()
///     .policy_layer::<Admins>("/admin")
///     .require_layer("/api")
///     .apply(&mut doc);
/// # }
/// ```
#[derive(Clone)]
#[must_use]
pub struct SecurityDoc {
    name: String,
    scheme: SecurityScheme,
    layers: Vec<(String, &'static Rule, Option<SafeMethods>)>,
    /// The configuration's safe methods (for handlers without their own).
    safe_methods: SafeMethods,
    /// Mark operations without a policy as public (`security: [{}]`).
    public_by_default: bool,
    /// The API-key header, when API keys are on: an `apiKey` scheme named `api_key`.
    api_key_header: Option<String>,
}

/// The name of the `apiKey` scheme in `components.securitySchemes`.
const API_KEY_SCHEME: &str = "api_key";

/// Whether some request with a credential of `kind` can satisfy `rule` (everything but
/// `credentials = …` is taken to be satisfiable).
fn accepts(rule: &Rule, kind: Credential) -> bool {
    match rule {
        Rule::Credentials(kinds) => kinds.contains(&kind),
        // Only tokens are DPoP-bound, come from an issuer, or are delegated.
        Rule::Dpop | Rule::Issuer(_) | Rule::Actor(_) => kind == Credential::Token,
        Rule::AllOf(rules) => rules.iter().all(|r| accepts(r, kind)),
        Rule::AnyOf(rules) => rules.iter().any(|r| accepts(r, kind)),
        _ => true,
    }
}

impl std::fmt::Debug for SecurityDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityDoc")
            .field("scheme", &self.name)
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

impl SecurityDoc {
    /// An `http` `bearer` scheme named `bearer` (JWT): what a development issuer needs, and
    /// what Swagger UI's "Authorize" accepts a pasted token for.
    pub fn bearer() -> Self {
        Self::with_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token of the configured issuer"))
                    .build(),
            ),
        )
    }

    /// The scheme the configuration implies: `openIdConnect` with the discovery URL when
    /// discovery is on (named `oidc`), otherwise an `http` bearer scheme. Its safe methods
    /// apply to handlers that name none.
    pub fn from_config(config: &Config) -> Self {
        let doc = match config.primary().discovery_url() {
            Some(url) => Self::with_scheme(
                "oidc",
                SecurityScheme::OpenIdConnect(OpenIdConnect::new(url.as_str())),
            ),
            None => Self::bearer(),
        };
        Self {
            safe_methods: config.safe_methods(),
            api_key_header: config.api_key_header().map(str::to_owned),
            ..doc
        }
    }

    /// An `oauth2` scheme (named `oauth2`) with the flows the issuer's metadata announces
    /// (`authorizationCode` and `clientCredentials`, where its `grant_types_supported` has
    /// them), and every scope the binary's policies name. Reads
    /// `<issuer>/.well-known/openid-configuration` (or the configured discovery document)
    /// with the verifier's hardened HTTP client; falls back to
    /// [`from_config`](Self::from_config) when it cannot.
    pub async fn from_issuer(axioms: &Axioms) -> Self {
        let config = axioms.config();
        let fallback = Self::from_config(config);
        let Some(metadata) = axioms.issuer_metadata().await else {
            return fallback;
        };
        let scopes = || Scopes::from_iter(registered_scopes().into_iter().map(|s| (s, s)));
        let grants: Vec<&str> = metadata
            .get("grant_types_supported")
            .and_then(Value::as_array)
            .map(|g| g.iter().filter_map(Value::as_str).collect())
            .unwrap_or_else(|| vec!["authorization_code"]);
        let endpoint = |name: &str| metadata.get(name).and_then(Value::as_str);
        let mut flows = Vec::new();
        if let (true, Some(authorize), Some(token)) = (
            grants.contains(&"authorization_code"),
            endpoint("authorization_endpoint"),
            endpoint("token_endpoint"),
        ) {
            flows.push(Flow::AuthorizationCode(AuthorizationCode::new(
                authorize,
                token,
                scopes(),
            )));
        }
        if let (true, Some(token)) = (
            grants.contains(&"client_credentials"),
            endpoint("token_endpoint"),
        ) {
            flows.push(Flow::ClientCredentials(ClientCredentials::new(
                token,
                scopes(),
            )));
        }
        if flows.is_empty() {
            return fallback;
        }
        Self {
            name: "oauth2".to_owned(),
            scheme: SecurityScheme::OAuth2(OAuth2::new(flows)),
            ..fallback
        }
    }

    /// A scheme of your own, under `name`.
    pub fn with_scheme(name: impl Into<String>, scheme: SecurityScheme) -> Self {
        Self {
            name: name.into(),
            scheme,
            layers: Vec::new(),
            safe_methods: SafeMethods::NONE,
            public_by_default: true,
            api_key_header: None,
        }
    }

    /// Documents API keys in header `name` ([`crate::api_key`]) as an `apiKey` scheme named
    /// `api_key`, an alternative on every operation whose policy accepts API keys
    /// (`from_config` and `from_issuer` do it when API keys are configured).
    pub fn api_key_header(mut self, name: impl Into<String>) -> Self {
        self.api_key_header = Some(name.into());
        self
    }

    /// Leaves the `security` of operations that no axioms policy protects as the document has
    /// it, instead of marking them public (`[{}]`, the default: no axioms policy means no
    /// token is needed). For operations that something other than axioms protects.
    pub fn leave_unprotected_operations(mut self) -> Self {
        self.public_by_default = false;
        self
    }

    /// The operations under `prefix` are behind `PolicyLayer::<P>`.
    pub fn policy_layer<P: LayerPolicy>(mut self, prefix: &str) -> Self {
        self.layers
            .push((prefix.to_owned(), &P::RULE, P::SAFE_METHODS));
        self
    }

    /// The operations under `prefix` are behind `AxiomsLayer::require` (a valid token).
    pub fn require_layer(mut self, prefix: &str) -> Self {
        self.layers
            .push((prefix.to_owned(), &Rule::Authenticated, None));
        self
    }

    /// The scheme's name in `components.securitySchemes`.
    pub fn scheme_name(&self) -> &str {
        &self.name
    }

    /// Adds the scheme to `doc` and writes every protected operation's `security`.
    ///
    /// An `operationId` shared by several operations (utoipa's `method(get, post)` gives each
    /// method the function's name) is made unique afterwards, `<id>_<method>`, since OpenAPI
    /// requires it (§4.8.10).
    pub fn apply(&self, doc: &mut OpenApi) {
        self.apply_policies(doc);
        unique_operation_ids(doc);
    }

    fn apply_policies(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(&self.name, self.scheme.clone());
        if let Some(header) = &self.api_key_header {
            let mut value = ApiKeyValue::new(header);
            value.description = Some(
                "An API key (axioms: held as a SHA-256 digest, mapped to a principal)".to_owned(),
            );
            components.add_security_scheme(
                API_KEY_SCHEME,
                SecurityScheme::ApiKey(ApiKey::Header(value)),
            );
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                let mut policies = Vec::new();
                for (prefix, rule, safe) in &self.layers {
                    if path == prefix || path.starts_with(&format!("{prefix}/")) {
                        policies.push((*rule, *safe, format!("PolicyLayer on {prefix}")));
                    }
                }
                let handler = operation.operation_id.clone();
                match handler.as_deref().map(policy_of) {
                    Some(Ok(Some((rule, safe)))) => {
                        policies.push((rule, safe, "#[protected]".to_owned()));
                    }
                    Some(Err(candidates)) => {
                        // Several handlers share this name: state the strictest reading.
                        for rule in candidates {
                            policies.push((rule, None, "#[protected], ambiguous name".to_owned()));
                        }
                    }
                    Some(Ok(None)) | None => {}
                }
                if !policies.is_empty() {
                    self.describe(operation, &method, &policies);
                } else if self.public_by_default && operation.security.is_none() {
                    operation.security = Some(vec![SecurityRequirement::default()]);
                }
            }
        }
    }

    fn describe(
        &self,
        operation: &mut Operation,
        method: &http::Method,
        policies: &[(&'static Rule, Option<SafeMethods>, String)],
    ) {
        // Every policy on the way applies (layer and handler): their requirements combine
        // by AND, i.e. as clauses of one `all_of`.
        let rules: Vec<&Rule> = policies.iter().map(|(rule, _, _)| *rule).collect();
        let requirement = Requirement::of_all(&rules);
        let safe = policies
            .iter()
            .all(|(_, safe, _)| safe.unwrap_or(self.safe_methods).contains(method));
        let all = |kind| rules.iter().all(|rule| accepts(rule, kind));
        let mut security = if all(Credential::Token) {
            requirement.security(&self.name)
        } else {
            Vec::new()
        };
        if self.api_key_header.is_some() && all(Credential::ApiKey) {
            security.push(SecurityRequirement::new(
                API_KEY_SCHEME,
                Vec::<String>::new(),
            ));
        }
        if security.is_empty() {
            // Only API keys, and none documented: never let the operation read as public.
            security = requirement.security(&self.name);
        }
        if safe {
            security.push(SecurityRequirement::default());
        }
        operation.security = Some(security);
        let forbidden = policies
            .iter()
            .any(|(rule, _, _)| **rule != Rule::Authenticated);
        add_responses(operation, forbidden);
        let text: Vec<String> = policies
            .iter()
            .map(|(rule, _, source)| format!("`{}` ({source})", clauses(rule)))
            .collect();
        let mut line = format!("**Authorization (axioms):** {}.", text.join("; "));
        if !requirement.is_exact() {
            line.push_str(
                " Roles, permissions, ownership or the authentication's strength and age are \
                 checked too: the security requirement lists only the scopes.",
            );
        }
        if rules_name_owner(policies) {
            line.push_str(
                " Ownership: the caller must own the object (its owner field equals a claim of \
                 the token).",
            );
        }
        if safe {
            line.push_str(&format!(
                " {method} needs no token (a safe method); a token that is present is verified."
            ));
        }
        operation.description = Some(match operation.description.take() {
            Some(existing) if !existing.is_empty() => format!("{existing}\n\n{line}"),
            _ => line,
        });
        let policy: Vec<Value> = policies
            .iter()
            .map(|(rule, _, source)| json!({"rule": clauses(rule), "source": source}))
            .collect();
        let extension = ExtensionsBuilder::new()
            .add(
                "x-axioms-policy",
                json!({
                    "policies": policy,
                    "exact": requirement.is_exact(),
                    "safe_method": safe,
                }),
            )
            .build();
        match operation.extensions.as_mut() {
            Some(extensions) => extensions.merge(extension),
            None => operation.extensions = Some(extension),
        }
    }
}

/// A rule as its attribute writes it: the top-level `all_of` is the attribute's own list.
fn clauses(rule: &Rule) -> String {
    match rule {
        Rule::AllOf(rules) if !rules.is_empty() => rules
            .iter()
            .map(Rule::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

/// The error responses axioms gives a protected operation, unless the operation names them.
fn add_responses(operation: &mut Operation, forbidden: bool) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::response::Response;
    let responses = &mut operation.responses.responses;
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    };
    add(
        "401",
        "No valid access token: `WWW-Authenticate: Bearer` says why (RFC 6750), and where to \
         get one (`resource_metadata`, RFC 9728) when a resource is configured",
    );
    if forbidden {
        add(
            "403",
            "The token does not grant this request (`insufficient_scope`; the challenge's \
             `scope` names what it needs)",
        );
    }
}

fn rules_name_owner(policies: &[(&'static Rule, Option<SafeMethods>, String)]) -> bool {
    policies.iter().any(|(rule, _, _)| rule.has_owner())
}

fn unique_operation_ids(doc: &mut OpenApi) {
    let mut count = std::collections::HashMap::<String, usize>::new();
    for item in doc.paths.paths.values_mut() {
        for (_, operation) in operations(item) {
            if let Some(id) = &operation.operation_id {
                *count.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for item in doc.paths.paths.values_mut() {
        for (method, operation) in operations(item) {
            if let Some(id) = &mut operation.operation_id
                && count.get(id.as_str()).is_some_and(|n| *n > 1)
            {
                *id = format!("{id}_{}", method.as_str().to_ascii_lowercase());
            }
        }
    }
}

/// Every operation of a path item, with its method.
fn operations(item: &mut PathItem) -> Vec<(http::Method, &mut Operation)> {
    let PathItem {
        get,
        put,
        post,
        delete,
        options,
        head,
        patch,
        trace,
        ..
    } = item;
    [
        (http::Method::GET, get),
        (http::Method::PUT, put),
        (http::Method::POST, post),
        (http::Method::DELETE, delete),
        (http::Method::OPTIONS, options),
        (http::Method::HEAD, head),
        (http::Method::PATCH, patch),
        (http::Method::TRACE, trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alts(rule: &Rule) -> Vec<Vec<&'static str>> {
        Requirement::of(rule).alternatives()
    }

    #[test]
    fn the_mapping_table() {
        assert_eq!(alts(&Rule::Authenticated), [Vec::<&str>::new()]);
        assert_eq!(
            alts(&Rule::Scopes(Mode::Any, &["a", "b"])),
            [vec!["a"], vec!["b"]]
        );
        assert_eq!(
            alts(&Rule::Scopes(Mode::All, &["b", "a"])),
            [vec!["a", "b"]]
        );
        const CROSS: Rule = Rule::AllOf(&[
            Rule::Scopes(Mode::Any, &["a", "b"]),
            Rule::Scopes(Mode::Any, &["c", "d"]),
        ]);
        assert_eq!(
            alts(&CROSS),
            [
                vec!["a", "c"],
                vec!["a", "d"],
                vec!["b", "c"],
                vec!["b", "d"]
            ]
        );
        const UNION: Rule = Rule::AnyOf(&[
            Rule::Scopes(Mode::All, &["a", "b"]),
            Rule::Scopes(Mode::Any, &["c"]),
        ]);
        assert_eq!(alts(&UNION), [vec!["a", "b"], vec!["c"]]);
        const OWNER_OR_MOD: Rule =
            Rule::AnyOf(&[Rule::Owner, Rule::Roles(Mode::Any, &["admin", "moderator"])]);
        let r = Requirement::of(&OWNER_OR_MOD);
        assert_eq!(r.alternatives(), [Vec::<&str>::new()]);
        assert!(!r.is_exact());
        assert!(Requirement::of(&CROSS).is_exact());
    }

    #[test]
    fn a_huge_cross_product_collapses_to_the_stricter_reading() {
        const TWO: &[&str] = &["a", "b"];
        const MANY: Rule = Rule::AllOf(&[
            Rule::Scopes(Mode::Any, TWO),
            Rule::Scopes(Mode::Any, &["c", "d"]),
            Rule::Scopes(Mode::Any, &["e", "f"]),
            Rule::Scopes(Mode::Any, &["g", "h"]),
            Rule::Scopes(Mode::Any, &["i", "j"]),
            Rule::Scopes(Mode::Any, &["k", "l"]),
            Rule::Scopes(Mode::Any, &["m", "n"]),
        ]);
        let r = Requirement::of(&MANY);
        assert_eq!(r.alternatives().len(), 1);
        assert!(!r.is_exact());
    }
}
