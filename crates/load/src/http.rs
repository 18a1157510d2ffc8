//! Hubs on loopback for the load tool: the real hub (`conclave_hub::serve`) in this process or in
//! a child process (so that its memory can be read apart from the client's), a bare axum endpoint
//! that answers 200 (the throughput baseline), and registration over HTTP (with the user key and
//! the KeyPackage that approve the device).

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, anyhow};
use axum::Router;
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::routing::post;
use base64::Engine as _;
use conclave_client::identity::{self, CIPHERSUITE, Identity};
use conclave_client::transport::Hub;
use conclave_hub::{AppState, Config};
use ed25519_dalek::SigningKey;
use mimi::identity::Trust;
use mimi::uri::{ClientUri, UserUri};
use openmls::prelude::{KeyPackage, SignatureScheme};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use tls_codec::Serialize as _;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::OrDebug as _;
use crate::fixture::DOMAIN;

/// A server on 127.0.0.1 in this process; dropping it stops it.
pub struct Served {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn bind() -> Result<(TcpListener, String)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    Ok((listener, url))
}

/// The real hub on a free loopback port, with its SQLite file in `data`. Needs a tokio runtime.
pub async fn serve_hub(data: &Path) -> Result<Served> {
    let state = AppState::open(&loose_config(data))?;
    let (listener, url) = bind().await?;
    let (tx, rx) = oneshot::channel();
    tokio::spawn(conclave_hub::serve(state, listener, async {
        let _ = rx.await;
    }));
    Ok(Served {
        url,
        stop: Some(tx),
    })
}

/// A bare axum endpoint on the hub's `submitMessage` path that reads the body and answers 200
/// with a body of the size of the hub's answer: the most any axum server can do.
pub async fn serve_bare() -> Result<Served> {
    async fn accept(
        _body: Bytes,
    ) -> (StatusCode, [(header::HeaderName, &'static str); 1], Vec<u8>) {
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            vec![0u8; 110],
        )
    }
    let app = Router::new().route("/v1/rooms/{room}/submitMessage", post(accept));
    let (listener, url) = bind().await?;
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Served {
        url,
        stop: Some(tx),
    })
}

/// `conclave-load hub`: serves the real hub with `data` on a free port, prints
/// `listening URL`, and stops when its standard input closes (its parent went away).
pub async fn run_hub_process(data: &Path) -> Result<()> {
    let state = AppState::open(&loose_config(data))?;
    let (listener, url) = bind().await?;
    println!("listening {url}");
    let stdin_closed = async {
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin()
                .read_line(&mut sink)
                .map(|n| n > 0)
                .unwrap_or(false)
            {
                sink.clear();
            }
        })
        .await;
    };
    conclave_hub::serve(state, listener, stdin_closed).await?;
    Ok(())
}

/// The real hub in a child process (this binary's `hub` command); killed on drop.
pub struct ChildHub {
    /// The hub's URL.
    pub url: String,
    child: Child,
}

impl ChildHub {
    /// Starts `conclave-load hub --data DATA` and waits for its address.
    pub fn spawn(data: &Path) -> Result<ChildHub> {
        let exe = std::env::current_exe()?;
        let mut child = Command::new(exe)
            .arg("hub")
            .arg("--data")
            .arg(data)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the hub process")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line
            .trim()
            .strip_prefix("listening ")
            .ok_or_else(|| anyhow!("the hub process said {line:?}"))?
            .to_owned();
        Ok(ChildHub { url, child })
    }

    /// The child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn unb64(s: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .context("base64 from the hub")
}

/// A client registered over HTTP (`POST /v1/register`), as `Client::register` does.
pub struct Registered {
    /// Its identity; its credential is approved by its user key.
    pub id: Identity,
    /// Its user's key (SECURITY.md "Devices").
    pub user_key: SigningKey,
    /// Its authenticated transport.
    pub hub: Hub,
    /// Its bearer token.
    pub token: String,
}

/// Registers a new user `name` with one client over HTTP, as `Client::register` does: a new user
/// key whose public half goes with the registration, the hub's credential approved by it, and
/// one KeyPackage uploaded (its private keys dropped), which approves the device at the hub: only
/// then may it create a room or be added to one.
pub async fn register(url: &str, name: &str) -> Result<Registered> {
    let anon = Hub::new(url, None)?;
    let provider = anon.provider().await?;
    let signer = SignatureKeyPair::new(SignatureScheme::ED25519).or_debug("signature key")?;
    let user_key = SigningKey::generate(&mut rand::rngs::OsRng);
    let reg = anon
        .register(
            name,
            signer.public(),
            Some(user_key.verifying_key().as_bytes()),
            None,
        )
        .await?;
    let id = Identity {
        user: UserUri::parse(&reg.user)?,
        client: ClientUri::parse(&reg.client)?,
        signer,
        credential: mimi::credential::endorse(&user_key, &unb64(&reg.credential)?)?,
        credential_type: mimi::ids::PROVIDER_CREDENTIAL_TYPE,
        trust: Trust {
            domain: provider.domain,
            provider_key: unb64(&provider.signature_key)?,
        },
    };
    let hub = Hub::new(url, Some(reg.token.clone()))?;
    let kp = KeyPackage::builder()
        .leaf_node_capabilities(identity::capabilities())
        .build(
            CIPHERSUITE,
            &OpenMlsRustCrypto::default(),
            &id.signer,
            id.credential_with_key(),
        )
        .or_debug("KeyPackage")?;
    let bytes = kp
        .key_package()
        .tls_serialize_detached()
        .or_debug("KeyPackage")?;
    hub.upload_key_packages(&[bytes], None).await?;
    Ok(Registered {
        id,
        user_key,
        hub,
        token: reg.token,
    })
}

/// The hub's config for the benchmarks: default sizes and quotas, rates that never bite (one
/// load client sends far more than a person does).
fn loose_config(data: &Path) -> Config {
    let mut config = Config::new(data, DOMAIN);
    config.limits = conclave_hub::limits::Limits::loose();
    config
}
