//! HTTP transport to the client's own provider (the hub). The client-to-provider API is
//! Conclave's own (PROTO §3 leaves it out of scope): JSON envelopes for account operations, and
//! the exact TLS-PL bytes of MIMI structs for handshakes, messages and key material.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use mimi::wire::{KeyMaterialResponse, SubmitMessageResponse, decode};
use reqwest::{RequestBuilder, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::{Error, Result};

/// A connection to the hub, authenticated once the client has a token.
#[derive(Clone)]
pub struct Hub {
    http: reqwest::Client,
    base: String,
    /// Shared by the clones of this hub, so a renewed token reaches them all.
    token: Option<std::sync::Arc<std::sync::RwLock<String>>>,
}

/// The provider's public identity.
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderInfo {
    /// Its domain.
    pub domain: String,
    /// Its Ed25519 credential-signing key, base64; also its MLS external-sender key.
    pub signature_key: String,
    /// The hub's own credential (TLS `Credential`), base64.
    pub hub_credential: String,
    /// The `franking_agent` component for new rooms, base64.
    pub franking_agent: String,
}

/// What registration returns.
#[derive(Debug, Clone, Deserialize)]
pub struct Registered {
    /// User URI.
    pub user: String,
    /// Client URI.
    pub client: String,
    /// Bearer token.
    pub token: String,
    /// When the token expires, ms (absent from hubs older than token expiry).
    #[serde(default)]
    pub token_expires_at: Option<u64>,
    /// ProviderCredential bytes, base64.
    pub credential: String,
    /// A linked device: the sealed keys its link code carried, base64.
    #[serde(default)]
    pub device_keys: Option<String>,
}

/// A device of the user.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Device {
    /// Client URI.
    pub client: String,
    /// Registration time, ms.
    pub created_at: u64,
    /// Its last request, ms, as the hub noted it (at most once a minute).
    #[serde(default)]
    pub last_active: Option<u64>,
    /// Whether it removed itself.
    #[serde(default)]
    pub removed: bool,
}

/// One consent to be added, or one request for it (`GET /v1/consent`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConsentEntry {
    /// The other user.
    pub user: String,
    /// The room it is for; none for any room.
    #[serde(default)]
    pub room: Option<String>,
}

/// This user's consents to be added (SECURITY.md "KeyPackages"; PROTO §5.7).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Consents {
    /// Users this user consented to be added by.
    pub granted: Vec<ConsentEntry>,
    /// Users who consented to be added by this user.
    pub received: Vec<ConsentEntry>,
    /// Users who ask this user's consent.
    pub requests_in: Vec<ConsentEntry>,
    /// Users this user asked.
    pub requests_out: Vec<ConsentEntry>,
}

/// A token the hub just issued.
#[derive(Debug, Clone, Deserialize)]
pub struct IssuedToken {
    /// The bearer token.
    pub token: String,
    /// When it expires, ms.
    pub expires_at: u64,
}

/// A queue entry.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// Sequence number.
    pub seq: u64,
    /// `fanout` or `device`.
    pub kind: String,
    /// The room, for fan-out.
    pub room: Option<String>,
    /// Payload, base64.
    pub data: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
    #[serde(default)]
    epoch: Option<u64>,
}

#[derive(Deserialize)]
struct Entries {
    entries: Vec<Entry>,
}

/// The hub's answer to an accepted handshake.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateAccepted {
    /// Acceptance time, ms.
    pub accepted_timestamp: u64,
    /// The room's new epoch.
    pub epoch: u64,
}

pub(crate) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

pub(crate) fn unb64(s: &str) -> Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|_| Error::Transport {
            url: String::new(),
            detail: "the hub sent invalid base64".into(),
        })
}

/// How the client may reach its hub, beyond the defaults (HTTPS checked against the system's
/// roots; plain HTTP only to this machine).
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Allow plain `http://` to a hub on another machine: the user's explicit choice
    /// (`conclave --insecure`, the app's confirmation).
    pub insecure: bool,
    /// A PEM file of CA certificates to trust besides the system's (`CONCLAVE_CA_CERT`).
    pub ca_cert: Option<PathBuf>,
}

/// The environment variable naming a PEM file of extra CA certificates.
pub const CA_CERT_ENV: &str = "CONCLAVE_CA_CERT";

/// The CA file `CONCLAVE_CA_CERT` names, if it is set.
pub fn ca_cert_from_env() -> Option<PathBuf> {
    std::env::var_os(CA_CERT_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Whether `url` may be used as given, and if it is plain HTTP to another machine, whether
/// that needs the user's explicit permission (`Ok(true)`). Loopback is 127.0.0.0/8, `::1`
/// and `localhost` (RFC 6761 §6.3: it always names this machine).
pub fn needs_insecure(url: &str) -> Result<bool> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| Error::Usage(format!("{url} is not a hub URL: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(false),
        "http" => Ok(!match parsed.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            None => false,
        }),
        other => Err(Error::Usage(format!(
            "{url}: a hub URL starts with https:// (or http:// on this machine), not {other}://"
        ))),
    }
}

impl Hub {
    /// A hub at `base` (e.g. `http://127.0.0.1:8480`), reached the default way.
    pub fn new(base: &str, token: Option<String>) -> Result<Self> {
        Self::connect(base, token, &Reach::default())
    }

    /// A hub at `base`, reached as `reach` allows. Plain HTTP to another machine is refused
    /// ([`Error::InsecureHub`]) unless `reach.insecure`.
    pub fn connect(base: &str, token: Option<String>, reach: &Reach) -> Result<Self> {
        if needs_insecure(base)? && !reach.insecure {
            return Err(Error::InsecureHub {
                url: base.to_owned(),
            });
        }
        let transport = |detail: String| Error::Transport {
            url: base.to_owned(),
            detail,
        };
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // The hub never redirects; following one could leave HTTPS for plain HTTP.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &reach.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                Error::Io(format!(
                    "{CA_CERT_ENV}: cannot read {}: {e}",
                    path.display()
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::Io(format!("{CA_CERT_ENV}: {} is not PEM: {e}", path.display()))
            })?;
            if certs.is_empty() {
                return Err(Error::Io(format!(
                    "{CA_CERT_ENV}: {} holds no certificate",
                    path.display()
                )));
            }
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder.build().map_err(|e| transport(e.to_string()))?;
        Ok(Hub {
            http,
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(|t| std::sync::Arc::new(std::sync::RwLock::new(t))),
        })
    }

    /// The hub's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// The same hub, talked to with another token: a pseudonym's, in its room.
    pub fn with_token(&self, token: &str) -> Hub {
        Hub {
            http: self.http.clone(),
            base: self.base.clone(),
            token: Some(std::sync::Arc::new(std::sync::RwLock::new(
                token.to_owned(),
            ))),
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(60));
        match &self.token {
            Some(t) => match t.read() {
                Ok(t) => r.bearer_auth(&*t),
                Err(poisoned) => r.bearer_auth(&*poisoned.into_inner()),
            },
            None => r,
        }
    }

    async fn send(&self, r: RequestBuilder) -> Result<reqwest::Response> {
        let transport = |e: reqwest::Error| Error::Transport {
            url: self.base.clone(),
            detail: e.to_string(),
        };
        let resp = r.send().await.map_err(transport)?;
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status();
        let body = resp.bytes().await.map_err(transport)?;
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => Error::Hub {
                status: status.as_u16(),
                code: e.code,
                message: e.message,
                epoch: e.epoch,
            },
            Err(_) => Error::Transport {
                url: self.base.clone(),
                detail: format!("HTTP {status} without an error body"),
            },
        })
    }

    async fn json<T: DeserializeOwned>(&self, r: RequestBuilder) -> Result<T> {
        self.send(r)
            .await?
            .json()
            .await
            .map_err(|e| Error::Transport {
                url: self.base.clone(),
                detail: format!("unexpected answer: {e}"),
            })
    }

    async fn bytes(&self, r: RequestBuilder) -> Result<Vec<u8>> {
        Ok(self
            .send(r)
            .await?
            .bytes()
            .await
            .map_err(|e| Error::Transport {
                url: self.base.clone(),
                detail: e.to_string(),
            })?
            .to_vec())
    }

    /// `GET /v1/provider`.
    pub async fn provider(&self) -> Result<ProviderInfo> {
        self.json(self.req(reqwest::Method::GET, "/v1/provider"))
            .await
    }

    /// `POST /v1/register`.
    pub async fn register(
        &self,
        name: &str,
        signature_key: &[u8],
        user_key: Option<&[u8]>,
        link_code: Option<&str>,
    ) -> Result<Registered> {
        let body = json!({
            "name": name,
            "signature_key": b64(signature_key),
            "user_key": user_key.map(b64),
            "link_code": link_code,
        });
        self.json(self.req(reqwest::Method::POST, "/v1/register").json(&body))
            .await
    }

    /// `POST /v1/devices/link`: a one-time code for a new device, carrying `device_keys`
    /// (sealed; opaque to the hub) to it.
    pub async fn link_code(&self, device_keys: &[u8]) -> Result<(String, u64)> {
        #[derive(Deserialize)]
        struct Code {
            code: String,
            expires_at: u64,
        }
        let body = json!({ "device_keys": b64(device_keys) });
        let c: Code = self
            .json(
                self.req(reqwest::Method::POST, "/v1/devices/link")
                    .json(&body),
            )
            .await?;
        Ok((c.code, c.expires_at))
    }

    /// `GET /v1/devices`.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.json(self.req(reqwest::Method::GET, "/v1/devices"))
            .await
    }

    /// `POST /v1/key-packages`.
    pub async fn upload_key_packages(
        &self,
        kps: &[Vec<u8>],
        last_resort: Option<&[u8]>,
    ) -> Result<()> {
        let body = json!({
            "key_packages": kps.iter().map(|k| b64(k)).collect::<Vec<_>>(),
            "last_resort": last_resort.map(b64),
        });
        let _: serde_json::Value = self
            .json(
                self.req(reqwest::Method::POST, "/v1/key-packages")
                    .json(&body),
            )
            .await?;
        Ok(())
    }

    /// `POST /v1/keyMaterial` with a TLS `KeyMaterialRequest`.
    pub async fn key_material(&self, request: Vec<u8>) -> Result<KeyMaterialResponse> {
        let b = self
            .bytes(
                self.req(reqwest::Method::POST, "/v1/keyMaterial")
                    .body(request),
            )
            .await?;
        Ok(decode(&b, "KeyMaterialResponse")?)
    }

    /// `POST /v1/rooms`; a pseudonymous room's creator sends its wrapped identity_link_key.
    pub async fn create_room(
        &self,
        group_info: &[u8],
        tree: &[u8],
        identity_link: Option<&[u8]>,
    ) -> Result<String> {
        #[derive(Deserialize)]
        struct Created {
            room: String,
        }
        let mut body = json!({ "group_info": b64(group_info), "ratchet_tree": b64(tree) });
        if let Some(l) = identity_link {
            body["identity_link"] = json!(b64(l));
        }
        let c: Created = self
            .json(self.req(reqwest::Method::POST, "/v1/rooms").json(&body))
            .await?;
        Ok(c.room)
    }

    /// `POST /v1/rooms/{id}/update` with a TLS `HandshakeBundle`.
    pub async fn update(&self, room_id: &str, bundle: Vec<u8>) -> Result<UpdateAccepted> {
        self.json(
            self.req(
                reqwest::Method::POST,
                &format!("/v1/rooms/{room_id}/update"),
            )
            .body(bundle),
        )
        .await
    }

    /// `POST /v1/rooms/{id}/submitMessage` with a TLS `SubmitMessageRequest`.
    pub async fn submit(&self, room_id: &str, request: Vec<u8>) -> Result<SubmitMessageResponse> {
        let b = self
            .bytes(
                self.req(
                    reqwest::Method::POST,
                    &format!("/v1/rooms/{room_id}/submitMessage"),
                )
                .body(request),
            )
            .await?;
        Ok(decode(&b, "SubmitMessageResponse")?)
    }

    /// Sends a HandshakeBundle as [`Hub::update`] does, and sends the very same bytes again
    /// while the answer is unknown (no answer, or a 5xx): the hub answers a retry of what it
    /// accepted with its original answer (RELIABILITY.md), so this never commits twice.
    pub async fn update_until_answered(
        &self,
        room_id: &str,
        bundle: &[u8],
    ) -> Result<UpdateAccepted> {
        let mut attempt = 0;
        loop {
            match self.update(room_id, bundle.to_vec()).await {
                Err(e) if answer_unknown(&e) && attempt < RESENDS.len() => {
                    tracing::warn!(room_id, error = %e, "no answer to a handshake: sending it again");
                    tokio::time::sleep(RESENDS[attempt]).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends a SubmitMessageRequest as [`Hub::submit`] does, and the very same bytes again
    /// while the answer is unknown; the hub answers a retry with the original frank.
    pub async fn submit_until_answered(
        &self,
        room_id: &str,
        request: &[u8],
    ) -> Result<SubmitMessageResponse> {
        let mut attempt = 0;
        loop {
            match self.submit(room_id, request.to_vec()).await {
                Err(e) if answer_unknown(&e) && attempt < RESENDS.len() => {
                    tracing::warn!(room_id, error = %e, "no answer to a message: sending it again");
                    tokio::time::sleep(RESENDS[attempt]).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// `GET /v1/rooms/{id}/group-info/{epoch}`: the room's GroupInfo at that epoch (TLS).
    pub async fn group_info_at(&self, room_id: &str, epoch: u64) -> Result<Vec<u8>> {
        self.bytes(self.req(
            reqwest::Method::GET,
            &format!("/v1/rooms/{room_id}/group-info/{epoch}"),
        ))
        .await
    }

    /// `GET /v1/rooms/{id}/commits/{hash}`: the original answer to this client's commit, or
    /// `None` if the hub did not accept it (in the room's last epochs it remembers).
    pub async fn commit_status(
        &self,
        room_id: &str,
        hash: &[u8; 32],
    ) -> Result<Option<UpdateAccepted>> {
        let r = self.req(
            reqwest::Method::GET,
            &format!("/v1/rooms/{room_id}/commits/{}", hex::encode(hash)),
        );
        match self.json(r).await {
            Ok(a) => Ok(Some(a)),
            Err(Error::Hub { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Uses `token` from now on, in this hub and every clone of it.
    pub fn set_token(&self, token: &str) {
        if let Some(t) = &self.token {
            match t.write() {
                Ok(mut t) => *t = token.to_owned(),
                Err(poisoned) => *poisoned.into_inner() = token.to_owned(),
            }
        }
    }

    /// `POST /v1/token`: a new token for this device; the old one is void at once.
    pub async fn renew_token(&self) -> Result<IssuedToken> {
        self.json(self.req(reqwest::Method::POST, "/v1/token"))
            .await
    }

    /// `POST /v1/token/signed`: a new token for a device whose token expired, on a signature
    /// of its device key over its URI and `at` (ms).
    pub async fn renew_token_signed(
        &self,
        client: &str,
        at: u64,
        signature: &[u8],
    ) -> Result<IssuedToken> {
        let body = json!({ "client": client, "at": at, "signature": b64(signature) });
        self.json(
            self.req(reqwest::Method::POST, "/v1/token/signed")
                .json(&body),
        )
        .await
    }

    /// `DELETE /v1/devices/{id}`: this device removes itself; its token is revoked at once.
    pub async fn remove_device(&self, client_id: &str) -> Result<()> {
        self.send(self.req(reqwest::Method::DELETE, &format!("/v1/devices/{client_id}")))
            .await
            .map(|_| ())
    }

    /// `DELETE /v1/devices/{id}` of another device of the user: the removal signed with the
    /// user key at `at` (ms).
    pub async fn remove_device_signed(
        &self,
        client_id: &str,
        at: u64,
        signature: &[u8],
    ) -> Result<()> {
        let body = json!({ "at": at, "signature": b64(signature) });
        self.send(
            self.req(reqwest::Method::DELETE, &format!("/v1/devices/{client_id}"))
                .json(&body),
        )
        .await
        .map(|_| ())
    }

    /// `POST /v1/rooms/{id}/reportAbuse` with a TLS `AbuseReport`; returns the report's id.
    pub async fn report(&self, room_id: &str, report: Vec<u8>) -> Result<i64> {
        #[derive(Deserialize)]
        struct Filed {
            id: i64,
        }
        let f: Filed = self
            .json(
                self.req(
                    reqwest::Method::POST,
                    &format!("/v1/rooms/{room_id}/reportAbuse"),
                )
                .body(report),
            )
            .await?;
        Ok(f.id)
    }

    /// `PUT /v1/connection-key`: this user's connection-establishment public key.
    pub async fn set_connection_key(&self, public_key: &[u8]) -> Result<()> {
        let body = json!({ "public_key": b64(public_key) });
        let _: serde_json::Value = self
            .json(
                self.req(reqwest::Method::PUT, "/v1/connection-key")
                    .json(&body),
            )
            .await?;
        Ok(())
    }

    /// `GET /v1/users/{name}/connection-key`, unauthenticated: (user URI, public key).
    pub async fn connection_key(&self, name: &str) -> Result<(String, Vec<u8>)> {
        #[derive(Deserialize)]
        struct Key {
            user: String,
            public_key: String,
        }
        let r = self
            .http
            .get(format!("{}/v1/users/{name}/connection-key", self.base))
            .timeout(Duration::from_secs(60));
        let k: Key = self.json(r).await?;
        Ok((k.user, unb64(&k.public_key)?))
    }

    /// `POST /v1/connections`: relays a sealed request or response to `to`'s clients.
    pub async fn relay_connection(&self, to: &str, kind: &str, sealed: &[u8]) -> Result<()> {
        let body = json!({ "to": to, "kind": kind, "sealed": b64(sealed) });
        let _: serde_json::Value = self
            .json(
                self.req(reqwest::Method::POST, "/v1/connections")
                    .json(&body),
            )
            .await?;
        Ok(())
    }

    /// `POST /v1/blocks`: `user`'s connection requests and invitations no longer reach this user.
    pub async fn block(&self, user: &str) -> Result<()> {
        let _: serde_json::Value = self
            .json(
                self.req(reqwest::Method::POST, "/v1/blocks")
                    .json(&json!({ "user": user })),
            )
            .await?;
        Ok(())
    }

    /// `DELETE /v1/blocks/{user}`: lifts a block; whether there was one.
    pub async fn unblock(&self, user: &str) -> Result<bool> {
        let v: serde_json::Value = self
            .json(self.req(
                reqwest::Method::DELETE,
                &format!("/v1/blocks/{}", urlencode(user)),
            ))
            .await?;
        Ok(v["lifted"].as_bool().unwrap_or(false))
    }

    /// `GET /v1/blocks`: the users this user blocked.
    /// `POST /v1/consent`: `operation` (request, cancel, grant, revoke) with `user`, for `room`
    /// or any room.
    pub async fn consent(&self, operation: &str, user: &str, room: Option<&str>) -> Result<()> {
        let body = json!({ "operation": operation, "user": user, "room": room });
        let _: serde_json::Value = self
            .json(self.req(reqwest::Method::POST, "/v1/consent").json(&body))
            .await?;
        Ok(())
    }

    /// `GET /v1/consent`.
    pub async fn consents(&self) -> Result<Consents> {
        self.json(self.req(reqwest::Method::GET, "/v1/consent"))
            .await
    }

    pub async fn blocked(&self) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Blocked {
            blocked: Vec<String>,
        }
        let b: Blocked = self
            .json(self.req(reqwest::Method::GET, "/v1/blocks"))
            .await?;
        Ok(b.blocked)
    }

    /// `GET /v1/clients/{id}/queue`: entries after `after`, waiting up to `wait` for the first
    /// (or for something in the queue of one of the pseudonyms whose tokens are `wake_on`).
    pub async fn fetch(
        &self,
        client_id: &str,
        after: u64,
        wait: Duration,
        wake_on: &[String],
    ) -> Result<Vec<Entry>> {
        let path = format!(
            "/v1/clients/{client_id}/queue?after={after}&wait={}&limit=200",
            wait.as_secs()
        );
        let mut r = self
            .req(reqwest::Method::GET, &path)
            .timeout(wait + Duration::from_secs(30));
        if !wake_on.is_empty() && !wait.is_zero() {
            r = r.header("x-conclave-wake-on", wake_on.join(","));
        }
        let e: Entries = self.json(r).await?;
        Ok(e.entries)
    }

    /// `POST /v1/clients/{id}/queue/ack`.
    pub async fn ack(&self, client_id: &str, seq: u64) -> Result<()> {
        let r = self
            .req(
                reqwest::Method::POST,
                &format!("/v1/clients/{client_id}/queue/ack"),
            )
            .json(&json!({ "seq": seq }));
        let _: serde_json::Value = self.json(r).await?;
        Ok(())
    }
}

/// A KeyPackage set waiting at the hub (MIMIMI §8).
#[derive(Debug, Clone, Deserialize)]
pub struct KeyPackageSet {
    /// The set's user pseudonym.
    pub user_pseudonym: String,
    /// How many KeyPackages complete it.
    pub set_size: u32,
    /// How many it holds.
    pub count: u32,
    /// Its client pseudonyms.
    pub clients: Vec<String>,
}

impl Hub {
    /// `POST /v1/pseudonyms`: registers a client pseudonym (its TLS credential) and its token.
    pub async fn register_pseudonym(&self, credential: &[u8], token: &str) -> Result<()> {
        let body = json!({ "credential": b64(credential), "token": token });
        let _: serde_json::Value = self
            .json(
                self.req(reqwest::Method::POST, "/v1/pseudonyms")
                    .json(&body),
            )
            .await?;
        Ok(())
    }

    /// `GET /v1/pseudonymous-key-packages/{connection token}`: the sets waiting there.
    pub async fn key_package_sets(&self, connection_token: &[u8]) -> Result<Vec<KeyPackageSet>> {
        self.json(self.req(
            reqwest::Method::GET,
            &format!(
                "/v1/pseudonymous-key-packages/{}",
                hex::encode(connection_token)
            ),
        ))
        .await
    }

    /// `POST /v1/pseudonyms/sibling-key-package`, with a client pseudonym's token: its KeyPackage
    /// for a device of its user pseudonym to claim.
    pub async fn upload_sibling_key_package(&self, key_package: &[u8]) -> Result<()> {
        let body = json!({ "key_package": b64(key_package) });
        let _: serde_json::Value = self
            .json(
                self.req(reqwest::Method::POST, "/v1/pseudonyms/sibling-key-package")
                    .json(&body),
            )
            .await?;
        Ok(())
    }

    /// `POST /v1/pseudonyms/sibling-key-packages/claim`, with a client pseudonym's token: the
    /// KeyPackages other client pseudonyms of its user pseudonym left.
    pub async fn claim_sibling_key_packages(&self) -> Result<Vec<Vec<u8>>> {
        #[derive(Deserialize)]
        struct Claimed {
            key_packages: Vec<String>,
        }
        let c: Claimed = self
            .json(self.req(
                reqwest::Method::POST,
                "/v1/pseudonyms/sibling-key-packages/claim",
            ))
            .await?;
        c.key_packages.iter().map(|k| unb64(k)).collect()
    }

    /// `POST /v1/pseudonymous-key-packages/{connection token}`: one KeyPackage into its set.
    pub async fn upload_pseudonymous_key_package(
        &self,
        connection_token: &[u8],
        set_size: u32,
        key_package: &[u8],
        token: &str,
    ) -> Result<()> {
        let body = json!({ "set_size": set_size, "key_package": b64(key_package), "token": token });
        let _: serde_json::Value = self
            .json(
                self.req(
                    reqwest::Method::POST,
                    &format!(
                        "/v1/pseudonymous-key-packages/{}",
                        hex::encode(connection_token)
                    ),
                )
                .json(&body),
            )
            .await?;
        Ok(())
    }

    /// `POST /v1/pseudonymous-key-packages/{connection token}/claim`: (user pseudonym,
    /// KeyPackages) of a complete set, handed out once.
    pub async fn claim_key_package_set(
        &self,
        connection_token: &[u8],
    ) -> Result<(String, Vec<Vec<u8>>)> {
        #[derive(Deserialize)]
        struct Claimed {
            user_pseudonym: String,
            key_packages: Vec<String>,
        }
        let c: Claimed = self
            .json(self.req(
                reqwest::Method::POST,
                &format!(
                    "/v1/pseudonymous-key-packages/{}/claim",
                    hex::encode(connection_token)
                ),
            ))
            .await?;
        let kps = c
            .key_packages
            .iter()
            .map(|k| unb64(k))
            .collect::<Result<_>>()?;
        Ok((c.user_pseudonym, kps))
    }

    /// `DELETE /v1/pseudonymous-key-packages/{connection token}/{set}`: withdraws an unclaimed set.
    pub async fn drop_key_package_set(&self, connection_token: &[u8], set: &str) -> Result<()> {
        let _: serde_json::Value = self
            .json(self.req(
                reqwest::Method::DELETE,
                &format!(
                    "/v1/pseudonymous-key-packages/{}/{set}",
                    hex::encode(connection_token)
                ),
            ))
            .await?;
        Ok(())
    }

    /// `GET /v1/rooms/{id}/identity-links`: (client pseudonym, wrapped key) of the room's leaves.
    pub async fn identity_links(&self, room_id: &str) -> Result<Vec<(String, Vec<u8>)>> {
        #[derive(Deserialize)]
        struct Link {
            client: String,
            wrapped: String,
        }
        #[derive(Deserialize)]
        struct Links {
            links: Vec<Link>,
        }
        let l: Links = self
            .json(self.req(
                reqwest::Method::GET,
                &format!("/v1/rooms/{room_id}/identity-links"),
            ))
            .await?;
        l.links
            .into_iter()
            .map(|l| Ok((l.client, unb64(&l.wrapped)?)))
            .collect()
    }
}

/// Whether the hub said this device's token expired (renew it with the device key).
pub fn is_token_expired(e: &Error) -> bool {
    matches!(e, Error::Hub { status: 401, code, .. } if code == "token_expired")
}

/// How long to wait before each resend of a request whose answer was lost.
const RESENDS: [Duration; 4] = [
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Whether the hub's answer to a request is unknown: no answer at all (a timeout, a reset, a hub
/// restarting) or a server error. Whatever was sent may or may not have been accepted.
pub fn answer_unknown(e: &Error) -> bool {
    match e {
        Error::Transport { .. } => true,
        Error::Hub { status, .. } => *status >= 500,
        _ => false,
    }
}

/// Whether an error is the hub saying the client must catch up and try again: the handshake or
/// message was for an old epoch, or a commit left out proposals the hub holds (PROTO §3.5).
pub fn is_wrong_epoch(e: &Error) -> bool {
    matches!(e, Error::Hub { status, code, .. } if *status == StatusCode::CONFLICT.as_u16()
        && (code == "wrong_epoch" || code == "epoch_too_old" || code == "missing_proposals"))
}

/// Percent-encodes a path segment (a user URI carries `:` and `/`).
fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_needs_permission_except_to_this_machine() {
        for (url, insecure) in [
            ("https://hub.example", false),
            ("https://203.0.113.7:8480", false),
            ("http://127.0.0.1:8480", false),
            ("http://127.9.9.9", false),
            ("http://localhost:8480/", false),
            ("http://LOCALHOST", false),
            ("http://[::1]:8480", false),
            ("http://[::ffff:127.0.0.1]", false),
            ("http://example.test", true),
            ("http://localhost.example.test", true),
            ("http://128.0.0.1", true),
            ("http://10.0.0.1:8480", true),
            ("http://[::2]", true),
            ("http://[::ffff:10.0.0.1]", true),
        ] {
            assert_eq!(needs_insecure(url).unwrap(), insecure, "{url}");
        }
        assert!(matches!(needs_insecure("ftp://hub"), Err(Error::Usage(_))));
        assert!(matches!(needs_insecure("hub:8480"), Err(Error::Usage(_))));
        assert!(matches!(needs_insecure("not a url"), Err(Error::Usage(_))));
    }

    #[test]
    fn a_remote_plain_http_hub_is_refused_unless_allowed() {
        let e = Hub::new("http://example.test", None).err().unwrap();
        assert!(matches!(e, Error::InsecureHub { .. }), "{e}");
        let reach = Reach {
            insecure: true,
            ca_cert: None,
        };
        assert!(Hub::connect("http://example.test", None, &reach).is_ok());
    }

    #[test]
    fn an_unreadable_or_empty_ca_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, b"").unwrap();
        for (path, says) in [
            (dir.path().join("missing.pem"), "cannot read"),
            (empty, "holds no certificate"),
        ] {
            let reach = Reach {
                insecure: false,
                ca_cert: Some(path),
            };
            let e = Hub::connect("https://hub.example", None, &reach)
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains(CA_CERT_ENV) && e.contains(says), "{e}");
        }
    }
}
