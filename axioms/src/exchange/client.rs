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

    /// A private key as a JWK (RFC 7517), as key vaults and IdP consoles export it: `kty`
    /// `EC` (`crv` P-256 → ES256, P-384 → ES384) or `OKP` (`crv` Ed25519 → EdDSA), with its
    /// private `d`; its `kid`, if any, goes in the assertion's header. An RSA JWK is refused
    /// with the fix: export the key as PEM ([`from_pem`](Self::from_pem)).
    ///
    /// # Errors
    ///
    /// If the JWK is not a private key of those types, its `alg` disagrees with its curve, or
    /// its private and public parts do not belong together.
    ///
    /// ```
    /// let err = axioms::exchange::ClientKey::from_jwk(r#"{"kty":"EC","crv":"P-256"}"#).unwrap_err();
    /// assert_eq!(err.setting(), "ClientKey::from_jwk");
    /// ```
    pub fn from_jwk(jwk: &str) -> Result<Self, ConfigError> {
        use aws_lc_rs::signature::{
            ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING, EcdsaKeyPair,
            Ed25519KeyPair,
        };
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use jsonwebtoken::{Algorithm as A, EncodingKey};
        let invalid = |why: &str| {
            ConfigError::new(
                "ClientKey::from_jwk",
                why,
                "give a private JWK of kty EC (P-256, P-384) or OKP (Ed25519) with its `d`, or the key as PEM (ClientKey::from_pem)",
            )
        };
        let jwk: serde_json::Value =
            serde_json::from_str(jwk).map_err(|_| invalid("not a JSON object"))?;
        let member = |name: &str| jwk.get(name).and_then(serde_json::Value::as_str);
        let bytes = |name: &str| {
            member(name)
                .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
                .ok_or_else(|| invalid("a key member is missing or not base64url"))
        };
        let (alg, key) = match (member("kty"), member("crv")) {
            (Some("EC"), Some(crv @ ("P-256" | "P-384"))) => {
                let (alg, signing) = if crv == "P-256" {
                    (A::ES256, &ECDSA_P256_SHA256_FIXED_SIGNING)
                } else {
                    (A::ES384, &ECDSA_P384_SHA384_FIXED_SIGNING)
                };
                let mut point = vec![4u8];
                point.extend(bytes("x")?);
                point.extend(bytes("y")?);
                let pair =
                    EcdsaKeyPair::from_private_key_and_public_key(signing, &bytes("d")?, &point)
                        .map_err(|_| invalid("the private and public parts do not form a key"))?;
                let pkcs8 = pair
                    .to_pkcs8v1()
                    .map_err(|_| invalid("the key cannot be encoded"))?;
                (alg, EncodingKey::from_ec_der(pkcs8.as_ref()))
            }
            (Some("OKP"), Some("Ed25519")) => {
                let pair = Ed25519KeyPair::from_seed_unchecked(&bytes("d")?)
                    .map_err(|_| invalid("`d` is not an Ed25519 seed"))?;
                if aws_lc_rs::signature::KeyPair::public_key(&pair).as_ref()
                    != bytes("x")?.as_slice()
                {
                    return Err(invalid("the private and public parts do not form a key"));
                }
                let pkcs8 = pair
                    .to_pkcs8v1()
                    .map_err(|_| invalid("the key cannot be encoded"))?;
                (A::EdDSA, EncodingKey::from_ed_der(pkcs8.as_ref()))
            }
            (Some("RSA"), _) => {
                return Err(invalid(
                    "RSA private JWKs are not read here: export the key as PEM and use ClientKey::from_pem",
                ));
            }
            _ => return Err(invalid("not a private key of a supported type")),
        };
        if member("alg").is_some_and(|declared| format!("{alg:?}") != declared) {
            return Err(invalid("the JWK's `alg` does not match its curve"));
        }
        let mut header = jsonwebtoken::Header::new(alg);
        header.typ = Some("JWT".to_owned());
        header.kid = member("kid").map(str::to_owned);
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsBigEndian;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// A fresh P-256 key as a private JWK, and its public x and y.
    fn ec_jwk() -> (String, String, String) {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref();
        let (x, y) = (
            URL_SAFE_NO_PAD.encode(&point[1..33]),
            URL_SAFE_NO_PAD.encode(&point[33..]),
        );
        let d = pair.private_key().as_be_bytes().unwrap();
        let d = URL_SAFE_NO_PAD.encode(d.as_ref());
        let jwk =
            serde_json::json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "d": d, "kid": "k1"});
        (jwk.to_string(), x, y)
    }

    #[test]
    fn a_private_jwk_signs_assertions_its_public_half_verifies() {
        let (jwk, x, y) = ec_jwk();
        let key = ClientKey::from_jwk(&jwk).unwrap();
        assert_eq!(key.header.kid.as_deref(), Some("k1"));
        let assertion = key
            .assertion("orders", "https://idp.example.com/token", 1_000)
            .unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_ec_components(&x, &y).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.validate_exp = false;
        validation.set_audience(&["https://idp.example.com/token"]);
        let claims = jsonwebtoken::decode::<serde_json::Value>(&assertion, &decoding, &validation)
            .unwrap()
            .claims;
        assert_eq!(
            (claims["iss"].as_str(), claims["sub"].as_str()),
            (Some("orders"), Some("orders"))
        );
        assert_eq!(claims["exp"].as_i64(), Some(1_000 + ASSERTION_LIFETIME));
    }

    #[test]
    fn a_jwk_that_is_not_a_usable_private_key_is_refused() {
        let (jwk, _, _) = ec_jwk();
        let mut value: serde_json::Value = serde_json::from_str(&jwk).unwrap();
        let public_only = {
            let mut v = value.clone();
            v.as_object_mut().unwrap().remove("d");
            v.to_string()
        };
        let (other, _, _) = ec_jwk();
        let other: serde_json::Value = serde_json::from_str(&other).unwrap();
        value["d"] = other["d"].clone(); // a private part of another key
        let mismatched = value.to_string();
        for bad in [
            public_only,
            mismatched,
            r#"{"kty":"RSA","n":"AQAB","e":"AQAB","d":"AQAB"}"#.to_owned(),
            r#"{"kty":"oct","k":"c2VjcmV0"}"#.to_owned(),
            "not json".to_owned(),
        ] {
            assert!(ClientKey::from_jwk(&bad).is_err(), "{bad}");
        }
        let mut wrong_alg: serde_json::Value = serde_json::from_str(&ec_jwk().0).unwrap();
        wrong_alg["alg"] = "ES384".into();
        assert!(ClientKey::from_jwk(&wrong_alg.to_string()).is_err());
    }
}
