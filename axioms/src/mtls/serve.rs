//! A TLS server for an axum [`Router`] that hands each connection's client certificate to
//! the pipeline.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tower_service::Service as _;

use super::ClientCertificate;

/// How long a client has to complete the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves `app` over TLS on `listener` until `shutdown` completes, putting each connection's
/// client certificate (when it sent one) into its requests as a [`ClientCertificate`].
///
/// `tls` decides which certificates are accepted: build it with a client-certificate
/// verifier for your CA (`WebPkiClientVerifier`), with `allow_unauthenticated()` if the same
/// port also serves clients without certificates (their certificate-bound tokens are then
/// refused; their other tokens work as usual). `rustls` is re-exported as
/// [`axioms::mtls::rustls`](crate::mtls::rustls), the version this function takes.
///
/// A handshake must complete within 10 seconds. When `shutdown` completes, no new
/// connection is accepted; those already open run to their end.
///
/// ```no_run
/// use std::sync::Arc;
/// use axioms::mtls::rustls::{RootCertStore, ServerConfig, server::WebPkiClientVerifier};
/// use axioms::mtls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
///
/// # async fn run(app: axum::Router, ca: CertificateDer<'static>, chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
/// let mut roots = RootCertStore::empty();
/// roots.add(ca)?;
/// let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
///     .allow_unauthenticated()
///     .build()?;
/// let tls = ServerConfig::builder()
///     .with_client_cert_verifier(verifier)
///     .with_single_cert(chain, key)?;
/// let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
/// axioms::mtls::serve(listener, Arc::new(tls), app, std::future::pending()).await?;
/// # Ok(()) }
/// ```
pub async fn serve<F>(
    listener: TcpListener,
    tls: Arc<ServerConfig>,
    app: Router,
    shutdown: F,
) -> io::Result<()>
where
    F: Future<Output = ()> + Send,
{
    let mut tls = Arc::unwrap_or_clone(tls);
    if tls.alpn_protocols.is_empty() {
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    }
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(err) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(target: "axioms", %err, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(tls)) => tls,
                Ok(Err(err)) => {
                    tracing::debug!(target: "axioms", %err, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(target: "axioms", "TLS handshake timed out");
                    return;
                }
            };
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .map(|der| ClientCertificate::from_der(der.as_ref()));
            let service =
                hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                    // Request extensions come from the server only; a client cannot set one.
                    request.extensions_mut().insert(super::ServedOverTls);
                    if let Some(cert) = &cert {
                        request.extensions_mut().insert(cert.clone());
                    }
                    let mut app = app.clone();
                    async move { app.call(request).await }
                });
            if let Err(err) = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(target: "axioms", %err, "connection ended with an error");
            }
        });
    }
}
