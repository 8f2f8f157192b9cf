//! Configuration presets for the major providers: issuer, key location, audience rule and
//! claim names from the few values you know.
//!
//! Each preset returns a [`ConfigBuilder`], so anything can still be adjusted before
//! `build()`. The token shapes behind each preset are tested in `tests/providers.rs`.

use crate::config::{AudienceClaim, ConfigBuilder};

impl ConfigBuilder {
    /// **Auth0.** Issuer `https://<domain>/` (with its trailing slash), keys at
    /// `https://<domain>/.well-known/jwks.json`, `aud` = your API identifier, scopes in
    /// `scope`, permissions in `permissions` (enable RBAC and "Add Permissions in the Access
    /// Token" on the API). Auth0 puts roles only in a namespaced custom claim written by an
    /// Action, so name it with [`roles_claims`](Self::roles_claims).
    ///
    /// Source: Auth0 docs, "Access Tokens" and "Enable Role-Based Access Control for APIs".
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::auth0("example.eu.auth0.com", "https://api.example.com")
    ///     .roles_claims(["https://example.com/roles"])
    ///     .build()?;
    /// assert_eq!(config.issuer(), Some("https://example.eu.auth0.com/"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn auth0(domain: &str, audience: &str) -> Self {
        let domain = domain.trim_end_matches('/');
        ConfigBuilder::default()
            .issuer(format!("https://{domain}/"))
            .audience(audience)
            .scope_claims(["scope"])
            .permissions_claims(["permissions"])
    }

    /// **AWS Cognito** user pools. Issuer
    /// `https://cognito-idp.<region>.amazonaws.com/<user_pool_id>`, keys at
    /// `<issuer>/.well-known/jwks.json`. Cognito **access** tokens carry no `aud`: the app
    /// client is checked in `client_id` instead ([`AudienceClaim::ClientId`]). Groups are in
    /// `cognito:groups` (roles), scopes in `scope`.
    ///
    /// Source: AWS docs, "Understanding the access token" (Amazon Cognito).
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::cognito("eu-west-1", "eu-west-1_AbCdEf", "1example23456789").build()?;
    /// assert_eq!(config.audience_claim(), axioms::AudienceClaim::ClientId);
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn cognito(region: &str, user_pool_id: &str, app_client_id: &str) -> Self {
        ConfigBuilder::default()
            .issuer(format!(
                "https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
            ))
            .audience(app_client_id)
            .audience_claim(AudienceClaim::ClientId)
            .scope_claims(["scope"])
            .roles_claims(["cognito:groups"])
    }

    /// **Microsoft Entra ID** (v2.0 tokens, `accessTokenAcceptedVersion: 2`). Issuer
    /// `https://login.microsoftonline.com/<tenant_id>/v2.0`, keys by discovery, `aud` = the
    /// application (client) ID, delegated scopes in `scp` (a space-separated string), app roles
    /// in `roles`. Entra publishes JWKs without `alg`: RSA keys are pinned to RS256.
    ///
    /// Source: Microsoft identity platform docs, "Access tokens" and "Access token claims
    /// reference".
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::entra("72f988bf-86f1-41af-91ab-2d7cd011db47", "api://my-api").build()?;
    /// assert!(config.discovery_url().is_some());
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn entra(tenant_id: &str, audience: &str) -> Self {
        ConfigBuilder::default()
            .issuer(format!(
                "https://login.microsoftonline.com/{tenant_id}/v2.0"
            ))
            .discovery(true)
            .audience(audience)
            .scope_claims(["scp"])
            .roles_claims(["roles"])
    }

    /// **Microsoft Entra ID** v1.0 tokens: issuer `https://sts.windows.net/<tenant_id>/`,
    /// otherwise as [`entra`](Self::entra).
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::entra_v1("72f988bf-86f1-41af-91ab-2d7cd011db47", "api://my-api").build()?;
    /// assert_eq!(config.issuer(), Some("https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn entra_v1(tenant_id: &str, audience: &str) -> Self {
        ConfigBuilder::entra(tenant_id, audience)
            .issuer(format!("https://sts.windows.net/{tenant_id}/"))
    }

    /// **Microsoft Entra ID, multi-tenant** (v2.0 tokens from any tenant): the issuer is the
    /// template `https://login.microsoftonline.com/{tenantid}/v2.0`, where `{tenantid}` must
    /// be the token's own `tid` claim (a GUID) — exactly the `issuer` Entra's `common`
    /// discovery document publishes; keys from the common key set. Any Entra tenant can then
    /// obtain tokens for your application: check `tid` against the tenants you serve
    /// (`claims.get::<String>("tid")`) if it is not meant for everyone.
    ///
    /// **Ownership**: `email`, `upn` and `preferred_username` are not unique across tenants
    /// — a user of another tenant can carry the same value — so `owner(claim = "email")` (or
    /// [`Claims::owns`](crate::Claims::owns) by such a claim) is unsafe under this issuer. Own
    /// by `sub` or `oid` (unique per tenant, and `tid` is checked against the issuer), or
    /// compare `tid` too.
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::entra_multi_tenant("6e74172b-be56-4843-9ff4-e66a39bb12e3").build()?;
    /// assert_eq!(config.issuer(), Some("https://login.microsoftonline.com/{tenantid}/v2.0"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn entra_multi_tenant(audience: &str) -> Self {
        ConfigBuilder::entra("{tenantid}", audience)
            .discovery(false)
            .jwks_url("https://login.microsoftonline.com/common/discovery/v2.0/keys")
    }

    /// **Okta** custom authorization server. Issuer
    /// `https://<org_domain>/oauth2/<server_id>` (`default` for the default server), keys by
    /// discovery, `aud` = the server's audience, scopes in `scp` (a JSON array).
    ///
    /// Source: Okta docs, "Validate access tokens".
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::okta("example.okta.com", "default", "api://default").build()?;
    /// assert_eq!(config.issuer(), Some("https://example.okta.com/oauth2/default"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn okta(org_domain: &str, server_id: &str, audience: &str) -> Self {
        ConfigBuilder::default()
            .issuer(format!("https://{org_domain}/oauth2/{server_id}"))
            .discovery(true)
            .audience(audience)
            .scope_claims(["scp", "scope"])
            .roles_claims(["groups", "roles"])
    }

    /// **Keycloak** realm. Issuer `<base_url>/realms/<realm>`, keys by discovery (Keycloak's
    /// JWKS also lists its RSA-OAEP encryption key, which axioms skips), realm roles in
    /// `realm_access.roles`, scopes in `scope`. Keycloak only puts your API in `aud` with an
    /// "audience" mapper on the client scope: add one.
    ///
    /// Source: Keycloak Server Administration Guide, "Audience support" and "Role mappings".
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::keycloak("https://sso.example.com", "demo", "my-api").build()?;
    /// assert_eq!(config.issuer(), Some("https://sso.example.com/realms/demo"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn keycloak(base_url: &str, realm: &str, audience: &str) -> Self {
        let base = base_url.trim_end_matches('/');
        ConfigBuilder::default()
            .issuer(format!("{base}/realms/{realm}"))
            .discovery(true)
            .audience(audience)
            .scope_claims(["scope"])
            .roles_claims(["/realm_access/roles"])
    }

    /// Keycloak **client** roles: `resource_access.<client_id>.roles` instead of realm roles.
    ///
    /// ```
    /// let config = axioms::ConfigBuilder::keycloak("https://sso.example.com", "demo", "my-api")
    ///     .keycloak_client_roles("my-api")
    ///     .build()?;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn keycloak_client_roles(self, client_id: &str) -> Self {
        let escaped = client_id.replace('~', "~0").replace('/', "~1");
        self.roles_claims([format!("/resource_access/{escaped}/roles")])
    }
}
