//! The account: registering and opening a client, who it is, the rooms it is in, events. Its
//! devices, connections and KeyPackages are in the submodules; syncing is in [`crate::sync`].

mod connections;
mod devices;
mod keys;
mod passphrase;
mod tokens;

use devices::split_link_code;
pub use passphrase::change_passphrase;

use std::path::{Path, PathBuf};

use mimi::credential::ProviderCredential;
use mimi::identity::Trust;
use mimi::policy::Preset;
use mimi::uri::{ClientUri, RoomUri, UserUri};
use openmls::prelude::SignatureScheme;
use openmls_basic_credential::SignatureKeyPair;
use rand::RngCore;
use rusqlite::Connection;
use tokio::sync::{Mutex, broadcast};

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::group;
use crate::identity::Identity;
use crate::keystore::{self, KeystoreKind, Passphrase, SecretStore};
use crate::pseudonymous;
use crate::room::Room;
use crate::shared::Shared;
use crate::store::{self, Message, RoomInfo};
use crate::transport::{Hub, Reach, unb64};
use crate::user_key;
use std::sync::Arc;

/// Options for opening a client.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which keystore holds the secrets.
    pub keystore: KeystoreKind,
    /// Talk to this hub URL instead of the one remembered at registration.
    pub hub_override: Option<String>,
    /// Allow plain `http://` to a hub on another machine (`conclave --insecure`, the app's
    /// confirmation). Registering with it remembers the permission for that URL.
    pub insecure: bool,
    /// A PEM file of CA certificates to trust besides the system's (`CONCLAVE_CA_CERT`).
    pub ca_cert: Option<PathBuf>,
    /// The passphrase of a home whose keys are sealed under one ([`KeystoreKind::Passphrase`]);
    /// at registration with that keystore, the new passphrase.
    pub passphrase: Option<Passphrase>,
}

impl Options {
    /// The keystore the user chose through `CONCLAVE_KEYSTORE`, and the CA file
    /// `CONCLAVE_CA_CERT` names.
    pub fn from_env() -> Result<Self> {
        Ok(Options {
            keystore: KeystoreKind::from_env()?,
            ca_cert: crate::transport::ca_cert_from_env(),
            ..Options::default()
        })
    }

    fn reach(&self, insecure: bool) -> Reach {
        Reach {
            insecure,
            ca_cert: self.ca_cert.clone(),
        }
    }
}

/// The setting that remembers the plain-HTTP hub URL the user allowed at registration.
const INSECURE_HUB: &str = "insecure_hub_url";

/// A Conclave client opened on a data directory: the account (registration, devices,
/// connections, sync, the rooms list, the event stream). What acts on one room goes through a
/// [`Room`] handle ([`Client::room`]). Cloning is cheap: clones share one store and hub.
#[derive(Clone)]
pub struct Client {
    pub(crate) c: Arc<Shared>,
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("conclave.sqlite3")
}

/// The home made private: the directory 0700 and every file in it 0600, narrowed if wider.
fn private_home(dir: &Path) -> Result<()> {
    crate::private::create_dir(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))
}

/// The home's database, encrypted with the key `secrets` keep (SECURITY.md "Secrets at rest").
fn open_dir(dir: &Path, secrets: &dyn SecretStore) -> Result<Connection> {
    private_home(dir)?;
    store::encrypt::open_home(&db_path(dir), secrets)
}

fn meta_required(conn: &Connection, key: &str) -> Result<String> {
    store::meta(conn, key)?.ok_or(Error::NotRegistered)
}

impl Client {
    /// Registers a new client at the hub and sets up `dir` for it: a new user `name`, or, with a
    /// link code from one of the user's devices, a new device of that user.
    pub async fn register(
        dir: &Path,
        hub_url: &str,
        name: &str,
        link_code: Option<&str>,
        options: &Options,
    ) -> Result<Client> {
        // Refuse an insecure URL before anything is written.
        let hub = Hub::connect(hub_url, None, &options.reach(options.insecure))?;
        private_home(dir)?;
        let home = passphrase::lock_home(dir, false)?;
        if options.keystore.for_home(dir) == KeystoreKind::Passphrase
            && !keystore::SealedKeystore::exists(dir)
        {
            options
                .passphrase
                .as_ref()
                .ok_or(Error::PassphraseNeeded)?
                .check_new()?;
        }
        let secrets = keystore::open(options.keystore, dir, options.passphrase.as_ref())?;
        let mut conn = open_dir(dir, secrets.as_ref())?;
        if let Some(c) = store::meta(&conn, "client")? {
            return Err(Error::AlreadyRegistered(c));
        }
        let provider = hub.provider().await?;
        let provider_key = unb64(&provider.signature_key)?;
        let signer = SignatureKeyPair::new(SignatureScheme::ED25519).map_err(Error::mls)?;
        let (hub_code, secret) = match link_code.map(split_link_code).transpose()? {
            Some((c, s)) => (Some(c), Some(s)),
            None => (None, None),
        };
        // SECURITY.md "Devices": a new user's first device makes the user key; a linked device
        // gets it from the keys its link code carried.
        let new_user_key = link_code.is_none().then(user_key::generate);
        let reg = hub
            .register(
                name,
                signer.public(),
                new_user_key
                    .as_ref()
                    .map(|k| k.verifying_key().to_bytes())
                    .as_ref()
                    .map(<[u8; 32]>::as_slice),
                hub_code.as_deref(),
            )
            .await?;
        let credential = unb64(&reg.credential)?;
        let trust = Trust {
            domain: provider.domain.clone(),
            provider_key: provider_key.clone(),
        };
        let who = ProviderCredential::from_bytes(&credential)?.verify(
            &trust.domain,
            &trust.provider_key,
            signer.public(),
        )?;
        if who.user.to_string() != reg.user || who.client.to_string() != reg.client {
            return Err(Error::Mls(
                "the hub issued a credential for another user or client".into(),
            ));
        }
        let key = serde_json::to_vec(&signer).map_err(|e| Error::Keystore(e.to_string()))?;
        secrets.set("signature_key", &key)?;
        secrets.set("token", reg.token.as_bytes())?;
        let tx = conn.transaction()?;
        store::set_meta(&tx, "hub_url", hub.url())?;
        store::set_meta(&tx, "user", &reg.user)?;
        store::set_meta(&tx, "client", &reg.client)?;
        store::set_meta(&tx, "provider_domain", &provider.domain)?;
        store::set_meta(&tx, "provider_key", &provider.signature_key)?;
        if let Some(expires) = reg.token_expires_at {
            store::set_meta(&tx, "token_issued_at", &store::now_ms().to_string())?;
            store::set_meta(&tx, "token_expires_at", &expires.to_string())?;
        }
        store::set_meta(&tx, "queue_cursor", "0")?;
        if crate::transport::needs_insecure(hub.url())? {
            store::set_meta(&tx, INSECURE_HUB, hub.url())?;
        }
        let opened = match (new_user_key, &secret, &reg.device_keys) {
            (Some(k), _, _) => Ok(k),
            (None, Some(secret), Some(sealed)) => unb64(sealed)
                .and_then(|sealed| crate::link::open(&tx, secrets.as_ref(), secret, &sealed))
                .and_then(|opened| {
                    crate::siblings::remember(&tx, &opened.user_pseudonyms)?;
                    Ok(opened.user_key)
                }),
            _ => Err(Error::Usage(
                "the hub handed this link code no keys from the other device: ask it for a new link code".into(),
            )),
        };
        let user_key = match opened {
            Ok(k) => k,
            Err(e) => {
                // Not a device of the user after all: the hub's record of it goes at once.
                drop(tx);
                let local = reg.client.rsplit('/').next().unwrap_or_default().to_owned();
                if let Err(gone) = hub.with_token(&reg.token).remove_device(&local).await {
                    tracing::warn!(error = %gone, "could not withdraw a device that failed to link");
                }
                return Err(e);
            }
        };
        // The credential members see: the provider's, approved by the user key.
        let approved = mimi::credential::endorse(&user_key, &credential)?;
        store::set_meta(&tx, "credential", &crate::transport::b64(&approved))?;
        user_key::keep(secrets.as_ref(), &user_key)?;
        user_key::pin(&tx, &reg.user, user_key.verifying_key().as_bytes())?;
        tx.commit()?;
        drop(conn);
        let client = Client::open_with(dir, home, secrets, None, options)?;
        // Before the first KeyPackages, whose upload tells the user's other devices to add
        // this one: its KeyPackages for their pseudonymous rooms are then waiting.
        client.prepare_siblings().await?;
        client.ensure_key_packages().await?;
        if link_code.is_none() {
            client.create_connection_keys().await?;
        }
        Ok(client)
    }

    /// Opens the client registered in `dir`.
    pub fn open(dir: &Path, options: &Options) -> Result<Client> {
        // Nothing is made in a home that has no client yet.
        if !db_path(dir).exists() {
            return Err(Error::NotRegistered);
        }
        private_home(dir)?;
        let home = passphrase::lock_home(dir, false)?;
        let secrets = keystore::open(options.keystore, dir, options.passphrase.as_ref())?;
        let conn = open_dir(dir, secrets.as_ref())?;
        if store::meta(&conn, "client")?.is_none() {
            return Err(Error::NotRegistered);
        }
        drop(conn);
        Client::open_with(dir, home, secrets, options.hub_override.as_deref(), options)
    }

    fn open_with(
        dir: &Path,
        home: std::fs::File,
        secrets: Box<dyn SecretStore>,
        hub_override: Option<&str>,
        options: &Options,
    ) -> Result<Client> {
        let conn = open_dir(dir, secrets.as_ref())?;
        let missing = |what: &str| {
            Error::Keystore(format!(
                "the {what} of this client is missing from the keystore ({})",
                secrets.describe()
            ))
        };
        let key = secrets
            .get("signature_key")?
            .ok_or_else(|| missing("signature key"))?;
        let signer: SignatureKeyPair =
            serde_json::from_slice(&key).map_err(|_| missing("signature key"))?;
        let token = secrets.get("token")?.ok_or_else(|| missing("hub token"))?;
        let token = String::from_utf8(token).map_err(|_| missing("hub token"))?;
        let id = Identity {
            user: UserUri::parse(&meta_required(&conn, "user")?)?,
            client: ClientUri::parse(&meta_required(&conn, "client")?)?,
            signer,
            credential: unb64(&meta_required(&conn, "credential")?)?,
            credential_type: mimi::ids::PROVIDER_CREDENTIAL_TYPE,
            trust: Trust {
                domain: meta_required(&conn, "provider_domain")?,
                provider_key: unb64(&meta_required(&conn, "provider_key")?)?,
            },
        };
        let url = match hub_override {
            Some(u) => u.to_owned(),
            None => meta_required(&conn, "hub_url")?,
        };
        // Plain HTTP to another machine only if allowed now or, for this very URL, at registration.
        let allowed = options.insecure
            || store::meta(&conn, INSECURE_HUB)?.is_some_and(|u| u == url.trim_end_matches('/'));
        let hub = Hub::connect(&url, Some(token), &options.reach(allowed))?;
        let (events, _) = broadcast::channel(1024);
        Ok(Client::from(Shared {
            conn: Mutex::new(conn),
            id,
            hub,
            events,
            data_dir: dir.to_path_buf(),
            switches: Default::default(),
            secrets,
            device_count: std::sync::atomic::AtomicU32::new(0),
            _home: home,
        }))
    }

    /// The user this client belongs to.
    pub fn user(&self) -> &UserUri {
        &self.c.id.user
    }

    /// This client's URI.
    pub fn client_uri(&self) -> &ClientUri {
        &self.c.id.client
    }

    /// The hub URL this client talks to.
    pub fn hub_url(&self) -> &str {
        self.c.hub.url()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.c.data_dir
    }

    /// Where this client's secrets are kept — its keys, its hub token and the key of its
    /// encrypted database — as a sentence (SECURITY.md "Secrets at rest").
    pub fn keystore(&self) -> String {
        self.c.secrets.describe()
    }

    /// Test-only: play a misbehaving client that sends commits without asking the policy engine
    /// first, to prove that the hub (and, with the hub's checks off, every other client) refuses
    /// them. Incoming commits are still checked.
    #[cfg(feature = "test-switches")]
    pub fn set_skip_local_policy_check(&self, skip: bool) {
        self.c.switches.set_skip_precheck(skip);
    }

    /// Test-only: play a sender whose franking tag does not match its content (the tag of the
    /// content with its first text byte changed), to prove receivers never show such a message as
    /// verified.
    #[cfg(feature = "test-switches")]
    pub fn set_forge_franking_tag(&self, forge: bool) {
        self.c.switches.set_forge_franking_tag(forge);
    }

    /// Subscribes to events.
    pub fn subscribe(&self) -> broadcast::Receiver<ClientEvent> {
        self.c.events.subscribe()
    }

    /// Creates a room with the `private` preset; returns its URI.
    pub async fn create_room(&self, name: &str) -> Result<RoomUri> {
        self.create_room_with(name, Preset::Private).await
    }

    /// Creates a room whose roles come from `preset` (POLICY App. A and Conclave's own); the
    /// creator gets the preset's creator role. Returns its URI.
    pub async fn create_room_with(&self, name: &str, preset: Preset) -> Result<RoomUri> {
        self.create_room_opts(name, preset, false).await
    }

    /// Creates a room; a `pseudonymous` one (PROTO §6.1, POLICY §5 `pseudonyms_allowed`) has this
    /// client join as a fresh pseudonym, so the hub never learns who created it, and only users
    /// connected to a member can be added (MIMIMI §5).
    pub async fn create_room_opts(
        &self,
        name: &str,
        preset: Preset,
        pseudonymous: bool,
    ) -> Result<RoomUri> {
        let mut raw = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let room = RoomUri::new(&self.c.id.trust.domain, &hex::encode(raw))?;
        let mut conn = self.c.conn.lock().await;
        let info = self.c.hub.provider().await?;
        let hub = group::HubParts {
            franking_agent: unb64(&info.franking_agent)?,
            signature_key: unb64(&info.signature_key)?,
            credential:
                <openmls::prelude::Credential as tls_codec::Deserialize>::tls_deserialize_exact(
                    unb64(&info.hub_credential)?,
                )
                .map_err(|e| Error::Mls(format!("the hub's credential: {e}")))?,
        };
        if hub.signature_key != self.c.id.trust.provider_key {
            return Err(Error::Mls(
                "the hub's key changed since registration; refusing to trust it".into(),
            ));
        }
        if !pseudonymous {
            let (gi, tree) =
                group::create(&mut conn, &self.c.id, &room, name, preset, &hub, false)?;
            if let Err(e) = self.c.hub.create_room(&gi, &tree, None).await {
                group::forget(&mut conn, &room.to_string())?;
                return Err(e);
            }
        } else {
            let ck = crate::connections::my_connection_key(self.c.secrets.as_ref())?;
            let (p, link_key) = pseudonymous::create(&conn, &self.c.id, &ck, None)?;
            let as_p = pseudonymous::identity(&conn, &self.c.id, &p)?;
            let wrapper = pseudonymous::new_wrapper_key();
            let wrapped = pseudonymous::wrap(&wrapper, &p.client, &link_key)?;
            let made = async {
                self.c
                    .hub
                    .register_pseudonym(&p.credential, &p.token)
                    .await?;
                pseudonymous::registered(&conn, &p)?;
                let (gi, tree) = group::create(&mut conn, &as_p, &room, name, preset, &hub, true)?;
                let r = room.to_string();
                pseudonymous::set_wrapper_key(&conn, &r, &wrapper)?;
                pseudonymous::store_links(&conn, &r, &[(p.client.to_string(), wrapped.clone())])?;
                pseudonymous::joined(&conn, &p.client.to_string(), &r)?;
                if let Err(e) = self
                    .c
                    .hub
                    .with_token(&p.token)
                    .create_room(&gi, &tree, Some(&wrapped))
                    .await
                {
                    group::forget(&mut conn, &r)?;
                    return Err(e);
                }
                Ok(())
            }
            .await;
            if let Err(e) = made {
                pseudonymous::forget(&conn, &p)?;
                return Err(e);
            }
        }
        drop(conn);
        self.c.emit([ClientEvent::RoomJoined(RoomInfo {
            uri: room.to_string(),
            name: name.to_owned(),
            preset: Some(preset.name().to_owned()),
            pseudonymous,
            unread: 0,
        })]);
        Ok(room)
    }

    /// The rooms this client is in.
    pub async fn rooms(&self) -> Result<Vec<RoomInfo>> {
        store::rooms(&*self.c.conn.lock().await, &self.c.id.client.to_string())
    }

    /// A handle on `room`. It names the room and shares this client's state; it does not hold
    /// membership: every call on it checks that this client is in the room at that moment.
    pub fn room(&self, room: &RoomUri) -> Room {
        Room::new(self.c.clone(), room.clone())
    }

    /// A handle on the room `s` names: a room URI, or the id of a room on this client's hub.
    pub fn resolve_room(&self, s: &str) -> Result<Room> {
        Ok(self.room(&self.c.resolve_room(s)?))
    }

    /// A name on this hub or a user URI.
    pub fn resolve_user(&self, s: &str) -> Result<UserUri> {
        self.c.resolve_user(s)
    }

    /// Whether `m` was sent by this user: from any of their devices, or as their pseudonym in its
    /// room. What a UI neither notifies about nor counts as unread.
    pub async fn is_own(&self, m: &Message) -> Result<bool> {
        if m.sender == self.c.id.user.to_string() || m.sender_client == self.c.id.client.to_string()
        {
            return Ok(true);
        }
        let conn = self.c.conn.lock().await;
        store::is_own_pseudonym(&conn, &m.room, &m.sender, &m.sender_client)
    }

    /// The abuse reports this client filed and the hub accepted ("My reports"), newest first.
    pub async fn my_reports(&self) -> Result<Vec<store::FiledReport>> {
        store::my_reports(&*self.c.conn.lock().await)
    }
}

impl From<Shared> for Client {
    fn from(shared: Shared) -> Client {
        Client {
            c: Arc::new(shared),
        }
    }
}
