//! `axioms::Axioms` against oidc-provider directly: its tokens verify in strict RFC 9068 mode,
//! altered ones do not, the issuer must match exactly; and an RSA key published without `alg`
//! that signs PS256.

use std::time::Duration;

use axioms::{Algorithm, Axioms, Config, Issuer, Reason, TokenType};
use serde_json::json;

use crate::common::process::node_dir;
use crate::common::ready;
use crate::common::req;

use super::{
    ES_CLIENT, OTHER_RESOURCE, PACKAGES, PS_CLIENT, Provider, RESOURCE, RS_CLIENT, header,
    with_bad_signature, with_header, with_payload,
};

#[tokio::test(flavor = "multi_thread")]
async fn axioms_verifies_provider_tokens_directly() {
    let Some(dir) = node_dir(
        "oidc",
        &PACKAGES,
        "axioms_verifies_provider_tokens_directly",
    ) else {
        return;
    };
    let provider = Provider::start(&dir);
    // Strict RFC 9068: oidc-provider's access tokens carry every required claim and `at+jwt`.
    let axioms = ready(Config::builder(
        Issuer::builder()
            .issuer(provider.issuer())
            .audience(RESOURCE)
            .discovery(true)
            .token_type(TokenType::Rfc9068),
    ))
    .await;
    assert_eq!(axioms.key_count(), 2, "RS256 and ES256");

    for (client, scope) in [
        (RS_CLIENT, "read:data write:data"),
        (ES_CLIENT, "admin read:data"),
    ] {
        let token = provider.token(client, RESOURCE, scope).await;
        let claims = axioms
            .verify(&token)
            .await
            .unwrap_or_else(|e| panic!("{} token refused: {}", client.id, e.reason()));
        assert_eq!(claims.subject(), Some(client.id));
        assert_eq!(claims.client_id(), Some(client.id));
        assert_eq!(claims.issuer(), Some(provider.issuer()));
        assert_eq!(claims.audience(), [Box::from(RESOURCE)]);
        let mut scopes: Vec<&str> = claims.scopes().iter().map(AsRef::as_ref).collect();
        scopes.sort_unstable();
        let mut want: Vec<&str> = scope.split(' ').collect();
        want.sort_unstable();
        assert_eq!(scopes, want);
    }
    let token = provider.token(ES_CLIENT, RESOURCE, "admin").await;
    let claims = axioms.verify(&token).await.unwrap();
    assert!(claims.has_role("admin") && claims.has_permission("resource:create"));

    let other = provider.token(RS_CLIENT, OTHER_RESOURCE, "read:data").await;
    let refused = |token: String, reason: Reason| {
        let axioms = axioms.clone();
        async move {
            let err = axioms.verify(&token).await.err();
            assert_eq!(err.map(|e| e.reason()), Some(reason), "{token}");
        }
    };
    refused(other, Reason::AudienceMismatch).await;
    refused(with_bad_signature(&token), Reason::InvalidSignature).await;
    refused(
        with_payload(&token, |c| c["sub"] = json!("someone-else")),
        Reason::InvalidSignature,
    )
    .await;
    refused(
        with_header(&token, |h| h["typ"] = json!("JWT")),
        Reason::InvalidType,
    )
    .await;

    // The issuer must match the provider's exactly: with a trailing slash, discovery is
    // refused (the document names `http://127.0.0.1:PORT`), so no key is ever loaded.
    let slash = Config::builder(
        Issuer::builder()
            .issuer(format!("{}/", provider.issuer()))
            .audience(RESOURCE)
            .discovery(true),
    )
    .build()
    .unwrap();
    let slash = Axioms::new(slash).unwrap();
    assert!(!slash.ready(Duration::from_secs(2)).await);
    let err = slash.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::KeysUnavailable);
}

/// oidc-provider signing PS256 with an RSA key published without `alg` (FAPI-style): refused
/// by default with the mismatch named, accepted with `rsa_key_alg(PS256)`.
#[tokio::test(flavor = "multi_thread")]
async fn alg_less_ps256_keys_of_a_real_provider() {
    let Some(dir) = node_dir("oidc", &PACKAGES, "alg_less_ps256_keys_of_a_real_provider") else {
        return;
    };
    let provider = Provider::start_with(&dir, 0, &["--alg-less-ps256"]);
    let token = provider.token(PS_CLIENT, RESOURCE, "read:data").await;
    assert_eq!(header(&token)["alg"], "PS256");
    let kid = header(&token)["kid"].as_str().unwrap().to_owned();
    let jwks = provider.api.send(req("GET", "/jwks")).await.json();
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap();
    assert!(
        key.get("alg").is_none(),
        "the signing key has no alg: {key}"
    );

    let config = |rsa_alg: Option<Algorithm>| {
        let issuer = Issuer::builder()
            .issuer(provider.issuer())
            .audience(RESOURCE)
            .discovery(true);
        let issuer = match rsa_alg {
            Some(alg) => issuer.rsa_key_alg(alg),
            None => issuer,
        };
        Config::builder(issuer).build().unwrap()
    };
    let default = Axioms::new(config(None)).unwrap();
    let err = default.verify(&token).await.unwrap_err();
    assert_eq!(err.reason(), Reason::AlgorithmKeyMismatch);
    let configured = Axioms::new(config(Some(Algorithm::PS256))).unwrap();
    let claims = configured.verify(&token).await.unwrap();
    assert_eq!(claims.subject(), Some(PS_CLIENT.id));
    // The provider's RS256 and ES256 tokens still verify: keys that name their alg keep it.
    for client in [RS_CLIENT, ES_CLIENT] {
        let token = provider.token(client, RESOURCE, "read:data").await;
        assert!(configured.verify(&token).await.is_ok(), "{}", client.id);
    }
}
