//! HTTPS. Given a certificate chain and its private key (PEM files, e.g. from an ACME client),
//! the hub serves TLS with rustls; without them it serves plain HTTP ([`crate::serve`]), which
//! clients accept only on this machine (loopback) unless their user explicitly allows otherwise.
//!
//! The crypto provider is aws-lc-rs, the one rustls already uses in this tree through the
//! client's reqwest. TLS 1.2 and 1.3 with rustls's safe defaults; ALPN offers HTTP/2 and
//! HTTP/1.1. Handshakes run per connection (axum-server, 10 s handshake timeout), so a slow peer
//! delays nobody else.

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

use crate::AppState;

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: io::Error,
    },
    /// The certificate file holds no PEM certificate, or a damaged one.
    #[error("{path} holds no usable PEM certificate ({detail})")]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What the PEM parser said.
        detail: String,
    },
    /// The key file holds no PEM private key, or a damaged one.
    #[error("{path} holds no usable PEM private key (PKCS#8, PKCS#1 or SEC1) ({detail})")]
    Key {
        /// The file.
        path: PathBuf,
        /// What the PEM parser said.
        detail: String,
    },
    /// rustls refuses the pair (a key that does not match the certificate, an unsupported
    /// key type).
    #[error("the certificate and key cannot be used together: {0}")]
    Rejected(String),
}

/// A server certificate chain and key, ready to serve with.
#[derive(Clone)]
pub struct TlsConfig(RustlsConfig);

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig")
    }
}

impl TlsConfig {
    /// Reads a PEM certificate chain (leaf first) and its PEM private key.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| TlsError::Read {
                path: path.to_owned(),
                source,
            })
        };
        Self::from_pem_named(&read(cert)?, cert, &read(key)?, key)
    }

    /// The same from PEM bytes.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        Self::from_pem_named(
            cert,
            Path::new("the certificate"),
            key,
            Path::new("the key"),
        )
    }

    fn from_pem_named(
        cert: &[u8],
        cert_name: &Path,
        key: &[u8],
        key_name: &Path,
    ) -> Result<Self, TlsError> {
        let bad_cert = |detail: String| TlsError::Certificate {
            path: cert_name.to_owned(),
            detail,
        };
        let chain = CertificateDer::pem_slice_iter(cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad_cert(e.to_string()))?;
        if chain.is_empty() {
            return Err(bad_cert("no CERTIFICATE block".into()));
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| TlsError::Key {
            path: key_name.to_owned(),
            detail: e.to_string(),
        })?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Rejected(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| TlsError::Rejected(e.to_string()))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(TlsConfig(RustlsConfig::from_config(Arc::new(config))))
    }
}

/// Serves the hub over HTTPS on `listener` until `shutdown` resolves, then stops accepting and
/// lets the requests in flight finish, as [`crate::serve`] does for plain HTTP.
pub async fn serve_tls(
    state: AppState,
    listener: TcpListener,
    tls: TlsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let housekeeping = tokio::spawn(super::forget_idle_limits(state.clone()));
    let handle = axum_server::Handle::<SocketAddr>::new();
    let server = axum_server::from_tcp_rustls(listener.into_std()?, tls.0)?
        .handle(handle.clone())
        .serve(super::router(state.clone()).into_make_service_with_connect_info::<SocketAddr>());
    tokio::pin!(server);
    let shutdown = super::serve::begin_shutdown(&state, shutdown);
    let served = tokio::select! {
        served = &mut server => served,
        () = shutdown => {
            handle.graceful_shutdown(Some(super::serve::MAX_DRAIN));
            server.await
        }
    };
    housekeeping.abort();
    super::serve::finish(&state).await;
    served
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (String, String) {
        let c = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        (c.cert.pem(), c.signing_key.serialize_pem())
    }

    #[test]
    fn a_certificate_and_its_key_make_a_config() {
        let (cert, key) = pair();
        TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    }

    #[test]
    fn missing_garbled_swapped_or_mismatched_files_say_which_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = pair();
        let (_, other_key) = pair();
        let file = |name: &str, body: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            p
        };
        let (c, k) = (file("cert.pem", &cert), file("key.pem", &key));
        let garbled = file("garbled.pem", "-----BEGIN CERTIFICATE-----\nnot base64!\n");
        let other = file("other.pem", &other_key);
        let missing = dir.path().join("missing.pem");
        let err =
            |cert: &Path, key: &Path| TlsConfig::from_pem_files(cert, key).expect_err("refused");

        let e = err(&missing, &k);
        assert!(matches!(e, TlsError::Read { .. }), "{e}");
        assert!(e.to_string().contains("missing.pem"), "{e}");
        let e = err(&garbled, &k);
        assert!(matches!(e, TlsError::Certificate { .. }), "{e}");
        assert!(e.to_string().contains("garbled.pem"), "{e}");
        // The key where the certificate should be, and the other way round.
        let e = err(&k, &c);
        assert!(matches!(e, TlsError::Certificate { .. }), "{e}");
        let e = err(&c, &c);
        assert!(matches!(e, TlsError::Key { .. }), "{e}");
        assert!(e.to_string().contains("cert.pem"), "{e}");
        // A key that is not the certificate's.
        let e = err(&c, &other);
        assert!(matches!(e, TlsError::Rejected(_)), "{e}");
        TlsConfig::from_pem_files(&c, &k).unwrap();
    }
}
