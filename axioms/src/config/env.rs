//! The `AXIOMS_*` variables, read into a [`ConfigBuilder`]: the service's, the primary
//! issuer's, and those of each issuer named in `AXIOMS_TRUST` (`AXIOMS_<NAME>_*`).

use std::time::Duration;

use ::http::Method;

use super::{AudienceClaim, Config, ConfigBuilder, ConfigError, IssuerBuilder, TokenType, Trust};
use crate::algorithm::Algorithm;
use crate::api_key::ApiKeys;

/// The variables about the service, set once for every trusted issuer: never read under an
/// issuer's name, where one is an error naming it.
pub(super) const SERVICE_VARS: [&str; 22] = [
    "AXIOMS_RESOURCE",
    "AXIOMS_REALM",
    "AXIOMS_SAFE_METHODS",
    "AXIOMS_MAX_TOKEN_BYTES",
    "AXIOMS_TOKEN_CACHE_ENTRIES",
    "AXIOMS_INSECURE_ALLOW_HTTP",
    "AXIOMS_DPOP_REQUIRED",
    "AXIOMS_DPOP_ALGORITHMS",
    "AXIOMS_DPOP_PROOF_LIFETIME_SECS",
    "AXIOMS_DPOP_NONCE_SECRET",
    "AXIOMS_DPOP_ORIGIN",
    "AXIOMS_DPOP_REPLAY_ENTRIES",
    "AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY",
    "AXIOMS_DPOP_REDIS_URL",
    "AXIOMS_TRUSTED_CLIENT_CERT_HEADER",
    "AXIOMS_API_KEYS",
    "AXIOMS_API_KEYS_FILE",
    "AXIOMS_API_KEY_HEADER",
    "AXIOMS_TOKEN_HEADER",
    "AXIOMS_TOKEN_COOKIE",
    "AXIOMS_TOKEN_COOKIE_ORIGINS",
    "AXIOMS_TRUST",
];

/// The variables that say how far an issuer other than the primary is trusted: read only
/// under its name (`AXIOMS_PARTNER_TRUSTED_FOR`).
pub(super) const TRUST_VARS: [&str; 2] = ["AXIOMS_SAME_DIRECTORY", "AXIOMS_TRUSTED_FOR"];

/// A variable's value, trimmed; `None` when unset or empty.
fn trimmed(var: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    var(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The whole configuration the variables `var` finds describe, not yet built.
pub(super) fn read(var: impl Fn(&str) -> Option<String>) -> Result<ConfigBuilder, ConfigError> {
    let var: &dyn Fn(&str) -> Option<String> = &var;
    if let Some(setting) = TRUST_VARS.iter().find(|s| trimmed(var, s).is_some()) {
        let rest = setting.strip_prefix("AXIOMS_").unwrap_or(setting);
        return Err(ConfigError::new(
            setting,
            "it says how far an issuer named in AXIOMS_TRUST is trusted; the primary issuer is \
             trusted everywhere",
            format!("set AXIOMS_<NAME>_{rest} for the issuer it is about, or unset it"),
        ));
    }
    let mut b = service(Config::builder(issuer(var)?), var)?;
    let Some(names) = trimmed(var, "AXIOMS_TRUST") else {
        return Ok(b);
    };
    for name in names.split(',').map(str::trim) {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(ConfigError::new(
                "AXIOMS_TRUST",
                format!("`{name}` is not a name for an issuer's variables"),
                "use upper-case letters, digits and `_`, e.g. AXIOMS_TRUST=KEYCLOAK,PARTNER_A",
            ));
        }
        let lower = name.to_ascii_lowercase();
        let named = |setting: &str| {
            setting
                .strip_prefix("AXIOMS_")
                .and_then(|rest| var(&format!("AXIOMS_{name}_{rest}")))
        };
        for setting in SERVICE_VARS {
            if trimmed(&named, setting).is_some() {
                let rest = setting.strip_prefix("AXIOMS_").unwrap_or(setting);
                return Err(ConfigError::new(
                    "AXIOMS_TRUST",
                    format!("AXIOMS_{name}_{rest} is a service setting, which all issuers share"),
                    format!("set {setting} once, without the issuer's name"),
                ));
            }
        }
        let builder = issuer(&named).map_err(|e| e.named(&lower))?;
        let same_directory = trimmed(&named, "AXIOMS_SAME_DIRECTORY")
            .map(|v| parse_bool("AXIOMS_SAME_DIRECTORY", &v))
            .transpose()
            .map_err(|e| e.named(&lower))?
            .unwrap_or(false);
        let trust = match (same_directory, trimmed(&named, "AXIOMS_TRUSTED_FOR")) {
            (true, Some(_)) => {
                return Err(ConfigError::new(
                    "AXIOMS_TRUSTED_FOR",
                    "an issuer that shares the primary's directory is trusted by every policy",
                    "unset one of them",
                )
                .named(&lower));
            }
            (true, None) => Trust::same_directory(),
            (false, policies) => {
                Trust::partner_for(policies.as_deref().map(list).unwrap_or_default())
            }
        };
        b = b.trust(lower, builder, trust);
    }
    Ok(b)
}

/// One issuer's settings, from the issuer variables `var` finds (the primary's, or a named
/// issuer's through a lookup that adds its name).
fn issuer(var: &dyn Fn(&str) -> Option<String>) -> Result<IssuerBuilder, ConfigError> {
    let get = |name: &str| trimmed(var, name);
    let mut b = IssuerBuilder::default();
    if let Some(v) = get("AXIOMS_AUDIENCE") {
        b.validation.audiences = list(&v);
    }
    if let Some(v) = get("AXIOMS_AUDIENCE_CLAIM") {
        b.validation.audience_claim = match v.as_str() {
            "aud" => AudienceClaim::Aud,
            "client_id" => AudienceClaim::ClientId,
            _ => {
                return Err(ConfigError::new(
                    "AXIOMS_AUDIENCE_CLAIM",
                    format!("`{v}` is not an audience claim"),
                    "use `aud` (the default) or `client_id` (AWS Cognito access tokens)",
                ));
            }
        };
    }
    b.issuer = get("AXIOMS_ISS_URL");
    b.jwks_url = get("AXIOMS_JWKS_URL");
    b.domain = get("AXIOMS_DOMAIN");
    if let Some(v) = get("AXIOMS_DISCOVERY") {
        b.discovery = parse_bool("AXIOMS_DISCOVERY", &v)?;
    }
    b.validation.scope_claims = get("AXIOMS_SCOPE_CLAIMS").map(|v| list(&v));
    b.validation.roles_claims = get("AXIOMS_ROLES_CLAIMS").map(|v| list(&v));
    b.validation.permissions_claims = get("AXIOMS_PERMISSIONS_CLAIMS").map(|v| list(&v));
    if let Some(v) = get("AXIOMS_LEEWAY_SECS") {
        b.validation.leeway = secs("AXIOMS_LEEWAY_SECS", &v)?;
    }
    if let Some(v) = get("AXIOMS_ALGORITHMS") {
        b.keys.algorithms = list(&v)
            .iter()
            .map(|a| algorithm("AXIOMS_ALGORITHMS", a))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = get("AXIOMS_RSA_KEY_ALG") {
        b.keys.rsa_key_alg = algorithm("AXIOMS_RSA_KEY_ALG", &v)?;
    }
    if let Some(v) = get("AXIOMS_TOKEN_TYPE") {
        b.validation.token_type = match v.to_ascii_lowercase().as_str() {
            "jwt" | "default" => TokenType::AccessOrJwt,
            "rfc9068" | "at+jwt" | "strict" => TokenType::Rfc9068,
            _ => {
                return Err(ConfigError::new(
                    "AXIOMS_TOKEN_TYPE",
                    format!("`{v}` is not a token type"),
                    "use `jwt` (at+jwt, JWT or no typ) or `rfc9068` (at+jwt only)",
                ));
            }
        };
    }
    if let Some(v) = get("AXIOMS_ALLOW_TOKENS_WITHOUT_SUB") {
        b.validation.require_subject = !parse_bool("AXIOMS_ALLOW_TOKENS_WITHOUT_SUB", &v)?;
    }
    if let Some(v) = get("AXIOMS_JWKS_REFRESH_SECS") {
        b.keys.refresh_interval = secs("AXIOMS_JWKS_REFRESH_SECS", &v)?;
    }
    if let Some(v) = get("AXIOMS_JWKS_COOLDOWN_SECS") {
        b.keys.cooldown = secs("AXIOMS_JWKS_COOLDOWN_SECS", &v)?;
    }
    if let Some(v) = get("AXIOMS_HTTP_TIMEOUT_SECS") {
        b.http.request_timeout = secs("AXIOMS_HTTP_TIMEOUT_SECS", &v)?;
    }
    if let Some(v) = get("AXIOMS_TENANTS") {
        b.tenants = Some(list(&v));
    }
    if let Some(v) = get("AXIOMS_ACCEPT_EVERY_TENANT") {
        b.every_tenant = parse_bool("AXIOMS_ACCEPT_EVERY_TENANT", &v)?;
    }
    if let Some(path) = get("AXIOMS_LOCAL_KEYS_FILE") {
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ConfigError::new(
                "AXIOMS_LOCAL_KEYS_FILE",
                format!("cannot read `{path}`: {e}"),
                "give the path of a JWK Set (or one public JWK) in JSON",
            )
        })?;
        b = b.local_keys(text);
    }
    if let Some(secret) = var("AXIOMS_HMAC_SECRET").filter(|v| !v.is_empty()) {
        let alg = match get("AXIOMS_HMAC_ALG").as_deref() {
            None | Some("HS256") => Algorithm::HS256,
            Some("HS384") => Algorithm::HS384,
            Some("HS512") => Algorithm::HS512,
            Some(other) => {
                return Err(ConfigError::new(
                    "AXIOMS_HMAC_ALG",
                    format!("`{other}` is not an HMAC algorithm"),
                    "use HS256 (the default), HS384 or HS512",
                ));
            }
        };
        // The secret's bytes as given: not trimmed, so what signs is what verifies.
        b = b.hmac_secret(secret.as_bytes(), alg);
    } else if get("AXIOMS_HMAC_ALG").is_some() {
        return Err(ConfigError::new(
            "AXIOMS_HMAC_ALG",
            "an HMAC algorithm without AXIOMS_HMAC_SECRET",
            "set the secret too, or unset AXIOMS_HMAC_ALG",
        ));
    }
    match (
        get("AXIOMS_INTROSPECTION_CLIENT_ID"),
        var("AXIOMS_INTROSPECTION_CLIENT_SECRET").filter(|v| !v.is_empty()),
    ) {
        (Some(id), Some(secret)) => b = b.introspection(id, secret),
        (None, None) => {}
        _ => {
            return Err(ConfigError::new(
                "AXIOMS_INTROSPECTION_CLIENT_SECRET",
                "introspection needs both a client id and its secret",
                "set AXIOMS_INTROSPECTION_CLIENT_ID and AXIOMS_INTROSPECTION_CLIENT_SECRET",
            ));
        }
    }
    b.introspection.endpoint = get("AXIOMS_INTROSPECTION_URL");
    if let Some(v) = get("AXIOMS_INTROSPECTION_CACHE_SECS") {
        b.introspection.cache = Some(secs("AXIOMS_INTROSPECTION_CACHE_SECS", &v)?);
    }
    if let Some(v) = get("AXIOMS_INTROSPECTION_NEGATIVE_CACHE_SECS") {
        b.introspection.negative_cache =
            Some(secs("AXIOMS_INTROSPECTION_NEGATIVE_CACHE_SECS", &v)?);
    }
    if let Some(v) = get("AXIOMS_INTROSPECTION_CACHE_ENTRIES") {
        b.introspection.entries = Some(size("AXIOMS_INTROSPECTION_CACHE_ENTRIES", &v)?);
    }
    Ok(b)
}

/// The service's settings, from the variables `var` finds (never an issuer's name's).
fn service(
    mut b: ConfigBuilder,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<ConfigBuilder, ConfigError> {
    let get = |name: &str| trimmed(var, name);
    if let Some(v) = get("AXIOMS_MAX_TOKEN_BYTES") {
        b.max_token_bytes = size("AXIOMS_MAX_TOKEN_BYTES", &v)?;
    }
    if let Some(v) = get("AXIOMS_TOKEN_CACHE_ENTRIES") {
        b.requests.token_cache_entries = size("AXIOMS_TOKEN_CACHE_ENTRIES", &v)?;
    }
    if let Some(v) = get("AXIOMS_RESOURCE") {
        b.requests.resource = Some(v);
    }
    if let Some(v) = get("AXIOMS_REALM") {
        b.requests.realm = v;
    }
    if let Some(v) = get("AXIOMS_SAFE_METHODS") {
        b.requests.safe_methods = list(&v)
            .iter()
            .map(|m| {
                Method::from_bytes(m.as_bytes()).map_err(|_| {
                    ConfigError::new(
                        "AXIOMS_SAFE_METHODS",
                        format!("`{m}` is not an HTTP method"),
                        "list methods separated by commas, e.g. `GET,HEAD`",
                    )
                })
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = get("AXIOMS_DPOP_REQUIRED") {
        b.dpop.required = parse_bool("AXIOMS_DPOP_REQUIRED", &v)?;
    }
    if let Some(v) = get("AXIOMS_DPOP_ALGORITHMS") {
        b.dpop.algorithms = list(&v)
            .iter()
            .map(|a| algorithm("AXIOMS_DPOP_ALGORITHMS", a))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = get("AXIOMS_DPOP_PROOF_LIFETIME_SECS") {
        b.dpop.proof_lifetime = secs("AXIOMS_DPOP_PROOF_LIFETIME_SECS", &v)?;
    }
    if let Some(v) = get("AXIOMS_DPOP_NONCE_SECRET") {
        b.dpop.nonce_secret = Some(super::dpop::nonce_secret(&v)?);
    }
    b.dpop.origin = get("AXIOMS_DPOP_ORIGIN");
    if let Some(v) = get("AXIOMS_DPOP_REPLAY_ENTRIES") {
        b.dpop.replay_entries = size("AXIOMS_DPOP_REPLAY_ENTRIES", &v)?;
    }
    if let Some(v) = get("AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY") {
        b.dpop.replay_entries_per_key = Some(size("AXIOMS_DPOP_REPLAY_ENTRIES_PER_KEY", &v)?);
    }
    b.dpop.redis_url = get("AXIOMS_DPOP_REDIS_URL");
    b.dpop.client_cert_header = get("AXIOMS_TRUSTED_CLIENT_CERT_HEADER");
    let keys = match (get("AXIOMS_API_KEYS_FILE"), get("AXIOMS_API_KEYS")) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                "AXIOMS_API_KEYS",
                "both AXIOMS_API_KEYS_FILE and AXIOMS_API_KEYS are set",
                "keep one list: the file, or the inline JSON",
            ));
        }
        (Some(path), None) => Some(("AXIOMS_API_KEYS_FILE", ApiKeys::from_file(&path))),
        (None, Some(json)) => Some(("AXIOMS_API_KEYS", ApiKeys::from_json(&json))),
        (None, None) => None,
    };
    if let Some((name, keys)) = keys {
        let keys = keys.map_err(|e| {
            ConfigError::new(
                name,
                e.to_string(),
                r#"a JSON list {"keys": [{"id", "sha256", "sub", "scopes", "roles", "permissions"}]}, sha256 of each key in hex (printf %s "$KEY" | sha256sum)"#,
            )
        })?;
        b = b.api_keys(keys);
    }
    if let Some(v) = get("AXIOMS_API_KEY_HEADER") {
        b = b.api_key_header(v);
    }
    if let Some(v) = get("AXIOMS_TOKEN_HEADER") {
        b = b.token_header(v);
    }
    if let Some(v) = get("AXIOMS_TOKEN_COOKIE") {
        b = b.token_cookie(v);
    }
    if let Some(v) = get("AXIOMS_TOKEN_COOKIE_ORIGINS") {
        b = b.cookie_origins(list(&v));
    }
    if let Some(v) = get("AXIOMS_INSECURE_ALLOW_HTTP") {
        b.allow_http = parse_bool("AXIOMS_INSECURE_ALLOW_HTTP", &v)?;
    }
    Ok(b)
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn parse_bool(setting: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::new(
            setting,
            format!("`{v}` is not a boolean"),
            "use `true` or `false`",
        )),
    }
}

fn parse_num(setting: &'static str, v: &str) -> Result<u64, ConfigError> {
    v.parse().map_err(|_| {
        ConfigError::new(
            setting,
            format!("`{v}` is not a whole non-negative number"),
            "give a number such as `60`",
        )
    })
}

fn secs(setting: &'static str, v: &str) -> Result<Duration, ConfigError> {
    parse_num(setting, v).map(Duration::from_secs)
}

fn size(setting: &'static str, v: &str) -> Result<usize, ConfigError> {
    parse_num(setting, v).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
}

fn algorithm(setting: &'static str, v: &str) -> Result<Algorithm, ConfigError> {
    v.parse::<Algorithm>().map_err(|e| {
        ConfigError::new(
            setting,
            e.to_string(),
            "name algorithms as JWS does, e.g. `RS256` or `RS256,ES256`",
        )
    })
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    /// The names a reader asks for.
    fn asked(read: impl FnOnce(&dyn Fn(&str) -> Option<String>)) -> Vec<String> {
        let names = RefCell::new(Vec::new());
        read(&|name: &str| {
            names.borrow_mut().push(name.to_owned());
            None
        });
        let mut names = names.into_inner();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The list that polices service variables under an issuer's name is exactly what the
    /// service reader reads, and no issuer variable is among them.
    #[test]
    fn service_and_issuer_variables_are_apart() {
        let service_read = asked(|var| {
            let _ = service(Config::builder(IssuerBuilder::default()), var);
        });
        let mut listed: Vec<String> = SERVICE_VARS
            .iter()
            .filter(|v| **v != "AXIOMS_TRUST")
            .map(|v| (*v).to_owned())
            .collect();
        listed.sort_unstable();
        assert_eq!(service_read, listed);
        let issuer_read = asked(|var| {
            let _ = issuer(var);
        });
        assert!(issuer_read.len() > 20, "{issuer_read:?}");
        for name in &issuer_read {
            assert!(
                !SERVICE_VARS.contains(&name.as_str()) && !TRUST_VARS.contains(&name.as_str()),
                "{name} is read as an issuer's and listed as the service's"
            );
        }
    }
}
