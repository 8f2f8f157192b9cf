//! The `AXIOMS_*` variables, read into a [`ConfigBuilder`].

use std::time::Duration;

use ::http::Method;

use super::{AudienceClaim, ConfigBuilder, ConfigError, TokenType};
use crate::algorithm::Algorithm;
use crate::api_key::ApiKeys;

/// The variables about requests rather than an issuer: shared by every trusted issuer, so
/// never read under an issuer's name (`AXIOMS_TRUST`).
pub(super) const REQUEST_SETTINGS: [&str; 20] = [
    "AXIOMS_RESOURCE",
    "AXIOMS_REALM",
    "AXIOMS_SAFE_METHODS",
    "AXIOMS_TOKEN_CACHE_ENTRIES",
    "AXIOMS_DPOP_REQUIRED",
    "AXIOMS_DPOP_ALGORITHMS",
    "AXIOMS_DPOP_PROOF_LIFETIME_SECS",
    "AXIOMS_DPOP_NONCE_SECRET",
    "AXIOMS_DPOP_ORIGIN",
    "AXIOMS_DPOP_REPLAY_ENTRIES",
    "AXIOMS_DPOP_REDIS_URL",
    "AXIOMS_TRUSTED_CLIENT_CERT_HEADER",
    "AXIOMS_API_KEYS",
    "AXIOMS_API_KEYS_FILE",
    "AXIOMS_API_KEY_HEADER",
    "AXIOMS_TOKEN_HEADER",
    "AXIOMS_TOKEN_COOKIE",
    "AXIOMS_TOKEN_COOKIE_ORIGINS",
    "AXIOMS_TRUST",
    "AXIOMS_MAX_TOKEN_BYTES",
];

/// Seeds `b` from the variables `var` finds; unset or empty variables keep their defaults.
pub(super) fn read(
    mut b: ConfigBuilder,
    var: impl Fn(&str) -> Option<String>,
) -> Result<ConfigBuilder, ConfigError> {
    let get = |name: &str| {
        var(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
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
    if let Some(v) = get("AXIOMS_MAX_TOKEN_BYTES") {
        b.validation.max_token_bytes = size("AXIOMS_MAX_TOKEN_BYTES", &v)?;
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
    b.dpop.redis_url = get("AXIOMS_DPOP_REDIS_URL");
    b.dpop.client_cert_header = get("AXIOMS_TRUSTED_CLIENT_CERT_HEADER");
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
        b.http.allow_insecure_http = parse_bool("AXIOMS_INSECURE_ALLOW_HTTP", &v)?;
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
