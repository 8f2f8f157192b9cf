//! Development mode: an embedded token issuer, `POST /dev/token`, and the startup walkthrough.
//!
//! When no issuer is configured, the tutorial starts `axioms::testing::TestIssuer` in-process:
//! real RSA keys, a real JWKS served on an ephemeral `127.0.0.1` port, and the same verifier as
//! in production. Its keys live in memory only, so tokens die with the process. **Anyone who can
//! reach `POST /dev/token` can mint any token**: this mode is for a developer's machine only,
//! which is why the server refuses to listen on anything but loopback in it.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axioms::testing::TestIssuer;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiJson};

/// The audience in development mode when `AXIOMS_AUDIENCE` is not set.
pub(crate) const DEFAULT_AUDIENCE: &str = "tutorial-api";

/// Lifetime of minted tokens unless `exp` or `expires_in` says otherwise: one hour.
const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// The embedded issuer and the audience its tokens are for.
pub(crate) struct DevIssuer {
    issuer: TestIssuer,
    audience: String,
}

/// The answer of `POST /dev/token`, shaped like an OAuth 2.0 token response (RFC 6749 §5.1).
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

impl DevIssuer {
    /// Starts the issuer on an ephemeral port of 127.0.0.1.
    pub(crate) async fn start(audience: String) -> Self {
        Self {
            issuer: TestIssuer::start().await,
            audience,
        }
    }

    /// The issuer identifier (`iss`), `http://127.0.0.1:<port>`.
    pub(crate) fn url(&self) -> String {
        self.issuer.issuer()
    }

    /// Mints a token from a JSON object of claims.
    ///
    /// `iss` defaults to this issuer and `aud` to the audience; `exp` defaults to one hour
    /// from now, or `expires_in` seconds from now when that member is given (it is not a claim
    /// and is removed). Other claims default as `TestIssuer` mints them: `sub` `user-1`, `iat`
    /// now, a fresh `jti`, `client_id` `test-client`. Anything given replaces the default, so a
    /// wrong `iss` or `aud`, or a past `exp`, gives a token the API refuses — on purpose; a
    /// claim given as `null` is left out (`{"sub": null}`: a token without a principal, which
    /// the API refuses too). `{"cnf": {"jkt": "<thumbprint>"}}` binds the token to a DPoP
    /// key (its `token_type` is then `DPoP`); `acr` and `auth_time` are ordinary claims.
    pub(crate) fn mint(&self, body: Value) -> Result<TokenResponse, ApiError> {
        let Value::Object(mut claims) = body else {
            return Err(ApiError::invalid(
                r#"the body must be a JSON object of claims, e.g. {"sub":"alice","scope":"read:data"}"#,
            ));
        };
        let now = unix_now();
        let lifetime = match claims.remove("expires_in") {
            None => None,
            Some(v) => Some(v.as_i64().ok_or_else(|| {
                ApiError::invalid("`expires_in` must be a whole number of seconds")
            })?),
        };
        let exp = match (claims.get("exp"), lifetime) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid("give `exp` or `expires_in`, not both"));
            }
            (Some(exp), None) => exp.as_i64().ok_or_else(|| {
                ApiError::invalid("`exp` must be a whole number of seconds since the Unix epoch")
            })?,
            (None, Some(secs)) => now.saturating_add(secs),
            (None, None) => now + DEFAULT_LIFETIME_SECS,
        };
        claims.insert("exp".to_owned(), json!(exp));
        if !claims.contains_key("aud") {
            claims.insert("aud".to_owned(), json!(self.audience));
        }
        let omitted: Vec<String> = claims
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| k.clone())
            .collect();
        // A token bound to a DPoP key (RFC 9449 §6.1) is of type DPoP (§5).
        let dpop_bound = claims.get("cnf").and_then(|cnf| cnf.get("jkt")).is_some();
        let mut token = self.issuer.token().claims(Value::Object(claims));
        for name in &omitted {
            token = token.without(name);
        }
        let access_token = token.sign();
        if access_token.is_empty() {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the development issuer has no signing key",
            ));
        }
        Ok(TokenResponse {
            access_token,
            token_type: if dpop_bound { "DPoP" } else { "Bearer" },
            expires_in: exp.saturating_sub(now).max(0),
        })
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `POST /dev/token`, only mounted in development mode.
pub(crate) fn routes<S>(dev: Arc<DevIssuer>) -> Router<S> {
    Router::new()
        .route("/dev/token", post(token))
        .with_state(dev)
}

async fn token(
    State(dev): State<Arc<DevIssuer>>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<TokenResponse>, ApiError> {
    dev.mint(body).map(Json)
}

/// The people of the walkthrough: shell variable, who it is, claims.
fn personas() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "OWNER",
            "alice, an author with no privileges",
            json!({"sub": "alice", "email": "alice@example.com", "name": "Alice"}),
        ),
        (
            "EDITOR",
            "alice again, as an editor allowed to publish",
            json!({
                "sub": "alice", "email": "alice@example.com", "name": "Alice",
                "scope": "openid profile articles:publish",
                "roles": ["editor"],
                "permissions": ["resource:write", "articles:publish"],
            }),
        ),
        (
            "READER",
            "bob, who may read data",
            json!({"sub": "bob", "email": "bob@example.com", "name": "Bob", "scope": "read:data"}),
        ),
        (
            "WRITER",
            "carol, who may write data",
            json!({"sub": "carol", "scope": "write:data openid"}),
        ),
        (
            "ADMIN",
            "dana, admin and superuser",
            json!({
                "sub": "dana",
                "roles": ["admin", "superuser"],
                "permissions": ["resource:create"],
            }),
        ),
        (
            "ADMIN_MFA",
            "dana again, just after a multi-factor login (good for 5 minutes)",
            json!({
                "sub": "dana",
                "roles": ["admin", "superuser"],
                "acr": "urn:example:mfa",
                "auth_time": unix_now(),
            }),
        ),
        (
            "MODERATOR",
            "maya, a moderator",
            json!({"sub": "maya", "roles": ["moderator"]}),
        ),
    ]
}

/// The loud development-mode banner and the ready-to-paste walkthrough, with fresh tokens.
///
/// The commands carry no shell comments (zsh does not accept them interactively); each one
/// prints the body, then the status and the status expected.
pub(crate) fn walkthrough(dev: &DevIssuer, api: &str, database: &str) -> String {
    let rule = "=".repeat(78);
    let mut out = format!(
        "{rule}
  DEVELOPMENT MODE: embedded token issuer. NOT FOR PRODUCTION.
  No AXIOMS_ISS_URL, AXIOMS_JWKS_URL or AXIOMS_DOMAIN is set, so this server trusts
  tokens from an in-process issuer ({issuer}) whose keys vanish when it stops,
  and anyone who can reach POST {api}/dev/token can mint ANY token.
  Set AXIOMS_ISS_URL and AXIOMS_AUDIENCE to protect real traffic.
{rule}
audience: {audience}
database: {database}
",
        issuer = dev.url(),
        audience = dev.audience,
    );
    let mut exports = String::new();
    for (var, who, claims) in personas() {
        match dev.mint(claims) {
            Ok(token) => {
                out.push_str(&format!("token {var:<9} {who}\n"));
                exports.push_str(&format!("export {var}='{}'\n", token.access_token));
            }
            Err(err) => out.push_str(&format!("token {var:<9} could not be minted: {err:?}\n")),
        }
    }
    out.push_str(&format!(
        "\nPaste into a shell (tokens valid for one hour; each command prints the body, \
         then the status):\n\nexport API={api}\n{exports}"
    ));
    let c = |expect: &str, rest: String| {
        format!("curl -s -w ' -> %{{http_code}} (expected {expect})\\n' {rest}")
    };
    let json = "-H 'Content-Type: application/json'";
    let auth = |who: &str| format!("-H \"Authorization: Bearer ${who}\"");
    let capture = |var: &str, what: &str, rest: String| {
        format!(
            r#"{var}=$(curl -s {rest} | sed -E 's/.*"id":([0-9]+).*/\1/'); echo "{what} ${var}""#
        )
    };
    let lines = [
        String::new(),
        c("200", "$API/health".into()),
        r"curl -si -w '\n' $API/protected".into(),
        c(
            "200, user_id bob",
            format!("$API/protected {}", auth("READER")),
        ),
        c("200", format!("$API/me {}", auth("OWNER"))),
        String::new(),
        c("200", format!("$API/api/read {}", auth("READER"))),
        c("403", format!("$API/api/read {}", auth("WRITER"))),
        c("200", format!("$API/api/write {}", auth("WRITER"))),
        c("200", format!("$API/admin/users {}", auth("ADMIN"))),
        c(
            "200",
            format!("-X DELETE $API/admin/users/42 {}", auth("ADMIN")),
        ),
        c(
            "403",
            format!("-X DELETE $API/admin/users/42 {}", auth("EDITOR")),
        ),
        r#"curl -s -o /dev/null -D - -X POST $API/admin/keys -H "Authorization: Bearer $ADMIN" | grep -i -e '^HTTP' -e www-authenticate"#.into(),
        c(
            "201 in the first 5 minutes, then 401",
            format!("-X POST $API/admin/keys {}", auth("ADMIN_MFA")),
        ),
        c(
            "201",
            format!("-X POST $API/api/resource {}", auth("ADMIN")),
        ),
        c("200", format!("$API/api/strict {}", auth("EDITOR"))),
        c("403", format!("$API/api/strict {}", auth("READER"))),
        c("200, anonymous", "$API/public-data".into()),
        c(
            "200, personalized",
            format!("$API/public-data {}", auth("READER")),
        ),
        c("401", "-X POST $API/public-data".into()),
        String::new(),
        capture(
            "ID",
            "article",
            format!(
                r#"-X POST $API/articles {} {json} -d '{{"title":"Hello","content":"My first article"}}'"#,
                auth("OWNER")
            ),
        ),
        c(
            "200, the author",
            format!("$API/articles/$ID {}", auth("OWNER")),
        ),
        c(
            "403, not the author",
            format!("$API/articles/$ID {}", auth("READER")),
        ),
        c("404", format!("$API/articles/999999 {}", auth("OWNER"))),
        c(
            "200",
            format!(
                r#"-X PATCH $API/articles/$ID {} {json} -d '{{"title":"Hello again"}}'"#,
                auth("OWNER")
            ),
        ),
        c(
            "400, bad JSON, nothing written",
            format!(
                r#"-X PATCH $API/articles/$ID {} {json} -d '{{"title":'"#,
                auth("OWNER")
            ),
        ),
        capture(
            "CID",
            "comment",
            format!(
                r#"-X POST $API/articles/$ID/comments {} {json} -d '{{"text":"Nice!"}}'"#,
                auth("READER")
            ),
        ),
        c(
            "200, the commenter",
            format!(
                r#"-X PATCH $API/comments/$CID {} {json} -d '{{"text":"Very nice!"}}'"#,
                auth("READER")
            ),
        ),
        c(
            "403, not the commenter",
            format!(
                r#"-X PATCH $API/comments/$CID {} {json} -d '{{"text":"Hijacked"}}'"#,
                auth("OWNER")
            ),
        ),
        c(
            "403, the author lacks the privileges",
            format!("-X PATCH $API/api/articles/$ID/publish {}", auth("OWNER")),
        ),
        c(
            "200, author and editor",
            format!("-X PATCH $API/api/articles/$ID/publish {}", auth("EDITOR")),
        ),
        c(
            "400, already published",
            format!("-X PATCH $API/api/articles/$ID/publish {}", auth("EDITOR")),
        ),
        capture(
            "PID",
            "project",
            format!(
                r#"-X POST $API/projects {} {json} -d '{{"name":"Apollo"}}'"#,
                auth("OWNER")
            ),
        ),
        c(
            "200, owner by email",
            format!("$API/projects/$PID {}", auth("OWNER")),
        ),
        c("403", format!("$API/projects/$PID {}", auth("READER"))),
        c(
            "403, neither author nor moderator",
            format!("-X DELETE $API/moderation/articles/$ID {}", auth("READER")),
        ),
        c(
            "204, a moderator",
            format!(
                "-X DELETE $API/moderation/articles/$ID {}",
                auth("MODERATOR")
            ),
        ),
        String::new(),
        c(
            "200",
            format!(
                r#"-X POST $API/dev/token {json} -d '{{"sub":"zoe","scope":"read:data","roles":["editor"],"expires_in":600}}'"#
            ),
        ),
    ];
    for line in lines {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str(&rule);
    out
}
