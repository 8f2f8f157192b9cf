//! Certificate-bound access tokens (RFC 8705 §3) with axioms terminating TLS itself: a real
//! TLS listener (`axioms::mtls::serve`, rustls) with certificates made here (rcgen), and a
//! real client (reqwest) with the bound certificate, another one, and none.

use std::sync::Arc;

use axioms::mtls::ClientCertificate;
use axioms::mtls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use axioms::mtls::rustls::server::WebPkiClientVerifier;
use axioms::mtls::rustls::{RootCertStore, ServerConfig};
use axioms::testing::TestIssuer;
use axioms::{Claims, protected};
use axum::Router;
use axum::routing::get;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::common::verifier;

#[protected(scopes = any("read:data"))]
async fn orders() -> &'static str {
    "orders"
}

async fn certificate(cert: Option<axum::Extension<ClientCertificate>>) -> String {
    cert.map(|c| c.thumbprint()).unwrap_or_default()
}

struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
    /// (certificate DER, certificate + key PEM)
    clients: Vec<(Vec<u8>, String)>,
}

fn pki(clients: &[&str]) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name
        .push(DnType::CommonName, "axioms test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let ca_pem = ca_cert.pem();
    let ca_der = ca_cert.der().clone();
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    let server = (
        server_cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    );
    let clients = clients
        .iter()
        .map(|name| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.distinguished_name.push(DnType::CommonName, *name);
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            let cert = params.signed_by(&key, &issuer).unwrap();
            (
                cert.der().to_vec(),
                format!("{}{}", cert.pem(), key.serialize_pem()),
            )
        })
        .collect();
    Pki {
        ca_pem,
        ca_der,
        server,
        clients,
    }
}

/// Serves `app` over TLS on 127.0.0.1, client certificates optional; returns the base URL.
async fn serve_tls(pki: &Pki, app: Router) -> String {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
        .allow_unauthenticated()
        .build()
        .unwrap();
    let tls = ServerConfig::builder()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server.0.clone()], pki.server.1.clone_key())
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axioms::mtls::serve(
        listener,
        Arc::new(tls),
        app,
        std::future::pending(),
    ));
    format!("https://127.0.0.1:{}", addr.port())
}

fn client(pki: &Pki, identity: Option<&str>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_secs(10))
        .tls_certs_only([reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap()]);
    if let Some(pem) = identity {
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_certificate_bound_token_works_only_on_a_connection_with_its_certificate() {
    let pki = pki(&["client-1", "client-2"]);
    let issuer = TestIssuer::start().await;
    let axioms = verifier(issuer.config("api"));
    let app = Router::new()
        .route("/orders", get(orders))
        .route(
            "/me",
            get(|claims: Claims| async move { claims.subject().unwrap_or_default().to_owned() }),
        )
        .route("/certificate", get(certificate))
        .with_state(axioms);
    let base = serve_tls(&pki, app).await;
    let (der, identity) = &pki.clients[0];
    let (_, other_identity) = &pki.clients[1];
    let token = issuer
        .token()
        .audience("api")
        .scope("read:data")
        .bound_to_certificate(der)
        .sign();
    let plain = issuer.token().audience("api").scope("read:data").sign();

    let bound = client(&pki, Some(identity));
    let other = client(&pki, Some(other_identity));
    let anonymous = client(&pki, None);

    // The server sees the certificate the client presented, as the thumbprint the token has.
    let seen = bound
        .get(format!("{base}/certificate"))
        .send()
        .await
        .unwrap();
    let thumbprint = ClientCertificate::from_der(der.clone()).thumbprint();
    assert_eq!(seen.text().await.unwrap(), thumbprint);
    let seen = anonymous
        .get(format!("{base}/certificate"))
        .send()
        .await
        .unwrap();
    assert_eq!(seen.text().await.unwrap(), "");

    for path in ["/orders", "/me"] {
        let url = format!("{base}{path}");
        let r = bound.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path} with the bound certificate");
        for (who, client) in [
            ("another certificate", &other),
            ("no certificate", &anonymous),
        ] {
            let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), 401, "{path} with {who}");
            let www = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
            assert!(www.starts_with("Bearer"), "{www}");
            assert!(www.contains(r#"error="invalid_token""#), "{www}");
            assert!(www.contains("client certificate"), "{www}");
        }
        // An unbound token is unaffected by the certificate, or its absence.
        for client in [&bound, &other, &anonymous] {
            let r = client.get(&url).bearer_auth(&plain).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path} with an unbound token");
        }
    }
}

#[tokio::test]
async fn a_client_cert_header_is_never_trusted_on_axioms_own_tls_connections() {
    let pki = pki(&["client-1"]);
    let issuer = TestIssuer::start().await;
    let (der, identity) = &pki.clients[0];
    let token = issuer
        .token()
        .audience("api")
        .scope("read:data")
        .bound_to_certificate(der)
        .sign();
    use base64::Engine as _;
    let forged = format!(
        ":{}:",
        base64::engine::general_purpose::STANDARD.encode(der)
    );
    // Off by default; and even when a proxy header is trusted (a misconfiguration beside
    // axioms's own TLS), a client without a certificate cannot name one.
    for config in [
        issuer.config("api"),
        issuer.config("api").trust_client_cert_header("client-cert"),
    ] {
        let axioms = verifier(config);
        let app = Router::new()
            .route("/orders", get(orders))
            .with_state(axioms);
        let base = serve_tls(&pki, app).await;
        let r = client(&pki, None)
            .get(format!("{base}/orders"))
            .bearer_auth(&token)
            .header("client-cert", &forged)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = client(&pki, Some(identity))
            .get(format!("{base}/orders"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "the real certificate still works");
    }
}

#[tokio::test]
async fn a_certificate_from_another_ca_fails_the_handshake() {
    let pki_ours = pki(&[]);
    let pki_theirs = pki(&["intruder"]);
    let issuer = TestIssuer::start().await;
    let axioms = verifier(issuer.config("api"));
    let app = Router::new()
        .route("/orders", get(orders))
        .with_state(axioms);
    let base = serve_tls(&pki_ours, app).await;
    // Trusting our CA for the server, presenting a certificate of theirs.
    let intruder = client(&pki_ours, Some(&pki_theirs.clients[0].1));
    let result = intruder.get(format!("{base}/orders")).send().await;
    assert!(result.is_err(), "{result:?}");
}
