//! How the API authenticates itself to the token endpoint: a client secret (RFC 6749 §2.3.1)
//! or a signed client assertion (`private_key_jwt`, RFC 7523 §2.2).

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::{HeaderMap, HeaderValue};

use crate::config::ConfigError;

/// The `client_assertion_type` of a signed client assertion (RFC 7523 §2.2).
const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long a client assertion is valid: one minute (it is made for one request).
const ASSERTION_LIFETIME: i64 = 60;

/// How the API proves its own identity to the token endpoint.
///
/// * [`secret_basic`](Self::secret_basic): `Authorization: Basic` (RFC 6749 §2.3.1), the
///   default of most servers (Keycloak, Okta, Auth0);
/// * [`secret_post`](Self::secret_post): `client_id` and `client_secret` in the form (what
///   Microsoft Entra documents for a secret);
/// * [`private_key_jwt`](Self::private_key_jwt): a short-lived JWT signed with the API's
///   private key (RFC 7523) — no shared secret at all, what serious deployments use.
///
/// Its `Debug` never shows a secret or a key.
///
/// ```
/// use axioms::exchange::ClientAuth;
/// let auth = ClientAuth::secret_basic("orders-api", "s3cret");
/// assert_eq!(auth.client_id(), "orders-api");
/// assert!(!format!("{auth:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct ClientAuth {
    client_id: Arc<str>,
    method: Method,
}

#[derive(Clone)]
enum Method {
    Basic(Arc<str>),
    Post(Arc<str>),
    Assertion(Arc<ClientKey>),
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match &self.method {
            Method::Basic(_) => "client_secret_basic",
            Method::Post(_) => "client_secret_post",
            Method::Assertion(_) => "private_key_jwt",
        };
        f.debug_struct("ClientAuth")
            .field("client_id", &self.client_id)
            .field("method", &method)
            .finish()
    }
}

impl ClientAuth {
    /// `client_secret_basic`: the id and secret in an `Authorization: Basic` header, each
    /// form-urlencoded first as RFC 6749 §2.3.1 requires.
    ///
    /// ```
    /// let auth = axioms::exchange::ClientAuth::secret_basic("orders-api", "s3cret");
    /// # let _ = auth;
    /// ```
    pub fn secret_basic(client_id: &str, secret: &str) -> Self {
        Self {
            client_id: Arc::from(client_id),
            method: Method::Basic(Arc::from(secret)),
        }
    }

    /// `client_secret_post`: `client_id` and `client_secret` in the form.
    ///
    /// ```
    /// let auth = axioms::exchange::ClientAuth::secret_post("orders-api", "s3cret");
    /// # let _ = auth;
    /// ```
    pub fn secret_post(client_id: &str, secret: &str) -> Self {
        Self {
            client_id: Arc::from(client_id),
            method: Method::Post(Arc::from(secret)),
        }
    }

    /// `private_key_jwt` (RFC 7523 §2.2): each request carries a fresh assertion signed with
    /// `key` — `iss` and `sub` the client id, `aud` the token endpoint (or what
    /// [`ClientKey::audience`] says), `jti` random, valid for 60 s.
    ///
    /// ```
    /// # fn f(pem: &[u8]) -> Result<(), axioms::ConfigError> {
    /// use axioms::exchange::{ClientAuth, ClientKey};
    /// let key = ClientKey::from_pem(axioms::Algorithm::ES256, pem)?.key_id("orders-2026");
    /// let auth = ClientAuth::private_key_jwt("orders-api", key);
    /// # let _ = auth; Ok(()) }
    /// ```
    pub fn private_key_jwt(client_id: &str, key: ClientKey) -> Self {
        Self {
            client_id: Arc::from(client_id),
            method: Method::Assertion(Arc::new(key)),
        }
    }

    /// The client id.
    ///
    /// ```
    /// assert_eq!(axioms::exchange::ClientAuth::secret_post("a", "b").client_id(), "a");
    /// ```
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The headers and form members that authenticate a request to `endpoint` at `now`.
    /// `id_in_form`: the grant needs `client_id` in the form whatever the method (Entra).
    pub(crate) fn apply(
        &self,
        endpoint: &str,
        now: i64,
        id_in_form: bool,
        headers: &mut HeaderMap,
        form: &mut Vec<(&'static str, String)>,
    ) -> Result<(), &'static str> {
        let id = || (*self.client_id).to_owned();
        match &self.method {
            Method::Basic(secret) => {
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let pair = format!("{}:{}", encode(&self.client_id), encode(secret));
                let mut value = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(pair)))
                    .map_err(|_| "the client credentials do not fit a header")?;
                value.set_sensitive(true);
                headers.insert(http::header::AUTHORIZATION, value);
                if id_in_form {
                    form.push(("client_id", id()));
                }
            }
            Method::Post(secret) => {
                form.push(("client_id", id()));
                form.push(("client_secret", (**secret).to_owned()));
            }
            Method::Assertion(key) => {
                form.push(("client_id", id()));
                form.push(("client_assertion_type", JWT_BEARER_ASSERTION.to_owned()));
                form.push((
                    "client_assertion",
                    key.assertion(&self.client_id, endpoint, now)?,
                ));
            }
        }
        Ok(())
    }
}

/// The API's private key for `private_key_jwt`, with the header members its authorization
/// server wants (`kid`; Entra: the certificate's thumbprint as `x5t#S256` or `x5t`).
///
/// ```
/// # fn f(pem: &[u8]) -> Result<(), axioms::ConfigError> {
/// use axioms::exchange::ClientKey;
/// // Entra: the certificate registered for the app, by its SHA-256 thumbprint.
/// let key = ClientKey::from_pem(axioms::Algorithm::PS256, pem)?
///     .x5t_s256("base64url-sha256-of-the-certificate");
/// # let _ = key; Ok(()) }
/// ```
pub struct ClientKey {
    key: jsonwebtoken::EncodingKey,
    header: jsonwebtoken::Header,
    audience: Option<Box<str>>,
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientKey")
            .field("alg", &self.header.alg)
            .field("kid", &self.header.kid)
            .finish_non_exhaustive()
    }
}

impl ClientKey {
    /// A private key in PEM (PKCS#8, or PKCS#1 for RSA, SEC1 for EC) for `alg`: RS256–RS512,
    /// PS256–PS512, ES256, ES384 or EdDSA.
    ///
    /// # Errors
    ///
    /// If the algorithm is not one of those, or the PEM is not a private key of its type.
    ///
    /// ```
    /// let err = axioms::exchange::ClientKey::from_pem(axioms::Algorithm::ES256, b"not a key")
    ///     .unwrap_err();
    /// assert_eq!(err.setting(), "ClientKey::from_pem");
    /// ```
    pub fn from_pem(alg: crate::Algorithm, pem: &[u8]) -> Result<Self, ConfigError> {
        use jsonwebtoken::{Algorithm as A, EncodingKey};
        let invalid = |why: &str| {
            ConfigError::new(
                "ClientKey::from_pem",
                why,
                "give the PEM of a private key of the algorithm's type (PKCS#8)",
            )
        };
        let (alg, key) = match alg {
            crate::Algorithm::RS256 => (A::RS256, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::RS384 => (A::RS384, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::RS512 => (A::RS512, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::PS256 => (A::PS256, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::PS384 => (A::PS384, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::PS512 => (A::PS512, EncodingKey::from_rsa_pem(pem)),
            crate::Algorithm::ES256 => (A::ES256, EncodingKey::from_ec_pem(pem)),
            crate::Algorithm::ES384 => (A::ES384, EncodingKey::from_ec_pem(pem)),
            crate::Algorithm::EdDSA => (A::EdDSA, EncodingKey::from_ed_pem(pem)),
            _ => return Err(invalid("this algorithm cannot sign client assertions")),
        };
        let key = key.map_err(|_| invalid("the PEM is not a private key of this type"))?;
        let mut header = jsonwebtoken::Header::new(alg);
        header.typ = Some("JWT".to_owned());
        Ok(Self {
            key,
            header,
            audience: None,
        })
    }

    /// The `kid` of the assertion's header (the key's id in the JWKS you registered).
    ///
    /// ```
    /// # fn f(key: axioms::exchange::ClientKey) {
    /// let key = key.key_id("orders-2026");
    /// # let _ = key; }
    /// ```
    pub fn key_id(mut self, kid: &str) -> Self {
        self.header.kid = Some(kid.to_owned());
        self
    }

    /// `x5t#S256`: the base64url SHA-256 thumbprint of the certificate registered for the
    /// key (what Microsoft Entra identifies a certificate credential by).
    ///
    /// ```
    /// # fn f(key: axioms::exchange::ClientKey) {
    /// let key = key.x5t_s256("thumbprint");
    /// # let _ = key; }
    /// ```
    pub fn x5t_s256(mut self, thumbprint: &str) -> Self {
        self.header.x5t_s256 = Some(thumbprint.to_owned());
        self
    }

    /// `x5t`: the base64url SHA-1 thumbprint of the certificate (older Entra documentation).
    ///
    /// ```
    /// # fn f(key: axioms::exchange::ClientKey) {
    /// let key = key.x5t("thumbprint");
    /// # let _ = key; }
    /// ```
    pub fn x5t(mut self, thumbprint: &str) -> Self {
        self.header.x5t = Some(thumbprint.to_owned());
        self
    }

    /// The assertion's `aud` when the server wants another than the token endpoint (RFC
    /// 7523's default; Entra wants the token endpoint): for instance its issuer identifier.
    ///
    /// ```
    /// # fn f(key: axioms::exchange::ClientKey) {
    /// let key = key.audience("https://idp.example.com");
    /// # let _ = key; }
    /// ```
    pub fn audience(mut self, audience: &str) -> Self {
        self.audience = Some(Box::from(audience));
        self
    }

    /// A fresh signed assertion for `client_id` at `endpoint`.
    fn assertion(&self, client_id: &str, endpoint: &str, now: i64) -> Result<String, &'static str> {
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).map_err(|_| "no randomness for the assertion's jti")?;
        let claims = serde_json::json!({
            "iss": client_id,
            "sub": client_id,
            "aud": self.audience.as_deref().unwrap_or(endpoint),
            "jti": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(jti),
            "iat": now,
            "nbf": now,
            "exp": now + ASSERTION_LIFETIME,
        });
        jsonwebtoken::encode(&self.header, &claims, &self.key)
            .map_err(|_| "the client assertion could not be signed")
    }
}
