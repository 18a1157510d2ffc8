//! Transport: a hub serving HTTPS with a certificate from a CA made here, clients that trust that
//! CA (and only through `CONCLAVE_CA_CERT`/`Options::ca_cert`), and plain HTTP refused unless it
//! goes to this machine or the user allowed it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use conclave_client::{Client, Error, Options};
use conclave_e2e::{TestHub, bin, options};
use conclave_hub::tls::TlsConfig;
use mimi::policy::Preset;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA and a server certificate it signed for `localhost` and 127.0.0.1, as PEM files.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "Conclave test CA");
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let file = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p
    };
    Pki {
        ca: file("ca.pem", &ca_pem),
        cert: file("cert.pem", &leaf.pem()),
        key: file("key.pem", &key.serialize_pem()),
        _dir: dir,
    }
}

#[tokio::test]
async fn alice_and_bob_talk_over_https_to_a_hub_whose_certificate_their_ca_signed() {
    let pki = pki();
    let tls = TlsConfig::from_pem_files(&pki.cert, &pki.key).unwrap();
    let mut hub = TestHub::spawn_tls(tls, &pki.ca).await;
    assert!(hub.url().starts_with("https://127.0.0.1:"), "{}", hub.url());

    let alice = hub.user("alice").await;
    let bob = hub.user("bob").await;
    let room = alice.room_with("Tea", Preset::Private, &[&bob]).await;
    alice.room(&room).send_text("over TLS").await.unwrap();
    let got = bob.wait_for_messages(&room, 1).await;
    assert_eq!(got[0].text.as_deref(), Some("over TLS"));
    assert_eq!(alice.hub_url(), hub.url());

    // The TLS server stops gracefully and comes back on the same port.
    hub.restart().await;
    bob.room(&room).send_text("still private").await.unwrap();
    let got = alice.wait_for_messages(&room, 2).await;
    assert_eq!(got[1].text.as_deref(), Some("still private"));

    // A client that does not trust the CA cannot even register: the certificate is checked.
    let dir = tempfile::tempdir().unwrap();
    let e = Client::register(dir.path(), &hub.url(), "carol", None, &options())
        .await
        .err()
        .expect("an unknown CA is refused");
    assert!(matches!(e, Error::Transport { .. }), "{e}");
}

#[tokio::test]
async fn plain_http_to_another_machine_is_refused_unless_the_user_allows_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    // Refused before anything is sent or written.
    let e = Client::register(&home, "http://example.test", "alice", None, &options())
        .await
        .err()
        .expect("refused");
    assert!(matches!(e, Error::InsecureHub { .. }), "{e}");
    assert!(e.to_string().contains("https://"), "{e}");
    assert!(!home.exists());

    // Allowed, the client tries, and fails only because there is no such hub (.test never
    // resolves, RFC 6761 §6.2).
    let allowed = Options {
        insecure: true,
        ..options()
    };
    let e = Client::register(&home, "http://example.test", "alice", None, &allowed)
        .await
        .err()
        .expect("nobody answers");
    assert!(matches!(e, Error::Transport { .. }), "{e}");

    // Loopback needs no permission: `make run` and the other stories use it.
    let hub = TestHub::spawn().await;
    assert!(hub.url().starts_with("http://127.0.0.1:"));
    hub.user("bob").await;
}

/// `conclave-hub serve` with these extra arguments: its first stdout line, or its failure.
fn serve(data: &Path, extra: &[&Path]) -> Result<(Child, String), String> {
    let mut c = Command::new(bin("conclave-hub"));
    c.args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data);
    for pair in extra.chunks(2) {
        c.arg("--tls-cert")
            .arg(pair[0])
            .arg("--tls-key")
            .arg(pair[1]);
    }
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = conclave_e2e::listening_line(&mut child);
    if line.is_empty() {
        let out = child.wait_with_output().unwrap();
        assert!(!out.status.success());
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok((child, line))
}

fn conclave(home: &Path, ca: Option<&Path>, args: &[&str]) -> (bool, String) {
    let mut c = Command::new(bin("conclave"));
    c.arg("--home").arg(home).env("CONCLAVE_KEYSTORE", "file");
    c.env_remove("CONCLAVE_CA_CERT");
    if let Some(ca) = ca {
        c.env("CONCLAVE_CA_CERT", ca);
    }
    let out = c.args(args).output().unwrap();
    let text = if out.status.success() {
        out.stdout
    } else {
        out.stderr
    };
    (
        out.status.success(),
        String::from_utf8_lossy(&text).trim().to_owned(),
    )
}

#[test]
fn the_hub_binary_serves_https_and_the_cli_registers_through_it() {
    let pki = pki();
    let tmp = tempfile::tempdir().unwrap();
    let (mut hub, line) = serve(&tmp.path().join("hub"), &[&pki.cert, &pki.key]).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no https URL in {line:?}"))
        .to_owned();
    let home = tmp.path().join("alice");
    let (ok, out) = conclave(&home, Some(&pki.ca), &["--hub", &url, "register", "alice"]);
    assert!(ok, "{out}");
    assert_eq!(out, "mimi://localhost/u/alice");
    let (ok, out) = conclave(&home, Some(&pki.ca), &["room", "create", "--name", "x"]);
    assert!(ok, "{out}");
    // Without the CA, the same hub is not trusted.
    let (ok, out) = conclave(&home, None, &["sync"]);
    assert!(!ok);
    assert!(out.contains("cannot talk to the hub"), "{out}");
    let _ = hub.kill();
    let _ = hub.wait();
}

#[test]
fn the_cli_refuses_a_plain_http_hub_elsewhere_without_insecure() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("alice");
    let args = ["--hub", "http://example.test", "register", "alice"];
    let (ok, out) = conclave(&home, None, &args);
    assert!(!ok);
    assert!(out.contains("--insecure"), "{out}");
    assert!(!out.contains("cannot talk to the hub"), "{out}");
    let (ok, out) = conclave(&home, None, &[&["--insecure"][..], &args].concat());
    assert!(!ok);
    assert!(
        out.contains("cannot talk to the hub at http://example.test"),
        "{out}"
    );
}

#[test]
fn the_hub_refuses_to_start_with_a_certificate_it_cannot_use() {
    let pki = pki();
    let tmp = tempfile::tempdir().unwrap();
    let garbled = tmp.path().join("garbled.pem");
    std::fs::write(&garbled, "-----BEGIN CERTIFICATE-----\n!!!\n").unwrap();
    let missing = tmp.path().join("missing.pem");
    let data = tmp.path().join("hub");
    for (cert, key, says) in [
        (&missing, &pki.key, "missing.pem"),
        (
            &garbled,
            &pki.key,
            "garbled.pem holds no usable PEM certificate",
        ),
        (
            &pki.cert,
            &pki.cert,
            "cert.pem holds no usable PEM private key",
        ),
    ] {
        let err = serve(&data, &[cert, key]).expect_err("refused");
        assert!(err.starts_with("error: --tls-cert/--tls-key"), "{err}");
        assert!(err.contains(says), "{err}");
        // Nothing was created: the certificate is checked before the data directory.
        assert!(!data.exists());
    }
    // One without the other is a usage error.
    let out = Command::new(bin("conclave-hub"))
        .args(["serve", "--data"])
        .arg(&data)
        .arg("--tls-cert")
        .arg(&pki.cert)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tls-key"));
}
