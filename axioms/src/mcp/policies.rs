//! Which policy each MCP operation needs: tools, resources (exact URIs and URI templates),
//! prompts, other methods, and the tool arguments that need more.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use serde_json::{Map, Value};

use super::template::UriTemplate;
use crate::ConfigError;
use crate::claims::Claims;
use crate::policy::{LayerPolicy, Named, Policy};

/// The ownership check of a resource policy: the policy's fetch, run on the request's parts
/// (where the template's variables are).
pub(super) type OwnerCheck =
    for<'a> fn(
        &'a mut Parts,
        &'a Claims,
    ) -> Pin<Box<dyn Future<Output = Result<bool, Response>> + Send + 'a>>;

fn owner_check<'a, P: Policy<()>>(
    parts: &'a mut Parts,
    claims: &'a Claims,
) -> Pin<Box<dyn Future<Output = Result<bool, Response>> + Send + 'a>> {
    Box::pin(P::check_owner(parts, &(), claims))
}

/// A policy as an operation needs it: its rule, and for a resource whose policy names
/// `owner(…)`, the check that fetches the object.
#[derive(Clone, Copy)]
pub(super) struct Needs {
    pub(super) named: Named,
    pub(super) owner: Option<OwnerCheck>,
}

impl Needs {
    fn layer<P: LayerPolicy>() -> Self {
        Self {
            named: Named::of::<(), P>(),
            owner: None,
        }
    }
}

/// A tool argument that makes a call need another policy.
#[derive(Clone)]
struct ArgumentRule {
    argument: Box<str>,
    value: Value,
    needs: Needs,
}

/// Which policy each operation of an MCP server needs: tools, resources (exact URIs and
/// RFC 6570 URI templates, whose variables may decide ownership), prompts, and any other
/// method; and which tool arguments need more.
///
/// An operation without a policy is refused (fail closed), unless
/// [`otherwise`](McpPolicies::otherwise) says what the others need. The protocol's own
/// methods (`initialize`, `server/discover`, `ping`, notifications, `logging/setLevel`,
/// `subscriptions/listen`) and the lists (`tools/list`, `resources/list`,
/// `resources/templates/list`, `prompts/list`: their answers are filtered) need only the
/// endpoint's policy. Every scope named here is in the resource metadata's
/// `scopes_supported`, like every other policy's.
///
/// ```
/// use axioms::mcp::McpPolicies;
/// use axum::http::StatusCode;
///
/// axioms::policy!(pub NotesRead: scopes = "notes:read");
/// axioms::policy!(pub NotesWrite: scopes = "notes:write");
///
/// struct Note { owner: String }
/// async fn get_note(vars: axioms::mcp::TemplateVars) -> Result<Note, StatusCode> {
///     let id: u32 = vars.parse("id").ok_or(StatusCode::NOT_FOUND)?;
///     Ok(Note { owner: format!("user-{id}") })
/// }
/// axioms::policy!(pub OwnNote: scopes = "notes:read", owner(fetch = get_note, field = "owner"), state = ());
///
/// let policies = McpPolicies::new()
///     .tool::<NotesRead>("notes")
///     // `notes` with `"mode": "write"` needs `notes:write` as well.
///     .tool_argument::<NotesWrite>("notes", "mode", "write")
///     .resource::<OwnNote>("notes://{id}")
///     .prompt::<NotesRead>("summarize_notes");
/// # let _ = policies;
/// ```
#[derive(Clone, Default)]
pub struct McpPolicies {
    tools: HashMap<Box<str>, Needs>,
    arguments: HashMap<Box<str>, Vec<ArgumentRule>>,
    prompts: HashMap<Box<str>, Needs>,
    /// In declaration order: the first template that matches decides.
    resources: Vec<(UriTemplate, Needs)>,
    methods: HashMap<Box<str>, Needs>,
    otherwise: Option<Needs>,
    /// Templates that cannot be matched: [`McpLayer::new`](super::McpLayer::new) refuses them.
    errors: Vec<ConfigError>,
}

impl fmt::Debug for McpPolicies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn sorted(map: &HashMap<Box<str>, Needs>) -> Vec<&str> {
            let mut names: Vec<&str> = map.keys().map(|k| &**k).collect();
            names.sort_unstable();
            names
        }
        f.debug_struct("McpPolicies")
            .field("tools", &sorted(&self.tools))
            .field(
                "resources",
                &self.resources.iter().map(|(t, _)| t).collect::<Vec<_>>(),
            )
            .field("prompts", &sorted(&self.prompts))
            .field("methods", &sorted(&self.methods))
            .field("otherwise", &self.otherwise.is_some())
            .finish_non_exhaustive()
    }
}

/// What a JSON-RPC message asks for, as far as its policy goes.
#[derive(Debug, PartialEq)]
pub(super) enum Operation<'a> {
    Tool {
        name: &'a str,
        arguments: Option<&'a Map<String, Value>>,
    },
    Resource(&'a str),
    Prompt(&'a str),
    /// `completion/complete` for a prompt's or a resource template's argument: decided like
    /// a list entry (the caller may use what is completed).
    Completion(Reference<'a>),
    /// One of the four lists: the endpoint's policy, and the answer filtered.
    List(ListKind),
    /// The protocol's own methods, notifications and responses: the endpoint's policy.
    Protocol,
    Method(&'a str),
}

/// A reference in `completion/complete`.
#[derive(Debug, PartialEq)]
pub(super) enum Reference<'a> {
    Prompt(&'a str),
    Resource(&'a str),
}

/// The lists whose answers are filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ListKind {
    Tools,
    Resources,
    Templates,
    Prompts,
}

impl ListKind {
    /// The list a result holds, if it is one of the four.
    pub(super) fn held_by(result: &Map<String, Value>) -> Option<Self> {
        [Self::Tools, Self::Resources, Self::Templates, Self::Prompts]
            .into_iter()
            .find(|kind| result.get(kind.fields().0).is_some_and(Value::is_array))
    }

    /// The result's array, and the member of each entry that names it.
    pub(super) fn fields(self) -> (&'static str, &'static str) {
        match self {
            Self::Tools => ("tools", "name"),
            Self::Resources => ("resources", "uri"),
            Self::Templates => ("resourceTemplates", "uriTemplate"),
            Self::Prompts => ("prompts", "name"),
        }
    }
}

/// What a resource policy found for a URI: the policy, and the template's variables.
pub(super) struct ResourceMatch {
    pub(super) needs: Needs,
    pub(super) vars: TemplateVars,
}

impl McpPolicies {
    /// No operation is allowed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// `tools/call` of tool `name` needs the policy `P`.
    pub fn tool<P: LayerPolicy>(mut self, name: &str) -> Self {
        self.tools.insert(Box::from(name), Needs::layer::<P>());
        self
    }

    /// A call of tool `tool` whose argument `argument` equals `value` (JSON equality) needs
    /// `P` as well as the tool's policy: the scopes an operation needs may follow from its
    /// arguments, declared here rather than checked by hand in the tool. A refused call's
    /// 403 names every scope the call needs, in one challenge.
    ///
    /// ```
    /// use axioms::mcp::McpPolicies;
    /// axioms::policy!(pub Read: scopes = "files:read");
    /// axioms::policy!(pub Write: scopes = "files:write");
    /// let policies = McpPolicies::new()
    ///     .tool::<Read>("file")
    ///     .tool_argument::<Write>("file", "mode", "write")
    ///     .tool_argument::<Write>("file", "overwrite", true);
    /// # let _ = policies;
    /// ```
    pub fn tool_argument<P: LayerPolicy>(
        mut self,
        tool: &str,
        argument: &str,
        value: impl Into<Value>,
    ) -> Self {
        self.arguments
            .entry(Box::from(tool))
            .or_default()
            .push(ArgumentRule {
                argument: Box::from(argument),
                value: value.into(),
                needs: Needs::layer::<P>(),
            });
        self
    }

    /// `resources/read` (and `resources/subscribe`) of a URI that `template` matches needs
    /// `P`. `template` is an exact URI (`config://app`) or an RFC 6570 template of levels 1
    /// and 2 (`notes://{id}`, `file:///{+path}`). `P` may name `owner(…)`: its fetch function
    /// reads the template's variables with the [`TemplateVars`] extractor, and a caller who
    /// does not own the object is answered as if the resource did not exist (JSON-RPC
    /// "Resource not found"). Exact URIs are tried first, then templates in the order given.
    ///
    /// A template this cannot match (a `{/var}`, `{?q}`, a list or a modifier, two
    /// variables with nothing between them, a variable twice) makes
    /// [`McpLayer::new`](super::McpLayer::new) fail: the server does not start.
    pub fn resource<P: Policy<()>>(mut self, template: &str) -> Self {
        let parsed = match UriTemplate::parse(template) {
            Ok(parsed) => parsed,
            Err(err) => {
                self.errors.push(ConfigError::new(
                    "McpPolicies::resource",
                    format!("the URI template {template:?} cannot be matched: {}", err.0),
                    "write an exact URI or an RFC 6570 template of levels 1 and 2, e.g. \
                     `notes://{id}` or `file:///{+path}`",
                ));
                return self;
            }
        };
        let needs = Needs {
            named: Named::of::<(), P>(),
            owner: P::RULE
                .has_owner()
                .then_some(owner_check::<P> as OwnerCheck),
        };
        self.insert_resource(parsed, needs);
        self
    }

    /// Exact URIs before templates; each kind in the order given.
    fn insert_resource(&mut self, template: UriTemplate, needs: Needs) {
        let position = if template.is_exact() {
            self.resources
                .iter()
                .position(|(t, _)| !t.is_exact())
                .unwrap_or(self.resources.len())
        } else {
            self.resources.len()
        };
        self.resources.insert(position, (template, needs));
    }

    /// `prompts/get` of prompt `name` needs `P`.
    pub fn prompt<P: LayerPolicy>(mut self, name: &str) -> Self {
        self.prompts.insert(Box::from(name), Needs::layer::<P>());
        self
    }

    /// Requests of the JSON-RPC method `method` (one that is not a tool, resource or prompt
    /// operation, e.g. `tasks/get`) need `P`.
    pub fn method<P: LayerPolicy>(mut self, method: &str) -> Self {
        self.methods.insert(Box::from(method), Needs::layer::<P>());
        self
    }

    /// The operations not named here need `P` (by default they are refused: fail closed).
    pub fn otherwise<P: LayerPolicy>(mut self) -> Self {
        self.otherwise = Some(Needs::layer::<P>());
        self
    }

    /// These policies and `other`'s (for the same operation, `other`'s): what
    /// [`policies`](super::policies) generated for the tools of one impl block and the prompts
    /// of another, with the resources declared here.
    ///
    /// ```
    /// use axioms::mcp::McpPolicies;
    /// axioms::policy!(pub Read: scopes = "docs:read");
    /// let all = McpPolicies::new()
    ///     .tool::<Read>("search")
    ///     .and(McpPolicies::new().resource::<Read>("docs://{id}"));
    /// # let _ = all;
    /// ```
    #[must_use]
    pub fn and(mut self, other: McpPolicies) -> Self {
        self.tools.extend(other.tools);
        for (tool, rules) in other.arguments {
            self.arguments.entry(tool).or_default().extend(rules);
        }
        self.prompts.extend(other.prompts);
        for (template, needs) in other.resources {
            self.insert_resource(template, needs);
        }
        self.methods.extend(other.methods);
        self.otherwise = other.otherwise.or(self.otherwise);
        self.errors.extend(other.errors);
        self
    }

    /// The first mistake in the policies, if any.
    pub(super) fn error(&self) -> Option<&ConfigError> {
        self.errors.first()
    }

    /// Every scope the policies name.
    pub(super) fn scopes(&self) -> Vec<&'static str> {
        let mut scopes: Vec<&'static str> = self
            .tools
            .values()
            .chain(self.prompts.values())
            .chain(self.methods.values())
            .chain(self.resources.iter().map(|(_, needs)| needs))
            .chain(self.otherwise.iter())
            .chain(self.arguments.values().flatten().map(|rule| &rule.needs))
            .flat_map(|needs| needs.named.rule.scopes())
            .collect();
        scopes.sort_unstable();
        scopes.dedup();
        scopes
    }

    pub(super) fn tool_policy(&self, name: &str) -> Option<Needs> {
        self.tools.get(name).copied().or(self.otherwise)
    }

    /// The policies a call's arguments add.
    pub(super) fn argument_policies<'a>(
        &'a self,
        tool: &str,
        arguments: Option<&'a Map<String, Value>>,
    ) -> impl Iterator<Item = Needs> + 'a {
        self.arguments
            .get(tool)
            .into_iter()
            .flatten()
            .filter(move |rule| {
                arguments.and_then(|args| args.get(&*rule.argument)) == Some(&rule.value)
            })
            .map(|rule| rule.needs)
    }

    pub(super) fn prompt_policy(&self, name: &str) -> Option<Needs> {
        self.prompts.get(name).copied().or(self.otherwise)
    }

    pub(super) fn method_policy(&self, method: &str) -> Option<Needs> {
        self.methods.get(method).copied().or(self.otherwise)
    }

    /// The policy of the resource at `uri`, with the variables of the template that matched
    /// (percent-decoded; a value that does not decode to UTF-8 matches nothing).
    pub(super) fn resource_policy(&self, uri: &str) -> Option<ResourceMatch> {
        for (template, needs) in &self.resources {
            let Some(vars) = template.matches(uri) else {
                continue;
            };
            let decoded: Option<Vec<(Box<str>, Box<str>)>> = vars
                .into_iter()
                .map(|(name, value)| {
                    percent_encoding::percent_decode_str(value)
                        .decode_utf8()
                        .ok()
                        .map(|v| (Box::from(name), Box::from(&*v)))
                })
                .collect();
            if let Some(decoded) = decoded {
                return Some(ResourceMatch {
                    needs: *needs,
                    vars: TemplateVars(decoded.into()),
                });
            }
        }
        self.otherwise.map(|needs| ResourceMatch {
            needs,
            vars: TemplateVars(Arc::from([])),
        })
    }

    /// The policy of a resource template, by the template's text (`resources/templates/list`,
    /// completions): the template itself, else what a URI equal to it would need.
    pub(super) fn template_policy(&self, template: &str) -> Option<Needs> {
        self.resources
            .iter()
            .find(|(t, _)| t.as_str() == template)
            .map(|(_, needs)| *needs)
            .or_else(|| self.resource_policy(template).map(|m| m.needs))
    }
}

/// The variables of the resource template a `resources/read` matched, percent-decoded: what
/// the fetch function of a resource policy's `owner(…)` reads (an extractor, like axum's
/// `Path`).
///
/// ```
/// use axioms::mcp::TemplateVars;
///
/// struct Note { owner: String }
/// // With `.resource::<OwnNote>("notes://{id}")`, reading `notes://7` gives `id` = "7".
/// async fn get_note(vars: TemplateVars) -> Option<Note> {
///     let id: u32 = vars.parse("id")?;
///     (id == 7).then(|| Note { owner: "alice".into() })
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateVars(Arc<[(Box<str>, Box<str>)]>);

impl TemplateVars {
    /// The value of variable `name`.
    ///
    /// ```
    /// # fn f(vars: axioms::mcp::TemplateVars) {
    /// let id: Option<&str> = vars.get("id");
    /// # }
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| &**n == name).map(|(_, v)| &**v)
    }

    /// The value of variable `name`, parsed (`None` if absent or if it does not parse).
    ///
    /// ```
    /// # fn f(vars: axioms::mcp::TemplateVars) {
    /// let id: Option<u64> = vars.parse("id");
    /// # }
    /// ```
    pub fn parse<T: std::str::FromStr>(&self, name: &str) -> Option<T> {
        self.get(name).and_then(|v| v.parse().ok())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for TemplateVars {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Response> {
        parts.extensions.get::<TemplateVars>().cloned().ok_or_else(|| {
            tracing::error!(
                target: "axioms::mcp",
                "TemplateVars extracted outside a resources/read that matched a template of McpPolicies::resource"
            );
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::check::Mode;
    use crate::policy::Rule;

    macro_rules! scoped {
        ($name:ident, $scope:literal) => {
            struct $name;
            impl Policy<()> for $name {
                const RULE: Rule = Rule::Scopes(Mode::All, &[$scope]);
            }
            impl LayerPolicy for $name {}
        };
    }
    scoped!(Read, "notes:read");
    scoped!(Write, "notes:write");
    scoped!(Config, "config:read");

    #[test]
    fn argument_policies_apply_on_json_equality() {
        let p = McpPolicies::new()
            .tool::<Read>("notes")
            .tool_argument::<Write>("notes", "mode", "write")
            .tool_argument::<Write>("notes", "force", true);
        let args = |v: Value| v.as_object().cloned();
        let count = |v: Value| p.argument_policies("notes", args(v).as_ref()).count();
        assert_eq!(count(json!({"mode": "read"})), 0);
        assert_eq!(count(json!({"mode": "write"})), 1);
        assert_eq!(count(json!({"mode": "write", "force": true})), 2);
        assert_eq!(count(json!({"force": "true"})), 0, "a string is not `true`");
        assert_eq!(p.argument_policies("other", None).count(), 0);
    }

    #[test]
    fn exact_uris_win_over_templates_and_variables_are_decoded() {
        let p = McpPolicies::new()
            .resource::<Read>("notes://{id}")
            .resource::<Config>("notes://config");
        let m = p.resource_policy("notes://config").unwrap();
        assert_eq!(m.needs.named.rule.scopes(), ["config:read"]);
        let m = p.resource_policy("notes://a%20b").unwrap();
        assert_eq!(m.vars.get("id"), Some("a b"));
        assert!(p.resource_policy("notes://%FF").is_none(), "not UTF-8");
        assert!(p.resource_policy("files://x").is_none());
        assert_eq!(
            p.template_policy("notes://{id}")
                .unwrap()
                .named
                .rule
                .scopes(),
            ["notes:read"]
        );
    }

    #[test]
    fn a_template_that_cannot_be_matched_is_a_configuration_error() {
        let policies = McpPolicies::new().resource::<Read>("x://{a}{b}");
        let err = policies.error().unwrap().to_string();
        assert!(err.contains("two variables follow each other"), "{err}");
        assert!(
            McpPolicies::new()
                .resource::<Read>("x://{a}")
                .error()
                .is_none()
        );
    }
}
