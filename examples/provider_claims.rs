//! Custom claim names: where Auth0, AWS Cognito, Microsoft Entra ID and Keycloak put scopes,
//! roles and permissions, and how to tell axioms.
//!
//! ```sh
//! PROVIDER=keycloak AXIOMS_AUDIENCE=account AXIOMS_DISCOVERY=true \
//!   AXIOMS_ISS_URL=https://sso.example.com/realms/demo cargo run --example provider_claims
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/whoami
//! ```
//!
//! `PROVIDER` (`auth0`, `cognito`, `entra`, `keycloak`, or unset for the defaults) picks the
//! claim names with the builder; an `AXIOMS_SCOPE_CLAIMS`, `AXIOMS_ROLES_CLAIMS` or
//! `AXIOMS_PERMISSIONS_CLAIMS` variable, when set, wins over the preset. The same settings
//! as environment variables alone:
//!
//! | Provider | Token | Setting |
//! |---|---|---|
//! | Auth0 | `"https://example.com/roles": ["admin"]`, `"permissions": [...]` (RBAC on) | `AXIOMS_ROLES_CLAIMS=https://example.com/roles` |
//! | Cognito | `"cognito:groups": ["admin"]` | `AXIOMS_ROLES_CLAIMS=cognito:groups` |
//! | Entra ID | `"scp": "read:data"`, `"roles": ["admin"]` | `AXIOMS_SCOPE_CLAIMS=scp` |
//! | Keycloak | `"realm_access": {"roles": ["admin"]}` | `AXIOMS_ROLES_CLAIMS=/realm_access/roles` |
//!
//! A name is matched exactly whatever it contains (`cognito:groups`, a URL), unless it starts
//! with `/`: then it is a JSON Pointer into nested objects (`/realm_access/roles`,
//! `/resource_access/my-client/roles`).
//!
//! `GET /whoami` shows what axioms read from the token; `GET /admin` needs the `admin` role,
//! `GET /read` the `read:data` scope, `GET /write` the `write:data` permission.
//! `BIND_ADDR` (default `127.0.0.1:8000`) says where to listen.

use axioms::{Axioms, Claims, protected};
use axum::{Json, Router, routing::get};
use serde_json::{Value, json};

/// Where each provider puts scopes, roles and permissions (`None`: the default names,
/// `scope`/`scp`, `roles`, `permissions`).
struct Preset {
    scopes: Option<&'static [&'static str]>,
    roles: Option<&'static [&'static str]>,
    permissions: Option<&'static [&'static str]>,
}

fn preset(provider: &str) -> Result<Preset, String> {
    Ok(match provider {
        // Roles need a namespaced custom claim added by an Auth0 Action; permissions come in
        // `permissions` when RBAC and "Add Permissions in the Access Token" are on.
        "auth0" => Preset {
            scopes: None,
            roles: Some(&["https://example.com/roles"]),
            permissions: Some(&["permissions"]),
        },
        // User pool groups.
        "cognito" => Preset {
            scopes: None,
            roles: Some(&["cognito:groups"]),
            permissions: None,
        },
        // Delegated scopes in `scp` (a space-separated string), app roles in `roles`.
        "entra" => Preset {
            scopes: Some(&["scp"]),
            roles: Some(&["roles"]),
            permissions: None,
        },
        // Realm roles, nested; client roles would be `/resource_access/<client>/roles`.
        "keycloak" => Preset {
            scopes: None,
            roles: Some(&["/realm_access/roles"]),
            permissions: None,
        },
        "" | "default" => Preset {
            scopes: None,
            roles: None,
            permissions: None,
        },
        other => {
            return Err(format!(
                "PROVIDER: unknown provider `{other}`; use auth0, cognito, entra or keycloak"
            ));
        }
    })
}

/// The environment's settings, with the preset's claim names where the environment names
/// none (an `AXIOMS_*_CLAIMS` variable that is set wins).
fn config(provider: &str) -> Result<axioms::Config, Box<dyn std::error::Error>> {
    let preset = preset(provider)?;
    let default = |name: &str| {
        let names = match name {
            "AXIOMS_SCOPE_CLAIMS" => preset.scopes,
            "AXIOMS_ROLES_CLAIMS" => preset.roles,
            "AXIOMS_PERMISSIONS_CLAIMS" => preset.permissions,
            _ => None,
        };
        names.map(|names| names.join(","))
    };
    Ok(axioms::Config::from_vars(|name| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| default(name))
    })?)
}

async fn whoami(claims: Claims) -> Json<Value> {
    Json(json!({
        "sub": claims.subject(),
        "scopes": claims.scopes(),
        "roles": claims.roles(),
        "permissions": claims.permissions(),
    }))
}

#[protected(roles = "admin")]
async fn admin() -> &'static str {
    "welcome, admin\n"
}

#[protected(scopes = "read:data")]
async fn read() -> &'static str {
    "data\n"
}

#[protected(permissions = "write:data")]
async fn write() -> &'static str {
    "written\n"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let provider = std::env::var("PROVIDER")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let axioms = Axioms::new(config(&provider)?)?;
    let app = Router::new()
        .route("/whoami", get(whoami))
        .route("/admin", get(admin))
        .route("/read", get(read))
        .route("/write", get(write))
        .with_state(axioms);
    let addr = std::env::var("BIND_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let provider = if provider.is_empty() {
        "default"
    } else {
        &provider
    };
    println!("claim names: {provider} preset");
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
