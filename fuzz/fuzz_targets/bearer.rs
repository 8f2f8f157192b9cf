//! `axioms::__private::bearer_token` on one or two `Authorization` field values built from the input
//! (see `axioms_fuzz::bearer_values`), checked against a direct transcription of the
//! RFC 6750 §2.1 grammar (`axioms_fuzz::bearer_reference`).
#![no_main]

use axioms::__private::bearer_token;
use axioms_fuzz::{bearer_reference, bearer_values};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(values) = bearer_values(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for v in &values {
        // Bytes no HTTP field value can hold never reach axioms.
        let Ok(value) = HeaderValue::from_bytes(v) else {
            return;
        };
        headers.append(AUTHORIZATION, value);
    }
    // Unrelated fields must not matter.
    headers.append("x-authorization", HeaderValue::from_static("Bearer decoy"));

    let got = bearer_token(&headers);
    assert_eq!(got, bearer_reference(&values), "values: {values:?}");

    if let Ok(Some(token)) = got {
        // What axioms returns is a b64token that parses back to itself.
        let mut again = HeaderMap::new();
        again.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}")).expect("a b64token is a field value"),
        );
        assert_eq!(bearer_token(&again), Ok(Some(token)));
    }
});
