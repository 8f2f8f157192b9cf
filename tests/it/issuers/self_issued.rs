//! Self-issued tokens: keys configured locally (a JWK Set, a PEM key, an HMAC secret) verify
//! only their issuer's tokens, are admitted like published keys, and are never fetched. (The
//! same with a `jose`-signed HS256 token: `interop::jose`.)

use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Axioms, Claims, Config, Issuer, Reason, Trust, protected};
use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::common::verifier;
use crate::common::{req, send};

/// A JWKS issuer beside the self-issuing one; its server stays on 127.0.0.1.
const STAFF: &str = "https://staff.axioms.test/";

#[protected(scopes = "read:data")]
async fn data(claims: Claims) -> String {
    format!(
        "{} {}",
        claims.vouched_by().unwrap_or("nobody"),
        claims.issuer().unwrap_or("-")
    )
}

fn app(axioms: Axioms) -> Router {
    Router::new().route("/data", get(data)).with_state(axioms)
}

/// RFC 7518 §3.2: 256 bits for HS256.
const SECRET: &str = "0123456789abcdef0123456789abcdef-orders";

/// An HS256 token signed by jsonwebtoken (not axioms), with `claims`.
fn hs_token(alg: jsonwebtoken::Algorithm, secret: &[u8], claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(alg);
    header.typ = Some("at+jwt".into());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn claims_for(iss: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({"iss": iss, "sub": "svc-billing", "aud": "orders", "iat": now, "exp": now + 300,
           "scope": "read:data"})
}

const ORDERS: &str = "https://orders.axioms.test";

fn hmac_issuer(secret: &str, alg: Algorithm) -> axioms::IssuerBuilder {
    Issuer::builder()
        .issuer(ORDERS)
        .audience("orders")
        .hmac_secret(secret, alg)
}

fn hmac_config(secret: &str, alg: Algorithm) -> Result<Config, axioms::ConfigError> {
    Config::builder(hmac_issuer(secret, alg)).build()
}

#[tokio::test]
async fn an_hmac_secret_verifies_its_issuers_tokens_and_nothing_else() {
    let axioms = Axioms::new(hmac_config(SECRET, Algorithm::HS256).unwrap()).unwrap();
    let app = app(axioms.clone());
    let token = hs_token(
        jsonwebtoken::Algorithm::HS256,
        SECRET.as_bytes(),
        &claims_for(ORDERS),
    );
    let r = send(&app, req("GET", "/data").bearer(&token)).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (200, format!("primary {ORDERS}").as_str())
    );
    // The secret is the issuer's one key: a `kid` in the token selects nothing.
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("orders-2026".into());
    let with_kid = jsonwebtoken::encode(
        &header,
        &claims_for(ORDERS),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        axioms.verify(&with_kid).await.unwrap().issuer(),
        Some(ORDERS)
    );

    // Pinned: the same secret with HS384 or HS512, a wrong secret, another issuer, `none`.
    let cases = [
        (
            "HS512 with the secret",
            hs_token(
                jsonwebtoken::Algorithm::HS512,
                SECRET.as_bytes(),
                &claims_for(ORDERS),
            ),
            Reason::SymmetricAlgorithm,
        ),
        (
            "another secret",
            hs_token(
                jsonwebtoken::Algorithm::HS256,
                b"another-secret-of-the-same-length-orders",
                &claims_for(ORDERS),
            ),
            Reason::InvalidSignature,
        ),
        (
            "another issuer's claims",
            hs_token(
                jsonwebtoken::Algorithm::HS256,
                SECRET.as_bytes(),
                &claims_for("https://elsewhere.axioms.test"),
            ),
            Reason::IssuerMismatch,
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#),
                URL_SAFE_NO_PAD.encode(claims_for(ORDERS).to_string())
            ),
            Reason::MalformedToken,
        ),
    ];
    for (what, token, reason) in cases {
        let err = axioms.verify(&token).await.unwrap_err();
        assert_eq!(err.reason(), reason, "{what}");
    }
    // An RS256 token of the same issuer: the allow-list is the one HMAC algorithm.
    let issuer = TestIssuer::start().await;
    issuer.set_issuer(ORDERS);
    let rs = issuer.token().audience("orders").sign();
    assert_eq!(
        axioms.verify(&rs).await.unwrap_err().reason(),
        Reason::AlgorithmNotAllowed
    );
    assert_eq!(issuer.jwks_fetches(), 0, "local keys are never fetched");
}

#[tokio::test]
async fn an_rsa_public_key_used_as_an_hmac_secret_is_refused() {
    // The classic confusion: HS256 signed with the JWKS issuer's RSA public key as the secret.
    let staff = TestIssuer::start().await;
    staff.set_issuer(STAFF);
    let config = Config::builder(staff.issuer_config("orders"))
        .trust(
            "orders",
            hmac_issuer(SECRET, Algorithm::HS256),
            Trust::partner(),
        )
        .build()
        .unwrap();
    let orders = Axioms::new(config).unwrap();
    let jwk = staff.public_jwks()["keys"][0].clone();
    // The public key as an attacker would feed it to an HMAC: its modulus, its JWK text.
    let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
    let text = jwk.to_string();
    for secret in [n.as_slice(), text.as_bytes()] {
        let forged = hs_token(jsonwebtoken::Algorithm::HS256, secret, &claims_for(STAFF));
        let err = orders.verify(&forged).await.unwrap_err();
        assert_eq!(
            err.reason(),
            Reason::SymmetricAlgorithm,
            "claiming the JWKS issuer"
        );
        let forged = hs_token(jsonwebtoken::Algorithm::HS256, secret, &claims_for(ORDERS));
        let err = orders.verify(&forged).await.unwrap_err();
        assert_eq!(
            err.reason(),
            Reason::InvalidSignature,
            "claiming the HMAC issuer"
        );
    }
    // The JWKS issuer's own tokens, and the HMAC issuer's, side by side.
    let token = staff.token().audience("orders").sign();
    assert_eq!(
        orders.verify(&token).await.unwrap().vouched_by(),
        Some("primary")
    );
    let token = hs_token(
        jsonwebtoken::Algorithm::HS256,
        SECRET.as_bytes(),
        &claims_for(ORDERS),
    );
    assert_eq!(
        orders.verify(&token).await.unwrap().vouched_by(),
        Some("orders")
    );
}

#[test]
fn weak_or_misplaced_secrets_are_startup_errors() {
    let short = hmac_config("only-31-bytes-long-secret-value", Algorithm::HS256).unwrap_err();
    assert_eq!(short.setting(), "AXIOMS_HMAC_SECRET");
    assert!(short.to_string().contains("248 bits"), "{short}");
    // Each algorithm needs a key as long as its hash.
    assert!(hmac_config(SECRET, Algorithm::HS384).is_err());
    assert!(hmac_config(&"k".repeat(48), Algorithm::HS384).is_ok());
    assert!(hmac_config(&"k".repeat(63), Algorithm::HS512).is_err());
    // A public key is not a secret.
    let pem = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
    let err = hmac_config(pem, Algorithm::HS256).unwrap_err();
    assert!(err.to_string().contains("is a public key"), "{err}");
    // HMAC is never in an allow-list, never for DPoP, never without an issuer.
    let err = Config::builder(
        Issuer::builder()
            .issuer(ORDERS)
            .audience("orders")
            .algorithms([Algorithm::RS256, Algorithm::HS256]),
    )
    .build()
    .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_ALGORITHMS");
    let err = Config::builder(Issuer::builder().issuer(ORDERS))
        .resource("https://orders.axioms.test/api")
        .require_dpop()
        .dpop_algorithms([Algorithm::HS256])
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_DPOP_ALGORITHMS");
    let err = Config::builder(
        Issuer::builder()
            .audience("orders")
            .insecure_skip_issuer_check()
            .hmac_secret(SECRET, Algorithm::HS256),
    )
    .build()
    .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_ISS_URL");
    assert!("HS256".parse::<Algorithm>().is_err());
    // Public keys and a secret for one issuer: an error, never silently the secret.
    let jwk = r#"{"kty": "EC", "crv": "P-256", "alg": "ES256",
        "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
        "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}"#;
    for issuer in [
        Issuer::builder()
            .local_keys(jwk)
            .hmac_secret(SECRET, Algorithm::HS256),
        Issuer::builder()
            .hmac_secret(SECRET, Algorithm::HS256)
            .local_keys(jwk),
    ] {
        let err = Config::builder(issuer.issuer(ORDERS).audience("orders"))
            .build()
            .unwrap_err();
        assert_eq!(err.setting(), "AXIOMS_HMAC_SECRET");
    }
    // And a secret never shows in a configuration's debug output.
    let config = hmac_config(SECRET, Algorithm::HS256).unwrap();
    assert!(!format!("{config:?}").contains("0123456789abcdef"));
}

#[tokio::test]
async fn local_public_keys_verify_without_any_fetch() {
    let issuer = TestIssuer::start_with(&[Algorithm::ES256]).await;
    issuer.set_issuer(ORDERS);
    let jwks = issuer.public_jwks().to_string();
    issuer.stop();
    let axioms = verifier(Config::builder(
        Issuer::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(jwks),
    ));
    assert!(
        axioms.ready(Duration::from_millis(1)).await,
        "loaded at start"
    );
    let token = issuer.token().audience("orders").scope("read:data").sign();
    let r = send(&app(axioms.clone()), req("GET", "/data").bearer(&token)).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (200, format!("primary {ORDERS}").as_str())
    );
    // A kid the local set does not hold is unknown, and nothing is fetched.
    let kid = issuer.add_unpublished_key(Algorithm::ES256);
    let token = issuer.token().audience("orders").signed_with(&kid).sign();
    assert_eq!(
        axioms.verify(&token).await.unwrap_err().reason(),
        Reason::UnknownKid
    );
    assert_eq!(issuer.jwks_fetches(), 0);

    // Local keys are admitted like fetched ones: a private key, or none usable, is refused.
    let mut private = issuer.public_jwks();
    private["keys"][0]["d"] = json!("AAAA");
    let err = Config::builder(
        Issuer::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(private.to_string()),
    )
    .build()
    .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_LOCAL_KEYS_FILE");
    // One refused key among good ones is refused too: a local file is yours to fix.
    let mut mixed = issuer.public_jwks();
    let mut bad = mixed["keys"][0].clone();
    bad["kid"] = json!("private");
    bad["d"] = json!("AAAA");
    mixed["keys"].as_array_mut().unwrap().push(bad);
    let err = Config::builder(
        Issuer::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(mixed.to_string()),
    )
    .build()
    .unwrap_err();
    assert!(err.to_string().contains("1 of the 2 local keys"), "{err}");
    // One JWK alone is a set of one; local keys and a JWKS URL never mix.
    let one = issuer.public_jwks()["keys"][0].to_string();
    assert!(
        Config::builder(
            Issuer::builder()
                .issuer(ORDERS)
                .audience("orders")
                .local_keys(one.clone())
        )
        .build()
        .is_ok()
    );
    let err = Config::builder(
        Issuer::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(one)
            .jwks_url(issuer.jwks_url()),
    )
    .build()
    .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_LOCAL_KEYS_FILE");
}

/// A 1024-bit RSA public key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`).
const RSA_1024_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDNDQ1ARuhGOTVdKSG0mnO9Ct7L
KuooKFCDhdd2dmp3lIxgFvB72MJgfvcO2dGqUV7N4nuAyrTwVK0PqjfHdctvtJFL
DAgvZaB8PwJM6eP/EBMDn2qU5knVCZ5h0tUUsoHNXdJFchRE99GqFLqpZriolXHF
RfZS8VKsAhBlQHVKIQIDAQAB
-----END PUBLIC KEY-----
";

#[test]
fn pem_keys_are_admitted_like_published_ones() {
    let pem = |text: &str| {
        Config::builder(
            Issuer::builder()
                .issuer(ORDERS)
                .audience("orders")
                .local_keys(text),
        )
        .build()
    };
    let err = pem(RSA_1024_PEM).unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_LOCAL_KEYS_FILE");
    assert!(err.to_string().contains("shorter than 2048 bits"), "{err}");
    let err = pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_LOCAL_KEYS_FILE");
    // A private key is never taken for a public one.
    let err =
        pem("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n")
            .unwrap_err();
    assert!(err.to_string().contains("no PEM public key"), "{err}");
    // An EC key pinned to its curve's algorithm, which must be allowed.
    let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let config = pem(&p256.public_key_pem()).unwrap();
    assert!(format!("{config:?}").contains("Local"), "{config:?}");
    let err = Config::builder(
        Issuer::builder()
            .issuer(ORDERS)
            .audience("orders")
            .algorithms([Algorithm::RS256])
            .local_keys(p256.public_key_pem()),
    )
    .build()
    .unwrap_err();
    assert!(err.to_string().contains("ES256"), "{err}");
}

#[tokio::test]
async fn an_issuer_without_an_issuer_check_keeps_its_token_cache() {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(Config::builder(
        Issuer::builder()
            .jwks_url(issuer.jwks_url())
            .audience("api")
            .insecure_skip_issuer_check(),
    ));
    let token = issuer.token().audience("api").sign();
    for _ in 0..3 {
        let claims = axioms.verify(&token).await.unwrap();
        assert_eq!(claims.vouched_by(), Some("primary"));
    }
    assert_eq!(axioms.token_cache_stats().hits, 2);
}
