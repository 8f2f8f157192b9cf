//! The independent JOSE implementation (`jose`, `tests/oidc/jose_tool.mjs`): tokens it signs
//! verify in axioms — published keys, an HMAC secret of a self-issuing service, a local PEM
//! key — and tokens of axioms' `TestIssuer` verify in `jose.jwtVerify`; altered ones nowhere.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Config, Issuer, Reason, Trust};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use crate::common::process::node_dir;
use crate::common::{Transport, req};
use crate::common::{ready, verifier};

use super::{
    PACKAGES, Provider, RESOURCE, RS_CLIENT, header, now, payload, with_bad_signature, with_payload,
};

/// Runs `jose_tool.mjs` on a list of operations; returns one result per operation.
fn jose(dir: &Path, ops: &[Value]) -> Vec<Value> {
    let mut child = Command::new("node")
        .arg("jose_tool.mjs")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run node jose_tool.mjs");
    let input = serde_json::to_vec(ops).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().expect("jose_tool output");
    writer.join().unwrap().expect("write to jose_tool");
    assert!(
        out.status.success(),
        "jose_tool failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "jose_tool printed no JSON array ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(results.len(), ops.len(), "one result per operation");
    results
}

const JOSE_ALGS: [&str; 5] = ["RS256", "PS256", "ES256", "ES512", "EdDSA"];

/// Tokens signed by `jose`, with keys `jose` generated, served by a `TestIssuer`.
#[tokio::test(flavor = "multi_thread")]
async fn jose_signed_tokens_verify_in_axioms() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "jose_signed_tokens_verify_in_axioms") else {
        return;
    };
    let issuer = TestIssuer::start().await;
    let keygen: Vec<Value> = JOSE_ALGS
        .iter()
        .map(|alg| json!({"op": "keygen", "alg": alg, "kid": format!("jose-{alg}")}))
        .chain([json!({"op": "keygen", "alg": "RS256", "kid": "jose-unpublished"})])
        .collect();
    let keys = jose(&dir, &keygen);
    let published: Vec<Value> = keys[..JOSE_ALGS.len()]
        .iter()
        .map(|k| k["public"].clone())
        .collect();
    for key in &published {
        assert!(key.get("d").is_none(), "a private member in {key}");
    }
    issuer.set_jwks(Some(json!({ "keys": published })));

    let now = now();
    let claims = |sub: &str| {
        json!({
            "iss": issuer.issuer(), "aud": "jose-api", "sub": sub, "client_id": "jose",
            "iat": now, "exp": now + 600, "jti": format!("jti-{sub}"), "scope": "read:data",
        })
    };
    let mut ops: Vec<Value> = JOSE_ALGS
        .iter()
        .zip(&keys)
        .map(|(alg, key)| {
            json!({"op": "sign", "jwk": key["private"], "alg": alg, "claims": claims(&format!("sub-{alg}"))})
        })
        .collect();
    // Ones axioms must refuse: an unpublished key, an expired token, another audience, a
    // `kid` naming an ES256 key on an RS256 signature, a token valid only in an hour.
    let rs = &keys[0]["private"];
    let mut expired = claims("expired");
    expired["exp"] = json!(now - 3600);
    expired["iat"] = json!(now - 7200);
    let mut elsewhere = claims("elsewhere");
    elsewhere["aud"] = json!("another-api");
    let mut early = claims("early");
    early["nbf"] = json!(now + 3600);
    ops.extend([
        json!({"op": "sign", "jwk": keys[JOSE_ALGS.len()]["private"], "alg": "RS256", "claims": claims("unpublished")}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": expired}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": elsewhere}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": claims("mismatch"), "header": {"kid": "jose-ES256"}}),
        json!({"op": "sign", "jwk": rs, "alg": "RS256", "claims": early}),
    ]);
    let signed: Vec<String> = jose(&dir, &ops)
        .iter()
        .map(|r| r["token"].as_str().unwrap().to_owned())
        .collect();

    let axioms = ready(issuer.config("jose-api")).await;
    assert_eq!(axioms.key_count(), JOSE_ALGS.len());
    for (alg, token) in JOSE_ALGS.iter().zip(&signed) {
        assert_eq!(header(token)["alg"], *alg);
        let claims = axioms
            .verify(token)
            .await
            .unwrap_or_else(|e| panic!("jose {alg} token refused: {}", e.reason()));
        assert_eq!(claims.subject(), Some(format!("sub-{alg}").as_str()));
        assert!(claims.has_scope("read:data"));
        // And the same bytes, altered, are refused.
        let err = axioms.verify(&with_bad_signature(token)).await.unwrap_err();
        assert_eq!(err.reason(), Reason::InvalidSignature, "{alg}");
    }
    let expected = [
        Reason::UnknownKid,
        Reason::Expired,
        Reason::AudienceMismatch,
        Reason::AlgorithmKeyMismatch,
        Reason::NotYetValid,
    ];
    for (token, reason) in signed[JOSE_ALGS.len()..].iter().zip(expected) {
        let err = axioms.verify(token).await.err();
        assert_eq!(err.map(|e| e.reason()), Some(reason), "{}", payload(token));
    }
}

/// Tokens minted by axioms' `TestIssuer`, with every algorithm axioms supports, verify in
/// `jose.jwtVerify`; altered ones do not.
#[tokio::test(flavor = "multi_thread")]
async fn test_issuer_tokens_verify_in_jose() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "test_issuer_tokens_verify_in_jose") else {
        return;
    };
    let issuer = TestIssuer::start_with(&Algorithm::ALL).await;
    let jwks = issuer.public_jwks();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), Algorithm::ALL.len());
    let tokens: Vec<(Algorithm, String)> = Algorithm::ALL
        .iter()
        .enumerate()
        .map(|(i, alg)| {
            let token = issuer
                .token()
                .signed_with(&format!("key-{}", i + 1))
                .subject(&format!("sub-{}", alg.as_str()))
                .scope("read:data")
                .sign();
            assert_eq!(header(&token)["alg"], alg.as_str());
            (*alg, token)
        })
        .collect();
    let verify = |token: &str| {
        json!({
            "op": "verify", "token": token, "jwks": jwks, "issuer": issuer.issuer(),
            "audience": "test-api", "typ": "at+jwt",
        })
    };
    let mut ops: Vec<Value> = tokens.iter().map(|(_, t)| verify(t)).collect();
    // Altered tokens, which jose must refuse too (the check is not vacuous).
    let rs = &tokens[0].1;
    let forged_alg = issuer
        .token()
        .signed_with("key-1")
        .header("alg", json!("RS512"))
        .signature_alg(Algorithm::RS256)
        .sign();
    ops.extend([
        verify(&with_payload(rs, |c| c["sub"] = json!("mallory"))),
        verify(&with_bad_signature(&tokens[6].1)),
        verify(&forged_alg),
        verify(&issuer.token().signed_with("key-1").audience("other").sign()),
    ]);
    let results = jose(&dir, &ops);
    for ((alg, _), result) in tokens.iter().zip(&results) {
        assert_eq!(
            result["ok"],
            true,
            "jose refused axioms' {} token: {result}",
            alg.as_str()
        );
        assert_eq!(result["header"]["alg"], alg.as_str());
        assert_eq!(
            result["payload"]["sub"],
            format!("sub-{}", alg.as_str()),
            "{result}"
        );
        assert_eq!(result["payload"]["scope"], "read:data");
    }
    let refusals = &results[tokens.len()..];
    for (result, code) in refusals.iter().zip([
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWKS_NO_MATCHING_KEY",
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    ]) {
        assert_eq!(
            result["ok"], false,
            "jose accepted an altered token: {result}"
        );
        assert_eq!(result["code"], code, "{result}");
    }
}

/// An HS256 token signed by `jose` with a configured secret (fastapi-views' `JWTAuth` quick
/// start); the same claims signed with a JWKS issuer's RSA public key as the secret refused.
#[tokio::test(flavor = "multi_thread")]
async fn jose_signed_hs256_tokens_of_a_self_issuing_service() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "jose_signed_hs256_tokens_of_a_self_issuing_service",
    ) else {
        return;
    };
    const SELF: &str = "https://orders.axioms.test";
    const SECRET: &str = "an-hs256-secret-of-32-bytes-or-more-for-orders";
    let provider = Provider::start(&dir);
    let axioms = ready(
        Config::builder(
            Issuer::builder()
                .issuer(provider.issuer())
                .audience(RESOURCE)
                .discovery(true),
        )
        .trust(
            "orders",
            Issuer::builder()
                .issuer(SELF)
                .audience(RESOURCE)
                .hmac_secret(SECRET, Algorithm::HS256),
            Trust::partner(),
        ),
    )
    .await;
    let now = now();
    let claims = |iss: &str| {
        json!({"iss": iss, "sub": "svc-billing", "aud": RESOURCE, "iat": now, "exp": now + 300,
               "scope": "read:data"})
    };
    // The provider's RSA public key, as an attacker would use it for a secret: its JWK text
    // and its modulus.
    let jwks: Value = Transport::at(provider.issuer())
        .send(req("GET", "/jwks"))
        .await
        .json();
    let rsa = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kty"] == "RSA")
        .unwrap()
        .clone();
    let modulus = URL_SAFE_NO_PAD.decode(rsa["n"].as_str().unwrap()).unwrap();
    let sign = |secret: &[u8], iss: &str| {
        json!({"op": "hmac-sign", "alg": "HS256", "secret": URL_SAFE_NO_PAD.encode(secret),
               "claims": claims(iss), "header": {}})
    };
    let signed = jose(
        &dir,
        &[
            sign(SECRET.as_bytes(), SELF),
            sign(rsa.to_string().as_bytes(), provider.issuer()),
            sign(&modulus, provider.issuer()),
            sign(&modulus, SELF),
        ],
    );
    let token = |i: usize| signed[i]["token"].as_str().unwrap().to_owned();
    let claims = axioms.verify(&token(0)).await.unwrap();
    assert_eq!(claims.vouched_by(), Some("orders"));
    assert_eq!(claims.subject(), Some("svc-billing"));
    for (i, reason) in [
        (1, Reason::SymmetricAlgorithm),
        (2, Reason::SymmetricAlgorithm),
        (3, Reason::InvalidSignature),
    ] {
        assert_eq!(
            axioms.verify(&token(i)).await.unwrap_err().reason(),
            reason,
            "token {i}"
        );
    }
    // The provider's own tokens, beside the self-issued ones.
    let jwt = provider.token(RS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(
        axioms.verify(&jwt).await.unwrap().vouched_by(),
        Some("primary")
    );
}

/// A self-issuing service's PEM public key (exported by `jose`), and tokens `jose` signs with
/// its private key: RSA (pinned to RS256, or PS256 by `rsa_key_alg`), EC, Ed25519.
#[tokio::test(flavor = "multi_thread")]
async fn jose_signed_tokens_verify_with_a_local_pem_key() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "jose_signed_tokens_verify_with_a_local_pem_key",
    ) else {
        return;
    };
    const SELF: &str = "https://billing.axioms.test";
    let now = now();
    let claims = json!({"iss": SELF, "sub": "svc-billing", "aud": RESOURCE, "iat": now,
                        "exp": now + 300});
    for (alg, rsa_key_alg) in [
        ("RS256", Algorithm::RS256),
        ("PS256", Algorithm::PS256),
        ("ES384", Algorithm::RS256),
        ("EdDSA", Algorithm::RS256),
    ] {
        let key = jose(
            &dir,
            &[json!({"op": "keygen", "alg": alg, "kid": "billing-1"})],
        )
        .remove(0);
        let pem = key["spki"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");
        let signed = jose(
            &dir,
            &[
                json!({"op": "sign", "jwk": key["private"], "alg": alg, "claims": claims}),
                json!({"op": "sign", "jwk": key["private"], "alg": alg,
                       "claims": {"iss": "https://elsewhere.axioms.test", "sub": "x",
                                  "aud": RESOURCE, "exp": now + 300}}),
            ],
        );
        let axioms = verifier(Config::builder(
            Issuer::builder()
                .issuer(SELF)
                .audience(RESOURCE)
                .rsa_key_alg(rsa_key_alg)
                .local_keys(pem),
        ));
        // The token names the key's kid; the PEM key, the issuer's only one, verifies it.
        let token = signed[0]["token"].as_str().unwrap();
        let verified = axioms.verify(token).await;
        assert_eq!(
            verified.map(|c| c.issuer().map(str::to_owned)).ok(),
            Some(Some(SELF.to_owned())),
            "{alg}"
        );
        let other = signed[1]["token"].as_str().unwrap();
        assert_eq!(
            axioms.verify(other).await.unwrap_err().reason(),
            Reason::IssuerMismatch,
            "{alg}"
        );
        // A signature of another key fails.
        assert_eq!(
            axioms
                .verify(&with_bad_signature(token))
                .await
                .unwrap_err()
                .reason(),
            Reason::InvalidSignature,
            "{alg}"
        );
    }
}
