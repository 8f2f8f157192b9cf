//! The signature floor without key parsing, shared by the criterion rows and the callgrind
//! harness: a JWK parsed once by aws-lc-rs (not a bench target of its own).

/// The JWK parsed once by aws-lc-rs for `alg`: what a verifier that keeps its keys parsed
/// verifies with.
pub(crate) fn parsed_key(
    jwk: &serde_json::Value,
    alg: &str,
) -> aws_lc_rs::signature::ParsedPublicKey {
    use aws_lc_rs::encoding::AsDer as _;
    use aws_lc_rs::signature as sig;
    use base64::Engine as _;
    let b64 = |member: &str| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(jwk[member].as_str().unwrap())
            .unwrap()
    };
    let (algorithm, bytes): (&'static dyn sig::VerificationAlgorithm, Vec<u8>) = match alg {
        "RS256" | "PS256" => {
            let spki = aws_lc_rs::rsa::PublicKeyComponents {
                n: b64("n"),
                e: b64("e"),
            }
            .as_der()
            .unwrap();
            let algorithm: &'static dyn sig::VerificationAlgorithm = if alg == "RS256" {
                &sig::RSA_PKCS1_2048_8192_SHA256
            } else {
                &sig::RSA_PSS_2048_8192_SHA256
            };
            (algorithm, spki.as_ref().to_vec())
        }
        "ES256" => {
            let mut point = vec![0x04];
            point.extend(b64("x"));
            point.extend(b64("y"));
            (&sig::ECDSA_P256_SHA256_FIXED, point)
        }
        _ => (&sig::ED25519, b64("x")),
    };
    sig::ParsedPublicKey::new(algorithm, &bytes).unwrap()
}
