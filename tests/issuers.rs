//! Several trusted issuers in one verifier, and self-issued tokens: the issuer is chosen by
//! `iss` before any key lookup, keys never cross issuers, an unknown `iss` costs no fetch,
//! one issuer down leaves the others working; keys configured locally (a JWK Set, an HMAC
//! secret) verify only their issuer's tokens. (The same against two real oidc-provider
//! instances and a `jose`-signed HS256 token: tests/oidc_provider.rs.)
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use axioms::testing::TestIssuer;
use axioms::{
    Algorithm, Axioms, Claims, Config, ConfigBuilder, Reason, ResourceMetadata, protected,
};
use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Resp, req, send};
use serde_json::{Value, json};

/// The issuers the policies below name. The test issuers' servers stay on 127.0.0.1; their
/// `iss` is set to these.
const STAFF: &str = "https://staff.axioms.test/";
const PARTNER: &str = "https://partner.axioms.test/realms/b2b";

#[protected(scopes = "read:data")]
async fn data(claims: Claims) -> String {
    claims.vouched_by().unwrap_or("nobody").to_owned()
}

#[protected(issuer = "https://partner.axioms.test/realms/b2b")]
async fn partner() -> &'static str {
    "partner"
}

#[protected(any_of(issuer = "https://staff.axioms.test/", roles = "partner-admin"))]
async fn staff() -> &'static str {
    "staff"
}

fn app(axioms: Axioms) -> Router {
    Router::new()
        .route("/data", get(data))
        .route("/partner", get(partner))
        .route("/staff", get(staff))
        .with_state(axioms)
}

/// A test issuer whose tokens say `iss` = `name`; its keys stay at its own JWKS URL.
async fn issuer_named(name: &str, alg: Algorithm) -> TestIssuer {
    let issuer = TestIssuer::start_with(&[alg]).await;
    issuer.set_issuer(name);
    issuer
}

fn config_of(issuer: &TestIssuer, audience: &str) -> ConfigBuilder {
    Config::builder()
        .issuer(issuer.issuer())
        .jwks_url(issuer.jwks_url())
        .audience(audience)
}

/// Staff (RS256, audience `api`) and a partner's IdP (ES256, audience `partner-api`, roles in
/// `groups`), in one verifier.
async fn two() -> (TestIssuer, TestIssuer, Axioms) {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    let axioms = Axioms::trusting([
        config_of(&staff, "api").build().unwrap(),
        config_of(&partner, "partner-api")
            .roles_claims(["groups"])
            .build()
            .unwrap(),
    ])
    .unwrap();
    (staff, partner, axioms)
}

fn header_kid(token: &str) -> String {
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

#[track_caller]
fn assert_error(r: &Resp, status: u16, error: &str, what: &str) {
    assert_eq!(r.status, status, "{what}: {r:?}");
    assert_eq!(r.error().as_deref(), Some(error), "{what}: {r:?}");
}

#[tokio::test]
async fn each_trusted_issuer_where_its_policies_allow() {
    let (staff, partner, axioms) = two().await;
    let app = app(axioms.clone());
    let staff_token = staff.token().audience("api").scope("read:data").sign();
    let partner_token = partner
        .token()
        .audience("partner-api")
        .scope("read:data")
        .claim("groups", json!(["partner-admin"]))
        .sign();

    // Each issuer's token, with its own audience and claim names; `vouched_by` says whose.
    let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, STAFF));
    let r = send(&app, req("GET", "/data").bearer(&partner_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, PARTNER));

    // `issuer = …`: the partner route takes only the partner's tokens.
    let r = send(&app, req("GET", "/partner").bearer(&partner_token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("GET", "/partner").bearer(&staff_token)).await;
    assert_error(&r, 403, "insufficient_scope", "a staff token on /partner");
    assert_eq!(
        r.json()["error_description"],
        "this resource does not accept tokens of this issuer"
    );
    // In a group: staff by issuer, or the partner's admins by role (read from `groups`).
    let r = send(&app, req("GET", "/staff").bearer(&staff_token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = send(&app, req("GET", "/staff").bearer(&partner_token)).await;
    assert_eq!(r.status, 200, "{r:?}");
    let plain_partner = partner.token().audience("partner-api").sign();
    let r = send(&app, req("GET", "/staff").bearer(&plain_partner)).await;
    assert_error(
        &r,
        403,
        "insufficient_scope",
        "a partner token without the role",
    );

    // Audiences do not cross either: the staff audience on a partner token.
    let wrong_audience = partner.token().audience("api").scope("read:data").sign();
    let r = send(&app, req("GET", "/data").bearer(&wrong_audience)).await;
    assert_error(
        &r,
        401,
        "invalid_token",
        "partner token for the staff audience",
    );
    let err = axioms.verify(&wrong_audience).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AudienceMismatch);

    // Cached tokens keep their issuer (the second request of each is a cache hit).
    assert!(axioms.token_cache_stats().hits > 0);
    let r = send(&app, req("GET", "/partner").bearer(&staff_token)).await;
    assert_eq!(r.status, 403, "cached staff token on /partner: {r:?}");
    assert_eq!(axioms.issuers().collect::<Vec<_>>(), [STAFF, PARTNER]);
}

#[tokio::test]
async fn keys_never_cross_issuers_and_an_unknown_issuer_costs_no_fetch() {
    let (staff, partner, axioms) = two().await;
    assert!(axioms.ready(Duration::from_secs(5)).await);
    let (staff_fetches, partner_fetches) = (staff.jwks_fetches(), partner.jwks_fetches());

    // A token naming the staff issuer, signed with a key that only the partner publishes
    // (its kid is the partner's): an unknown kid at staff, and the partner is never asked.
    let partner_only = partner.add_key(Algorithm::ES256);
    let forged = partner
        .token()
        .claim("iss", json!(STAFF))
        .audience("api")
        .signed_with(&partner_only)
        .sign();
    let err = axioms.verify(&forged).await.unwrap_err();
    assert_eq!(err.reason(), Reason::UnknownKid, "{err:?}");
    // Both publish a `key-1`: the staff issuer's own `key-1` is the one asked, and it does not
    // verify the partner's signature.
    let same_kid = partner
        .token()
        .claim("iss", json!(STAFF))
        .audience("api")
        .sign();
    assert_eq!(header_kid(&same_kid), "key-1");
    let err = axioms.verify(&same_kid).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AlgorithmKeyMismatch, "{err:?}");
    assert_eq!(
        partner.jwks_fetches(),
        partner_fetches,
        "no fetch at the partner"
    );

    // An issuer nobody trusts, with a valid signature of its own: refused before any key
    // lookup, so no fetch anywhere (not even at its own JWKS).
    let stranger = issuer_named("https://stranger.axioms.test/", Algorithm::ES256).await;
    let token = stranger.token().audience("api").sign();
    let err = axioms.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::IssuerMismatch);
    // No `iss` at all, and an `iss` that is not a string.
    let err = axioms
        .verify(&staff.token().without("iss").audience("api").sign())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::MissingIssuer);
    let err = axioms
        .verify(&staff.token().claim("iss", json!(7)).audience("api").sign())
        .await
        .unwrap_err();
    assert_eq!(err.reason(), Reason::ClaimType);
    assert_eq!(stranger.jwks_fetches(), 0);
    assert_eq!(partner.jwks_fetches(), partner_fetches);
    // The forged token's unknown kid may refetch at staff (cooldown-limited), never more.
    assert!(staff.jwks_fetches() <= staff_fetches + 1);

    // The HTTP answer of an unknown issuer is a plain invalid_token.
    let r = send(&app(axioms), req("GET", "/data").bearer(&token)).await;
    assert_error(&r, 401, "invalid_token", "an untrusted issuer");
}

#[tokio::test]
async fn one_issuer_down_leaves_the_other_working() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    staff.stop();
    let axioms = Axioms::trusting([
        config_of(&staff, "api")
            .http_timeouts(Duration::from_millis(200), Duration::from_millis(500))
            .build()
            .unwrap(),
        config_of(&partner, "partner-api").build().unwrap(),
    ])
    .unwrap();
    let app = app(axioms);
    let partner_token = partner
        .token()
        .audience("partner-api")
        .scope("read:data")
        .sign();
    let r = send(&app, req("GET", "/data").bearer(&partner_token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, PARTNER));
    // The staff issuer's tokens: 503 (its keys were never loaded), not 401.
    let staff_token = staff.token().audience("api").scope("read:data").sign();
    let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
    assert_eq!(r.status, 503, "{r:?}");
    assert!(!r.header("retry-after").is_empty(), "{r:?}");
    // Back up: it verifies.
    staff.resume().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = send(&app, req("GET", "/data").bearer(&staff_token)).await;
        if r.status == 200 {
            assert_eq!(r.body, STAFF);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "staff never recovered: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_registry_that_cannot_tell_issuers_apart_is_a_startup_error() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let config = || config_of(&staff, "api").build().unwrap();
    let message = |r: Result<Axioms, axioms::InitError>| r.unwrap_err().to_string();

    let twice = message(Axioms::trusting([config(), config()]));
    assert!(twice.contains("trusted twice"), "{twice}");
    let anonymous = Config::builder()
        .jwks_url(staff.jwks_url())
        .audience("api")
        .insecure_skip_issuer_check()
        .build()
        .unwrap();
    let unnamed = message(Axioms::trusting([config(), anonymous.clone()]));
    assert!(unnamed.contains("no issuer set"), "{unnamed}");
    // Alone, the same configuration is allowed (it is opt-in and named for what it is).
    assert!(Axioms::trusting([anonymous]).is_ok());
    let none = message(Axioms::trusting(Vec::<Config>::new()));
    assert!(none.contains("no issuer to trust"), "{none}");

    // Two issuers that introspect: an opaque token cannot say whose it is.
    let other = issuer_named(PARTNER, Algorithm::ES256).await;
    let introspecting = |issuer: &TestIssuer| {
        config_of(issuer, "api")
            .introspection("rs", "secret")
            .build()
            .unwrap()
    };
    let both = message(Axioms::trusting([
        introspecting(&staff),
        introspecting(&other),
    ]));
    assert!(both.contains("only the first issuer may"), "{both}");
    // Request settings belong to the first configuration; on another they are an error.
    let with_resource = config_of(&other, "https://api.axioms.test")
        .resource("https://api.axioms.test")
        .build()
        .unwrap();
    let err = message(Axioms::trusting([config(), with_resource]));
    assert!(err.contains("AXIOMS_RESOURCE"), "{err}");
    // A multi-tenant template before an exact issuer it matches would take its tokens.
    let template = Config::builder()
        .issuer("https://login.microsoftonline.com/{tenantid}/v2.0")
        .jwks_url(staff.jwks_url())
        .audience("api")
        .build()
        .unwrap();
    let tenant = Config::builder()
        .issuer("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0")
        .jwks_url(other.jwks_url())
        .audience("api")
        .build()
        .unwrap();
    let err = message(Axioms::trusting([template.clone(), tenant.clone()]));
    assert!(err.contains("comes after the template"), "{err}");
    assert!(Axioms::trusting([tenant, template]).is_ok());
}

#[tokio::test]
async fn an_issuer_without_a_name_keeps_its_token_cache() {
    let issuer = TestIssuer::start().await;
    let axioms = Axioms::new(
        Config::builder()
            .jwks_url(issuer.jwks_url())
            .audience("api")
            .insecure_skip_issuer_check()
            .build()
            .unwrap(),
    )
    .unwrap();
    let token = issuer.token().audience("api").sign();
    for _ in 0..3 {
        let claims = axioms.verify(&token).await.unwrap();
        assert_eq!(claims.vouched_by(), None);
    }
    assert_eq!(axioms.token_cache_stats().hits, 2);
}

#[test]
fn several_issuers_from_the_environment() {
    let vars = HashMap::from([
        ("AXIOMS_ISS_URL", STAFF),
        ("AXIOMS_RESOURCE", "https://api.axioms.test"),
        ("AXIOMS_TRUST", "PARTNER, LEGACY"),
        ("AXIOMS_PARTNER_ISS_URL", PARTNER),
        ("AXIOMS_PARTNER_AUDIENCE", "partner-api"),
        ("AXIOMS_PARTNER_ROLES_CLAIMS", "groups"),
        ("AXIOMS_PARTNER_DISCOVERY", "true"),
        ("AXIOMS_LEGACY_ISS_URL", "https://legacy.axioms.test/"),
        ("AXIOMS_LEGACY_AUDIENCE", "api"),
        (
            "AXIOMS_LEGACY_HMAC_SECRET",
            "a-legacy-secret-of-at-least-32-bytes!",
        ),
    ]);
    let read = |vars: &HashMap<&str, &str>| {
        Config::trusted_from_vars(|k| vars.get(k).map(|v| (*v).to_owned()))
    };
    let configs = read(&vars).unwrap();
    let issuers: Vec<_> = configs.iter().map(|c| c.issuer().unwrap()).collect();
    assert_eq!(issuers, [STAFF, PARTNER, "https://legacy.axioms.test/"]);
    assert_eq!(configs[1].audiences(), ["partner-api"]);
    assert!(configs[1].discovery_url().is_some());
    assert_eq!(configs[2].algorithms(), [Algorithm::HS256]);
    // Request settings are the first issuer's; a named issuer does not inherit nor read them.
    assert_eq!(configs[0].resource(), Some("https://api.axioms.test"));
    assert_eq!(configs[1].resource(), None);

    // A request setting under an issuer's name is an error, not silently ignored.
    let mut wrong = vars.clone();
    wrong.insert("AXIOMS_PARTNER_RESOURCE", "https://elsewhere.axioms.test");
    let err = read(&wrong).unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_TRUST");
    assert!(err.to_string().contains("AXIOMS_PARTNER_RESOURCE"), "{err}");
    // A named issuer's own mistake names its variable.
    let mut wrong = vars.clone();
    wrong.insert("AXIOMS_PARTNER_LEEWAY_SECS", "soon");
    let err = read(&wrong).unwrap_err();
    assert!(
        err.to_string().contains("AXIOMS_PARTNER_LEEWAY_SECS"),
        "{err}"
    );
    let mut wrong = vars;
    wrong.insert("AXIOMS_TRUST", "partner");
    assert_eq!(read(&wrong).unwrap_err().setting(), "AXIOMS_TRUST");
}

#[tokio::test]
async fn the_resource_metadata_lists_every_trusted_issuer() {
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let partner = issuer_named(PARTNER, Algorithm::ES256).await;
    let axioms = Axioms::trusting([
        config_of(&staff, "https://api.axioms.test")
            .resource("https://api.axioms.test")
            .build()
            .unwrap(),
        config_of(&partner, "https://api.axioms.test")
            .build()
            .unwrap(),
    ])
    .unwrap();
    let metadata = ResourceMetadata::of(&axioms).unwrap();
    assert_eq!(
        metadata.document()["authorization_servers"],
        json!([STAFF, PARTNER])
    );
}

// ---------------------------------------------------------------------------------------------
// Self-issued tokens: keys configured locally.

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

fn hmac_config(secret: &str, alg: Algorithm) -> Result<Config, axioms::ConfigError> {
    Config::builder()
        .issuer(ORDERS)
        .audience("orders")
        .hmac_secret(secret, alg)
        .build()
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
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, ORDERS));
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
        axioms.verify(&with_kid).await.unwrap().vouched_by(),
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
    let staff = issuer_named(STAFF, Algorithm::RS256).await;
    let orders = Axioms::trusting([
        config_of(&staff, "orders").build().unwrap(),
        hmac_config(SECRET, Algorithm::HS256).unwrap(),
    ])
    .unwrap();
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
        Some(STAFF)
    );
    let token = hs_token(
        jsonwebtoken::Algorithm::HS256,
        SECRET.as_bytes(),
        &claims_for(ORDERS),
    );
    assert_eq!(
        orders.verify(&token).await.unwrap().vouched_by(),
        Some(ORDERS)
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
    let err = Config::builder()
        .issuer(ORDERS)
        .audience("orders")
        .algorithms([Algorithm::RS256, Algorithm::HS256])
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_ALGORITHMS");
    let err = Config::builder()
        .issuer(ORDERS)
        .resource("https://orders.axioms.test/api")
        .require_dpop()
        .dpop_algorithms([Algorithm::HS256])
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_DPOP_ALGORITHMS");
    let err = Config::builder()
        .audience("orders")
        .insecure_skip_issuer_check()
        .hmac_secret(SECRET, Algorithm::HS256)
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_ISS_URL");
    assert!("HS256".parse::<Algorithm>().is_err());
    // Public keys and a secret for one issuer: an error, never silently the secret.
    let jwk = r#"{"kty": "EC", "crv": "P-256", "alg": "ES256",
        "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
        "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"}"#;
    for builder in [
        Config::builder()
            .local_keys(jwk)
            .hmac_secret(SECRET, Algorithm::HS256),
        Config::builder()
            .hmac_secret(SECRET, Algorithm::HS256)
            .local_keys(jwk),
    ] {
        let err = builder
            .issuer(ORDERS)
            .audience("orders")
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
    let axioms = Axioms::new(
        Config::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(jwks)
            .build()
            .unwrap(),
    )
    .unwrap();
    assert!(
        axioms.ready(Duration::from_millis(1)).await,
        "loaded at start"
    );
    let token = issuer.token().audience("orders").scope("read:data").sign();
    let r = send(&app(axioms.clone()), req("GET", "/data").bearer(&token)).await;
    assert_eq!((r.status.as_u16(), r.body.as_str()), (200, ORDERS));
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
    let err = Config::builder()
        .issuer(ORDERS)
        .audience("orders")
        .local_keys(private.to_string())
        .build()
        .unwrap_err();
    assert_eq!(err.setting(), "AXIOMS_LOCAL_KEYS_FILE");
    // One refused key among good ones is refused too: a local file is yours to fix.
    let mut mixed = issuer.public_jwks();
    let mut bad = mixed["keys"][0].clone();
    bad["kid"] = json!("private");
    bad["d"] = json!("AAAA");
    mixed["keys"].as_array_mut().unwrap().push(bad);
    let err = Config::builder()
        .issuer(ORDERS)
        .audience("orders")
        .local_keys(mixed.to_string())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("1 of the 2 local keys"), "{err}");
    // One JWK alone is a set of one; local keys and a JWKS URL never mix.
    let one = issuer.public_jwks()["keys"][0].to_string();
    assert!(
        Config::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(one.clone())
            .build()
            .is_ok()
    );
    let err = Config::builder()
        .issuer(ORDERS)
        .audience("orders")
        .local_keys(one)
        .jwks_url(issuer.jwks_url())
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
        Config::builder()
            .issuer(ORDERS)
            .audience("orders")
            .local_keys(text)
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
    let err = Config::builder()
        .issuer(ORDERS)
        .audience("orders")
        .algorithms([Algorithm::RS256])
        .local_keys(p256.public_key_pem())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("ES256"), "{err}");
}
