//! Reading credentials from the request (RFC 6750 §2.1): the `Authorization` header's grammar —
//! a case-insensitive scheme, one header, one b64token, never the query string — alike for
//! `Claims` and `Option<Claims>`; the token size limit; hostile values; and the opt-in token
//! sources: a cookie (a backend-for-frontend, with its CSRF rule: a state-changing request
//! counts only from an allowed `Origin`) or a gateway's header.

use axioms::testing::TestIssuer;
use axioms::{ConfigBuilder, protected};
use axum::Router;
use axum::routing::get;
use http::header::AUTHORIZATION;
use http::{HeaderValue, StatusCode};
use serde_json::json;

use crate::common::apps::me;
use crate::common::fixture::{
    AUD, BARE, Fixture, INVALID_TOKEN, SUB, assert_invalid_request, assert_invalid_token,
    assert_missing_token, assert_no_leak, assert_too_large, b64, segments,
};
use crate::common::{Req, Resp, Want, expect, issuer_with_verifier, req, send, token, verifier};

// ---------------------------------------------------------------------------------------------
// The Authorization header (RFC 6750 §2.1)

#[tokio::test]
async fn no_credentials_get_a_bare_challenge() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();

    let r = send(&fx.app, req("GET", "/")).await;
    assert_missing_token(&r, "no Authorization header");
    assert_eq!(
        r.json()["error_description"],
        "a bearer access token is required",
        "no header"
    );

    for (case, value) in [
        ("Basic scheme", "Basic dXNlcjpwYXNz".to_owned()),
        ("Digest scheme", "Digest username=\"u\"".to_owned()),
        ("DPoP scheme with a real token", format!("DPoP {token}")),
        ("scheme glued to token", format!("Bearer{token}")),
        ("empty header", String::new()),
    ] {
        let r = send(&fx.app, req("GET", "/").authorization(&value)).await;
        assert_missing_token(&r, case);
        assert_no_leak(&r, &token, case);
    }
}

#[tokio::test]
async fn scheme_is_case_insensitive() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = send(
            &fx.app,
            req("GET", "/").authorization(&format!("{scheme} {token}")),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "scheme {scheme}: {r:?}");
        assert_eq!(r.body, SUB, "scheme {scheme}");
    }
    let r = send(
        &fx.app,
        req("GET", "/").authorization(&format!("Bearer    {token}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "several spaces: {r:?}");
}

#[tokio::test]
async fn two_authorization_headers_are_a_bad_request() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let r = send(&fx.app, req("GET", "/").bearer(&token).bearer(&token)).await;
    assert_invalid_request(&r, "two identical valid bearer headers");
    assert_no_leak(&r, &token, "two headers");

    let r = send(
        &fx.app,
        req("GET", "/")
            .bearer(&token)
            .authorization("Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_invalid_request(&r, "bearer + basic");

    let r = send(
        &fx.app,
        req("GET", "/optional").bearer(&token).bearer(&token),
    )
    .await;
    assert_invalid_request(&r, "Option<Claims> with two headers");
}

#[tokio::test]
async fn malformed_bearer_credentials_are_a_bad_request() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let cases: Vec<(&str, String)> = vec![
        ("scheme only", "Bearer".into()),
        ("scheme and a space", "Bearer ".into()),
        ("comma in token", "Bearer a,b".into()),
        ("space inside token", "Bearer abc def".into()),
        ("quote in token", "Bearer abc\"".into()),
        ("padding inside the token", "Bearer a=b.c.d".into()),
        ("padding only", "Bearer ===".into()),
        ("tab before token", "Bearer \tabc".into()),
        ("trailing space", format!("Bearer {token} ")),
        ("two tokens", format!("Bearer {token} {token}")),
        ("percent-encoding", "Bearer a%2Eb".into()),
        ("query-style", format!("Bearer access_token={token}")),
    ];
    for (case, value) in cases {
        let r = send(&fx.app, req("GET", "/").authorization(&value)).await;
        assert_invalid_request(&r, case);
        assert_no_leak(&r, &token, case);
    }
    // A header may hold obs-text bytes; a token may not.
    let r = send(
        &fx.app,
        req("GET", "/").header(AUTHORIZATION, b"Bearer abc\xe9def"),
    )
    .await;
    assert_invalid_request(&r, "obs-text byte");
    assert_no_leak(&r, &token, "obs-text byte");
}

#[tokio::test]
async fn bearer_with_a_tab_is_a_malformed_request() {
    let (issuer, axioms) = issuer_with_verifier("api").await;
    let good = token(&issuer, "api", json!({}));
    let app = Router::new().route("/me", get(me)).with_state(axioms);
    for value in [
        format!("Bearer\t{good}"),
        format!("bearer\t\t{good}"),
        format!("Bearer \t{good}"),
        format!("Bearer,{good}"),
    ] {
        let r = send(&app, req("GET", "/me").authorization(&value)).await;
        expect(&r, Want::InvalidRequest);
    }
    // Another scheme is still "no credentials".
    let r = send(&app, req("GET", "/me").authorization("Basic dXNlcjpwYXNz")).await;
    expect(&r, Want::Anonymous);
}

#[tokio::test]
async fn token_in_query_string_is_never_read() {
    let fx = Fixture::new().await;
    let token = fx.issuer.token().sign();
    let r = send(&fx.app, req("GET", &format!("/?access_token={token}"))).await;
    assert_missing_token(&r, "access_token in query, required route");
    assert_no_leak(&r, &token, "query");

    let r = send(
        &fx.app,
        req("GET", &format!("/optional?access_token={token}")),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "optional route: {r:?}");
    assert_eq!(
        r.body, "anonymous",
        "query token must not sign the caller in"
    );
}

#[tokio::test]
async fn optional_claims() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let expired = fx.issuer.token().expires_in(-3600).sign();

    let r = send(&fx.app, req("GET", "/optional")).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "anonymous"),
        "no header"
    );

    let r = send(
        &fx.app,
        req("GET", "/optional").authorization("Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "anonymous"),
        "basic"
    );

    let r = send(&fx.app, req("GET", "/optional").bearer(&good)).await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "user:user-1"),
        "valid"
    );

    let r = send(&fx.app, req("GET", "/optional").bearer(&expired)).await;
    assert_invalid_token(&r, "Option<Claims> with an expired token");

    let r = send(&fx.app, req("GET", "/optional").bearer("not-a-jwt")).await;
    assert_invalid_token(&r, "Option<Claims> with garbage");

    let r = send(&fx.app, req("GET", "/optional").authorization("Bearer a,b")).await;
    assert_invalid_request(&r, "Option<Claims> with a malformed header");
}

#[tokio::test]
async fn token_size_limit() {
    let fx = Fixture::new().await;
    let limit = axioms::defaults::MAX_TOKEN_BYTES;
    // Every token of this shape has the same length for the same pad (RSA signatures are
    // fixed-size), so find the pads around the limit.
    let base = fx.issuer.token().claim("pad", json!("")).sign().len();
    let estimate = (limit - base) * 3 / 4;
    let mut fits = None;
    let mut too_big = None;
    for n in estimate - 8..estimate + 8 {
        let token = fx.issuer.token().claim("pad", json!("x".repeat(n))).sign();
        if token.len() <= limit {
            fits = Some(token);
        } else if too_big.is_none() {
            too_big = Some(token);
        }
    }
    let fits = fits.expect("a token at the limit");
    let too_big = too_big.expect("a token over the limit");
    assert!(fits.len() > limit - 7, "{}", fits.len());
    assert!(too_big.len() < limit + 8, "{}", too_big.len());
    fx.accepts(&fits, &format!("{} bytes", fits.len())).await;
    fx.rejects_too_large(&too_big).await;
    let huge = fx
        .issuer
        .token()
        .claim("pad", json!("x".repeat(60_000)))
        .sign();
    fx.rejects_too_large(&huge).await;
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next().to_le_bytes()[0]).collect()
    }

    /// Bytes that may appear in a header value: HTAB, SP–`~`, obs-text.
    fn header_bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                loop {
                    let b = self.next().to_le_bytes()[0];
                    if b == b'\t' || (b >= 0x20 && b != 0x7f) {
                        break b;
                    }
                }
            })
            .collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Where `other` differs from `good`: segment, offset and characters.
fn describe_difference(good: &str, other: &str) -> String {
    if good == other {
        return "identical".to_owned();
    }
    let at = good
        .bytes()
        .zip(other.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(good.len().min(other.len()));
    let segment = good[..at].matches('.').count();
    let segment_len = segments(good).get(segment).map_or(0, |s| s.len());
    format!(
        "lengths {} vs {}; first difference at byte {at} (segment {segment} of length \
         {segment_len}, {} bytes from its end): {:?} vs {:?}",
        good.len(),
        other.len(),
        good[at..].split('.').next().map_or(0, str::len),
        good.get(at..=at),
        other.get(at..=at),
    )
}

const B64TOKEN: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/";

#[tokio::test]
async fn hostile_authorization_values_never_cause_a_server_error() {
    let fx = Fixture::new().await;
    let good = fx.issuer.token().sign();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let headers_json: Vec<String> = vec![
        r#"{"alg":"RS256","kid":"key-1"}"#.into(),
        r#"{"alg":"RS256","kid":"key-1","typ":"at+jwt"}"#.into(),
        r#"{"alg":"RS256"}"#.into(),
        r#"{"alg":"none"}"#.into(),
        r#"{"alg":"HS256","kid":"key-1"}"#.into(),
        r#"{"alg":"ES256","kid":"key-1"}"#.into(),
        r#"{"alg":"EdDSA"}"#.into(),
        r#"{"alg":123}"#.into(),
        r#"{"alg":"RS256","kid":{"a":1}}"#.into(),
        r#"{"alg":"RS256","kid":"key-1","crit":["b64"],"b64":false}"#.into(),
        r#"{}"#.into(),
        r#"[]"#.into(),
        r#"null"#.into(),
        r#"{"alg":"RS256","kid":"\u0000"}"#.into(),
        format!(
            r#"{{"alg":"RS256","x":{}0{}}}"#,
            "[".repeat(500),
            "]".repeat(500)
        ),
        format!(r#"{{"alg":"RS256","kid":"{}"}}"#, "é".repeat(200)),
    ];

    let bearer = |token: &str| HeaderValue::try_from(format!("Bearer {token}")).unwrap();
    let mut values: Vec<HeaderValue> = Vec::new();
    // Random header-safe bytes, with and without the scheme.
    for _ in 0..120 {
        let n = rng.below(300);
        let mut v = rng.header_bytes(n);
        if rng.below(2) == 0 {
            let mut with = b"Bearer ".to_vec();
            with.append(&mut v);
            v = with;
        }
        values.push(HeaderValue::from_bytes(&v).unwrap());
    }
    // Random b64token characters (often reaching the verifier).
    for _ in 0..80 {
        let n = 1 + rng.below(400);
        let token: String = (0..n).map(|_| char::from(*rng.pick(B64TOKEN))).collect();
        values.push(bearer(&token));
    }
    // Dots and near-empty shapes.
    for v in [
        "Bearer .",
        "Bearer ..",
        "Bearer ...",
        "Bearer ....",
        "Bearer .....",
        "Bearer a.b.c",
        "Bearer a.b.c.d.e",
        "Bearer ~.~.~",
        "Bearer =",
        "Bearer a=",
        "Bearer .=",
        "Bearer -",
        "Bearer _._._",
        "Bearer +/+/.+/+/.+/+/",
        "Bearer\t",
        "\tBearer x",
        " Bearer x",
        "Bearer  ",
        "bearer",
        "BEARER=",
        "Bearer,",
        "Bearer a.b.c,Bearer d.e.f",
    ] {
        values.push(HeaderValue::from_static(v));
    }
    // Three segments of random base64url.
    for _ in 0..80 {
        let mut segs = Vec::new();
        for _ in 0..3 {
            let n = rng.below(200);
            segs.push(b64(rng.bytes(n)));
        }
        let token = segs.join(".");
        if token.starts_with('.') || token.ends_with('.') {
            values.push(bearer(&format!("x{token}x")));
        } else {
            values.push(bearer(&token));
        }
    }
    // Plausible headers, random payloads and signatures.
    for _ in 0..80 {
        let header = rng.pick(&headers_json).clone();
        let payload = match rng.below(3) {
            0 => {
                let n = 1 + rng.below(100);
                b64(rng.bytes(n))
            }
            1 => segments(&good)[1].to_owned(),
            _ => b64(json!({"iss": fx.issuer.issuer(), "aud": AUD, "exp": rng.next()}).to_string()),
        };
        let sig = match rng.below(3) {
            0 => {
                let n = 1 + rng.below(600);
                b64(rng.bytes(n))
            }
            1 => segments(&good)[2].to_owned(),
            _ => "A".to_owned(),
        };
        let token = format!("{}.{payload}.{sig}", b64(header));
        if token != good {
            values.push(bearer(&token));
        }
    }
    // The real token, mutated and truncated.
    for _ in 0..60 {
        let mut bytes = good.clone().into_bytes();
        let i = rng.below(bytes.len());
        let replacement = *rng.pick(B64TOKEN);
        if bytes[i] == replacement {
            continue;
        }
        bytes[i] = replacement;
        values.push(bearer(&String::from_utf8(bytes).unwrap()));
        let cut = rng.below(good.len());
        values.push(HeaderValue::try_from(format!("Bearer {}", &good[..cut])).unwrap());
    }
    // Very long values.
    for n in [8_191, 8_192, 8_193, 20_000, 100_000] {
        values.push(bearer(&"A".repeat(n)));
        values.push(bearer(&"a.".repeat(n / 2)));
        values.push(HeaderValue::try_from(format!("Bearer {}", "=".repeat(n))).unwrap());
        values.push(HeaderValue::try_from("x".repeat(n)).unwrap());
        values.push(HeaderValue::from_bytes(&rng.header_bytes(n)).unwrap());
    }
    assert!(values.len() > 400, "{}", values.len());

    for (i, value) in values.iter().enumerate() {
        let case = format!(
            "hostile value #{i}: {:?}",
            String::from_utf8_lossy(&value.as_bytes()[..value.len().min(80)])
        );
        let r = send(&fx.app, req("GET", "/").header(AUTHORIZATION, value)).await;
        match r.status {
            StatusCode::BAD_REQUEST => assert_invalid_request(&r, &case),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => assert_too_large(&r, &case),
            StatusCode::UNAUTHORIZED => {
                assert!(
                    r.www() == Some(BARE) || r.www() == Some(INVALID_TOKEN),
                    "{case}: {r:?}"
                );
            }
            other => {
                let diff = value
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .map(|v| describe_difference(&good, v));
                panic!("{case}: status {other}: {r:?}; versus the genuine token: {diff:?}")
            }
        }
        assert!(r.dump().len() < 2_000, "{case}: response too large");
        // Also straight through the verifier (not only the HTTP path).
        if let Ok(s) = value.to_str() {
            assert!(fx.axioms.verify(s).await.is_err(), "{case}");
        }
    }

    // The verifier is still healthy afterwards.
    fx.accepts(&good, "good token after the barrage").await;
}

// ---------------------------------------------------------------------------------------------
// A cookie or a gateway's header, opt-in

const RESOURCE: &str = "https://api.example.com";
const COOKIE: &str = "__Host-access_token";

#[protected(scopes = any("read:data"))]
async fn read() -> &'static str {
    "orders"
}

#[protected(scopes = any("write:data"))]
async fn write() -> (http::StatusCode, &'static str) {
    (http::StatusCode::CREATED, "created")
}

async fn fixture(
    configure: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
) -> (TestIssuer, Router, String) {
    let issuer = TestIssuer::start().await;
    let axioms = verifier(configure(issuer.config(RESOURCE).resource(RESOURCE)));
    let app = Router::new()
        .route("/orders", get(read).post(write))
        .with_state(axioms);
    let token = issuer
        .token()
        .audience(RESOURCE)
        .scope("read:data write:data")
        .sign();
    (issuer, app, token)
}

#[track_caller]
fn refused(r: &Resp, what: &str) {
    assert_eq!(r.status, 400, "{what}: {r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_request"), "{what}");
}

#[tokio::test]
async fn a_token_cookie_reads_like_a_header_and_guards_against_csrf() {
    let (_issuer, app, token) = fixture(|c| c.token_cookie(COOKIE)).await;
    let cookie = |r: Req| r.header("cookie", format!("theme=dark; {COOKIE}={token}; lang=en"));

    let r = send(&app, cookie(req("GET", "/orders"))).await;
    assert_eq!(
        (r.status.as_u16(), r.body.as_str()),
        (200, "orders"),
        "{r:?}"
    );
    // Another cookie with UTF-8 in it does not hide the token cookie.
    let r = send(
        &app,
        req("GET", "/orders").header(
            "cookie",
            [
                b"name=J\xc3\xa9r\xc3\xb4me; ".as_slice(),
                format!("{COOKIE}={token}").as_bytes(),
            ]
            .concat(),
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    // HTTP/2 sends one field line per cookie.
    let r = send(
        &app,
        req("GET", "/orders")
            .header("cookie", "theme=dark")
            .header("cookie", format!("{COOKIE}={token}")),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");

    // State-changing requests: only from the allowed origin (default: the resource's).
    let post = || cookie(req("POST", "/orders"));
    refused(&send(&app, post()).await, "no Origin");
    for origin in [
        "https://evil.example",
        "http://api.example.com",
        "null",
        "https://api.example.com.evil.example",
    ] {
        refused(&send(&app, post().header("origin", origin)).await, origin);
    }
    refused(
        &send(
            &app,
            post()
                .header("origin", RESOURCE)
                .header("origin", "https://evil.example"),
        )
        .await,
        "two Origins",
    );
    let r = send(&app, post().header("origin", RESOURCE)).await;
    assert_eq!(r.status, 201, "{r:?}");
    let r = send(&app, post().header("origin", "https://API.example.com:443")).await;
    assert_eq!(r.status, 201, "the same origin, spelt otherwise: {r:?}");
    let r = send(&app, post().header("origin", RESOURCE)).await;
    assert!(r.body.contains("created"));
    let refusal = send(&app, post()).await;
    assert!(
        refusal.body.contains("allowed Origin"),
        "the description says why: {}",
        refusal.body
    );

    // A header token is not sent by the browser on its own: no Origin needed.
    let r = send(&app, req("POST", "/orders").bearer(&token)).await;
    assert_eq!(r.status, 201, "{r:?}");
    // `Authorization` comes first; the cookie is then not read at all.
    let r = send(
        &app,
        req("GET", "/orders")
            .bearer(&token)
            .header("cookie", format!("{COOKIE}=not a token")),
    )
    .await;
    assert_eq!(r.status, 200, "{r:?}");
    // Two cookies of that name (a sibling subdomain can set one): refused, not picked from.
    let r = send(
        &app,
        req("GET", "/orders").header("cookie", format!("{COOKIE}={token}; {COOKIE}=other")),
    )
    .await;
    refused(&r, "two token cookies");
    let r = send(
        &app,
        req("GET", "/orders").header("cookie", format!("{COOKIE}=a b")),
    )
    .await;
    refused(&r, "not a token");
    // A broken token in the cookie is a broken token.
    let r = send(
        &app,
        req("GET", "/orders").header("cookie", format!("{COOKIE}=a.b.c")),
    )
    .await;
    assert_eq!(r.status, 401, "{r:?}");
    assert_eq!(r.error().as_deref(), Some("invalid_token"));
}

#[tokio::test]
async fn cookie_origins_are_configured_and_checked_at_startup() {
    let (_issuer, app, token) = fixture(|c| {
        c.token_cookie(COOKIE)
            .cookie_origins(["https://app.example.com", "http://127.0.0.1:5173"])
    })
    .await;
    let post = |origin: &str| {
        req("POST", "/orders")
            .header("cookie", format!("{COOKIE}={token}"))
            .header("origin", origin)
    };
    assert_eq!(
        send(&app, post("https://app.example.com")).await.status,
        201
    );
    assert_eq!(send(&app, post("http://127.0.0.1:5173")).await.status, 201);
    refused(
        &send(&app, post(RESOURCE)).await,
        "the resource is not listed now",
    );

    let issuer = TestIssuer::start().await;
    for (what, builder, setting) in [
        (
            "a cookie without origins or resource",
            issuer.config("api").token_cookie(COOKIE),
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
        ),
        (
            "origins without a cookie",
            issuer
                .config("api")
                .cookie_origins(["https://app.example.com"]),
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
        ),
        (
            "a cookie name with a space",
            issuer
                .config("api")
                .token_cookie("access token")
                .cookie_origins(["https://a.example"]),
            "AXIOMS_TOKEN_COOKIE",
        ),
        (
            "an http origin",
            issuer
                .config("api")
                .token_cookie(COOKIE)
                .cookie_origins(["http://app.example.com"]),
            "AXIOMS_TOKEN_COOKIE_ORIGINS",
        ),
        (
            "the Authorization header as the token header",
            issuer.config("api").token_header("Authorization"),
            "AXIOMS_TOKEN_HEADER",
        ),
    ] {
        let err = builder.build().unwrap_err();
        assert_eq!(err.setting(), setting, "{what}: {err}");
    }
}

#[tokio::test]
async fn a_gateway_header_carries_the_bare_token() {
    let (_issuer, app, token) = fixture(|c| c.token_header("X-Access-Token")).await;
    let r = send(
        &app,
        req("POST", "/orders").header("x-access-token", &token),
    )
    .await;
    assert_eq!(r.status, 201, "{r:?}");
    for (what, request) in [
        (
            "twice",
            req("GET", "/orders")
                .header("x-access-token", &token)
                .header("x-access-token", &token),
        ),
        (
            "with a scheme",
            req("GET", "/orders").header("x-access-token", format!("Bearer {token}")),
        ),
    ] {
        refused(&send(&app, request).await, what);
    }
}

#[tokio::test]
async fn without_configuration_cookies_and_other_headers_are_not_read() {
    let (_issuer, app, token) = fixture(|c| c).await;
    for request in [
        req("GET", "/orders").header("cookie", format!("{COOKIE}={token}")),
        req("GET", "/orders").header("x-access-token", &token),
    ] {
        let r = send(&app, request).await;
        assert_eq!(r.status, 401, "{r:?}");
        assert!(
            !r.www().unwrap().contains("error="),
            "no credentials: {r:?}"
        );
    }
}
