//! Provider profiles: tokens and key sets shaped like Auth0, Cognito, Entra ID, Okta and
//! Keycloak issue them, verified with the matching `Issuer` preset. The presets point at
//! the real providers; the tests repoint issuer and keys at a local `TestIssuer` and keep
//! everything else (audience rule, claim names).

use axioms::check::Mode;
use axioms::policy::Rule;
use axioms::testing::TestIssuer;
use axioms::{Axioms, Config, Issuer, IssuerBuilder, Reason};
use serde_json::{Value, json};

use crate::common;
use crate::common::verifier;

/// The preset, repointed at the local issuer.
fn local(issuer: &TestIssuer, preset: IssuerBuilder) -> Axioms {
    let preset = preset
        .issuer(issuer.issuer())
        .jwks_url(issuer.jwks_url())
        .discovery(false);
    verifier(Config::builder(preset))
}

fn strings(list: &[Box<str>]) -> Vec<&str> {
    list.iter().map(|s| &**s).collect()
}

#[tokio::test]
async fn auth0_namespaced_roles_and_permissions() {
    let issuer = TestIssuer::start().await;
    let preset = Issuer::auth0("example.eu.auth0.com", "https://api.example.com")
        .roles_claims(["https://example.com/roles"]);
    assert_eq!(
        Config::builder(preset.clone())
            .build()
            .unwrap()
            .primary()
            .clone()
            .issuer(),
        Some("https://example.eu.auth0.com/")
    );
    let axioms = local(&issuer, preset);
    let token = issuer
        .token()
        .header("typ", json!("JWT"))
        .claims(json!({
            "sub": "auth0|64f1c2",
            "aud": ["https://api.example.com", "https://example.eu.auth0.com/userinfo"],
            "azp": "Xq2m8xV1",
            "scope": "openid profile read:data",
            "permissions": ["read:data", "write:data"],
            "https://example.com/roles": ["admin"],
        }))
        .without("client_id")
        .sign();
    let claims = axioms.verify(&token).await.unwrap();
    assert_eq!(strings(claims.roles()), ["admin"]);
    assert_eq!(strings(claims.permissions()), ["read:data", "write:data"]);
    assert!(claims.has_scope("read:data"));
    const POLICY: Rule = Rule::AllOf(&[
        Rule::Roles(Mode::Any, &["admin"]),
        Rule::Permissions(Mode::All, &["read:data", "write:data"]),
    ]);
    assert_eq!(POLICY.evaluate(&claims, None), Some(true));
}

#[tokio::test]
async fn cognito_access_tokens_use_client_id_as_audience() {
    let issuer = TestIssuer::start().await;
    let preset = Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf", "1example23456789");
    let config = Config::builder(preset.clone())
        .build()
        .unwrap()
        .primary()
        .clone();
    assert_eq!(
        config.issuer(),
        Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf")
    );
    assert_eq!(
        config.jwks_url().unwrap().as_str(),
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf/.well-known/jwks.json"
    );
    let axioms = local(&issuer, preset);
    let cognito = |client_id: &str| {
        issuer
            .token()
            .without_header("typ")
            .without("aud")
            .claims(json!({
                "sub": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "cognito:groups": ["admin", "users"],
                "token_use": "access",
                "scope": "aws.cognito.signin.user.admin phone openid",
                "auth_time": 1_700_000_000,
                "client_id": client_id,
                "username": "alice",
            }))
            .sign()
    };
    let claims = axioms.verify(&cognito("1example23456789")).await.unwrap();
    assert_eq!(strings(claims.roles()), ["admin", "users"]);
    assert!(claims.has_scope("phone"));
    assert_eq!(
        axioms
            .verify(&cognito("another-client"))
            .await
            .unwrap_err()
            .reason(),
        Reason::AudienceMismatch
    );
    let no_client = issuer.token().without("aud").without("client_id").sign();
    assert_eq!(
        axioms.verify(&no_client).await.unwrap_err().reason(),
        Reason::MissingAudience
    );
}

/// Entra publishes RSA keys without `alg`, with `x5t`, `x5c` and `issuer` members.
fn entra_jwks(issuer: &TestIssuer) -> Value {
    let mut jwks = issuer.public_jwks();
    for key in jwks["keys"].as_array_mut().unwrap() {
        let key = key.as_object_mut().unwrap();
        key.remove("alg");
        key.insert("x5t".into(), json!("nOo3ZDrODXEK1jKWhXslHR_KXEg"));
        key.insert(
            "x5c".into(),
            json!(["MIIDBTCCAe2gAwIBAgIQN33ROaIJ6bJBWDCxtmJEbjANBgkqhkiG9w0BAQsFADAt"]),
        );
        key.insert(
            "issuer".into(),
            json!("https://login.microsoftonline.com/{tenantid}/v2.0"),
        );
    }
    jwks
}

#[tokio::test]
async fn entra_v2_scp_string_and_app_roles() {
    let issuer = TestIssuer::start().await;
    issuer.set_jwks(Some(entra_jwks(&issuer)));
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let preset = Issuer::entra(tenant, "6e74172b-be56-4843-9ff4-e66a39bb12e3");
    assert_eq!(
        Config::builder(preset.clone())
            .build()
            .unwrap()
            .primary()
            .discovery_url()
            .unwrap()
            .as_str(),
        format!("https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration")
    );
    let axioms = local(&issuer, preset);
    let token = issuer
        .token()
        .header("typ", json!("JWT"))
        .header("x5t", json!("nOo3ZDrODXEK1jKWhXslHR_KXEg"))
        .claims(json!({
            "aud": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
            "tid": tenant,
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "azp": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
            "scp": "User.Read Files.ReadWrite",
            "roles": ["Task.Write"],
            "ver": "2.0",
        }))
        .without("client_id")
        .sign();
    let claims = axioms.verify(&token).await.unwrap();
    assert_eq!(strings(claims.scopes()), ["User.Read", "Files.ReadWrite"]);
    assert_eq!(strings(claims.roles()), ["Task.Write"]);
    // Keys without `alg` are pinned to RS256: a PS256 signature by the same key is refused.
    let ps = issuer
        .token()
        .header("alg", json!("PS256"))
        .signature_alg(axioms::Algorithm::PS256)
        .claim("aud", json!("6e74172b-be56-4843-9ff4-e66a39bb12e3"))
        .sign();
    assert_eq!(
        axioms.verify(&ps).await.unwrap_err().reason(),
        Reason::AlgorithmKeyMismatch
    );
}

#[tokio::test]
async fn entra_v1_issuer() {
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let config = Config::builder(Issuer::entra_v1(tenant, "api://my-api"))
        .build()
        .unwrap();
    assert_eq!(
        config.primary().issuer(),
        Some(format!("https://sts.windows.net/{tenant}/").as_str())
    );
}

#[tokio::test]
async fn okta_scp_array_and_groups() {
    let issuer = TestIssuer::start().await;
    let preset = Issuer::okta("example.okta.com", "default", "api://default");
    let axioms = local(&issuer, preset);
    let token = issuer
        .token()
        .claims(json!({
            "aud": "api://default",
            "cid": "0oa1b2c3d4",
            "uid": "00u1b2c3d4",
            "scp": ["openid", "email", "read:data"],
            "groups": ["Everyone", "editors"],
        }))
        .without("scope")
        .sign();
    let claims = axioms.verify(&token).await.unwrap();
    assert_eq!(strings(claims.scopes()), ["openid", "email", "read:data"]);
    assert_eq!(strings(claims.roles()), ["Everyone", "editors"]);
}

#[tokio::test]
async fn keycloak_realm_and_client_roles_with_its_encryption_key() {
    let issuer = TestIssuer::start().await;
    // Keycloak's default JWKS: the RS256 signature key plus an RSA-OAEP encryption key.
    let mut jwks = issuer.public_jwks();
    let mut enc = jwks["keys"][0].clone();
    enc["kid"] = json!("enc-key");
    enc["use"] = json!("enc");
    enc["alg"] = json!("RSA-OAEP");
    jwks["keys"].as_array_mut().unwrap().push(enc);
    issuer.set_jwks(Some(jwks));

    let realm_token = issuer
        .token()
        .header("typ", json!("JWT"))
        .claims(json!({
            "aud": ["my-api", "account"],
            "azp": "frontend",
            "typ": "Bearer",
            "scope": "openid profile email",
            "realm_access": {"roles": ["offline_access", "editor"]},
            "resource_access": {
                "my-api": {"roles": ["articles:publish"]},
                "account": {"roles": ["manage-account"]},
            },
            "preferred_username": "alice",
        }))
        .sign();

    let realm = local(
        &issuer,
        Issuer::keycloak("https://sso.example.com", "demo", "my-api"),
    );
    let claims = realm.verify(&realm_token).await.unwrap();
    assert_eq!(
        realm.key_count(),
        1,
        "the encryption key is skipped, not fatal"
    );
    assert_eq!(strings(claims.roles()), ["offline_access", "editor"]);
    assert!(claims.has_scope("email"));

    let client = local(
        &issuer,
        Issuer::keycloak("https://sso.example.com", "demo", "my-api")
            .keycloak_client_roles("my-api"),
    );
    let claims = client.verify(&realm_token).await.unwrap();
    assert_eq!(strings(claims.roles()), ["articles:publish"]);

    // The audience is only there with an audience mapper: without it, the token is refused.
    let without_mapper = issuer.token().claim("aud", json!("account")).sign();
    assert_eq!(
        realm.verify(&without_mapper).await.unwrap_err().reason(),
        Reason::AudienceMismatch
    );
}

#[test]
fn preset_urls() {
    let kc = Config::builder(Issuer::keycloak(
        "https://sso.example.com/",
        "demo",
        "my-api",
    ))
    .build()
    .unwrap();
    assert_eq!(
        kc.primary().issuer(),
        Some("https://sso.example.com/realms/demo")
    );
    assert_eq!(
        kc.primary().discovery_url().unwrap().as_str(),
        "https://sso.example.com/realms/demo/.well-known/openid-configuration"
    );
    let okta = Config::builder(Issuer::okta("example.okta.com", "aus1", "api://x"))
        .build()
        .unwrap();
    assert_eq!(
        okta.primary().discovery_url().unwrap().as_str(),
        "https://example.okta.com/oauth2/aus1/.well-known/openid-configuration"
    );
    let auth0 = Config::builder(Issuer::auth0("t.auth0.com", "https://api"))
        .build()
        .unwrap();
    assert_eq!(
        auth0.primary().jwks_url().unwrap().as_str(),
        "https://t.auth0.com/.well-known/jwks.json"
    );
}

#[tokio::test]
async fn entra_multi_tenant_issuer_template() {
    let issuer = TestIssuer::start().await;
    let app = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
    let tenant_a = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let tenant_b = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
    let tenant_c = "0b5a4c6e-1d2f-4a3b-9c8d-7e6f5a4b3c2d";
    let preset = Issuer::entra_multi_tenant(app).tenants([tenant_a, tenant_b]);
    let config = Config::builder(preset.clone())
        .build()
        .unwrap()
        .primary()
        .clone();
    assert_eq!(
        config.jwks_url().unwrap().as_str(),
        "https://login.microsoftonline.com/common/discovery/v2.0/keys"
    );
    // Repoint the template at the local issuer: `http://127.0.0.1:PORT/{tenantid}/v2.0`.
    let local = |preset: IssuerBuilder| {
        let preset = preset
            .issuer(format!("{}/{{tenantid}}/v2.0", issuer.issuer()))
            .jwks_url(issuer.jwks_url());
        verifier(Config::builder(preset))
    };
    let axioms = local(preset);
    let token = |iss_tenant: &str, tid: Option<&str>| {
        let t = issuer
            .token()
            .claim(
                "iss",
                json!(format!("{}/{iss_tenant}/v2.0", issuer.issuer())),
            )
            .claim("aud", json!(app));
        match tid {
            Some(tid) => t.claim("tid", json!(tid)).sign(),
            None => t.sign(),
        }
    };
    for tenant in [tenant_a, tenant_b] {
        let claims = axioms.verify(&token(tenant, Some(tenant))).await.unwrap();
        assert_eq!(
            claims.get::<String>("tid").unwrap().as_deref(),
            Some(tenant)
        );
    }
    // A tenant that is not listed: refused before any policy, and said why.
    let other = axioms
        .verify(&token(tenant_c, Some(tenant_c)))
        .await
        .unwrap_err();
    assert_eq!(other.reason(), Reason::TenantNotAllowed);
    // Over HTTP: a listed tenant reaches the handler, another gets 401, and the log line
    // names the setting that decides.
    let router = axum::Router::new()
        .route(
            "/me",
            axum::routing::get(|claims: axioms::Claims| async move {
                claims
                    .get::<String>("tid")
                    .ok()
                    .flatten()
                    .unwrap_or_default()
            }),
        )
        .with_state(axioms.clone());
    let logs = common::Logs::capture();
    let r = common::send(
        &router,
        common::req("GET", "/me").bearer(&token(tenant_a, Some(tenant_a))),
    )
    .await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, tenant_a));
    let r = common::send(
        &router,
        common::req("GET", "/me").bearer(&token(tenant_c, Some(tenant_c))),
    )
    .await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"));
    let line = logs.line_with("tid is not an accepted tenant");
    assert!(
        line.contains("AXIOMS_TENANTS") && line.contains(tenant_c),
        "{line}"
    );
    for (iss_tenant, tid) in [
        (tenant_a, Some(tenant_b)),     // iss names another tenant than tid
        (tenant_a, None),               // no tid
        ("common", Some("common")),     // tid is not a GUID
        ("{tenantid}", Some(tenant_a)), // the template itself is not an issuer
    ] {
        assert_eq!(
            axioms
                .verify(&token(iss_tenant, tid))
                .await
                .unwrap_err()
                .reason(),
            Reason::IssuerMismatch,
            "iss tenant {iss_tenant}, tid {tid:?}"
        );
    }
    // Every tenant, opted into by its own name: the unlisted tenant passes too.
    let every = local(Issuer::entra_multi_tenant(app).accept_every_tenant());
    for tenant in [tenant_a, tenant_c] {
        assert!(every.verify(&token(tenant, Some(tenant))).await.is_ok());
    }
    // No list and no opt-out, a list with a non-GUID, a list on an exact issuer: startup
    // errors naming the setting.
    for (preset, setting) in [
        (Issuer::entra_multi_tenant(app), "AXIOMS_TENANTS"),
        (
            Issuer::entra_multi_tenant(app).tenants(["contoso.onmicrosoft.com"]),
            "AXIOMS_TENANTS",
        ),
        (
            Issuer::entra(tenant_a, app).tenants([tenant_a]),
            "AXIOMS_TENANTS",
        ),
        (
            Issuer::entra_multi_tenant(app)
                .tenants([tenant_a])
                .accept_every_tenant(),
            "AXIOMS_ACCEPT_EVERY_TENANT",
        ),
    ] {
        let err = Config::builder(preset).build().unwrap_err();
        assert_eq!(err.setting(), setting, "{err}");
    }
    // A template without a key location is a configuration error.
    let err = Config::builder(
        Issuer::builder()
            .issuer("https://login.microsoftonline.com/{tenantid}/v2.0")
            .audience(app)
            .tenants([tenant_a]),
    )
    .build()
    .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_JWKS_URL");
}

/// The tenant list from the environment: `AXIOMS_TENANTS`, and the opt-out by its name.
#[test]
fn entra_tenants_from_the_environment() {
    use std::collections::HashMap;
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let base = [
        (
            "AXIOMS_ISS_URL",
            "https://login.microsoftonline.com/{tenantid}/v2.0",
        ),
        (
            "AXIOMS_JWKS_URL",
            "https://login.microsoftonline.com/common/discovery/v2.0/keys",
        ),
        ("AXIOMS_AUDIENCE", "api://notes"),
    ];
    let config = |extra: &[(&'static str, &'static str)]| {
        let vars: HashMap<&str, &str> = base.iter().chain(extra).copied().collect();
        Config::from_vars(|k| vars.get(k).map(|v| v.to_string()))
    };
    assert_eq!(config(&[]).unwrap_err().setting(), "AXIOMS_TENANTS");
    let listed = config(&[("AXIOMS_TENANTS", tenant)]).unwrap();
    assert_eq!(listed.primary().tenants(), Some(&[tenant.to_owned()][..]));
    let every = config(&[("AXIOMS_ACCEPT_EVERY_TENANT", "true")]).unwrap();
    assert_eq!(every.primary().tenants(), None);
}
