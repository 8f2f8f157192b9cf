//! What the fuzz targets share: the fixed key set and tokens in `fixtures/` (written by
//! `cargo run --example seed`), the verifier's settings, the input encodings and the oracles.
//!
//! `tests/it/fuzz_regressions.rs` (in the main workspace) includes this file as a module, to
//! replay crash inputs exactly as the targets decode them: keep it to `std`, `axioms`,
//! `base64` and `serde_json`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// The `iss` of every seed token and the issuer the `verify` target's verifier expects.
pub const ISSUER: &str = "https://issuer.fuzz.invalid/";
/// The audience of the seed tokens and of the verifier.
pub const AUDIENCE: &str = "fuzz-api";
/// The clock of the seed run: seed tokens have `iat` = this and `exp` = this + 3600.
pub const MINTED_AT: i64 = 1_750_000_000;
/// The verifier's (fixed) clock: one minute after minting, so the seed tokens are valid.
pub const VERIFY_AT: i64 = MINTED_AT + 60;

/// The fixed JWKS (RS256, PS256, ES256, ES384 and EdDSA keys, kids `key-1`…`key-5`).
pub const JWKS_JSON: &str = include_str!("../fixtures/jwks.json");
/// Every token the seed run signed, one per line: `kid label token`.
pub const TOKENS_TXT: &str = include_str!("../fixtures/tokens.txt");

/// The `Authorization` values of a `bearer` input: the first byte's low bit picks one value
/// (0) or two (1); the rest is the value, or the two values separated by `\n` (a byte no field
/// value can hold). `None` for an empty input.
pub fn bearer_values(data: &[u8]) -> Option<Vec<&[u8]>> {
    let (&mode, rest) = data.split_first()?;
    Some(if mode & 1 == 0 {
        vec![rest]
    } else {
        rest.splitn(2, |&b| b == b'\n').collect()
    })
}

/// RFC 6750 §2.1 transcribed: `credentials = "Bearer" 1*SP b64token`, the scheme
/// case-insensitive, exactly one field line.
pub fn bearer_reference<'a>(values: &[&'a [u8]]) -> Result<Option<&'a str>, axioms::Reason> {
    use axioms::Reason;
    let value = match values {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(Reason::MultipleAuthorizationHeaders),
    };
    let (scheme, rest) = match value.iter().position(|&b| b == b' ') {
        Some(i) => value.split_at(i),
        None => (value, &[][..]),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(Reason::NotBearer);
    }
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    let token = &rest[spaces..];
    let padding = token.iter().rev().take_while(|&&b| b == b'=').count();
    let body = &token[..token.len() - padding];
    let b64char = |b: &u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(b);
    if spaces == 0 || body.is_empty() || !body.iter().all(b64char) {
        return Err(Reason::MalformedAuthorization);
    }
    Ok(Some(std::str::from_utf8(token).expect("b64token is ASCII")))
}

/// The first byte of a structured `verify` input (see [`token_from_input`]).
pub const STRUCTURED: u8 = 0;
/// Separates the segments of a structured `verify` input; never part of JSON (not UTF-8).
pub const SEPARATOR: u8 = 0xff;

/// The fixed JWKS, parsed.
pub fn jwks() -> Value {
    serde_json::from_str(JWKS_JSON).expect("fixtures/jwks.json is JSON")
}

/// One signed token of the seed run.
#[derive(Debug, Clone, Copy)]
pub struct SignedToken {
    /// The kid of the key that signed it.
    pub kid: &'static str,
    /// What it is (`basic`, `expired`, …).
    pub label: &'static str,
    /// The compact token.
    pub token: &'static str,
}

/// Every token the seed run signed.
pub fn signed_tokens() -> Vec<SignedToken> {
    TOKENS_TXT
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.splitn(3, ' ');
            Some(SignedToken {
                kid: it.next()?,
                label: it.next()?,
                token: it.next()?,
            })
        })
        .collect()
}

/// The JWS signing input of a compact token: everything before the last `.`.
pub fn signing_input(token: &str) -> &str {
    token.rsplit_once('.').map_or(token, |(input, _)| input)
}

/// The signing inputs of every token the seed run signed: no other input can carry a valid
/// signature of a fixed key, since the private keys are gone.
pub fn known_signing_inputs() -> HashSet<&'static str> {
    signed_tokens()
        .iter()
        .map(|t| signing_input(t.token))
        .collect()
}

/// Turns a `verify` input into a token.
///
/// * Structured: `0x00`, then the header JSON, `0xff`, the payload JSON, `0xff`, the raw
///   signature bytes; each part is base64url-encoded here and joined with dots. The fuzzer
///   then mutates the JSON itself rather than its base64.
/// * Otherwise the input is the compact token itself (UTF-8 or nothing).
pub fn token_from_input(data: &[u8]) -> Option<String> {
    match data.split_first() {
        Some((&STRUCTURED, rest)) => Some(
            rest.splitn(3, |&b| b == SEPARATOR)
                .map(|part| URL_SAFE_NO_PAD.encode(part))
                .collect::<Vec<_>>()
                .join("."),
        ),
        _ => std::str::from_utf8(data).ok().map(str::to_owned),
    }
}

/// The structured `verify` input of a compact token (for seeds), if its three segments decode.
pub fn structured_input(token: &str) -> Option<Vec<u8>> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let mut out = vec![STRUCTURED];
    out.extend(URL_SAFE_NO_PAD.decode(h).ok()?);
    out.push(SEPARATOR);
    out.extend(URL_SAFE_NO_PAD.decode(p).ok()?);
    out.push(SEPARATOR);
    out.extend(URL_SAFE_NO_PAD.decode(s).ok()?);
    Some(out)
}

/// The public key material of a JWK, normalised as axioms compares it (RSA integers without
/// leading zero octets). `None` if a member is missing or not strict base64url.
pub fn key_material(jwk: &Value) -> Option<(String, Vec<Vec<u8>>)> {
    let b64 = |m: &str| URL_SAFE_NO_PAD.decode(jwk.get(m)?.as_str()?).ok();
    let trim = |v: Vec<u8>| v.into_iter().skip_while(|&b| b == 0).collect::<Vec<u8>>();
    let kty = jwk.get("kty")?.as_str()?;
    let crv = jwk.get("crv").and_then(Value::as_str).unwrap_or("");
    let material = match kty {
        "RSA" => vec![trim(b64("n")?), trim(b64("e")?)],
        "EC" => vec![b64("x")?, b64("y")?],
        "OKP" => vec![b64("x")?],
        _ => return None,
    };
    Some((format!("{kty}/{crv}"), material))
}

/// Whether the key set `doc` holds the public key published as `kid` in the fixed JWKS.
pub fn holds_fixed_key(doc: &Value, kid: &str) -> bool {
    let fixed = jwks();
    let Some(wanted) = fixed
        .get("keys")
        .and_then(Value::as_array)
        .and_then(|keys| {
            keys.iter()
                .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
        })
        .and_then(key_material)
    else {
        return false;
    };
    doc.get("keys")
        .and_then(Value::as_array)
        .is_some_and(|keys| keys.iter().any(|k| key_material(k) == Some(wanted.clone())))
}

/// Key types a structured `jwks` input can name.
const KTY: [&str; 4] = ["RSA", "EC", "OKP", "oct"];
/// Curves (index 0: no `crv` member).
const CRV: [&str; 6] = ["", "P-256", "P-384", "P-521", "Ed25519", "X25519"];
/// Algorithms (index 0: no `alg` member).
const ALG: [&str; 14] = [
    "", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
    "HS256", "none", "RSA-OAEP",
];
/// Kids (index 0: no `kid` member).
const KID: [&str; 8] = [
    "", "key-1", "key-2", "key-3", "key-4", "key-5", "other", "\u{0}",
];

/// Flags of a structured `jwks` input.
pub mod flags {
    /// `"use": "sig"`.
    pub const USE_SIG: u8 = 1 << 3;
    /// `"use": "enc"` (wins over `USE_SIG`).
    pub const USE_ENC: u8 = 1 << 4;
    /// `"key_ops": ["verify"]`.
    pub const KEY_OPS_VERIFY: u8 = 1 << 5;
    /// The fixed keys follow the fuzzed one.
    pub const FIXED_AFTER: u8 = 1 << 6;
    /// The fixed keys precede the fuzzed one.
    pub const FIXED_BEFORE: u8 = 1 << 7;
}

/// Turns a `jwks` input into a key set document.
///
/// * Structured: `0x00`, then one byte each choosing `kty`, `crv` and `alg`, a flags byte
///   (low 3 bits: `kid`; the rest: [`flags`]), then two length-prefixed (`u16` LE) binary key
///   parameters (`n`/`e`, `x`/`y`, `x`, or `k`), base64url-encoded here. The fuzzer works on the
///   raw key material, where sizes and leading zeros matter, instead of on its base64.
/// * Otherwise the input is the JSON document; a bare array or a bare key is wrapped.
pub fn jwks_from_input(data: &[u8]) -> Option<Value> {
    let doc = match data.split_first() {
        Some((&STRUCTURED, rest)) => structured_jwks(rest),
        _ => serde_json::from_slice::<Value>(data).ok()?,
    };
    Some(match doc {
        Value::Array(keys) => serde_json::json!({ "keys": keys }),
        Value::Object(ref o) if o.contains_key("kty") => serde_json::json!({ "keys": [doc] }),
        other => other,
    })
}

fn structured_jwks(data: &[u8]) -> Value {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let pick = |table: &[&'static str], b: u8| table[usize::from(b) % table.len()];
    let (kty, crv, alg, fl) = (
        pick(&KTY, byte(0)),
        pick(&CRV, byte(1)),
        pick(&ALG, byte(2)),
        byte(3),
    );
    let mut rest = data.get(4..).unwrap_or(&[]);
    let mut param = || {
        let len = match rest {
            [lo, hi, tail @ ..] => {
                rest = tail;
                usize::from(u16::from_le_bytes([*lo, *hi]))
            }
            _ => {
                rest = &[];
                0
            }
        };
        let (p, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        URL_SAFE_NO_PAD.encode(p)
    };
    let (p1, p2) = (param(), param());
    let mut jwk = serde_json::Map::new();
    jwk.insert("kty".into(), kty.into());
    match kty {
        "RSA" => {
            jwk.insert("n".into(), p1.into());
            jwk.insert("e".into(), p2.into());
        }
        "EC" => {
            jwk.insert("x".into(), p1.into());
            jwk.insert("y".into(), p2.into());
        }
        "OKP" => {
            jwk.insert("x".into(), p1.into());
        }
        _ => {
            jwk.insert("k".into(), p1.into());
        }
    }
    for (name, v) in [("crv", crv), ("alg", alg), ("kid", pick(&KID, fl & 7))] {
        if !v.is_empty() {
            jwk.insert(name.into(), v.into());
        }
    }
    if fl & flags::USE_ENC != 0 {
        jwk.insert("use".into(), "enc".into());
    } else if fl & flags::USE_SIG != 0 {
        jwk.insert("use".into(), "sig".into());
    }
    if fl & flags::KEY_OPS_VERIFY != 0 {
        jwk.insert("key_ops".into(), serde_json::json!(["verify"]));
    }
    let fixed = jwks()
        .get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut keys = Vec::new();
    if fl & flags::FIXED_BEFORE != 0 {
        keys.extend(fixed.iter().cloned());
    }
    keys.push(Value::Object(jwk));
    if fl & flags::FIXED_AFTER != 0 {
        keys.extend(fixed);
    }
    serde_json::json!({ "keys": keys })
}

/// The structured `jwks` input of one JWK (for seeds), with `extra` flags.
pub fn structured_jwk_input(jwk: &Value, extra: u8) -> Option<Vec<u8>> {
    let s = |m: &str| jwk.get(m).and_then(Value::as_str).unwrap_or("");
    let index = |table: &[&str], v: &str| table.iter().position(|t| *t == v).map(|i| i as u8);
    let kid = index(&KID, s("kid"))?;
    let mut out = vec![
        STRUCTURED,
        index(&KTY, s("kty"))?,
        index(&CRV, s("crv"))?,
        index(&ALG, s("alg"))?,
        kid | extra | if s("use") == "sig" { flags::USE_SIG } else { 0 },
    ];
    let (a, b) = match s("kty") {
        "RSA" => ("n", "e"),
        "EC" => ("x", "y"),
        "OKP" => ("x", ""),
        _ => ("k", ""),
    };
    for m in [a, b] {
        let bytes = if m.is_empty() {
            Vec::new()
        } else {
            URL_SAFE_NO_PAD.decode(s(m)).ok()?
        };
        out.extend(u16::try_from(bytes.len()).ok()?.to_le_bytes());
        out.extend(bytes);
    }
    Some(out)
}
