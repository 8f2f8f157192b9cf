//! Regenerates `fixtures/` and `corpus/`: new keys (RS256, PS256, ES256, ES384, EdDSA), real
//! tokens minted by `axioms::testing::TestIssuer`, real-world-shaped key sets and hostile
//! bearer headers. Run from `fuzz/`: `cargo run --example seed`. The private keys exist only
//! during the run, so every token that can ever verify is in `fixtures/tokens.txt`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axioms::testing::TestIssuer;
use axioms::{Algorithm, ManualClock};
use axioms_fuzz::{AUDIENCE, ISSUER, MINTED_AT, flags, structured_input, structured_jwk_input};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn write(dir: &str, name: &str, bytes: &[u8]) {
    let dir = root().join(dir);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

fn clear(dir: &str) {
    let dir = root().join(dir);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    fs::create_dir_all(&dir).unwrap();
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let algs = [
        Algorithm::RS256,
        Algorithm::PS256,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];
    let issuer = TestIssuer::start_with_clock(&algs, Arc::new(ManualClock::new(MINTED_AT))).await;
    issuer.set_issuer(ISSUER);
    let jwks = issuer.public_jwks();
    let keys: Vec<Value> = jwks["keys"].as_array().unwrap().clone();

    // ---- tokens: (kid, label, token); every one of them is really signed.
    let base = || issuer.token().audience(AUDIENCE);
    let mut tokens: Vec<(String, String, String)> = Vec::new();
    let mut add = |kid: &str, label: &str, token: String| {
        assert!(!token.is_empty(), "{label}");
        tokens.push((kid.to_owned(), label.to_owned(), token));
    };
    for (i, _) in algs.iter().enumerate() {
        let kid = format!("key-{}", i + 1);
        add(
            &kid,
            "basic",
            base()
                .signed_with(&kid)
                .scope("read:data write:data")
                .sign(),
        );
    }
    let k1 = "key-1";
    add(k1, "no-kid", base().without_header("kid").sign());
    add(
        k1,
        "authz-claims",
        base()
            .scope("read:data admin")
            .claim("roles", json!(["admin", "editor"]))
            .claim("permissions", json!(["items:read", "items:edit"]))
            .claim("realm_access", json!({"roles": ["offline_access"]}))
            .claim(
                "resource_access",
                json!({"fuzz-api": {"roles": ["reader"]}}),
            )
            .claim("cognito:groups", json!(["g1"]))
            .claim("https://example.com/roles", json!(["ns"]))
            .sign(),
    );
    add(
        k1,
        "scp-array",
        base().claim("scp", json!(["a", "b"])).sign(),
    );
    add(
        k1,
        "aud-array",
        base().claim("aud", json!(["other", AUDIENCE])).sign(),
    );
    add(k1, "typ-jwt", base().header("typ", json!("JWT")).sign());
    add(
        k1,
        "typ-application",
        base().header("typ", json!("application/at+jwt")).sign(),
    );
    add(k1, "no-typ", base().without_header("typ").sign());
    add(k1, "nbf", base().claim("nbf", json!(MINTED_AT - 10)).sign());
    add(
        k1,
        "fractional-exp",
        base().claim("exp", json!(MINTED_AT as f64 + 3600.5)).sign(),
    );
    add(k1, "expired", base().expires_in(-7200).sign());
    add(
        k1,
        "not-yet-valid",
        base().claim("nbf", json!(MINTED_AT + 7200)).sign(),
    );
    add(
        k1,
        "iat-future",
        base().claim("iat", json!(MINTED_AT + 7200)).sign(),
    );
    add(k1, "no-exp", base().without("exp").sign());
    add(k1, "wrong-aud", base().audience("someone-else").sign());
    add(k1, "no-aud", base().without("aud").sign());
    add(
        k1,
        "wrong-iss",
        base().claim("iss", json!("https://evil.invalid/")).sign(),
    );
    add(k1, "aud-number", base().claim("aud", json!(5)).sign());
    add(k1, "exp-string", base().claim("exp", json!("soon")).sign());
    add(
        k1,
        "roles-mixed",
        base().claim("roles", json!(["a", 1])).sign(),
    );
    add(
        k1,
        "unicode",
        base()
            .subject("\u{1F600}\u{0000}\u{202E}")
            .claim("name", json!("Zoë \u{FFFF}"))
            .sign(),
    );
    add(
        k1,
        "unknown-kid",
        base().header("kid", json!("key-99")).sign(),
    );
    add(
        k1,
        "alg-rs384-header",
        base()
            .header("alg", json!("RS384"))
            .signature_alg(Algorithm::RS256)
            .sign(),
    );
    add(
        "key-2",
        "ps256-key-as-rs256",
        base()
            .signed_with("key-2")
            .header("alg", json!("RS256"))
            .signature_alg(Algorithm::RS256)
            .sign(),
    );
    add(
        "key-3",
        "es256-key-named-key-1",
        base().signed_with("key-3").header("kid", json!(k1)).sign(),
    );
    add(k1, "crit", base().header("crit", json!(["exp"])).sign());
    add(k1, "cty", base().header("cty", json!("JWT")).sign());
    add(
        k1,
        "jku",
        base()
            .header("jku", json!("https://evil.invalid/jwks"))
            .sign(),
    );
    add(
        k1,
        "embedded-jwk",
        base().header("jwk", keys[0].clone()).sign(),
    );
    add(k1, "b64-false", base().header("b64", json!(false)).sign());
    add(k1, "zip", base().header("zip", json!("DEF")).sign());
    add(k1, "typ-id", base().header("typ", json!("id+jwt")).sign());
    add(k1, "kid-number", base().header("kid", json!(1)).sign());
    add(
        k1,
        "kid-long",
        base().header("kid", json!("k".repeat(300))).sign(),
    );
    let raw = |label: &str, header: Value, payload: &[u8]| {
        (
            k1.to_owned(),
            label.to_owned(),
            issuer
                .sign_raw(k1, Algorithm::RS256, &header, payload)
                .unwrap(),
        )
    };
    let claims = format!(
        r#"{{"iss":"{ISSUER}","aud":"{AUDIENCE}","sub":"u","exp":{}}}"#,
        MINTED_AT + 3600
    );
    let kid_header = json!({"alg":"RS256","kid":k1,"typ":"at+jwt"});
    tokens.push(raw("raw-minimal", kid_header.clone(), claims.as_bytes()));
    tokens.push(raw(
        "dup-member",
        kid_header.clone(),
        format!(r#"{{"sub":"a","sub":"b",{}"#, &claims[1..]).as_bytes(),
    ));
    tokens.push(raw("payload-array", kid_header.clone(), b"[1,2,3]"));
    tokens.push(raw("payload-not-json", kid_header.clone(), b"\xff\xfe"));
    tokens.push(raw("payload-empty", kid_header.clone(), b""));
    tokens.push(raw(
        "payload-deep",
        kid_header.clone(),
        format!("{}{}", "[".repeat(200), "]".repeat(200)).as_bytes(),
    ));
    tokens.push(raw(
        "alg-none",
        json!({"alg":"none","kid":k1}),
        claims.as_bytes(),
    ));
    tokens.push(raw(
        "alg-hs256",
        json!({"alg":"HS256","kid":k1}),
        claims.as_bytes(),
    ));
    tokens.push(raw("alg-missing", json!({"kid":k1}), claims.as_bytes()));
    tokens.push(raw("header-array", json!(["RS256"]), claims.as_bytes()));

    // ---- fixtures
    let mut text = String::from(
        "# Every token signed by the seed run (`cargo run --example seed`): kid label token\n",
    );
    for (kid, label, token) in &tokens {
        text.push_str(&format!("{kid} {label} {token}\n"));
    }
    fs::write(root().join("fixtures/tokens.txt"), text).unwrap();
    fs::write(
        root().join("fixtures/jwks.json"),
        serde_json::to_string_pretty(&jwks).unwrap() + "\n",
    )
    .unwrap();

    // ---- verify corpus: each token raw and structured, plus hostile shapes.
    clear("corpus/verify");
    for (_, label, token) in &tokens {
        write("corpus/verify", &format!("raw-{label}"), token.as_bytes());
        if let Some(s) = structured_input(token) {
            write("corpus/verify", &format!("st-{label}"), &s);
        }
    }
    let good = &tokens[0].2;
    let (input, sig) = good.rsplit_once('.').unwrap();
    for (name, bytes) in [
        ("hostile-empty", String::new()),
        ("hostile-abc", "a.b.c".to_owned()),
        ("hostile-jwe", "a.b.c.d.e".to_owned()),
        ("hostile-four", "a.b.c.d".to_owned()),
        ("hostile-dots", ".....".to_owned()),
        ("hostile-padded", format!("{good}==")),
        (
            "hostile-sig-bits",
            format!("{input}.{}B", &sig[..sig.len() - 1]),
        ),
        ("hostile-no-sig", format!("{input}.")),
        (
            "hostile-oversize",
            format!("{input}{}.{sig}", "A".repeat(9000)),
        ),
        ("hostile-space", format!(" {good}")),
    ] {
        write("corpus/verify", name, bytes.as_bytes());
    }

    // ---- jwks corpus: real and odd key sets.
    clear("corpus/jwks");
    let jw = |name: &str, v: Value| write("corpus/jwks", name, v.to_string().as_bytes());
    jw("fixed", jwks.clone());
    for key in &keys {
        jw(
            &format!("single-{}", key["kid"].as_str().unwrap()),
            json!({ "keys": [key] }),
        );
    }
    let mut no_meta = keys[0].clone();
    for m in ["kid", "alg", "use"] {
        no_meta.as_object_mut().unwrap().remove(m);
    }
    jw("rsa-bare", json!({ "keys": [no_meta] }));
    let with = |i: usize, extra: Value| {
        let mut k = keys[i].clone();
        k.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        k
    };
    jw(
        "keycloak-shaped",
        json!({"keys": [keys[0], with(0, json!({"kid":"enc-1","use":"enc","alg":"RSA-OAEP"}))]}),
    );
    jw(
        "entra-shaped",
        json!({"keys": [with(0, json!({"x5t":"abc","x5c":["MIIB"],"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0"}))]}),
    );
    jw("dup-kid-same", json!({"keys": [keys[0], keys[0]]}));
    jw(
        "dup-kid-different",
        json!({"keys": [keys[0], with(1, json!({"kid":"key-1"}))]}),
    );
    jw(
        "private-member",
        json!({"keys": [with(0, json!({"d":"AQAB"}))]}),
    );
    jw(
        "key-ops",
        json!({"keys": [with(2, json!({"key_ops":["verify"]})), with(3, json!({"key_ops":["verify","encrypt"]}))]}),
    );
    jw(
        "oct",
        json!({"keys": [{"kty":"oct","k":"c2VjcmV0","kid":"key-1","alg":"HS256"}, keys[4]]}),
    );
    let n = URL_SAFE_NO_PAD
        .decode(keys[0]["n"].as_str().unwrap())
        .unwrap();
    let mut zero_n = vec![0u8];
    zero_n.extend(&n);
    jw(
        "rsa-leading-zero",
        json!({"keys": [with(0, json!({"n": URL_SAFE_NO_PAD.encode(&zero_n)}))]}),
    );
    jw(
        "rsa-1024",
        json!({"keys": [with(0, json!({"n": URL_SAFE_NO_PAD.encode(&n[..128])}))]}),
    );
    // Boundary sizes of key parameters.
    jw("rsa-tiny-n", json!({"keys": [with(0, json!({"n": "AQ"}))]}));
    jw(
        "rsa-e-9-bytes",
        json!({"keys": [with(0, json!({"e": "AQAAAAAAAAAB"}))]}),
    );
    jw(
        "ec-short-x",
        json!({"keys": [with(2, json!({"x": URL_SAFE_NO_PAD.encode([7u8; 31])}))]}),
    );
    jw(
        "okp-33-bytes",
        json!({"keys": [with(4, json!({"x": URL_SAFE_NO_PAD.encode([7u8; 33])}))]}),
    );
    jw("rsa-e-1", json!({"keys": [with(0, json!({"e": "AQ"}))]}));
    jw(
        "ec-p521",
        json!({"keys": [with(2, json!({"crv":"P-521"}))]}),
    );
    jw(
        "ec-off-curve",
        json!({"keys": [with(2, json!({"y": URL_SAFE_NO_PAD.encode([1u8; 32])}))]}),
    );
    jw(
        "okp-x25519",
        json!({"keys": [with(4, json!({"crv":"X25519"}))]}),
    );
    jw(
        "okp-zero",
        json!({"keys": [with(4, json!({"x": URL_SAFE_NO_PAD.encode([0u8; 32])}))]}),
    );
    jw("empty", json!({"keys": []}));
    jw("keys-null", json!({"keys": null}));
    jw("keys-object", json!({"keys": {"0": keys[0]}}));
    jw("not-objects", json!({"keys": [1, "x", null, [], keys[4]]}));
    jw(
        "unicode-kid",
        json!({"keys": [with(4, json!({"kid":"\u{202E}\u{0000}k\u{1F600}"}))]}),
    );
    write("corpus/jwks", "not-json", b"{\"keys\": [");
    // Structured inputs: the fuzzer mutates the binary key material.
    for key in &keys {
        let kid = key["kid"].as_str().unwrap();
        let alone = structured_jwk_input(key, 0).unwrap();
        let back = axioms_fuzz::jwks_from_input(&alone).unwrap();
        assert_eq!(back["keys"][0], *key, "structured round trip");
        write("corpus/jwks", &format!("st-{kid}"), &alone);
        let among = structured_jwk_input(key, flags::FIXED_AFTER).unwrap();
        write("corpus/jwks", &format!("st-{kid}-then-fixed"), &among);
    }

    // ---- bearer corpus: byte 0 even = one value, odd = two separated by '\n'.
    clear("corpus/bearer");
    let short = &tokens[0].2;
    let one = |name: &str, v: &[u8]| {
        let mut b = vec![0u8];
        b.extend_from_slice(v);
        write("corpus/bearer", name, &b);
    };
    one("token", format!("Bearer {short}").as_bytes());
    for (name, v) in [
        ("lower", &b"bearer abc.def.ghi"[..]),
        ("upper-spaces", b"BEARER    x=="),
        ("padding-only", b"Bearer ==="),
        ("pad-inside", b"Bearer a=b"),
        ("basic", b"Basic dXNlcjpwYXNz"),
        ("dpop", b"DPoP a.b.c"),
        ("scheme-only", b"Bearer"),
        ("scheme-space", b"Bearer "),
        ("tab", b"Bearer\tabc"),
        ("tab-after", b"Bearer \tabc"),
        ("trailing-space", b"Bearer abc "),
        ("two-tokens", b"Bearer a b"),
        ("comma", b"Bearer a, Bearer b"),
        ("quoted", b"Bearer \"abc\""),
        ("obs-text", b"Bearer \xc3\xa9\xff"),
        ("empty", b""),
        ("bearerx", b"Bearerx abc"),
        ("all-chars", b"Bearer aZ09-._~+/=="),
    ] {
        one(name, v);
    }
    let mut two = vec![1u8];
    two.extend_from_slice(b"Bearer a\nBearer a");
    write("corpus/bearer", "two-same", &two);
    let mut two = vec![1u8];
    two.extend_from_slice(b"Basic x\nBearer a");
    write("corpus/bearer", "two-mixed", &two);

    println!(
        "wrote {} tokens, {} keys, corpora in {}",
        tokens.len(),
        keys.len(),
        root().join("corpus").display()
    );
}
