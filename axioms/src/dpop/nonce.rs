//! Server nonces (RFC 9449 §9), stateless: the nonce of a time step is the HMAC-SHA256 of
//! the step under the configured secret. Every instance that shares the secret issues and
//! accepts the same nonces, with nothing shared at run time.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of a time step, in seconds.
const STEP_SECS: i64 = 60;
/// Steps back a nonce stays valid: the current one and two before it (2 to 3 minutes).
const STEPS_VALID: i64 = 2;

fn nonce_of(key: &hmac::Key, step: i64) -> String {
    let mut input = Vec::with_capacity(24);
    input.extend_from_slice(b"axioms dpop nonce");
    input.extend_from_slice(&step.to_be_bytes());
    URL_SAFE_NO_PAD.encode(hmac::sign(key, &input))
}

/// The nonce to hand out now.
pub(crate) fn current(key: &hmac::Key, now: i64) -> String {
    nonce_of(key, now.div_euclid(STEP_SECS))
}

/// Whether `nonce` was issued by this secret in the last `STEPS_VALID` steps; compared in
/// constant time.
pub(crate) fn is_valid(key: &hmac::Key, nonce: &str, now: i64) -> bool {
    let step = now.div_euclid(STEP_SECS);
    let mut ok = false;
    for back in 0..=STEPS_VALID {
        let expected = nonce_of(key, step - back);
        ok |= aws_lc_rs::constant_time::verify_slices_are_equal(
            expected.as_bytes(),
            nonce.as_bytes(),
        )
        .is_ok();
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_two_to_three_minutes() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &[1; 32]);
        let other = hmac::Key::new(hmac::HMAC_SHA256, &[2; 32]);
        let issued = current(&key, 6_000);
        assert!(is_valid(&key, &issued, 6_000));
        assert!(is_valid(&key, &issued, 6_000 + 179));
        assert!(!is_valid(&key, &issued, 6_000 + 180));
        assert!(!is_valid(&other, &issued, 6_000));
        assert!(!is_valid(&key, "", 6_000));
        // Nonces are NQCHAR (RFC 9449 §8.1): base64url is.
        assert!(
            issued
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
}
