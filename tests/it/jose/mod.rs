//! The JOSE layer of a token: the algorithm (never `none` nor a symmetric one unless
//! configured, within the allow-list, the one its key is pinned to), header parameters
//! (forbidden, ignored, bounded), duplicate members, the compact serialization in strict
//! base64url, and the signature over all of it. The Wycheproof vectors: [`wycheproof`]; the
//! same tokens through jsonwebtoken, a second implementation: [`differential`].

use axioms::testing::TestIssuer;
use axioms::{Algorithm, Config, Reason};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::common::fixture::{
    AUD, Fixture, SUB, assert_invalid_request, assert_invalid_token, b64, segments,
};
use crate::common::{req, send};

mod differential;
mod wycheproof;

// ---------------------------------------------------------------------------------------------
// Algorithms

#[tokio::test]
async fn alg_none_in_any_case_is_refused() {
    let fx = Fixture::new().await;
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = fx.issuer.token().header("alg", json!(alg)).sign();
        fx.rejects(
            &token,
            Reason::AlgNone,
            &format!("alg {alg} with a signature"),
        )
        .await;

        // The classic forgery: an empty signature segment.
        let header = json!({"alg": alg, "typ": "JWT"});
        let s = segments(&token);
        let unsigned = format!("{}.{}.", b64(header.to_string()), s[1]);
        fx.rejects(
            &unsigned,
            Reason::MalformedToken,
            &format!("alg {alg} with empty signature"),
        )
        .await;

        let raw = fx
            .issuer
            .sign_raw(
                "key-1",
                Algorithm::RS256,
                &json!({"alg": alg, "kid": "key-1"}),
                &URL_SAFE_NO_PAD.decode(s[1]).unwrap(),
            )
            .unwrap();
        fx.rejects(&raw, Reason::AlgNone, &format!("sign_raw alg {alg}"))
            .await;
    }
}

#[tokio::test]
async fn symmetric_algorithms_are_refused() {
    let fx = Fixture::new().await;
    for alg in ["HS256", "HS384", "HS512"] {
        // Signed with the real RSA key: HS* is refused whatever the signature.
        let token = fx.issuer.token().header("alg", json!(alg)).sign();
        fx.rejects(&token, Reason::SymmetricAlgorithm, alg).await;
    }
}

#[tokio::test]
async fn unknown_algorithms_are_refused() {
    let fx = Fixture::new().await;
    for alg in [
        "ES256K",
        "RS1",
        "rs256",
        "Rs256",
        "RSA-OAEP",
        "EdDSA25519",
        "",
    ] {
        let token = fx
            .issuer
            .token()
            .header("alg", json!(alg))
            .signature_alg(Algorithm::RS256)
            .sign();
        fx.rejects(&token, Reason::AlgorithmNotAllowed, &format!("alg {alg:?}"))
            .await;
    }
    for (case, alg) in [
        ("alg number", json!(256)),
        ("alg array", json!(["RS256"])),
        ("alg null", Value::Null),
    ] {
        let token = fx
            .issuer
            .token()
            .header("alg", alg)
            .signature_alg(Algorithm::RS256)
            .sign();
        fx.rejects(&token, Reason::InvalidHeader, case).await;
    }
    let token = fx
        .issuer
        .token()
        .without_header("alg")
        .signature_alg(Algorithm::RS256)
        .sign();
    fx.rejects(&token, Reason::InvalidHeader, "alg absent")
        .await;
}

#[tokio::test]
async fn algorithm_allow_list_is_enforced() {
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256]).await;
    let fx = Fixture::with(issuer, |i| {
        Config::builder(i.algorithms([Algorithm::ES256]))
    })
    .await;
    let es = fx.issuer.token().signed_with("key-2").sign();
    fx.accepts(&es, "ES256 is allowed").await;
    let rs = fx.issuer.token().signed_with("key-1").sign();
    fx.rejects(
        &rs,
        Reason::AlgorithmNotAllowed,
        "RS256 outside the allow-list",
    )
    .await;
}

#[tokio::test]
async fn header_alg_must_match_the_pinned_key() {
    let fx = Fixture::new().await;
    for alg in [
        Algorithm::PS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS512,
    ] {
        // A correct signature of `alg` by the RS256 key: the key is pinned to RS256.
        let token = fx
            .issuer
            .token()
            .header("alg", json!(alg.as_str()))
            .signature_alg(alg)
            .sign();
        fx.rejects(
            &token,
            Reason::AlgorithmKeyMismatch,
            &format!("RS256 key, header {alg}"),
        )
        .await;
    }
    let issuer = TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256]).await;
    let fx = Fixture::with(issuer, Config::builder).await;
    let token = fx
        .issuer
        .token()
        .signed_with("key-2")
        .header("alg", json!("ES384"))
        .signature_alg(Algorithm::ES256)
        .sign();
    fx.rejects(
        &token,
        Reason::AlgorithmKeyMismatch,
        "ES256 key, header ES384",
    )
    .await;
    let token = fx
        .issuer
        .token()
        .signed_with("key-2")
        .header("alg", json!("RS256"))
        .sign();
    fx.rejects(
        &token,
        Reason::AlgorithmKeyMismatch,
        "ES256 key, header RS256",
    )
    .await;
    // With two published keys, a token must say which one signed it.
    let token = fx.issuer.token().without_header("kid").sign();
    fx.rejects(&token, Reason::MissingKid, "no kid, two keys")
        .await;
}

// ---------------------------------------------------------------------------------------------
// Header parameters and members

#[tokio::test]
async fn forbidden_header_parameters() {
    let fx = Fixture::new().await;
    let cases: Vec<(&str, &str, Value, Reason)> = vec![
        ("crit list", "crit", json!(["exp"]), Reason::CriticalHeader),
        ("crit empty", "crit", json!([]), Reason::CriticalHeader),
        ("cty JWT", "cty", json!("JWT"), Reason::NestedToken),
        (
            "cty other",
            "cty",
            json!("application/json"),
            Reason::NestedToken,
        ),
        ("b64 false", "b64", json!(false), Reason::ForbiddenHeader),
        ("b64 true", "b64", json!(true), Reason::ForbiddenHeader),
        ("enc", "enc", json!("A256GCM"), Reason::ForbiddenHeader),
        ("zip", "zip", json!("DEF"), Reason::ForbiddenHeader),
    ];
    for (case, name, value, reason) in cases {
        let token = fx.issuer.token().header(name, value).sign();
        fx.rejects(&token, reason, case).await;
    }
}

#[tokio::test]
async fn key_location_headers_are_ignored() {
    let fx = Fixture::new().await;
    let foreign_jwk = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "attacker"});
    for (case, name, value) in [
        (
            "jku elsewhere",
            "jku",
            json!("https://attacker.example/jwks.json"),
        ),
        (
            "x5u elsewhere",
            "x5u",
            json!("https://attacker.example/cert.pem"),
        ),
        ("jwk of another key", "jwk", foreign_jwk.clone()),
        ("x5c garbage", "x5c", json!(["MIIB"])),
    ] {
        let token = fx.issuer.token().header(name, value).sign();
        fx.accepts(&token, case).await;
    }
    // The real key must still verify the signature: a tampered payload with a jku is refused.
    let token = fx
        .issuer
        .token()
        .header("jku", json!("https://attacker.example/jwks.json"))
        .sign();
    let s = segments(&token);
    let forged = format!(
        "{}.{}.{}",
        s[0],
        b64(
            json!({"iss": fx.issuer.issuer(), "aud": AUD, "sub": "admin", "exp": fx.now() + 600})
                .to_string()
        ),
        s[2]
    );
    fx.rejects(&forged, Reason::InvalidSignature, "jku + forged payload")
        .await;
}

#[tokio::test]
async fn embedded_jwk_of_an_unpublished_key_is_not_trusted() {
    let fx = Fixture::new().await;
    // The verifier has loaded the JWKS (key-1 only). Mint a key, learn its public JWK, sign
    // with it, then withdraw it: the verifier never sees it published.
    let kid = fx.issuer.add_unpublished_key(Algorithm::RS256);
    fx.issuer.publish(&kid);
    let jwk = fx.issuer.public_jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == json!(kid))
        .cloned()
        .unwrap();
    let with_kid = fx
        .issuer
        .token()
        .signed_with(&kid)
        .header("jwk", jwk.clone())
        .sign();
    let without_kid = fx
        .issuer
        .token()
        .signed_with(&kid)
        .without_header("kid")
        .header("jwk", jwk.clone())
        .sign();
    let jku = fx
        .issuer
        .token()
        .signed_with(&kid)
        .header("jku", json!(fx.issuer.jwks_url()))
        .header("jwk", jwk)
        .sign();
    fx.issuer.remove_key(&kid);

    fx.rejects(
        &with_kid,
        Reason::UnknownKid,
        "unpublished key, jwk header, kid",
    )
    .await;
    fx.rejects(
        &without_kid,
        Reason::InvalidSignature,
        "unpublished key, jwk header, no kid (falls back to the published key)",
    )
    .await;
    fx.rejects(
        &jku,
        Reason::UnknownKid,
        "unpublished key, jwk + jku headers",
    )
    .await;
}

#[tokio::test]
async fn kid_length_limit() {
    let fx = Fixture::new().await;
    let token = fx
        .issuer
        .token()
        .header("kid", json!("k".repeat(257)))
        .sign();
    fx.rejects(&token, Reason::KidTooLong, "kid of 257 bytes")
        .await;
    let token = fx
        .issuer
        .token()
        .header("kid", json!("é".repeat(129)))
        .sign();
    fx.rejects(
        &token,
        Reason::KidTooLong,
        "kid of 129 two-byte chars (258 bytes)",
    )
    .await;
    let token = fx
        .issuer
        .token()
        .header("kid", json!("k".repeat(256)))
        .sign();
    fx.rejects(&token, Reason::UnknownKid, "kid of 256 bytes is looked up")
        .await;
    let token = fx.issuer.token().header("kid", json!(1)).sign();
    fx.rejects(&token, Reason::InvalidHeader, "kid number")
        .await;
}

#[tokio::test]
async fn duplicate_json_members() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);

    // Header: the duplicate is found before any key or signature is looked at, so the
    // genuine payload and signature can be reused.
    for (case, header) in [
        (
            "duplicate alg",
            r#"{"alg":"RS256","kid":"key-1","alg":"RS256"}"#,
        ),
        (
            "duplicate kid",
            r#"{"alg":"RS256","kid":"other","kid":"key-1"}"#,
        ),
        (
            "duplicate typ",
            r#"{"alg":"RS256","kid":"key-1","typ":"JOSE","typ":"at+jwt"}"#,
        ),
        (
            "nested duplicate",
            r#"{"alg":"RS256","kid":"key-1","x":{"a":1,"a":2}}"#,
        ),
    ] {
        let token = format!("{}.{}.{}", b64(header), s[1], s[2]);
        fx.rejects(&token, Reason::DuplicateMember, case).await;
    }

    // Payload: signed for real, with hand-written bytes.
    let header = json!({"alg": "RS256", "kid": "key-1", "typ": "at+jwt"});
    let iss = fx.issuer.issuer();
    let exp = fx.now() + 600;
    for (case, payload) in [
        (
            "duplicate scope",
            format!(
                r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"scope":"read","scope":"admin"}}"#
            ),
        ),
        (
            "duplicate sub",
            format!(r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"sub":"admin"}}"#),
        ),
        (
            "duplicate exp",
            format!(r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":1,"exp":{exp}}}"#),
        ),
        (
            "nested duplicate",
            format!(
                r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"realm_access":{{"roles":["a"],"roles":["admin"]}}}}"#
            ),
        ),
    ] {
        let token = fx
            .issuer
            .sign_raw("key-1", Algorithm::RS256, &header, payload.as_bytes())
            .unwrap();
        fx.rejects(&token, Reason::DuplicateMember, case).await;
    }
    // Control: the same bytes without the duplicate verify.
    let payload =
        format!(r#"{{"iss":"{iss}","aud":"{AUD}","sub":"{SUB}","exp":{exp},"scope":"read"}}"#);
    let token = fx
        .issuer
        .sign_raw("key-1", Algorithm::RS256, &header, payload.as_bytes())
        .unwrap();
    fx.accepts(&token, "hand-written payload without duplicates")
        .await;
}

#[tokio::test]
async fn payload_must_be_a_json_object() {
    let fx = Fixture::new().await;
    let header = json!({"alg": "RS256", "kid": "key-1", "typ": "at+jwt"});
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(1000), "]".repeat(1000));
    for (case, payload) in [
        ("array", b"[1,2]".to_vec()),
        ("string", b"\"claims\"".to_vec()),
        ("not json", b"iss=me".to_vec()),
        ("trailing data", b"{}{}".to_vec()),
        ("BOM", b"\xef\xbb\xbf{}".to_vec()),
        ("empty", Vec::new()),
        ("1000-deep nesting", deep.into_bytes()),
    ] {
        let token = fx
            .issuer
            .sign_raw("key-1", Algorithm::RS256, &header, &payload)
            .unwrap();
        fx.rejects(&token, Reason::InvalidPayload, case).await;
    }
    // The header is checked the same way.
    let good = fx.issuer.token().sign();
    let s = segments(&good);
    for (case, h) in [
        ("header array", "[\"RS256\"]".to_owned()),
        ("header not json", "alg=RS256".to_owned()),
        (
            "header 2000-deep",
            format!(
                "{{\"alg\":\"RS256\",\"x\":{}{}}}",
                "[".repeat(2000),
                "]".repeat(2000)
            ),
        ),
    ] {
        let token = format!("{}.{}.{}", b64(h), s[1], s[2]);
        fx.rejects(&token, Reason::InvalidHeader, case).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The compact serialization

#[tokio::test]
async fn compact_serialization_shape() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);
    let cases: Vec<(&str, String, Reason)> = vec![
        (
            "5 segments (JWE)",
            format!("{good}.AAAA.BBBB"),
            Reason::EncryptedToken,
        ),
        (
            "5 segments, JWE-like",
            format!(
                "{}.{}.{}.{}.{}",
                b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#),
                "AAAA",
                "BBBB",
                "CCCC",
                "DDDD"
            ),
            Reason::EncryptedToken,
        ),
        (
            "2 segments",
            format!("{}.{}", s[0], s[1]),
            Reason::MalformedToken,
        ),
        ("1 segment", s[0].to_owned(), Reason::MalformedToken),
        ("4 segments", format!("{good}.AAAA"), Reason::MalformedToken),
        (
            "6 segments",
            format!("{good}.A.B.C"),
            Reason::MalformedToken,
        ),
        (
            "empty signature",
            format!("{}.{}.", s[0], s[1]),
            Reason::MalformedToken,
        ),
        (
            "empty header",
            format!(".{}.{}", s[1], s[2]),
            Reason::MalformedToken,
        ),
        ("dots only", "...".to_owned(), Reason::MalformedToken),
    ];
    for (case, token, reason) in cases {
        fx.rejects(&token, reason, case).await;
    }
}

/// Strict unpadded base64url (RFC 7515 §2): padding, the standard alphabet and non-canonical
/// trailing bits are refused.
#[tokio::test]
async fn strict_base64url() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);

    // `=` inside the token is outside the b64token grammar: 400 before verification.
    let token = format!("{}=.{}.{}", s[0], s[1], s[2]);
    assert_invalid_request(
        &send(&fx.app, req("GET", "/").bearer(&token)).await,
        "padded header",
    );
    assert_eq!(
        fx.reason(&token).await,
        Some(Reason::InvalidBase64),
        "padded header"
    );
    // The payload is decoded only after the signature verifies (RFC 8725 §3.3), and the
    // signing input now ends in `=`, so the verifier reports the signature.
    let token = format!("{}.{}=.{}", s[0], s[1], s[2]);
    assert_invalid_request(
        &send(&fx.app, req("GET", "/").bearer(&token)).await,
        "padded payload",
    );
    assert_eq!(
        fx.reason(&token).await,
        Some(Reason::InvalidSignature),
        "padded payload"
    );

    // Standard-alphabet header (`+`, `/` are b64token characters too).
    let mut std_token = None;
    for pad in 0..6 {
        let header = format!(
            r#"{{"alg":"RS256","kid":"key-1","x":"{}???"}}"#,
            "a".repeat(pad)
        );
        let enc = STANDARD_NO_PAD.encode(&header);
        if enc.contains('/') || enc.contains('+') {
            std_token = Some(format!("{enc}.{}.{}", s[1], s[2]));
            break;
        }
    }
    let token = std_token.expect("a header whose standard encoding has + or /");
    fx.rejects(&token, Reason::InvalidBase64, "standard-alphabet header")
        .await;

    // Non-canonical last character (trailing bits set): same bytes, different encoding.
    let mut found = false;
    for pad in 0..3 {
        let header = format!(
            r#"{{"alg":"RS256","kid":"key-1","typ":"at+jwt","x":"{}"}}"#,
            "a".repeat(pad)
        );
        let enc = b64(&header);
        if enc.len() % 4 == 0 {
            continue;
        }
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = *enc.as_bytes().last().unwrap();
        let index = ALPHABET.iter().position(|&c| c == last).unwrap();
        let tweaked = char::from(ALPHABET[index ^ 1]);
        let non_canonical = format!("{}{tweaked}", &enc[..enc.len() - 1]);
        let token = format!("{non_canonical}.{}.{}", s[1], s[2]);
        fx.rejects(&token, Reason::InvalidBase64, "non-canonical trailing bits")
            .await;
        found = true;
        break;
    }
    assert!(found);
}

/// Trailing `=` is allowed by the b64token grammar, so a padded signature segment reaches
/// verification; it is not strict unpadded base64url.
#[tokio::test]
async fn padded_signature_segment_is_invalid_base64() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    for pad in ["=", "=="] {
        let token = format!("{good}{pad}");
        fx.rejects(
            &token,
            Reason::InvalidBase64,
            &format!("signature segment followed by {pad:?}"),
        )
        .await;
    }
}

/// The last character of an unpadded segment carries unused low bits; a token whose signature
/// differs only there decodes to the same bytes but is not the canonical encoding. Every such
/// variant must be refused, or tokens become malleable (two strings, one signature).
#[tokio::test]
async fn non_canonical_signature_encoding_is_refused() {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let issuer =
        TestIssuer::start_with(&[Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]).await;
    let fx = Fixture::with(issuer, Config::builder).await;
    for kid in ["key-1", "key-2", "key-3"] {
        let good = fx.issuer.token().signed_with(kid).sign();
        fx.accepts(&good, kid).await;
        let (body, last) = good.split_at(good.len() - 1);
        assert_ne!(
            segments(&good)[2].len() % 4,
            0,
            "{kid}: signature has no unused bits"
        );
        for &c in ALPHABET {
            let c = char::from(c);
            if c.to_string() == last {
                continue;
            }
            let token = format!("{body}{c}");
            let r = send(&fx.app, req("GET", "/").bearer(&token)).await;
            assert_invalid_token(&r, &format!("{kid}: last signature char {last} -> {c}"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The signature

#[tokio::test]
async fn tampering_breaks_the_signature() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let s = segments(&good);

    let mut claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s[1]).unwrap()).unwrap();
    claims["sub"] = json!("admin");
    let forged = format!("{}.{}.{}", s[0], b64(claims.to_string()), s[2]);
    fx.rejects(&forged, Reason::InvalidSignature, "payload sub changed")
        .await;

    claims["sub"] = json!(SUB);
    claims["scope"] = json!("admin");
    let forged = format!("{}.{}.{}", s[0], b64(claims.to_string()), s[2]);
    fx.rejects(&forged, Reason::InvalidSignature, "payload scope added")
        .await;

    let header = json!({"alg": "RS256", "kid": "key-1"});
    let forged = format!("{}.{}.{}", b64(header.to_string()), s[1], s[2]);
    fx.rejects(&forged, Reason::InvalidSignature, "header typ removed")
        .await;

    let mut sig = URL_SAFE_NO_PAD.decode(s[2]).unwrap();
    sig[10] ^= 1;
    let forged = format!("{}.{}.{}", s[0], s[1], b64(&sig));
    fx.rejects(
        &forged,
        Reason::InvalidSignature,
        "one signature bit flipped",
    )
    .await;

    let forged = format!("{}.{}.{}", s[0], s[1], b64(&sig[..sig.len() - 1]));
    fx.rejects(
        &forged,
        Reason::InvalidSignature,
        "signature one byte short",
    )
    .await;

    let other = fx.issuer.token().subject("admin").sign();
    let spliced = format!("{}.{}.{}", s[0], segments(&other)[1], s[2]);
    fx.rejects(
        &spliced,
        Reason::InvalidSignature,
        "payload spliced from another token",
    )
    .await;
}
