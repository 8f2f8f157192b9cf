//! The verified claim set of an access token.

use std::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ClaimName, OwnerValue, PRIMARY, Principal, Voucher};

/// The verified claims of an access token: the registered ones, typed, plus every other claim.
///
/// A `Claims` only comes out of successful verification (or
/// [`Claims::from_json_unverified`], named for what it is); cloning it is cheap. As an axum
/// extractor it requires a valid token (`Option<Claims>` also serves anonymous callers).
///
/// Scopes, roles and permissions are resolved once, at verification, from the claim names in
/// [`Config`](crate::Config) (the first configured name present wins).
///
/// # Example
///
/// ```
/// use axioms::Claims;
/// use serde_json::json;
///
/// let claims = Claims::from_json_unverified(json!({
///     "iss": "https://issuer.example", "sub": "user-1", "aud": "api", "exp": 2000000000,
///     "scope": "read:data write:data", "roles": ["admin"], "email": "ada@example.com",
/// }))
/// .unwrap();
/// assert_eq!(claims.subject(), Some("user-1"));
/// assert!(claims.has_scope("read:data"));
/// assert!(claims.has_role("admin"));
/// assert_eq!(claims.get::<String>("email").unwrap().as_deref(), Some("ada@example.com"));
/// ```
#[derive(Clone)]
pub struct Claims(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    all: Map<String, Value>,
    issuer: Option<Box<str>>,
    subject: Option<Box<str>>,
    audience: Box<[Box<str>]>,
    expires_at: Option<i64>,
    not_before: Option<i64>,
    issued_at: Option<i64>,
    auth_time: Option<i64>,
    scopes: Box<[Box<str>]>,
    roles: Box<[Box<str>]>,
    permissions: Box<[Box<str>]>,
    /// What this claim set holds on the heap, estimated generously at build.
    heap_bytes: usize,
    /// The DPoP `ath` of the token these claims were verified from (base64url SHA-256),
    /// computed on the first DPoP request and kept with the cached claims after that.
    token_hash: std::sync::OnceLock<Box<str>>,
    /// The id of the API key these claims stand for; `None` for a token. Set by the
    /// pipeline only: no claim of a token can set it.
    api_key: Option<Box<str>>,
    /// The trusted issuer whose key (or introspection endpoint) vouched for these claims.
    /// Set by verification only; `None` for an API key and for unverified claims, which
    /// belong to the primary directory.
    vouched: Option<Arc<Voucher>>,
    /// The claim set has a `cnf` member (RFC 7800): the token may be sender-constrained.
    /// Read on every request, cached ones included, so it is looked up once, here.
    has_cnf: bool,
    /// The positions of `scopes`, `roles` and `permissions` sorted by value, built on the
    /// first exact check of a list longer than [`LINEAR_UP_TO`]: checks then cost what the
    /// policy names, not what the token holds.
    sorted: [std::sync::OnceLock<Box<[u32]>>; 3],
}

/// Lists up to this long are scanned; longer ones are searched through their sorted index.
const LINEAR_UP_TO: usize = 16;

/// Which granted list an exact check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Granted {
    Scopes = 0,
    Roles = 1,
    Permissions = 2,
}

/// Where [`Claims`] finds scopes, roles and permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClaimNames {
    pub(crate) scopes: Vec<ClaimName>,
    pub(crate) roles: Vec<ClaimName>,
    pub(crate) permissions: Vec<ClaimName>,
}

impl Default for ClaimNames {
    fn default() -> Self {
        let names = |list: &[&str]| {
            list.iter()
                .filter_map(|n| n.parse().ok())
                .collect::<Vec<ClaimName>>()
        };
        Self {
            scopes: names(&["scope", "scp"]),
            roles: names(&["roles"]),
            permissions: names(&["permissions"]),
        }
    }
}

/// A claim whose JSON type is not the one its name requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClaimTypeError;

impl Claims {
    /// Builds claims from a JSON object **without verifying anything**: for tests and for
    /// tokens your code has verified by other means. Uses the default claim names (`scope`
    /// then `scp`; `roles`; `permissions`).
    ///
    /// Returns `None` if `value` is not an object or a registered claim has the wrong type.
    pub fn from_json_unverified(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Self::build(map, &ClaimNames::default()).ok(),
            _ => None,
        }
    }

    /// Builds claims from a verified claim set, type-checking the registered claims and the
    /// authorization claims.
    pub(crate) fn build(
        all: Map<String, Value>,
        names: &ClaimNames,
    ) -> Result<Self, ClaimTypeError> {
        let issuer = opt_string(&all, "iss")?;
        let subject = opt_string(&all, "sub")?;
        let audience = match all.get("aud") {
            None => Box::default(),
            Some(Value::String(s)) => Box::from([Box::from(s.as_str())]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(Box::from).ok_or(ClaimTypeError))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(ClaimTypeError),
        };
        let expires_at = opt_date(&all, "exp")?;
        let not_before = opt_date(&all, "nbf")?;
        let issued_at = opt_date(&all, "iat")?;
        let auth_time = opt_date(&all, "auth_time")?;
        opt_string(&all, "acr")?;
        opt_string(&all, "jti")?;
        opt_string(&all, "client_id")?;
        super::actor::check(&all)?;
        let scopes = first_list(&all, &names.scopes, true)?;
        let roles = first_list(&all, &names.roles, false)?;
        let permissions = first_list(&all, &names.permissions, false)?;
        let has_cnf = all.contains_key("cnf");
        let heap_bytes = std::mem::size_of::<Inner>()
            + ALLOC_OVERHEAD
            + map_heap(&all)
            + [&issuer, &subject]
                .iter()
                .map(|s| s.as_ref().map_or(0, |s| s.len() + ALLOC_OVERHEAD))
                .sum::<usize>()
            + [&audience, &scopes, &roles, &permissions]
                .iter()
                .map(|list| list_heap(list))
                .sum::<usize>()
            // A DPoP-bound token's `ath`, once computed.
            + if has_cnf { 43 + ALLOC_OVERHEAD } else { 0 }
            // The sorted indexes of long lists, once built.
            + [&scopes, &roles, &permissions]
                .iter()
                .filter(|list| list.len() > LINEAR_UP_TO)
                .map(|list| list.len() * 4 + ALLOC_OVERHEAD)
                .sum::<usize>();
        Ok(Self(Arc::new(Inner {
            all,
            issuer,
            subject,
            audience,
            expires_at,
            not_before,
            issued_at,
            auth_time,
            scopes,
            roles,
            permissions,
            heap_bytes,
            token_hash: std::sync::OnceLock::new(),
            api_key: None,
            has_cnf,
            vouched: None,
            sorted: Default::default(),
        })))
    }

    /// The claims of an API key's principal: its `sub`, scopes, roles and permissions, and
    /// [`api_key_id`](Self::api_key_id) set.
    pub(crate) fn for_api_key(principal: crate::api_key::ApiKeyPrincipal) -> Self {
        let boxed = |list: &[String]| -> Box<[Box<str>]> {
            list.iter().map(|s| Box::from(s.as_str())).collect()
        };
        let (scopes, roles, permissions) = (
            boxed(&principal.scopes),
            boxed(&principal.roles),
            boxed(&principal.permissions),
        );
        let subject: Box<str> = principal.sub.as_str().into();
        let mut all = Map::new();
        all.insert("sub".into(), Value::String(principal.sub));
        all.insert("scope".into(), principal.scopes.into());
        all.insert("roles".into(), principal.roles.into());
        all.insert("permissions".into(), principal.permissions.into());
        let heap_bytes = std::mem::size_of::<Inner>()
            + ALLOC_OVERHEAD
            + map_heap(&all)
            + subject.len()
            + principal.id.len()
            + [&scopes, &roles, &permissions]
                .iter()
                .map(|list| list_heap(list))
                .sum::<usize>();
        Self(Arc::new(Inner {
            all,
            issuer: None,
            subject: Some(subject),
            audience: Box::default(),
            expires_at: None,
            not_before: None,
            issued_at: None,
            auth_time: None,
            scopes,
            roles,
            permissions,
            heap_bytes,
            token_hash: std::sync::OnceLock::new(),
            api_key: Some(principal.id.into_boxed_str()),
            has_cnf: false,
            vouched: None,
            sorted: Default::default(),
        }))
    }

    /// The id of the API key the request authenticated with (its `id` in the key list), or
    /// `None` when it came with a token.
    ///
    /// ```
    /// let claims = axioms::Claims::from_json_unverified(serde_json::json!({"api_key": "ci"})).unwrap();
    /// assert_eq!(claims.api_key_id(), None, "a claim cannot pose as an API key");
    /// ```
    pub fn api_key_id(&self) -> Option<&str> {
        self.0.api_key.as_deref()
    }

    /// The name of the trusted issuer that vouched for these claims — whose key verified the
    /// token, or whose introspection endpoint answered for it: `"primary"` for the issuer of
    /// `AXIOMS_ISS_URL` (or the one given to [`Config::builder`](crate::Config::builder)),
    /// otherwise the name it is trusted under (`AXIOMS_TRUST=PARTNER` → `"partner"`).
    /// `None` for an API key, and for claims not verified by axioms. Policies require one
    /// with `issuer = "…"`; [`issuer`](Self::issuer) is the token's own `iss`.
    ///
    /// ```
    /// let claims = axioms::Claims::from_json_unverified(
    ///     serde_json::json!({"iss": "https://a.example/", "sub": "u"}),
    /// ).unwrap();
    /// assert_eq!(claims.vouched_by(), None, "a claim cannot say who verified it");
    /// ```
    pub fn vouched_by(&self) -> Option<&str> {
        self.0.vouched.as_ref().map(|v| &*v.name)
    }

    /// The user directory the subject belongs to: `"primary"` for tokens of the primary
    /// issuer and of every issuer declared to share its directory (and for API keys), the
    /// trusted issuer's name for a partner's. Subjects compare only within one directory.
    ///
    /// ```
    /// let claims = axioms::Claims::from_json_unverified(serde_json::json!({"sub": "u"})).unwrap();
    /// assert_eq!(claims.directory(), "primary");
    /// ```
    pub fn directory(&self) -> &str {
        self.0.vouched.as_ref().map_or(PRIMARY, |v| &*v.directory)
    }

    /// Who the token speaks for: its `sub` in its [`directory`](Self::directory) — the value
    /// to store as the owner of what a user creates when users of several directories own
    /// objects. `None` without a `sub`.
    ///
    /// ```
    /// let claims = axioms::Claims::from_json_unverified(serde_json::json!({"sub": "u-1"})).unwrap();
    /// assert_eq!(claims.principal().unwrap().to_string(), "primary:u-1");
    /// ```
    pub fn principal(&self) -> Option<Principal> {
        let subject = self.subject().filter(|s| !s.is_empty())?;
        Principal::new(self.directory(), subject).ok()
    }

    /// Whether the claims vouch for the primary directory (or come from an API key, or are
    /// unverified): every policy trusts them.
    pub(crate) fn is_home(&self) -> bool {
        self.0.vouched.as_ref().is_none_or(|v| v.is_home())
    }

    /// Whether the policy named `policy` trusts these claims without naming their issuer:
    /// they come from the primary directory (or an API key), or the operator extends that
    /// policy to their issuer.
    pub(crate) fn trusted_by(&self, policy: &str) -> bool {
        self.0.vouched.as_ref().is_none_or(|v| v.trusted_by(policy))
    }

    /// The trust-registry slot of the issuer that vouched (0 when there is one issuer).
    pub(crate) fn vouched_slot(&self) -> Option<usize> {
        self.0.vouched.as_ref().map(|v| v.slot)
    }

    /// Records who vouched: right after verification, while these claims are not shared yet.
    pub(crate) fn vouch(mut self, voucher: &Arc<Voucher>) -> Self {
        let shared = Arc::get_mut(&mut self.0).map(|inner| {
            inner.vouched = Some(Arc::clone(voucher));
        });
        debug_assert!(shared.is_some(), "claims vouched for after being shared");
        self
    }

    /// The DPoP `ath` of `token` (RFC 9449 §4.2), which must be the token these claims were
    /// verified from: computed once, then shared by every cache hit of the token.
    pub(crate) fn token_hash(&self, token: &[u8]) -> &str {
        self.0
            .token_hash
            .get_or_init(|| crate::jose::token_hash(token).into_boxed_str())
    }

    /// Whether the claim set has a `cnf` member (RFC 7800).
    pub(crate) fn has_cnf(&self) -> bool {
        self.0.has_cnf
    }

    /// The heap this claim set holds (an upper estimate), for the token cache's byte budget.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.0.heap_bytes
    }

    /// `iss`: the issuer as the token names it (after verification, one the configuration
    /// trusts; see [`vouched_by`](Self::vouched_by) for its configured name).
    pub fn issuer(&self) -> Option<&str> {
        self.0.issuer.as_deref()
    }

    /// `sub`: the subject. Unique only within its issuer; for client-credentials tokens it
    /// names the client, not a user.
    pub fn subject(&self) -> Option<&str> {
        self.0.subject.as_deref()
    }

    /// The current actor of a delegated token: the `act` claim's `sub` (and `iss`), RFC 8693
    /// §4.1 — the party that obtained this token for the subject by token exchange. `None`
    /// for a token the subject's client holds itself. A malformed `act` (not an object, no
    /// `sub`, nested deeper than [`MAX_ACTORS`](crate::defaults::MAX_ACTORS)) never gets this
    /// far: the token is refused (`claim_type`).
    ///
    /// ```
    /// use axioms::Claims;
    /// use serde_json::json;
    /// let direct = Claims::from_json_unverified(json!({"sub": "alice"})).unwrap();
    /// assert!(direct.actor().is_none());
    /// let delegated =
    ///     Claims::from_json_unverified(json!({"sub": "alice", "act": {"sub": "orders"}})).unwrap();
    /// assert_eq!(delegated.actor().map(|a| a.subject()), Some("orders"));
    /// ```
    pub fn actor(&self) -> Option<super::Actor<'_>> {
        self.actors().next()
    }

    /// The whole delegation chain, current actor first, then each prior actor (the nested
    /// `act` claims). Only the current actor counts for access control (RFC 8693 §4.1); the
    /// others are for logs and audits.
    ///
    /// ```
    /// use axioms::Claims;
    /// use serde_json::json;
    /// let claims = Claims::from_json_unverified(
    ///     json!({"sub": "alice", "act": {"sub": "billing", "act": {"sub": "orders"}}}),
    /// )
    /// .unwrap();
    /// let chain: Vec<&str> = claims.actors().map(|a| a.subject()).collect();
    /// assert_eq!(chain, ["billing", "orders"]);
    /// ```
    pub fn actors(&self) -> impl Iterator<Item = super::Actor<'_>> {
        super::actor::chain(&self.0.all)
    }

    /// `aud`, as a list (a single-string `aud` becomes one element).
    pub fn audience(&self) -> &[Box<str>] {
        &self.0.audience
    }

    /// `exp`, in seconds since the Unix epoch.
    pub fn expires_at(&self) -> Option<i64> {
        self.0.expires_at
    }

    /// `nbf`, in seconds since the Unix epoch.
    pub fn not_before(&self) -> Option<i64> {
        self.0.not_before
    }

    /// `iat`, in seconds since the Unix epoch.
    pub fn issued_at(&self) -> Option<i64> {
        self.0.issued_at
    }

    /// `auth_time`: when the user authenticated, in seconds since the Unix epoch (OIDC Core,
    /// RFC 9470). What `max_age` in a policy is checked against.
    pub fn auth_time(&self) -> Option<i64> {
        self.0.auth_time
    }

    /// `acr`: the authentication context class the user authenticated with (e.g. an MFA
    /// class, RFC 9470). What `acr` in a policy is checked against.
    pub fn acr(&self) -> Option<&str> {
        self.0.all.get("acr").and_then(Value::as_str)
    }

    /// `cnf.jkt`: the thumbprint of the DPoP key the token is bound to (RFC 9449 §6.1). In
    /// claims from the pipeline, the request proved possession of that key.
    ///
    /// ```
    /// use axioms::Claims;
    /// let claims = Claims::from_json_unverified(serde_json::json!({"cnf": {"jkt": "0ZcO"}})).unwrap();
    /// assert_eq!(claims.dpop_thumbprint(), Some("0ZcO"));
    /// assert!(claims.is_dpop_bound());
    /// ```
    pub fn dpop_thumbprint(&self) -> Option<&str> {
        self.0
            .all
            .get("cnf")
            .and_then(|cnf| cnf.get("jkt"))
            .and_then(Value::as_str)
            .filter(|jkt| !jkt.is_empty())
    }

    /// Whether the token is DPoP-bound (it has a [`dpop_thumbprint`](Self::dpop_thumbprint)):
    /// what `dpop = required` in a policy checks.
    pub fn is_dpop_bound(&self) -> bool {
        self.dpop_thumbprint().is_some()
    }

    /// `jti`: the token's unique identifier.
    pub fn jwt_id(&self) -> Option<&str> {
        self.0.all.get("jti").and_then(Value::as_str)
    }

    /// `client_id`: the OAuth client the token was issued to (RFC 9068).
    pub fn client_id(&self) -> Option<&str> {
        self.0.all.get("client_id").and_then(Value::as_str)
    }

    /// The granted scopes, from the first configured scope claim present. A string claim is
    /// split on single spaces (RFC 6749 §3.3); an array claim (Okta's `scp`) is taken as is.
    pub fn scopes(&self) -> &[Box<str>] {
        &self.0.scopes
    }

    /// The granted roles, from the first configured roles claim present.
    pub fn roles(&self) -> &[Box<str>] {
        &self.0.roles
    }

    /// The granted permissions, from the first configured permissions claim present.
    pub fn permissions(&self) -> &[Box<str>] {
        &self.0.permissions
    }

    /// Whether the granted `list` holds the `required` values, combined by `mode`, compared
    /// exactly: a scan for short lists, binary searches in a sorted index (built once per
    /// claim set) for long ones, so the cost follows what the policy names.
    pub(crate) fn holds(&self, list: Granted, mode: crate::check::Mode, required: &[&str]) -> bool {
        let granted: &[Box<str>] = match list {
            Granted::Scopes => &self.0.scopes,
            Granted::Roles => &self.0.roles,
            Granted::Permissions => &self.0.permissions,
        };
        let has = |value: &str| -> bool {
            if granted.len() <= LINEAR_UP_TO {
                return granted.iter().any(|g| &**g == value);
            }
            let Some(cell) = self.0.sorted.get(list as usize) else {
                return granted.iter().any(|g| &**g == value);
            };
            let index = cell.get_or_init(|| {
                let mut positions: Vec<u32> = (0..granted.len())
                    .filter_map(|i| u32::try_from(i).ok())
                    .collect();
                positions.sort_unstable_by(|&a, &b| {
                    let at = |i: u32| granted.get(i as usize).map_or("", |s| &**s);
                    at(a).cmp(at(b))
                });
                positions.into_boxed_slice()
            });
            index
                .binary_search_by(|&i| granted.get(i as usize).map_or("", |s| &**s).cmp(value))
                .is_ok()
        };
        match mode {
            crate::check::Mode::Any => required.iter().any(|r| has(r)),
            crate::check::Mode::All => required.iter().all(|r| has(r)),
        }
    }

    /// Whether the scope `scope` is granted (exact comparison).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.0.scopes.iter().any(|s| &**s == scope)
    }

    /// Whether the role `role` is granted (exact comparison).
    pub fn has_role(&self, role: &str) -> bool {
        self.0.roles.iter().any(|r| &**r == role)
    }

    /// Whether the permission `permission` is granted (exact comparison).
    pub fn has_permission(&self, permission: &str) -> bool {
        self.0.permissions.iter().any(|p| &**p == permission)
    }

    /// The raw value of any claim: a plain name or a `/json/pointer` (see [`ClaimName`]).
    /// A malformed name finds nothing.
    pub fn value(&self, name: &str) -> Option<&Value> {
        let name: ClaimName = name.parse().ok()?;
        name.lookup(&self.0.all)
    }

    /// A claim converted to `T`: `Ok(None)` if absent, `Err` if present with another type.
    ///
    /// ```
    /// # use axioms::Claims;
    /// # use serde_json::json;
    /// let claims = Claims::from_json_unverified(json!({"age": 42, "realm_access": {"roles": ["a"]}})).unwrap();
    /// assert_eq!(claims.get::<u32>("age").unwrap(), Some(42));
    /// assert_eq!(claims.get::<Vec<String>>("/realm_access/roles").unwrap(), Some(vec!["a".to_owned()]));
    /// assert!(claims.get::<String>("age").is_err());
    /// assert_eq!(claims.get::<String>("missing").unwrap(), None);
    /// ```
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, serde_json::Error> {
        self.value(name).map(|v| T::deserialize(v)).transpose()
    }

    /// Whether the caller owns an object whose owner field holds `field`, comparing it with
    /// the claim `claim` (a plain name or a `/json/pointer`): the check of
    /// `#[protected(owner(…))]`, for an object the handler fetched itself (axioms-flask-py's
    /// `require_ownership`).
    ///
    /// Nothing owns by accident: a missing, `null` or empty claim owns nothing, and only a
    /// non-empty string or a number can own; an empty owner field (`""`, `None`) is owned by
    /// nobody. How values compare is [`OwnerValue`]'s (integers match a string claim only in
    /// its canonical decimal form).
    ///
    /// Owners belong to a user directory ([`OwnerValue::directory`]): a plain value to the
    /// primary's, a [`Principal`] to its own. Only a token of that directory owns: a partner
    /// issuer's token carrying our user's `sub` owns nothing of hers.
    ///
    /// Owning by a claim that is not unique across tenants (`email`, `upn`,
    /// `preferred_username`) is unsafe when several tenants share an issuer (a multi-tenant
    /// Entra app): prefer `sub` or `oid`.
    ///
    /// ```
    /// use axioms::Claims;
    /// use serde_json::json;
    ///
    /// let claims = Claims::from_json_unverified(json!({"sub": "42", "email": ""})).unwrap();
    /// assert!(claims.owns("42", "sub"));
    /// assert!(claims.owns(&42u64, "sub"));
    /// assert!(!claims.owns("", "email"));   // an empty claim owns nothing
    /// assert!(!claims.owns("42", "name"));  // nor does a missing one
    ///
    /// // These claims are of the primary directory: they own `primary:42`, not `partner:42`.
    /// let ours: axioms::Principal = "primary:42".parse().unwrap();
    /// let theirs: axioms::Principal = "partner:42".parse().unwrap();
    /// assert!(claims.owns(&ours, "sub") && !claims.owns(&theirs, "sub"));
    /// ```
    pub fn owns<V: OwnerValue + ?Sized>(&self, field: &V, claim: &str) -> bool {
        if field.directory().unwrap_or(PRIMARY) != self.directory() {
            return false;
        }
        let Some(value) = self.value(claim) else {
            return false;
        };
        let usable = match value {
            Value::String(s) => !s.is_empty(),
            Value::Number(_) => true,
            Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => false,
        };
        usable && field.matches_claim(value)
    }

    /// Every claim, as a JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0.all
    }

    /// The whole claim set deserialized into your own type.
    ///
    /// ```
    /// # use axioms::Claims;
    /// # use serde_json::json;
    /// #[derive(serde::Deserialize)]
    /// struct Mine { sub: String, email: String }
    /// let claims = Claims::from_json_unverified(json!({"sub": "u", "email": "e@x"})).unwrap();
    /// let mine: Mine = claims.deserialize().unwrap();
    /// assert_eq!(mine.email, "e@x");
    /// ```
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&Value::Object(self.0.all.clone()))
    }
}

impl fmt::Debug for Claims {
    // Claims are verified data, but they are personal data too: show what identifies the
    // token, not everything in it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.0.issuer)
            .field("sub", &self.0.subject)
            .field("exp", &self.0.expires_at)
            .field("claims", &self.0.all.len())
            .finish_non_exhaustive()
    }
}

/// What an allocation costs beyond its size: the allocator's header and rounding.
const ALLOC_OVERHEAD: usize = 16;
/// A `BTreeMap` entry's share of its node: eleven (`String`, `Value`) slots per node, half
/// full at worst, plus the node's header.
const MAP_ENTRY: usize =
    2 * (std::mem::size_of::<String>() + std::mem::size_of::<Value>()) + ALLOC_OVERHEAD;

fn map_heap(map: &Map<String, Value>) -> usize {
    map.iter()
        .map(|(k, v)| MAP_ENTRY + k.len() + ALLOC_OVERHEAD + value_heap(v))
        .sum()
}

fn value_heap(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + ALLOC_OVERHEAD,
        // A vector grown by doubling holds at most twice its length.
        Value::Array(items) => {
            2 * items.len() * std::mem::size_of::<Value>()
                + ALLOC_OVERHEAD
                + items.iter().map(value_heap).sum::<usize>()
        }
        Value::Object(map) => map_heap(map),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

fn list_heap(list: &[Box<str>]) -> usize {
    std::mem::size_of_val(list)
        + ALLOC_OVERHEAD
        + list.iter().map(|s| s.len() + ALLOC_OVERHEAD).sum::<usize>()
}

fn opt_string(all: &Map<String, Value>, name: &str) -> Result<Option<Box<str>>, ClaimTypeError> {
    match all.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(Box::from(s.as_str()))),
        Some(_) => Err(ClaimTypeError),
    }
}

/// A NumericDate (RFC 7519 §2): a non-negative JSON number, fractions rounded down.
fn opt_date(all: &Map<String, Value>, name: &str) -> Result<Option<i64>, ClaimTypeError> {
    match all.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return if i >= 0 {
                    Ok(Some(i))
                } else {
                    Err(ClaimTypeError)
                };
            }
            if n.as_u64().is_some() {
                // Beyond i64::MAX: far beyond any real date.
                return Ok(Some(i64::MAX));
            }
            match n.as_f64() {
                #[allow(clippy::cast_possible_truncation)]
                Some(f) if f.is_finite() && f >= 0.0 => Ok(Some(f.floor().min(9.0e18) as i64)),
                _ => Err(ClaimTypeError),
            }
        }
        Some(_) => Err(ClaimTypeError),
    }
}

fn first_list(
    all: &Map<String, Value>,
    names: &[ClaimName],
    space_delimited: bool,
) -> Result<Box<[Box<str>]>, ClaimTypeError> {
    let Some(value) = names.iter().find_map(|n| n.lookup(all)) else {
        return Ok(Box::default());
    };
    match value {
        Value::String(s) if space_delimited => Ok(s
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(Box::from)
            .collect()),
        Value::String(s) => Ok(Box::from([Box::from(s.as_str())])),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(Box::from).ok_or(ClaimTypeError))
            .collect(),
        _ => Err(ClaimTypeError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(v: Value) -> Result<Claims, ClaimTypeError> {
        match v {
            Value::Object(m) => Claims::build(m, &ClaimNames::default()),
            _ => Err(ClaimTypeError),
        }
    }

    #[test]
    fn long_lists_are_searched_exactly_like_short_ones() {
        use crate::check::Mode;
        for n in [0usize, 3, 16, 17, 40, 1000] {
            // Duplicates, prefixes and near-misses among the granted values.
            let granted: Vec<String> = (0..n)
                .map(|i| match i % 4 {
                    0 => format!("read:{i}"),
                    1 => format!("read:{}", i - 1),
                    2 => format!("read:{i}x"),
                    _ => String::from("admin"),
                })
                .collect();
            let claims = build(json!({"scope": granted.join(" "), "roles": granted.clone()}))
                .unwrap_or_else(|_| panic!("claims"));
            let probes = [
                "read:0", "read:4", "read:5", "read:6x", "admin", "read", "", "zzz",
            ];
            for probe in probes {
                let linear = granted.iter().any(|g| g == probe);
                for list in [Granted::Scopes, Granted::Roles] {
                    assert_eq!(
                        claims.holds(list, Mode::Any, &[probe]),
                        linear,
                        "{n} {probe}"
                    );
                }
            }
            let all = ["read:0", "admin"];
            let want = all.iter().all(|p| granted.iter().any(|g| g == p));
            assert_eq!(claims.holds(Granted::Scopes, Mode::All, &all), want, "{n}");
            assert!(!claims.holds(Granted::Permissions, Mode::Any, &["read:0"]));
        }
    }

    #[test]
    fn scope_string_is_split_on_single_spaces_only() {
        let c = build(json!({"scope": "a b\tc  d"})).unwrap();
        let got: Vec<&str> = c.scopes().iter().map(|s| &**s).collect();
        assert_eq!(got, ["a", "b\tc", "d"]);
    }

    #[test]
    fn scp_array_is_used_when_scope_is_absent() {
        let c = build(json!({"scp": ["x", "y"]})).unwrap();
        assert_eq!(c.scopes().len(), 2);
    }

    #[test]
    fn first_configured_claim_wins() {
        let c = build(json!({"scope": "a", "scp": ["b"]})).unwrap();
        assert_eq!(&*c.scopes()[0], "a");
    }

    #[test]
    fn mistyped_claims_are_errors() {
        for bad in [
            json!({"aud": 5}),
            json!({"aud": ["a", 5]}),
            json!({"exp": "2000000000"}),
            json!({"exp": -1}),
            json!({"nbf": true}),
            json!({"iss": ["a"]}),
            json!({"sub": 1}),
            json!({"roles": [1]}),
            json!({"scope": 7}),
            json!({"permissions": {"a": 1}}),
        ] {
            assert!(build(bad.clone()).is_err(), "{bad} should be a type error");
        }
    }

    #[test]
    fn fractional_dates_round_down() {
        let c = build(json!({"exp": 10.9})).unwrap();
        assert_eq!(c.expires_at(), Some(10));
    }

    #[test]
    fn single_role_string_is_one_role() {
        let c = build(json!({"roles": "admin user"})).unwrap();
        assert_eq!(c.roles().len(), 1);
    }
}
