//! Procedural macros of [axioms](https://docs.rs/axioms): [`macro@protected`] and [`policy!`].
//!
//! Do not depend on this crate directly: use `axioms`, which re-exports both macros with a
//! version pinned to its own (`use axioms::protected;`).
//!
//! The macros transcribe; the runtime decides. Expansion is constant data (an
//! `axioms::policy::Rule` tree) plus calls into `::axioms::__private`, identical in debug and
//! release builds. Set `AXIOMS_MACROS_DEBUG=1` while compiling to print every expansion.

mod errors;
mod mcp;
mod paths;
mod protected;

use proc_macro::TokenStream;

/// Declares who may call an axum handler.
///
/// ```
/// use axioms::protected;
///
/// #[protected(scopes = any("read:data", "admin"))]
/// async fn read_data() -> &'static str {
///     "data"
/// }
/// ```
///
/// # Grammar
///
/// ```ebnf
/// attribute    = [ item { "," item } [ "," ] ] ;
/// item         = clause
///              | "safe_methods" "=" "[" [ method { "," method } [ "," ] ] "]"
///              | "state" "=" Type
///              | "policy" "=" Path ;                      (* alone *)
/// clause       = claim_key "=" values
///              | "actor" "=" "none"                        (* no delegated token *)
///              | "max_age" "=" integer                     (* 1 to 86400 seconds *)
///              | "dpop" "=" "required"
///              | "owner" "(" owner_arg { "," owner_arg } [ "," ] ")"
///              | "any_of" "(" clause { "," clause } [ "," ] ")"
///              | "all_of" "(" clause { "," clause } [ "," ] ")" ;
/// claim_key    = "scopes" | "roles" | "permissions" | "acr"
///              | "credentials" | "issuer" | "actor" ;
///                                 (* acr, credentials, issuer, actor: never all(…) *)
/// values       = string
///              | "any" "(" string { "," string } [ "," ] ")"
///              | "all" "(" string { "," string } [ "," ] ")" ;
/// owner_arg    = "fetch" "=" Path
///              | "field" "=" string                        (* default "user" *)
///              | "claim" "=" string                        (* default "sub"  *)
///              | "mismatch" "=" ( "403" | "404" ) ;        (* default 403    *)
/// method       = "\"GET\"" | "\"HEAD\"" | "\"OPTIONS\"" | "\"TRACE\"" ;  (* HEAD only with GET *)
/// policy_macro = { outer_attribute } Visibility Ident ":" attribute ;   (* policy!(…) *)
/// ```
///
/// Values are combined with `any`/`all`; whole clauses with `any_of`/`all_of`. The two
/// cannot be confused: `any(…)` holds strings, `any_of(…)` holds clauses.
///
/// # Semantics
///
/// * `#[protected]` alone: a valid access token is required.
/// * `scopes = any("a", "b")`: the token grants `a` or `b`; `all(…)`: every one. A single
///   string is a one-element list. The same for `roles` and `permissions`; where they are
///   read from is configured (`AXIOMS_SCOPE_CLAIMS`, …).
/// * `acr = any("urn:example:mfa")`, `max_age = 300` (step-up, RFC 9470): the token's `acr`
///   is one of the classes, and its `auth_time` at most that many seconds ago. A token that
///   fails them gets 401 `insufficient_user_authentication` with `acr_values` and `max_age`
///   in the challenge, so the client knows which login to ask for.
/// * `credentials = "token"` / `"api_key"` / `any("token", "api_key")`: the kinds of
///   credential the route accepts (all of them when absent). Another kind gets 403
///   `insufficient_scope`.
/// * `issuer = "partner"` / `any("primary", "partner")`: the trusted issuer that vouched for
///   the token (`Claims::vouched_by`) is one of these, by the names the configuration trusts
///   them under — `"primary"`, and `AXIOMS_TRUST=PARTNER` (or `ConfigBuilder::trust`) →
///   `"partner"`; naming an issuer that is not trusted is a startup error. It also opens the
///   clauses beside it to that issuer: in `#[protected(issuer = "partner", roles = "admin")]`
///   the partner's `admin` role counts. A token of another issuer, or an API key, gets 403
///   `insufficient_scope`. A URL is a compile error: names let one binary serve staging and
///   production, whose issuer URLs differ.
/// * `actor = "https://orders.example.com"` / `any(…)`: the token was obtained for its user by
///   one of these services by token exchange — its current actor (`act.sub`, RFC 8693 §4.1)
///   is one of them; prior actors (nested `act`) never count. `actor = none`: the token is
///   not delegated. Another gets 403 `insufficient_scope`.
/// * **Several issuers**: a policy trusts the primary issuer's user directory (the primary,
///   and the issuers configured to share it). A partner issuer's token satisfies none of
///   its clauses — not even a bare `#[protected]` — unless the policy names the partner, as
///   above, or the operator extends the policy to it (`AXIOMS_PARTNER_TRUSTED_FOR` listing
///   this handler's name, or the `policy!`'s).
/// * `dpop = required` (RFC 9449): only a DPoP-bound token (whose proof the pipeline has
///   checked) passes; a bearer token gets 401 `invalid_token` on the `DPoP` challenge. The
///   configuration can require DPoP everywhere instead (`AXIOMS_DPOP_REQUIRED`).
/// * Top-level clauses are all required (AND); `any_of(…)` needs one of its clauses,
///   `all_of(…)` all of them, nested as deep as you like.
/// * `owner(fetch = f, field = "created_by", claim = "sub")`: after the token is verified,
///   `f` loads the object from the request (its arguments are extractors such as `Path` and
///   `State`); the caller owns it if `object.created_by` equals the token's `sub` within one
///   user directory — a plain field (`String`, integer, UUID) is the primary directory's, an
///   `axioms::Principal` field (`partner:alice`) its own — so a partner's token never owns
///   our users' objects (see `axioms::policy::OwnerValue`; a missing claim never owns). If
///   `f` returns an error response (your 404), that response is sent. The handler receives the
///   object with `axioms::policy::Owned<T>`, without fetching it again. A denial answers 403,
///   or 404 with `mismatch = 404` to hide that the object exists. The object is fetched only if
///   the decision can still depend on it, or if the policy allows (so that the handler gets it).
/// * `safe_methods = ["GET", "HEAD", "OPTIONS"]`: those methods skip the policy entirely (no
///   token needed; take `Option<Claims>` to personalize); `[]`: none does. Without it, the
///   configuration's safe methods apply (default: none). Only methods that change nothing
///   may be listed (`"POST"`, `"PUT"`, `"PATCH"`, `"DELETE"`, `"CONNECT"` are refused), and
///   `"HEAD"` only with `"GET"`: axum answers HEAD with the GET handler.
/// * `state = AppState`: the state type `owner`'s fetch function extracts from; inferred from
///   the handler's `State<AppState>` argument when there is one.
/// * `policy = Name`: use a policy defined once with [`policy!`].
///
/// Stacking: `#[protected]` goes **above** `#[axum::debug_handler]` (debug_handler must see
/// the guard argument); OpenAPI attributes such as `#[utoipa::path]` work above or below (with
/// `axioms::openapi::SecurityDoc` writing the operation's `security` from the policy, a
/// `security(…)` written in a `#[utoipa::path]` below `#[protected]` is a compile error).
/// With `owner(…)` and no explicit `field`, the owner field is `user`: a type without it gets
/// rustc's "no field `user`" pointing at `owner`.
///
/// Rejections: no token → 401; bad token → 401 `invalid_token`; policy denied → 403
/// `insufficient_scope` (with `scope="…"` when scopes were required). The guard runs before
/// every other extractor, so a forbidden request with a bad JSON body gets 403, not 422.
///
/// What it generates — for
///
/// ```
/// # use axioms::protected;
/// #[protected(scopes = any("read:data", "admin"), roles = "editor")]
/// async fn handler() {}
/// ```
///
/// the handler gains a first argument `__axioms_guard: ::axioms::__private::Guard<__axioms_policy_handler>`,
/// and a hidden unit struct `__axioms_policy_handler` implements `Policy` with
///
/// ```text
/// const RULE: Rule = Rule::AllOf(&[
///     Rule::Scopes(Mode::Any, &["read:data", "admin"]),
///     Rule::Roles(Mode::Any, &["editor"]),
/// ]);
/// ```
///
/// and, when not the defaults, `const SAFE_METHODS` and `const MISMATCH`. With `owner(…)` it
/// also implements `check_owner` as one call, `::axioms::__private::check_owner(fetch, |object|
/// &object.field, "claim", …)`, which converts the state, fetches, compares and hands the
/// object over. Whether the object is needed follows from the rule; nothing else is generated.
///
/// # Typing requirements
///
/// * The function is an `async fn` without `self`.
/// * The router state `S` satisfies `axioms::Axioms: FromRef<S>`.
/// * With `owner`: `fetch` is an async fn whose arguments (at most 8) implement
///   `FromRequestParts<State>` and which returns `Result<T, impl IntoResponse>` or
///   `Option<T>`; `T` has the named field, of a type implementing `OwnerValue`; and the state
///   type satisfies `State: FromRef<S>`.
///
/// # Errors
///
/// Every mistake is a compile error at the offending token, all reported together; the
/// function is still emitted unchanged so the rest of your crate compiles:
///
/// ```compile_fail
/// use axioms::protected;
///
/// #[protected(role = "admin")] // error: unknown key `role`; did you mean `roles`?
/// async fn admin() {}
/// ```
///
/// ```compile_fail
/// use axioms::protected;
///
/// #[protected(scopes = any())] // error: `any()` is empty
/// async fn nothing() {}
/// ```
///
/// ```compile_fail
/// use axioms::protected;
///
/// #[protected(safe_methods = ["POST"])] // error: "POST" changes state
/// async fn create() {}
/// ```
///
/// # Examples
///
/// The moderation case: the author, or a moderator, may delete.
///
/// ```
/// use axioms::{Axioms, protected, policy::Owned};
/// use axum::{Router, extract::{FromRef, Path, State}, http::StatusCode, routing::delete};
///
/// #[derive(Clone, FromRef)]
/// struct AppState { axioms: Axioms }
///
/// struct Article { id: u64, user: String }
///
/// async fn get_article(Path(id): Path<u64>, State(_s): State<AppState>) -> Result<Article, StatusCode> {
///     if id == 1 { Ok(Article { id, user: "alice".into() }) } else { Err(StatusCode::NOT_FOUND) }
/// }
///
/// #[protected(any_of(owner(fetch = get_article), roles = any("admin", "moderator")))]
/// async fn delete_article(State(_s): State<AppState>, Owned(article): Owned<Article>) -> StatusCode {
///     let _ = article.id;
///     StatusCode::NO_CONTENT
/// }
///
/// fn app(state: AppState) -> Router {
///     Router::new().route("/articles/{id}", delete(delete_article)).with_state(state)
/// }
/// ```
#[proc_macro_attribute]
pub fn protected(attr: TokenStream, item: TokenStream) -> TokenStream {
    protected::protected(attr.into(), item.into()).into()
}

/// Defines a named policy once, to reuse on many handlers (`#[protected(policy = Name)]`)
/// and as a router layer (`axioms::policy::PolicyLayer::<Name>`), with the grammar of
/// [`macro@protected`].
///
/// ```
/// axioms::policy!(pub AdminOnly: roles = any("admin", "superuser"));
///
/// #[axioms::protected(policy = AdminOnly)]
/// async fn list_users() -> &'static str { "users" }
/// ```
///
/// Attributes before the name, doc comments included, go on the generated type. A policy with
/// mistakes still defines its name, with a rule that denies every request, so that only the
/// mistakes are reported and not also each use of the name:
///
/// ```compile_fail
/// axioms::policy!(
///     /// Administrators.
///     pub AdminOnly: role = "admin" // error: unknown key `role`; did you mean `roles`?
/// );
///
/// #[axioms::protected(policy = AdminOnly)] // no second error here
/// async fn list_users() -> &'static str { "users" }
/// ```
#[proc_macro]
pub fn policy(input: TokenStream) -> TokenStream {
    protected::policy(input.into()).into()
}

/// The policies of an rmcp server's `#[tool]` and `#[prompt]` methods, each written on the
/// method as `#[protected(…)]` with the grammar of handlers, collected into a function that
/// returns them as `axioms::mcp::McpPolicies`. Re-exported as `axioms::mcp::policies`, whose
/// documentation has the example.
#[proc_macro_attribute]
pub fn mcp_policies(attr: TokenStream, item: TokenStream) -> TokenStream {
    mcp::policies(attr.into(), item.into()).into()
}
