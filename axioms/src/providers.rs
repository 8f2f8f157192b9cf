//! Configuration presets for the major providers: issuer, key location, audience rule and
//! claim names from the few values you know.
//!
//! Each preset returns an [`IssuerBuilder`], so anything about the issuer can still be
//! adjusted before it is given to [`Config::builder`](crate::Config::builder) or
//! [`ConfigBuilder::trust`](crate::ConfigBuilder::trust). The token shapes behind each preset
//! are tested in `tests/it/issuers/providers.rs`.

use crate::config::{AudienceClaim, Issuer, IssuerBuilder};

impl Issuer {
    /// **Auth0.** Issuer `https://<domain>/` (with its trailing slash), keys at
    /// `https://<domain>/.well-known/jwks.json`, `aud` = your API identifier, scopes in
    /// `scope`, permissions in `permissions` (enable RBAC and "Add Permissions in the Access
    /// Token" on the API). Auth0 puts roles only in a namespaced custom claim written by an
    /// Action, so name it with [`roles_claims`](IssuerBuilder::roles_claims).
    ///
    /// Source: Auth0 docs, "Access Tokens" and "Enable Role-Based Access Control for APIs".
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let auth0 = Issuer::auth0("example.eu.auth0.com", "https://api.example.com")
    ///     .roles_claims(["https://example.com/roles"]);
    /// let config = Config::builder(auth0).build()?;
    /// assert_eq!(config.primary().issuer(), Some("https://example.eu.auth0.com/"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn auth0(domain: &str, audience: &str) -> IssuerBuilder {
        let domain = domain.trim_end_matches('/');
        Issuer::builder()
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
    /// use axioms::{Config, Issuer};
    /// let cognito = Issuer::cognito("eu-west-1", "eu-west-1_AbCdEf", "1example23456789");
    /// let config = Config::builder(cognito).build()?;
    /// assert_eq!(config.primary().audience_claim(), axioms::AudienceClaim::ClientId);
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn cognito(region: &str, user_pool_id: &str, app_client_id: &str) -> IssuerBuilder {
        Issuer::builder()
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
    /// use axioms::{Config, Issuer};
    /// let entra = Issuer::entra("72f988bf-86f1-41af-91ab-2d7cd011db47", "api://my-api");
    /// let config = Config::builder(entra).build()?;
    /// assert!(config.primary().discovery_url().is_some());
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn entra(tenant_id: &str, audience: &str) -> IssuerBuilder {
        Issuer::builder()
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
    /// use axioms::{Config, Issuer};
    /// let entra = Issuer::entra_v1("72f988bf-86f1-41af-91ab-2d7cd011db47", "api://my-api");
    /// let config = Config::builder(entra).build()?;
    /// assert_eq!(
    ///     config.primary().issuer(),
    ///     Some("https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/"),
    /// );
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn entra_v1(tenant_id: &str, audience: &str) -> IssuerBuilder {
        Issuer::entra(tenant_id, audience).issuer(format!("https://sts.windows.net/{tenant_id}/"))
    }

    /// **Microsoft Entra ID, multi-tenant** (v2.0 tokens from any tenant): the issuer is the
    /// template `https://login.microsoftonline.com/{tenantid}/v2.0`, where `{tenantid}` must
    /// be the token's own `tid` claim (a GUID) — exactly the `issuer` Entra's `common`
    /// discovery document publishes; keys from the common key set.
    ///
    /// **Tenants**: any Entra tenant can obtain tokens for your application, and its
    /// administrators can assign your app roles to their own users. So list the tenants you
    /// serve with [`tenants`](IssuerBuilder::tenants) (`AXIOMS_TENANTS`): a token of another
    /// tenant is 401 before any policy runs. Building without a list is an error unless
    /// [`accept_every_tenant`](IssuerBuilder::accept_every_tenant) says so on purpose.
    ///
    /// **Ownership**: `email`, `upn` and `preferred_username` are not unique across tenants
    /// — a user of another tenant can carry the same value — so `owner(claim = "email")` (or
    /// [`Claims::owns`](crate::Claims::owns) by such a claim) is unsafe under this issuer. Own
    /// by `sub` or `oid` (unique per tenant, and `tid` is checked against the issuer), or
    /// compare `tid` too.
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let entra = Issuer::entra_multi_tenant("api://my-api")
    ///     .tenants(["6e74172b-be56-4843-9ff4-e66a39bb12e3", "72f988bf-86f1-41af-91ab-2d7cd011db47"]);
    /// let config = Config::builder(entra).build()?;
    /// assert_eq!(config.primary().issuer(), Some("https://login.microsoftonline.com/{tenantid}/v2.0"));
    ///
    /// // Without a tenant list: a startup error that says which setting decides.
    /// let open = Config::builder(Issuer::entra_multi_tenant("api://my-api")).build();
    /// assert_eq!(open.unwrap_err().setting(), "AXIOMS_TENANTS");
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    ///
    /// ```
    /// // A public multi-tenant SaaS, on purpose.
    /// use axioms::{Config, Issuer};
    /// let every = Issuer::entra_multi_tenant("api://my-api").accept_every_tenant();
    /// assert!(Config::builder(every).build().is_ok());
    /// ```
    pub fn entra_multi_tenant(audience: &str) -> IssuerBuilder {
        Issuer::entra("{tenantid}", audience)
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
    /// use axioms::{Config, Issuer};
    /// let config = Config::builder(Issuer::okta("example.okta.com", "default", "api://default")).build()?;
    /// assert_eq!(config.primary().issuer(), Some("https://example.okta.com/oauth2/default"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn okta(org_domain: &str, server_id: &str, audience: &str) -> IssuerBuilder {
        Issuer::builder()
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
    /// use axioms::{Config, Issuer};
    /// let config = Config::builder(Issuer::keycloak("https://sso.example.com", "demo", "my-api")).build()?;
    /// assert_eq!(config.primary().issuer(), Some("https://sso.example.com/realms/demo"));
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn keycloak(base_url: &str, realm: &str, audience: &str) -> IssuerBuilder {
        let base = base_url.trim_end_matches('/');
        Issuer::builder()
            .issuer(format!("{base}/realms/{realm}"))
            .discovery(true)
            .audience(audience)
            .scope_claims(["scope"])
            .roles_claims(["/realm_access/roles"])
    }
}

impl IssuerBuilder {
    /// Keycloak **client** roles: `resource_access.<client_id>.roles` instead of realm roles.
    ///
    /// ```
    /// use axioms::{Config, Issuer};
    /// let keycloak = Issuer::keycloak("https://sso.example.com", "demo", "my-api")
    ///     .keycloak_client_roles("my-api");
    /// let config = Config::builder(keycloak).build()?;
    /// # Ok::<(), axioms::ConfigError>(())
    /// ```
    pub fn keycloak_client_roles(self, client_id: &str) -> Self {
        let escaped = client_id.replace('~', "~0").replace('/', "~1");
        self.roles_claims([format!("/resource_access/{escaped}/roles")])
    }
}
