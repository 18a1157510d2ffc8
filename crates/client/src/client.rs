//! The [`Client`] façade: what UIs, the CLI and tests call. It owns the store, the keystore, the
//! transport and the event stream; MLS work is delegated to [`crate::room`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use mimi::components::{ParticipantListUpdate, RoleData, UserRolePair, UserindexRolePair};
use mimi::content::{Disposition, MessageId, MimiContent, NestedPart, TEXT_PLAIN, message_id};
use mimi::credential::ProviderCredential;
use mimi::ids;
use mimi::policy::{self, Action, Decision, PolicyState, Preset};
use mimi::room::Trust;
use mimi::uri::{ClientUri, RoomUri, UserUri};
use mimi::wire::{
    IdentifierUri, Inline, KEY_MATERIAL_REQUEST_LABEL, KeyMaterialRequest, Protocol,
    SubmitMessageResponse, encode,
};
use openmls::prelude::{Credential, KeyPackage, SignatureScheme};
use openmls_basic_credential::SignatureKeyPair;
use openmls_traits::signatures::Signer as _;
use rand::RngCore;
use rusqlite::Connection;
use tls_codec::Serialize as _;
use tokio::sync::{Mutex, broadcast};

use crate::error::{Error, Result};
use crate::event::ClientEvent;
use crate::identity::{self, CIPHERSUITE, Identity};
use crate::keystore::{self, KeystoreKind, SecretStore};
use crate::pseudonymous;
use crate::room::{self, MemberInfo, Plan};
use crate::store::{self, Message, MessageKind, Provider, RoomInfo};
use crate::transport::{Device, Hub, Reach, is_wrong_epoch, unb64};

/// KeyPackages kept at the hub besides the last-resort one.
const KEY_PACKAGE_STOCK: usize = 10;
/// How often a commit or message is retried after the hub said the epoch moved on.
const EPOCH_RETRIES: usize = 5;

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

/// What one sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Queue entries processed.
    pub processed: usize,
    /// Entries dropped as unusable.
    pub dropped: usize,
}

/// A Conclave client opened on a data directory.
pub struct Client {
    conn: Mutex<Connection>,
    id: Identity,
    hub: Hub,
    events: broadcast::Sender<ClientEvent>,
    data_dir: PathBuf,
    switches: crate::switches::Switches,
    secrets: Box<dyn SecretStore>,
    /// How many devices the user has, as last asked (0: ask again); sizes KeyPackage sets.
    device_count: std::sync::atomic::AtomicU32,
}

fn db_path(dir: &Path) -> PathBuf {
    dir.join("conclave.sqlite3")
}

fn open_dir(dir: &Path) -> Result<Connection> {
    // Secrets at rest: the home 0700 and every file in it 0600, narrowed if wider.
    crate::private::create_dir(dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    store::open(&db_path(dir))
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
        let mut conn = open_dir(dir)?;
        if let Some(c) = store::meta(&conn, "client")? {
            return Err(Error::AlreadyRegistered(c));
        }
        let secrets = keystore::open(options.keystore, dir)?;
        let provider = hub.provider().await?;
        let provider_key = unb64(&provider.signature_key)?;
        let signer = SignatureKeyPair::new(SignatureScheme::ED25519).map_err(Error::mls)?;
        let (hub_code, secret) = match link_code.map(split_link_code).transpose()? {
            Some((c, s)) => (Some(c), s),
            None => (None, None),
        };
        let reg = hub
            .register(name, signer.public(), hub_code.as_deref())
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
        store::set_meta(&tx, "credential", &reg.credential)?;
        store::set_meta(&tx, "queue_cursor", "0")?;
        if crate::transport::needs_insecure(hub.url())? {
            store::set_meta(&tx, INSECURE_HUB, hub.url())?;
        }
        if let (Some(secret), Some(sealed)) = (&secret, &reg.device_keys) {
            crate::connections::open_device_keys(&tx, secrets.as_ref(), secret, &unb64(sealed)?)?;
        }
        tx.commit()?;
        drop(conn);
        let client = Client::open_with(dir, secrets, None, options)?;
        client.ensure_key_packages().await?;
        if link_code.is_none() {
            client.create_connection_keys().await?;
        }
        Ok(client)
    }

    /// Opens the client registered in `dir`.
    pub fn open(dir: &Path, options: &Options) -> Result<Client> {
        let conn = open_dir(dir)?;
        if store::meta(&conn, "client")?.is_none() {
            return Err(Error::NotRegistered);
        }
        drop(conn);
        let secrets = keystore::open(options.keystore, dir)?;
        Client::open_with(dir, secrets, options.hub_override.as_deref(), options)
    }

    fn open_with(
        dir: &Path,
        secrets: Box<dyn SecretStore>,
        hub_override: Option<&str>,
        options: &Options,
    ) -> Result<Client> {
        let conn = open_dir(dir)?;
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
        Ok(Client {
            conn: Mutex::new(conn),
            id,
            hub,
            events,
            data_dir: dir.to_path_buf(),
            switches: Default::default(),
            secrets,
            device_count: std::sync::atomic::AtomicU32::new(0),
        })
    }

    /// The user this client belongs to.
    pub fn user(&self) -> &UserUri {
        &self.id.user
    }

    /// This client's URI.
    pub fn client_uri(&self) -> &ClientUri {
        &self.id.client
    }

    /// The hub URL this client talks to.
    pub fn hub_url(&self) -> &str {
        self.hub.url()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Test-only: play a misbehaving client that sends commits without asking the policy engine
    /// first, to prove that the hub (and, with the hub's checks off, every other client) refuses
    /// them. Incoming commits are still checked.
    #[cfg(feature = "test-switches")]
    pub fn set_skip_local_policy_check(&self, skip: bool) {
        self.switches.set_skip_precheck(skip);
    }

    /// Test-only: play a sender whose franking tag does not match its content (the tag of the
    /// content with its first text byte changed), to prove receivers never show such a message as
    /// verified.
    #[cfg(feature = "test-switches")]
    pub fn set_forge_franking_tag(&self, forge: bool) {
        self.switches.set_forge_franking_tag(forge);
    }

    /// Subscribes to events.
    pub fn subscribe(&self) -> broadcast::Receiver<ClientEvent> {
        self.events.subscribe()
    }

    fn emit(&self, events: impl IntoIterator<Item = ClientEvent>) {
        for e in events {
            let _ = self.events.send(e);
        }
    }

    /// Publishes the first stock of KeyPackages if that has not happened yet (registration may
    /// have been interrupted after the hub knew the client).
    async fn ensure_key_packages(&self) -> Result<()> {
        if store::meta(&*self.conn.lock().await, "key_packages_published")?.is_some() {
            return Ok(());
        }
        self.publish_key_packages(KEY_PACKAGE_STOCK, true).await?;
        store::set_meta(&*self.conn.lock().await, "key_packages_published", "1")
    }

    async fn publish_key_packages(&self, n: usize, last_resort: bool) -> Result<()> {
        let conn = self.conn.lock().await;
        let provider = Provider::new(&conn);
        let cwk = self.id.credential_with_key();
        let make = |lr: bool| -> Result<Vec<u8>> {
            let mut b = KeyPackage::builder().leaf_node_capabilities(identity::capabilities());
            if lr {
                b = b.mark_as_last_resort();
            }
            b.build(CIPHERSUITE, &provider, &self.id.signer, cwk.clone())
                .map_err(Error::mls)?
                .key_package()
                .tls_serialize_detached()
                .map_err(Error::mls)
        };
        let kps = (0..n).map(|_| make(false)).collect::<Result<Vec<_>>>()?;
        let lr = if last_resort { Some(make(true)?) } else { None };
        drop(conn);
        self.hub.upload_key_packages(&kps, lr.as_deref()).await
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
        let room = RoomUri::new(&self.id.trust.domain, &hex::encode(raw))?;
        let mut conn = self.conn.lock().await;
        let info = self.hub.provider().await?;
        let hub = room::HubParts {
            franking_agent: unb64(&info.franking_agent)?,
            signature_key: unb64(&info.signature_key)?,
            credential:
                <openmls::prelude::Credential as tls_codec::Deserialize>::tls_deserialize_exact(
                    unb64(&info.hub_credential)?,
                )
                .map_err(|e| Error::Mls(format!("the hub's credential: {e}")))?,
        };
        if hub.signature_key != self.id.trust.provider_key {
            return Err(Error::Mls(
                "the hub's key changed since registration; refusing to trust it".into(),
            ));
        }
        if !pseudonymous {
            let (gi, tree) = room::create(&mut conn, &self.id, &room, name, preset, &hub, false)?;
            if let Err(e) = self.hub.create_room(&gi, &tree, None).await {
                room::forget(&mut conn, &room.to_string())?;
                return Err(e);
            }
        } else {
            let ck = crate::connections::my_connection_key(self.secrets.as_ref())?;
            let (p, link_key) = pseudonymous::create(&conn, &self.id, &ck, None)?;
            let as_p = pseudonymous::identity(&conn, &self.id, &p)?;
            let wrapper = pseudonymous::new_wrapper_key();
            let wrapped = pseudonymous::wrap(&wrapper, &p.client, &link_key)?;
            let made = async {
                self.hub.register_pseudonym(&p.credential, &p.token).await?;
                pseudonymous::registered(&conn, &p)?;
                let (gi, tree) = room::create(&mut conn, &as_p, &room, name, preset, &hub, true)?;
                let r = room.to_string();
                pseudonymous::set_wrapper_key(&conn, &r, &wrapper)?;
                pseudonymous::store_links(&conn, &r, &[(p.client.to_string(), wrapped.clone())])?;
                pseudonymous::joined(&conn, &p.client.to_string(), &r)?;
                if let Err(e) = self
                    .hub
                    .with_token(&p.token)
                    .create_room(&gi, &tree, Some(&wrapped))
                    .await
                {
                    room::forget(&mut conn, &r)?;
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
        self.emit([ClientEvent::RoomJoined(RoomInfo {
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
        store::rooms(&*self.conn.lock().await, &self.id.client.to_string())
    }

    /// Marks everything in a room read (its unread count goes to 0 until the next message).
    pub async fn mark_read(&self, room: &RoomUri) -> Result<()> {
        store::mark_read(&*self.conn.lock().await, &room.to_string())
    }

    /// The members of a room; in a pseudonymous room each pseudonym is resolved to the real user
    /// behind it where every check passes (`specs/mimi.md` §4.7), fetching the wrapped
    /// identity_link_keys this client lacks from the hub (MIMIMI §4.1 step 4).
    pub async fn members(&self, room: &RoomUri) -> Result<Vec<MemberInfo>> {
        let r = room.to_string();
        let conn = self.conn.lock().await;
        if room::is_pseudonymous(&conn, &self.id, &r)?
            && !pseudonymous::has_all_links(
                &conn,
                &r,
                &room::leaf_pseudonyms(&conn, &self.id, &r)?,
            )?
        {
            let hub = self.in_room(&conn, &r)?.hub(self).clone();
            let links = hub.identity_links(room.local()).await?;
            pseudonymous::store_links(&conn, &r, &links)?;
        }
        room::members(&conn, &self.id, &r)
    }

    /// The room's current MLS epoch as this client sees it.
    pub async fn epoch(&self, room: &RoomUri) -> Result<u64> {
        Ok(
            room::load_group(&*self.conn.lock().await, &room.to_string())?
                .epoch()
                .as_u64(),
        )
    }

    /// Whether `m` was sent by this user: from any of their devices, or as their pseudonym in its
    /// room. What a UI neither notifies about nor counts as unread.
    pub async fn is_own(&self, m: &Message) -> Result<bool> {
        if m.sender == self.id.user.to_string() || m.sender_client == self.id.client.to_string() {
            return Ok(true);
        }
        let conn = self.conn.lock().await;
        store::is_own_pseudonym(&conn, &m.room, &m.sender, &m.sender_client)
    }

    /// The last `limit` messages of a room, in hub order.
    pub async fn messages(&self, room: &RoomUri, limit: u32) -> Result<Vec<Message>> {
        let conn = self.conn.lock().await;
        if store::room_group(&conn, &room.to_string())?.is_none() {
            return Err(Error::UnknownRoom(room.to_string()));
        }
        store::messages(&conn, &room.to_string(), limit)
    }

    async fn claim(
        &self,
        room: &RoomUri,
        user: &UserUri,
    ) -> Result<Vec<(mimi::credential::ClientIdentity, KeyPackage)>> {
        let cwk = self.id.credential_with_key();
        let mut req = KeyMaterialRequest {
            protocol: Protocol::Mls10,
            requesting_user: IdentifierUri::new(&self.id.user),
            target_user: IdentifierUri::new(user),
            room_id: IdentifierUri::new(room),
            acceptable_ciphersuites: vec![mimi::ids::CIPHERSUITE],
            required_capabilities: Inline::from_bytes(
                identity::required_capabilities()
                    .tls_serialize_detached()
                    .map_err(Error::mls)?,
                "RequiredCapabilities",
            )?,
            requester_signature_key: self.id.signer.public().to_vec().into(),
            requester_credential: Inline::<Credential>::from_bytes(
                cwk.credential
                    .tls_serialize_detached()
                    .map_err(Error::mls)?,
                "Credential",
            )?,
            signature: Vec::new().into(),
        };
        let tbs = mimi::credential::sign_content(KEY_MATERIAL_REQUEST_LABEL, &req.tbs());
        req.signature = self
            .id
            .signer
            .sign(&tbs)
            .map_err(|e| Error::Mls(format!("signing: {e:?}")))?
            .into();
        let resp = self.hub.key_material(encode(&req)).await?;
        room::validate_key_material(&resp, user, &self.id.trust)
    }

    /// Invites users (names on this hub, or user URIs) to a room as the first role the local
    /// user may add them to; see [`Client::invite_as`].
    pub async fn invite(&self, room: &RoomUri, users: &[String]) -> Result<()> {
        self.invite_as(room, users, None).await
    }

    /// Invites users to a room: lists each one not yet listed with `role` (by default the first
    /// role the local user's role may add to, POLICY §8.1 canAddParticipant), claims their
    /// KeyPackages and commits the participant-list update with the Adds in one commit (PROTO
    /// §5.3); the Welcome goes out through the hub. A listed user whose clients were kicked is let
    /// back in with Adds alone.
    pub async fn invite_as(
        &self,
        room: &RoomUri,
        users: &[String],
        role: Option<&str>,
    ) -> Result<()> {
        let state = self.policy_state(room).await?;
        if state.base.pseudonyms_allowed {
            return self.invite_pseudonymous(room, &state, users, role).await;
        }
        let mut plan = Plan::default();
        let mut added = ParticipantListUpdate::default();
        for u in users {
            let user = self.resolve_user(u)?;
            if state.participants.index_of(&user.to_bytes()).is_none() {
                let role = match role {
                    Some(r) => resolve_role(&state, r)?,
                    None => default_add_role(&state, &self.id.user, &user)?,
                };
                added.added_participants.push(UserRolePair {
                    user: user.to_bytes().into(),
                    role_index: role,
                });
            }
            let kps = self.claim(room, &user).await?;
            if kps.is_empty() {
                return Err(Error::NothingToAdd(format!(
                    "{user} has no device that could be added to {room} (not registered, out of KeyPackages, or already in the room)"
                )));
            }
            plan.adds.extend(kps);
        }
        if !added.added_participants.is_empty() {
            plan.updates.push((ids::PARTICIPANT_LIST, added.to_bytes()));
        }
        self.commit(room, &plan).await
    }

    /// MIMIMI §4.1: adds connected users to a pseudonymous room. For each, claims a complete
    /// KeyPackage set under their connection token, checks that every KeyPackage resolves to
    /// one of their clients, lists their user pseudonym, and commits the Adds with the wrapped
    /// identity_link_keys in AddAAD and the room's wrapper key in the Welcome's GroupInfo.
    async fn invite_pseudonymous(
        &self,
        room: &RoomUri,
        state: &PolicyState,
        users: &[String],
        role: Option<&str>,
    ) -> Result<()> {
        let crypto = openmls_rust_crypto::RustCrypto::default();
        let me = self.me_as(room).await?;
        let mut plan = Plan::default();
        let mut added = ParticipantListUpdate::default();
        let mut wrapped_keys = Vec::new();
        let mut links = Vec::new();
        for u in users {
            let user = self.resolve_user(u)?;
            let (ck, wrapper) = {
                let conn = self.conn.lock().await;
                let ck = crate::connections::their_key(&conn, &user)?.ok_or_else(|| {
                    Error::Usage(format!(
                        "connect with {user} first: only connected users can add each other to a pseudonymous room (MIMIMI §5)"
                    ))
                })?;
                let wrapper =
                    pseudonymous::wrapper_key(&conn, &room.to_string())?.ok_or_else(|| {
                        Error::Mls(format!("this device lacks the wrapper key of {room}"))
                    })?;
                (ck, wrapper)
            };
            let token = ck
                .connection_token(&crypto)
                .map_err(|e| Error::Mls(e.to_string()))?;
            let (up, packages) = self.hub.claim_key_package_set(&token).await?;
            let up = UserUri::parse(&up)?;
            let checked = pseudonymous::check_set(&self.id, &user, &ck, &up, &packages)?;
            if state.participants.index_of(&up.to_bytes()).is_none() {
                let role = match role {
                    Some(r) => resolve_role(state, r)?,
                    None => default_add_role(state, &me, &up)?,
                };
                added.added_participants.push(UserRolePair {
                    user: up.to_bytes().into(),
                    role_index: role,
                });
            }
            for (who, kp, link_key) in checked {
                let sealed = wrapper
                    .wrap(&crypto, &who.client, &link_key, rand::random())
                    .map_err(|e| Error::Mls(e.to_string()))?;
                links.push((who.client.to_string(), sealed.to_bytes()));
                wrapped_keys.push(sealed);
                plan.adds.push((who, kp));
            }
            plan.welcome_extension = Some(
                mimi::identity::IdentityLinkExtension {
                    identity_link_wrapper_key: wrapper,
                }
                .to_bytes(),
            );
        }
        if !added.added_participants.is_empty() {
            plan.updates.push((ids::PARTICIPANT_LIST, added.to_bytes()));
        }
        plan.add_aad = Some(room::AddAadPlan {
            aad: mimi::identity::AddAad { wrapped_keys }.to_bytes(),
            links,
        });
        self.commit(room, &plan).await
    }

    /// MIMIMI §8: keeps this client's pseudonymous KeyPackages stocked. It completes the sets
    /// the user's other clients started (one KeyPackage, same user pseudonym) and keeps
    /// [`pseudonymous::OPEN_SETS`] sets of its own started, each sized for all the user's
    /// clients. Only a client holding the user's connection key takes part.
    async fn restock_pseudonymous(&self) -> Result<()> {
        let Ok(ck) = crate::connections::my_connection_key(self.secrets.as_ref()) else {
            return Ok(());
        };
        let token = ck
            .connection_token(&openmls_rust_crypto::RustCrypto::default())
            .map_err(|e| Error::Mls(e.to_string()))?;
        // A registration that never completed (refused, or its call dropped when a sync was cut
        // short): the hub does not know its token, so it is never used; forget it.
        {
            let conn = self.conn.lock().await;
            for p in pseudonymous::unregistered(&conn)? {
                pseudonymous::forget(&conn, &p)?;
            }
        }
        let sets = self.hub.key_package_sets(&token).await?;
        let mine: Vec<pseudonymous::Pseudonym> = pseudonymous::all(&*self.conn.lock().await)?;
        let is_mine = |c: &String| mine.iter().any(|p| &p.client.to_string() == c);
        use std::sync::atomic::Ordering;
        let mut size = self.device_count.load(Ordering::Relaxed);
        if size == 0 {
            size = self.hub.devices().await?.len().max(1) as u32;
            self.device_count.store(size, Ordering::Relaxed);
        }
        let mut wanted: Vec<(Option<UserUri>, Option<u32>)> = Vec::new();
        let mut started = 0;
        for set in &sets {
            if set.set_size != size {
                // Sized for another number of devices: a set that can never be complete, or
                // that would leave a device out. Withdrawn, by whichever device sees it first.
                let user = UserUri::parse(&set.user_pseudonym)?;
                match self.hub.drop_key_package_set(&token, user.local()).await {
                    Ok(()) | Err(Error::Hub { status: 404, .. }) => {}
                    Err(e) => return Err(e),
                }
                let conn = self.conn.lock().await;
                for p in mine
                    .iter()
                    .filter(|p| set.clients.contains(&p.client.to_string()))
                {
                    pseudonymous::forget(&conn, p)?;
                }
            } else if set.clients.iter().any(is_mine) {
                started += 1;
            } else if set.count < set.set_size {
                wanted.push((
                    Some(UserUri::parse(&set.user_pseudonym)?),
                    Some(set.set_size),
                ));
            }
        }
        for _ in started..pseudonymous::OPEN_SETS {
            wanted.push((None, Some(size)));
        }
        for (user, size) in wanted {
            let (p, kp) = {
                let conn = self.conn.lock().await;
                let (p, _) = pseudonymous::create(&conn, &self.id, &ck, user)?;
                let kp = pseudonymous::key_package(&conn, &self.id, &p)?;
                (p, kp)
            };
            match self
                .hub
                .upload_pseudonymous_key_package(&token, size.unwrap_or(1), &kp, &p.token)
                .await
            {
                Ok(()) => pseudonymous::registered(&*self.conn.lock().await, &p)?,
                Err(e) => {
                    pseudonymous::forget(&*self.conn.lock().await, &p)?;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// The room's policy state (roles, participants, base policy) as this client holds it.
    pub async fn policy_state(&self, room: &RoomUri) -> Result<PolicyState> {
        let conn = self.conn.lock().await;
        room::state_of(&room::load_group(&conn, &room.to_string())?, &self.id.trust)
    }

    /// What the policy engine answers if the local user (or `as_user`) does `action` now — the
    /// same call the UI uses to decide which actions to offer.
    pub async fn can(&self, room: &RoomUri, action: &Action) -> Result<Decision> {
        let state = self.policy_state(room).await?;
        Ok(policy::decide_action(
            &state,
            &self.me_as(room).await?,
            action,
        ))
    }

    /// Parses a CLI/UI verb into a policy action against `room`'s roles.
    pub async fn action(
        &self,
        room: &RoomUri,
        verb: &str,
        user: Option<&str>,
        role: Option<&str>,
    ) -> Result<Action> {
        let state = self.policy_state(room).await?;
        let me = self.me_as(room).await?;
        let target = match user {
            Some(u) => Some(self.target(room, u).await?),
            None => None,
        };
        let need =
            |t: Option<UserUri>| t.ok_or_else(|| Error::Usage(format!("{verb} needs a USER")));
        let role_or = |default: Option<u32>| -> Result<u32> {
            match role {
                Some(r) => resolve_role(&state, r),
                None => default.ok_or_else(|| Error::Usage(format!("{verb} needs --role ROLE"))),
            }
        };
        Ok(match verb {
            "add" | "invite" => {
                let t = need(target)?;
                let r = match role {
                    Some(r) => resolve_role(&state, r)?,
                    None => default_add_role(&state, &me, &t)?,
                };
                Action::Add { target: t, role: r }
            }
            "remove" => Action::Remove {
                target: need(target)?,
            },
            "kick" => Action::Kick {
                target: need(target)?,
            },
            "ban" => Action::Ban {
                target: need(target)?,
            },
            "unban" => Action::Unban {
                target: need(target)?,
                role: role_or(None)?,
            },
            "role" | "set-role" => Action::ChangeRole {
                target: need(target)?,
                role: role_or(None)?,
            },
            "leave" => Action::Leave,
            "send" => Action::SendMessage,
            "receive" => Action::ReceiveMessage,
            "report" => Action::ReportAbuse,
            // POLICY §8.3: what replies, reactions, edits and deletes need besides sending.
            "reply" => Action::Message(policy::Capability::CAN_REPLY_TO_MESSAGE),
            "react" => Action::Message(policy::Capability::CAN_REACT_TO_MESSAGE),
            "unreact" => Action::Message(policy::Capability::CAN_DELETE_OWN_REACTION),
            "edit" => Action::Message(policy::Capability::CAN_EDIT_OWN_MESSAGE),
            "delete-own" => Action::Message(policy::Capability::CAN_DELETE_OWN_MESSAGE),
            "delete-other" => Action::Message(policy::Capability::CAN_DELETE_OTHER_MESSAGE),
            other => {
                return Err(Error::Usage(format!(
                    "unknown action {other:?}: use add, remove, kick, ban, unban, role, leave, send, receive, report, reply, react, unreact, edit, delete-own or delete-other"
                )));
            }
        })
    }

    /// Changes another user's role (POLICY §8.1 canChangeUserRole, or canBan/canUnban when
    /// moving to or from `banned`).
    pub async fn set_role(&self, room: &RoomUri, user: &str, role: &str) -> Result<()> {
        let state = self.policy_state(room).await?;
        let user = self.target(room, user).await?;
        let role = resolve_role(&state, role)?;
        let index = listed_index(&state, &user)?;
        let update = ParticipantListUpdate {
            changed_role_participants: vec![UserindexRolePair {
                user_index: index,
                role_index: role,
            }],
            ..Default::default()
        };
        let mut plan = Plan {
            updates: vec![(ids::PARTICIPANT_LIST, update.to_bytes())],
            ..Default::default()
        };
        // A role that allows no active participants (e.g. banned) takes the user's clients out.
        if state.role(role).is_some_and(|r| !r.allows_active()) {
            plan.removes = state.clients_of(&user).map(|c| c.client.clone()).collect();
        }
        self.commit(room, &plan).await
    }

    /// Removes all of a user's clients, keeping the user listed with its role (canKick).
    pub async fn kick(&self, room: &RoomUri, user: &str) -> Result<()> {
        let state = self.policy_state(room).await?;
        let user = self.target(room, user).await?;
        listed_index(&state, &user)?;
        let plan = Plan {
            removes: state.clients_of(&user).map(|c| c.client.clone()).collect(),
            ..Default::default()
        };
        if plan.removes.is_empty() {
            return Err(Error::NothingToAdd(format!(
                "{user} has no clients in {room}"
            )));
        }
        self.commit(room, &plan).await
    }

    /// Bans a user: role 1 `banned` and all their clients out (canBan).
    pub async fn ban(&self, room: &RoomUri, user: &str) -> Result<()> {
        self.set_role(room, user, "banned").await
    }

    /// Unbans a user to `role`, by default the role they would be invited as (canUnban). Their
    /// clients are not added back: they come back by invitation.
    pub async fn unban(&self, room: &RoomUri, user: &str, role: Option<&str>) -> Result<()> {
        let state = self.policy_state(room).await?;
        let target = self.target(room, user).await?;
        let role = match role {
            Some(r) => r.to_owned(),
            None => {
                let r = state
                    .role(state.role_of(&self.me_as(room).await?))
                    .and_then(|r| {
                        r.authorized_role_changes
                            .iter()
                            .find(|c| c.from_role_index == 1)
                            .and_then(|c| c.target_role_indexes.iter().find(|t| **t > 1).copied())
                    })
                    .ok_or_else(|| Error::NotAllowed {
                        rule: "canUnban".into(),
                        reason: format!("your role may not unban {target}"),
                    })?;
                r.to_string()
            }
        };
        self.set_role(room, user, &role).await
    }

    /// Removes a user from the room: out of the participant list and all clients out
    /// (canRemoveParticipant).
    pub async fn remove_user(&self, room: &RoomUri, user: &str) -> Result<()> {
        let state = self.policy_state(room).await?;
        let user = self.target(room, user).await?;
        let index = listed_index(&state, &user)?;
        let update = ParticipantListUpdate {
            removed_indices: vec![index],
            ..Default::default()
        };
        let plan = Plan {
            removes: state.clients_of(&user).map(|c| c.client.clone()).collect(),
            updates: vec![(ids::PARTICIPANT_LIST, update.to_bytes())],
            ..Default::default()
        };
        self.commit(room, &plan).await
    }

    /// The room's role definitions.
    pub async fn roles(&self, room: &RoomUri) -> Result<Vec<crate::roles::RoleInfo>> {
        Ok(crate::roles::describe(
            &self.policy_state(room).await?.roles,
        ))
    }

    /// The local user's role in a room and what it may do now: the answer a UI needs to say
    /// "You are muted in this room".
    pub async fn me_in(&self, room: &RoomUri) -> Result<crate::roles::RoleInfo> {
        let state = self.policy_state(room).await?;
        let role = state.role_of(&self.me_as(room).await?);
        state
            .role(role)
            .map(crate::roles::RoleInfo::from)
            .ok_or_else(|| Error::Usage(format!("the room defines no role {role}")))
    }

    /// Reports messages of one sender to the hub (PROTO §5.9): each goes with its exact content
    /// bytes and the hub's Frank, so the hub can verify it without having kept a copy. Needs
    /// canReportAbuse; unverified messages cannot be reported. Returns the report's id.
    pub async fn report(
        &self,
        room: &RoomUri,
        message_ids: &[String],
        reason: Option<&str>,
        note: Option<&str>,
    ) -> Result<i64> {
        if !self.switches.skip_precheck()
            && let Decision::Denied { rule, reason } = self.can(room, &Action::ReportAbuse).await?
        {
            return Err(Error::NotAllowed {
                rule: rule.to_owned(),
                reason,
            });
        }
        if message_ids.is_empty() {
            return Err(Error::Usage("name at least one message to report".into()));
        }
        let mut messages = Vec::new();
        let mut abuser: Option<String> = None;
        {
            let conn = self.conn.lock().await;
            for mid in message_ids {
                let store::Reportable {
                    content,
                    frank,
                    timestamp,
                    sender,
                    verified,
                } = store::reportable(&conn, &room.to_string(), mid)?
                    .ok_or_else(|| Error::Usage(format!("no message {mid} in {room}")))?;
                let frank = match (verified, frank) {
                    (true, Some(f)) => mimi::wire::decode::<mimi::wire::Frank>(&f, "Frank")?,
                    _ => {
                        return Err(Error::Usage(format!(
                            "message {mid} is unverified: its frank did not check out, so it cannot be reported"
                        )));
                    }
                };
                match &abuser {
                    Some(a) if a != &sender => {
                        return Err(Error::Usage(
                            "a report is about one sender: report each sender's messages separately"
                                .into(),
                        ));
                    }
                    _ => abuser = Some(sender),
                }
                messages.push(mimi::franking::AbusiveMessage {
                    message_content: content.into(),
                    frank,
                    accepted_timestamp: timestamp,
                });
            }
        }
        let report = mimi::franking::AbuseReport {
            reporting_user: IdentifierUri::new(&self.me_as(room).await?),
            alleged_abuser_uri: IdentifierUri {
                uri: abuser.unwrap_or_default().into_bytes().into(),
            },
            reason_code: 0,
            note: note.unwrap_or_default().as_bytes().to_vec().into(),
            messages,
            abuse_extensions: reason
                .map(|r| mimi::franking::ComponentData {
                    component_id: ids::REPORT_REASON,
                    data: r.as_bytes().to_vec().into(),
                })
                .into_iter()
                .collect(),
        };
        let hub = {
            let conn = self.conn.lock().await;
            self.in_room(&conn, &room.to_string())?.hub(self).clone()
        };
        let abuser = String::from_utf8_lossy(report.alleged_abuser_uri.uri.as_slice()).into_owned();
        let id = hub.report(room.local(), report.to_bytes()).await?;
        store::keep_report(
            &*self.conn.lock().await,
            &store::FiledReport {
                id,
                room: room.to_string(),
                abuser,
                message_ids: message_ids.to_vec(),
                reason: reason.unwrap_or_default().to_owned(),
                note: note.unwrap_or_default().to_owned(),
                filed_at: store::now_ms(),
            },
        )?;
        Ok(id)
    }

    /// The abuse reports this client filed and the hub accepted ("My reports"), newest first.
    pub async fn my_reports(&self) -> Result<Vec<store::FiledReport>> {
        store::my_reports(&*self.conn.lock().await)
    }

    /// How many messages of the room this client did not show because the local user could not
    /// receive them, or their sender could not send them (POLICY §8.3).
    pub async fn hidden_count(&self, room: &RoomUri) -> Result<u64> {
        store::hidden(&*self.conn.lock().await, &room.to_string())
    }

    /// Mutes a user: moves them to a role without canSendMessage that still receives (e.g.
    /// `guest`), remembering their role for [`Client::unmute`].
    pub async fn mute(&self, room: &RoomUri, user: &str) -> Result<()> {
        self.move_aside(room, user, Aside::Mute).await
    }

    /// Takes canReceiveMessage away from a user: moves them to a role without it (e.g.
    /// `suspended`), remembering their role for [`Client::unsuspend`].
    pub async fn suspend(&self, room: &RoomUri, user: &str) -> Result<()> {
        self.move_aside(room, user, Aside::Suspend).await
    }

    /// Gives a muted user their voice back: `role`, or the role they had before.
    pub async fn unmute(&self, room: &RoomUri, user: &str, role: Option<&str>) -> Result<()> {
        self.move_back(room, user, role).await
    }

    /// Gives a suspended user their messages back: `role`, or the role they had before.
    pub async fn unsuspend(&self, room: &RoomUri, user: &str, role: Option<&str>) -> Result<()> {
        self.move_back(room, user, role).await
    }

    async fn move_aside(&self, room: &RoomUri, user: &str, aside: Aside) -> Result<()> {
        let state = self.policy_state(room).await?;
        let target = self.target(room, user).await?;
        listed_index(&state, &target)?;
        let current = state.role_of(&target);
        let fits = |r: &mimi::components::Role| {
            let send = r.lists(policy::Capability::CAN_SEND_MESSAGE);
            let receive = r.lists(policy::Capability::CAN_RECEIVE_MESSAGE);
            r.role_index > 1
                && r.allows_active()
                && !send
                && match aside {
                    Aside::Mute => receive,
                    Aside::Suspend => !receive,
                }
        };
        let (verb, preferred) = match aside {
            Aside::Mute => ("mute", "guest"),
            Aside::Suspend => ("suspend", "suspended"),
        };
        if state.role(current).is_some_and(fits) {
            return Err(Error::Usage(format!(
                "{target} is already {verb}d ({})",
                state.role_name(current)
            )));
        }
        let mut candidates: Vec<&mimi::components::Role> =
            state.roles.roles.iter().filter(|r| fits(r)).collect();
        candidates.sort_by_key(|r| (r.name() != preferred, r.role_index));
        let Some(role) = candidates.first() else {
            return Err(Error::Usage(format!(
                "this room's roles have no role to {verb} with: one without canSendMessage{} that may have clients",
                match aside {
                    Aside::Mute => " but with canReceiveMessage",
                    Aside::Suspend => " and without canReceiveMessage",
                }
            )));
        };
        let role = role.role_index.to_string();
        self.set_role(room, user, &role).await?;
        self.conn.lock().await.execute(
            "INSERT INTO previous_roles (room_uri, user_uri, role_index) VALUES (?1, ?2, ?3)
             ON CONFLICT(room_uri, user_uri) DO UPDATE SET role_index = excluded.role_index",
            rusqlite::params![room.to_string(), target.to_string(), current],
        )?;
        Ok(())
    }

    async fn move_back(&self, room: &RoomUri, user: &str, role: Option<&str>) -> Result<()> {
        let target = self.target(room, user).await?;
        let role = match role {
            Some(r) => r.to_owned(),
            None => {
                let remembered: Option<i64> = self
                    .conn
                    .lock()
                    .await
                    .query_row(
                        "SELECT role_index FROM previous_roles WHERE room_uri = ?1 AND user_uri = ?2",
                        [room.to_string(), target.to_string()],
                        |r| r.get(0),
                    )
                    .ok();
                remembered.map(|r| r.to_string()).ok_or_else(|| {
                    Error::Usage(format!(
                        "this device does not know which role {target} had before: name one"
                    ))
                })?
            }
        };
        self.set_role(room, user, &role).await?;
        self.conn.lock().await.execute(
            "DELETE FROM previous_roles WHERE room_uri = ?1 AND user_uri = ?2",
            [room.to_string(), target.to_string()],
        )?;
        Ok(())
    }

    /// Replaces the room's role definitions (canChangeRoleDefinitions).
    pub async fn define_roles(&self, room: &RoomUri, roles: &RoleData) -> Result<()> {
        let plan = Plan {
            updates: vec![(ids::ROLES_LIST, roles.to_bytes())],
            ..Default::default()
        };
        self.commit(room, &plan).await
    }

    /// A room URI, or the id of a room on this client's hub.
    pub fn resolve_room(&self, s: &str) -> Result<RoomUri> {
        if s.starts_with("mimi://") {
            Ok(RoomUri::parse(s)?)
        } else {
            Ok(RoomUri::new(&self.id.trust.domain, s)?)
        }
    }

    /// A name on this hub or a user URI.
    pub fn resolve_user(&self, s: &str) -> Result<UserUri> {
        if s.starts_with("mimi://") {
            Ok(UserUri::parse(s)?)
        } else {
            Ok(UserUri::new(&self.id.trust.domain, s)?)
        }
    }

    /// Who this client is in `room` and how it reaches the hub there: itself, or in a
    /// pseudonymous room its pseudonym (leaf key, pseudonymous credential, the pseudonym's token).
    fn in_room(&self, conn: &Connection, room: &str) -> Result<InRoom> {
        Ok(match pseudonymous::in_room(conn, room)? {
            Some(p) => InRoom(Some((
                pseudonymous::identity(conn, &self.id, &p)?,
                self.hub.with_token(&p.token),
            ))),
            None => InRoom(None),
        })
    }

    /// The local user as `room`'s participant list names it: its user pseudonym in a
    /// pseudonymous room.
    async fn me_as(&self, room: &RoomUri) -> Result<UserUri> {
        let conn = self.conn.lock().await;
        Ok(match pseudonymous::in_room(&conn, &room.to_string())? {
            Some(p) => p.user,
            None => self.id.user.clone(),
        })
    }

    /// The participant a moderation command names: a user on this hub or a user URI; in a
    /// pseudonymous room also a listed user pseudonym, and a real user is found through the
    /// resolved pseudonyms (only a verified one: a moderator acts on whom it can see).
    pub async fn target(&self, room: &RoomUri, s: &str) -> Result<UserUri> {
        let user = self.resolve_user(s)?;
        let members = self.members(room).await?;
        if !members.iter().any(|m| m.verified.is_some())
            || members.iter().any(|m| m.user == user.to_string())
        {
            return Ok(user);
        }
        let found = members
            .iter()
            .find(|m| m.real_user.as_deref() == Some(&user.to_string()))
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{user} is not a verified member of this pseudonymous room; name their pseudonym (room members)"
                ))
            })?;
        Ok(UserUri::parse(&found.user)?)
    }

    /// Stages, submits and merges a commit; on `wrongEpoch` catches up and tries again.
    async fn commit(&self, room: &RoomUri, plan: &Plan) -> Result<()> {
        let r = room.to_string();
        for _ in 0..EPOCH_RETRIES {
            let mut conn = self.conn.lock().await;
            let precheck = !self.switches.skip_precheck();
            let me = self.in_room(&conn, &r)?;
            let Some(bundle) = room::stage_commit(&mut conn, me.id(self), &r, plan, precheck)?
            else {
                return Ok(());
            };
            match me.hub(self).update(room.local(), bundle).await {
                Ok(accepted) => {
                    let events = room::merge_pending(
                        &mut conn,
                        me.id(self),
                        &r,
                        accepted.accepted_timestamp,
                    )?;
                    if let Some(a) = &plan.add_aad {
                        pseudonymous::store_links(&conn, &r, &a.links)?;
                    }
                    drop(conn);
                    self.emit(events);
                    return Ok(());
                }
                Err(e) if is_wrong_epoch(&e) => {
                    room::clear_pending(&mut conn, &r)?;
                    self.sync_locked(&mut conn).await?;
                    drop(conn);
                    self.emit(retried(&r, &e));
                }
                Err(e) => {
                    room::clear_pending(&mut conn, &r)?;
                    return Err(e);
                }
            }
        }
        Err(Error::Mls(format!(
            "the room {room} kept moving on; tried {EPOCH_RETRIES} times"
        )))
    }

    /// Sends a text message; returns its message ID (hex).
    pub async fn send_text(&self, room: &RoomUri, text: &str) -> Result<String> {
        self.send_content(room, |_, salt, user, r| {
            Ok(MimiContent::text(salt, user, r, text))
        })
        .await
    }

    /// Replies to the message `to` (hex ID) with text (CONTENT §4.1 inReplyTo, POLICY §8.3
    /// canReplyToMessage); returns the reply's ID.
    pub async fn reply(&self, room: &RoomUri, to: &str, text: &str) -> Result<String> {
        self.send_content(room, |conn, salt, user, r| {
            let mut c = MimiContent::text(salt, user, r, text);
            c.in_reply_to = Some(newest_version(conn, r, to)?);
            Ok(c)
        })
        .await
    }

    /// Reacts to the message `to` (hex ID) with `emoji` (CONTENT §4.3: disposition reaction,
    /// one text part; POLICY §8.3 canReactToMessage); returns the reaction's ID.
    pub async fn react(&self, room: &RoomUri, to: &str, emoji: &str) -> Result<String> {
        let emoji = check_reaction(emoji)?;
        self.send_content(room, |conn, salt, user, r| {
            let first = first_version_of(conn, r, to)?;
            let mine = store::my_reactions(conn, r, first.as_bytes(), user)?;
            if mine.iter().any(|(_, t)| t.as_deref() == Some(emoji)) {
                return Err(Error::Usage(format!(
                    "you already reacted {emoji} to message {to}"
                )));
            }
            let mut c = MimiContent::with_body(
                salt,
                user,
                r,
                NestedPart::single(Disposition::Reaction, TEXT_PLAIN, emoji.as_bytes()),
            );
            c.in_reply_to = Some(newest_version(conn, r, to)?);
            Ok(c)
        })
        .await
    }

    /// Withdraws this user's `emoji` reaction to the message `to` (an unlike: a NullPart that
    /// replaces the reaction, CONTENT §3; canDeleteOwnReaction).
    pub async fn unreact(&self, room: &RoomUri, to: &str, emoji: &str) -> Result<String> {
        self.send_content(room, |conn, salt, user, r| {
            let target = message_id_arg(to)?;
            let mine = store::my_reactions(conn, r, &target, user)?;
            let Some((id, _)) = mine.into_iter().find(|(_, t)| t.as_deref() == Some(emoji)) else {
                return Err(Error::Usage(format!(
                    "you have no {emoji:?} reaction to message {to} in this room"
                )));
            };
            let mut c = MimiContent::with_body(salt, user, r, NestedPart::null());
            c.replaces = Some(MessageId(id_array(&id)?));
            Ok(c)
        })
        .await
    }

    /// Replaces the text of this user's message `id` (hex ID of any version; CONTENT §3
    /// replaces names the first; canEditOwnMessage). Returns the edit's ID.
    pub async fn edit(&self, room: &RoomUri, id: &str, text: &str) -> Result<String> {
        let body = NestedPart::single(Disposition::Render, TEXT_PLAIN, text.as_bytes());
        self.replace(room, id, body).await
    }

    /// Deletes the message `id` (hex ID): a NullPart that replaces it (CONTENT §3). The user's
    /// own needs canDeleteOwnMessage, anyone else's canDeleteOtherMessage (POLICY §8.3).
    pub async fn delete_message(&self, room: &RoomUri, id: &str) -> Result<String> {
        self.replace(room, id, NestedPart::null()).await
    }

    /// Sends a document with `body` that replaces the first version of the message `id` names.
    async fn replace(&self, room: &RoomUri, id: &str, body: NestedPart) -> Result<String> {
        self.send_content(room, |conn, salt, user, r| {
            let mut c = MimiContent::with_body(salt, user, r, body.clone());
            c.replaces = Some(first_version_of(conn, r, id)?);
            Ok(c)
        })
        .await
    }

    /// Builds a document with `make(store, salt, sender, room)`, checks locally that the room's
    /// policy lets this user send it, encrypts and submits it, stores it and publishes its
    /// events. Returns its message ID (hex).
    async fn send_content(
        &self,
        room: &RoomUri,
        make: impl Fn(&Connection, [u8; 16], &str, &str) -> Result<MimiContent>,
    ) -> Result<String> {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let r = room.to_string();
        let user = self.me_as(room).await?.to_string();
        let precheck = !self.switches.skip_precheck();
        for _ in 0..EPOCH_RETRIES {
            let mut conn = self.conn.lock().await;
            let content = make(&conn, salt, &user, &r)?;
            content
                .validate()
                .map_err(|e| Error::Usage(format!("cannot send this: {e}")))?;
            let bytes = content.encode();
            let mid = message_id(&user, &r, &bytes, &salt);
            let effect = crate::content::Effect::of(&conn, &r, &content)?;
            let needs = match effect.needs(&user) {
                Ok(cap) => cap,
                Err(reason) if precheck => {
                    return Err(Error::NotAllowed {
                        rule: "content".into(),
                        reason,
                    });
                }
                Err(_) => None,
            };
            let extra: Vec<mimi::policy::Action> = needs
                .map(mimi::policy::Action::Message)
                .into_iter()
                .collect();
            let tagged = if self.switches.forge_franking_tag() {
                let mut other = bytes.clone();
                if let Some(last) = other.last_mut() {
                    *last ^= 1;
                }
                other
            } else {
                bytes.clone()
            };
            let me = self.in_room(&conn, &r)?;
            let (req, agent) = room::encrypt(
                &mut conn,
                me.id(self),
                &r,
                &bytes,
                &tagged,
                &salt,
                precheck.then_some(extra.as_slice()),
            )?;
            match me.hub(self).submit(room.local(), req).await {
                Ok(SubmitMessageResponse::Accepted {
                    accepted_timestamp,
                    frank,
                }) => {
                    let mut m = Message::new(
                        &r,
                        mid.to_string(),
                        MessageKind::Message,
                        user.clone(),
                        me.id(self).client.to_string(),
                        content.text_body(),
                        accepted_timestamp,
                    );
                    let events = room::store_sent(
                        &conn,
                        me.id(self),
                        agent.as_ref(),
                        &mut m,
                        &effect,
                        &bytes,
                        frank.as_ref(),
                    )?;
                    drop(conn);
                    self.emit(events);
                    return Ok(mid.to_string());
                }
                Ok(other) => {
                    return Err(Error::Mls(format!("the hub did not accept: {other:?}")));
                }
                Err(e) if is_wrong_epoch(&e) => {
                    self.sync_locked(&mut conn).await?;
                    drop(conn);
                    self.emit(retried(&r, &e));
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Mls(format!(
            "the room {room} kept moving on; tried {EPOCH_RETRIES} times"
        )))
    }

    /// Leaves a room: a SelfRemove proposal that the next committer includes (MLSEXT §6.3).
    pub async fn leave(&self, room: &RoomUri) -> Result<()> {
        let r = room.to_string();
        for _ in 0..EPOCH_RETRIES {
            let mut conn = self.conn.lock().await;
            let me = self.in_room(&conn, &r)?;
            let bundle = room::leave_proposals(&mut conn, me.id(self), &r)?;
            match me.hub(self).update(room.local(), bundle).await {
                Ok(_) => {
                    room::mark_left(&mut conn, &r)?;
                    drop(conn);
                    self.emit([ClientEvent::RoomLeft { room: r }]);
                    return Ok(());
                }
                Err(e) if is_wrong_epoch(&e) => {
                    self.sync_locked(&mut conn).await?;
                    drop(conn);
                    self.emit(retried(&r, &e));
                }
                Err(e) => return Err(e),
            }
        }
        Err(Error::Mls(format!(
            "the room {room} kept moving on; tried {EPOCH_RETRIES} times"
        )))
    }

    async fn create_connection_keys(&self) -> Result<()> {
        let public = crate::connections::create_keys(self.secrets.as_ref())?;
        self.hub.set_connection_key(&public).await
    }

    /// Asks `user` (a name on this hub or a user URI) to connect (MIMIMI §5).
    pub async fn connect(&self, user: &str) -> Result<()> {
        let target = self.resolve_user(user)?;
        if target.domain() != self.id.trust.domain {
            return Err(Error::Usage(format!(
                "{target} is on another provider; connections across providers need federation"
            )));
        }
        let (uri, public) = self.hub.connection_key(target.local()).await?;
        if uri != target.to_string() {
            return Err(Error::Mls(format!(
                "the hub answered for {uri}, not {target}"
            )));
        }
        let sealed = {
            let conn = self.conn.lock().await;
            crate::connections::request(&conn, self.secrets.as_ref(), &self.id, &target, &public)?
        };
        if let Err(e) = self
            .hub
            .relay_connection(&target.to_string(), "request", &sealed)
            .await
        {
            self.conn.lock().await.execute(
                "DELETE FROM connections WHERE user_uri = ?1 AND state = 'requested'",
                [target.to_string()],
            )?;
            return Err(e);
        }
        Ok(())
    }

    /// Accepts `user`'s request to connect.
    pub async fn accept_connection(&self, user: &str) -> Result<()> {
        let requester = self.resolve_user(user)?;
        let sealed = {
            let conn = self.conn.lock().await;
            crate::connections::accept(&conn, self.secrets.as_ref(), &self.id, &requester)?
        };
        self.hub
            .relay_connection(&requester.to_string(), "response", &sealed)
            .await?;
        self.emit([ClientEvent::Connected {
            user: requester.to_string(),
        }]);
        Ok(())
    }

    /// Blocks a user at the hub: their connection requests and invitations no longer reach
    /// this user (on any of its devices).
    pub async fn block(&self, user: &str) -> Result<()> {
        let u = self.resolve_user(user)?;
        self.hub.block(&u.to_string()).await?;
        // A request of theirs that waits for an answer here is dropped with it.
        self.conn.lock().await.execute(
            "DELETE FROM connections WHERE user_uri = ?1 AND state = 'incoming'",
            [u.to_string()],
        )?;
        Ok(())
    }

    /// Lifts a block; whether there was one.
    pub async fn unblock(&self, user: &str) -> Result<bool> {
        let u = self.resolve_user(user)?;
        self.hub.unblock(&u.to_string()).await
    }

    /// The users this user blocked.
    pub async fn blocked(&self) -> Result<Vec<String>> {
        self.hub.blocked().await
    }

    /// This user's connections.
    pub async fn connections(&self) -> Result<Vec<crate::connections::ConnectionInfo>> {
        crate::connections::list(&*self.conn.lock().await)
    }

    /// Issues a one-time code with which a new device joins this user. If this device holds the
    /// user's connection keys, the code also carries them to the new device: they are sealed
    /// under a secret that is the code's second half, which never reaches the hub (the hub
    /// keeps the sealed keys with the first half until the code is used).
    pub async fn link_code(&self) -> Result<(String, u64)> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut raw = [0u8; LINK_SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut raw);
        let secret: String = raw
            .iter()
            .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
            .collect();
        let sealed = crate::connections::seal_device_keys(
            &*self.conn.lock().await,
            self.secrets.as_ref(),
            &secret,
        )?;
        let (code, expires) = self.hub.link_code(sealed.as_deref()).await?;
        if sealed.is_none() {
            return Ok((code, expires));
        }
        let groups: Vec<&str> = (0..LINK_SECRET_LEN / 5)
            .map(|i| &secret[i * 5..i * 5 + 5])
            .collect();
        Ok((format!("{code}-{}", groups.join("-")), expires))
    }

    /// This user's devices.
    pub async fn devices(&self) -> Result<Vec<Device>> {
        self.hub.devices().await
    }

    /// Fetches and processes everything pending, then does what it asked for (adding a new own
    /// device to every room, committing pending proposals, restocking KeyPackages).
    pub async fn sync(&self) -> Result<SyncReport> {
        self.sync_waiting(Duration::ZERO).await
    }

    /// Like [`Client::sync`], but first waits up to `wait` for something to arrive.
    ///
    /// The wait does not hold the local store: commands (sending, inviting) run meanwhile, and
    /// dropping the future while it waits loses nothing. What arrived is then read again and
    /// processed with the store held.
    pub async fn sync_waiting(&self, wait: Duration) -> Result<SyncReport> {
        self.ensure_key_packages().await?;
        if !wait.is_zero() {
            let (cursor, wake_on) = {
                let conn = self.conn.lock().await;
                let cursor: u64 = store::meta(&conn, "queue_cursor")?
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(0);
                let tokens: Vec<String> = pseudonymous::all(&conn)?
                    .into_iter()
                    .map(|p| p.token)
                    .collect();
                (cursor, tokens)
            };
            // Only to wait: the entries are fetched again below, under the store's lock.
            self.hub
                .fetch(self.id.client.local(), cursor, wait, &wake_on)
                .await?;
        }
        let mut conn = self.conn.lock().await;
        let (report, follow_up) = self.sync_locked(&mut conn).await?;
        drop(conn);
        self.follow_up(follow_up).await?;
        Ok(report)
    }

    async fn follow_up(&self, f: FollowUp) -> Result<()> {
        if f.joined > 0 {
            self.publish_key_packages(f.joined, false).await?;
        }
        let pending: Vec<String> = {
            let conn = self.conn.lock().await;
            let mut st = conn.prepare("SELECT client_uri FROM pending_devices")?;
            st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        if !pending.is_empty() {
            // The user has a new device: KeyPackage sets are sized anew.
            self.device_count
                .store(0, std::sync::atomic::Ordering::Relaxed);
        }
        self.restock_pseudonymous().await?;
        for device in pending {
            for r in self.rooms().await? {
                let room = RoomUri::parse(&r.uri)?;
                // A pseudonymous room takes a new device only through a KeyPackage set with the
                // room's user pseudonym, which it does not have (left open; ARCHITECTURE.md).
                if self.policy_state(&room).await?.base.pseudonyms_allowed {
                    continue;
                }
                let adds = self.claim(&room, &self.id.user).await?;
                self.commit(
                    &room,
                    &Plan {
                        adds,
                        ..Default::default()
                    },
                )
                .await?;
            }
            self.conn.lock().await.execute(
                "DELETE FROM pending_devices WHERE client_uri = ?1",
                [&device],
            )?;
            self.emit([ClientEvent::DeviceAdded { client: device }]);
        }
        for room in f.proposals_in {
            // Anyone may commit pending proposals; the first commit wins and the rest catch up.
            let still_in = self.rooms().await?.iter().any(|r| r.uri == room);
            if let (true, Ok(room)) = (still_in, RoomUri::parse(&room)) {
                self.commit(&room, &Plan::default()).await?;
            }
        }
        Ok(())
    }

    /// Processes queue entries with the store lock held: the client's own queue, then each
    /// pseudonym's queue. Each entry is processed and its sequence number recorded in one
    /// transaction, so a crash neither loses nor repeats one; entries are acknowledged to the hub
    /// only after that.
    async fn sync_locked(&self, conn: &mut Connection) -> Result<(SyncReport, FollowUp)> {
        let mut done = Synced::default();
        let pseudonyms = pseudonymous::all(conn)?;
        let cursor: u64 = store::meta(conn, "queue_cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        self.drain(conn, &self.hub, &self.id, cursor, &mut done)
            .await?;
        for p in pseudonyms {
            // One pseudonym's queue failing does not stop the others, nor the next sync.
            let drained = match pseudonymous::identity(conn, &self.id, &p) {
                Ok(as_p) => {
                    let hub = self.hub.with_token(&p.token);
                    self.drain(conn, &hub, &as_p, p.cursor, &mut done).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = drained {
                // A pseudonym that never joined a room and that the hub no longer knows (its
                // KeyPackage set was withdrawn by another of the user's devices), or whose leaf
                // key is gone, is of no use: forgotten.
                let useless = matches!(&e, Error::Hub { code, .. } if code == "unauthenticated")
                    || matches!(&e, Error::Mls(_));
                if p.room.is_none() && useless {
                    pseudonymous::forget(conn, &p)?;
                    continue;
                }
                tracing::warn!(pseudonym = %p.client, error = %e, "cannot read a pseudonym's queue");
                done.report.dropped += 1;
                self.emit([ClientEvent::Dropped {
                    room: p.room.clone(),
                    reason: format!("cannot read the queue of {}: {e}", p.client),
                }]);
            }
        }
        Ok((done.report, done.follow))
    }

    /// Fetches, processes and acknowledges everything in the queue of `id.client` after
    /// `cursor` (the client's own queue, or one of its pseudonyms' with that pseudonym's hub).
    async fn drain(
        &self,
        conn: &mut Connection,
        hub: &Hub,
        id: &Identity,
        mut cursor: u64,
        done: &mut Synced,
    ) -> Result<()> {
        let own = id.client == self.id.client;
        loop {
            let entries = hub
                .fetch(id.client.local(), cursor, Duration::ZERO, &[])
                .await?;
            let Some(last) = entries.last().map(|e| e.seq) else {
                break;
            };
            for e in entries.iter().filter(|e| e.seq > cursor) {
                let tx = conn.transaction()?;
                let outcome = self.process_entry(&tx, id, e)?;
                if own {
                    store::set_meta(&tx, "queue_cursor", &e.seq.to_string())?;
                } else {
                    pseudonymous::set_cursor(&tx, &id.client.to_string(), e.seq)?;
                }
                tx.commit()?;
                // Published as soon as it is stored: a sync dropped halfway (the app drops its
                // long-poll when a command starts) loses no event.
                self.emit(outcome.events.iter().cloned());
                done.add(outcome);
            }
            hub.ack(id.client.local(), last).await?;
            cursor = cursor.max(last);
        }
        Ok(())
    }

    fn process_entry(
        &self,
        tx: &Connection,
        id: &Identity,
        e: &crate::transport::Entry,
    ) -> Result<room::Outcome> {
        let data = unb64(&e.data)?;
        Ok(match e.kind.as_str() {
            "fanout" => room::process_fanout(tx, id, e.room.as_deref(), &data)?,
            "connection" => room::Outcome {
                events: crate::connections::receive(tx, self.secrets.as_ref(), &self.id, &data)?,
                ..Default::default()
            },
            "device" => {
                let v: serde_json::Value = serde_json::from_slice(&data).unwrap_or_default();
                if let Some(c) = v.get("new_client").and_then(|c| c.as_str()) {
                    tx.execute(
                        "INSERT OR IGNORE INTO pending_devices (client_uri) VALUES (?1)",
                        [c],
                    )?;
                }
                room::Outcome::default()
            }
            other => room::Outcome {
                events: vec![ClientEvent::Dropped {
                    room: None,
                    reason: format!("unknown queue entry kind {other:?}"),
                }],
                ..Default::default()
            },
        })
    }
}

/// What a sync did so far.
#[derive(Default)]
struct Synced {
    report: SyncReport,
    follow: FollowUp,
}

impl Synced {
    fn add(&mut self, outcome: room::Outcome) {
        self.report.processed += 1;
        self.report.dropped += outcome
            .events
            .iter()
            .filter(|e| matches!(e, ClientEvent::Dropped { .. }))
            .count();
        self.follow.joined += usize::from(outcome.joined);
        if let Some(r) = outcome.proposals_in
            && !self.follow.proposals_in.contains(&r)
        {
            self.follow.proposals_in.push(r);
        }
    }
}

/// The length of a link code's secret half (100 bits in the code alphabet).
const LINK_SECRET_LEN: usize = 20;

/// Splits a typed link code into the part for the hub (`XXXXX-XXXXX`) and the secret that opens
/// the keys it carries, if it has one. Case and dashes do not matter.
fn split_link_code(code: &str) -> Result<(String, Option<String>)> {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    match clean.len() {
        10 => Ok((format!("{}-{}", &clean[..5], &clean[5..]), None)),
        n if n == 10 + LINK_SECRET_LEN => Ok((
            format!("{}-{}", &clean[..5], &clean[5..10]),
            Some(clean[10..].to_owned()),
        )),
        n => Err(Error::Usage(format!(
            "a link code has 10 or {} letters and digits, not {n}",
            10 + LINK_SECRET_LEN
        ))),
    }
}

fn retried(room: &str, e: &Error) -> Option<ClientEvent> {
    match e {
        Error::Hub { epoch, .. } => Some(ClientEvent::Retried {
            room: room.to_owned(),
            epoch: *epoch,
        }),
        _ => None,
    }
}

/// Who this client is in one room: itself (`None`), or its pseudonym there with the hub
/// reached by the pseudonym's token.
struct InRoom(Option<(Identity, Hub)>);

impl InRoom {
    fn id<'a>(&'a self, c: &'a Client) -> &'a Identity {
        self.0.as_ref().map_or(&c.id, |(id, _)| id)
    }
    fn hub<'a>(&'a self, c: &'a Client) -> &'a Hub {
        self.0.as_ref().map_or(&c.hub, |(_, hub)| hub)
    }
}

#[derive(Clone, Copy)]
enum Aside {
    Mute,
    Suspend,
}

/// Work a sync leaves for after the store lock is released.
#[derive(Default)]
struct FollowUp {
    joined: usize,
    proposals_in: Vec<String>,
}

fn resolve_role(state: &PolicyState, role: &str) -> Result<u32> {
    if let Ok(i) = role.parse::<u32>()
        && state.role(i).is_some()
    {
        return Ok(i);
    }
    state
        .roles
        .roles
        .iter()
        .find(|r| r.name() == role)
        .map(|r| r.role_index)
        .ok_or_else(|| {
            let names: Vec<String> = state.roles.roles.iter().map(|r| r.name()).collect();
            Error::Usage(format!(
                "the room has no role {role:?}; its roles are {}",
                names.join(", ")
            ))
        })
}

/// The first role `actor` may add `target` to (its role's entry from 0, POLICY §8.1).
fn default_add_role(state: &PolicyState, actor: &UserUri, target: &UserUri) -> Result<u32> {
    let targets: Vec<u32> = state
        .role(state.role_of(actor))
        .and_then(|r| {
            r.authorized_role_changes
                .iter()
                .find(|c| c.from_role_index == 0)
                .map(|c| c.target_role_indexes.clone())
        })
        .unwrap_or_default();
    // The least-privileged full participant: the first allowed role whose holders may bring
    // their own devices (canAddOwnClient), e.g. attendee rather than the receive-only guest.
    let allowed: Vec<u32> = targets
        .into_iter()
        .filter(|t| *t > 1)
        .filter(|t| {
            let action = Action::Add {
                target: target.clone(),
                role: *t,
            };
            policy::decide_action(state, actor, &action) == Decision::Allowed
        })
        .collect();
    let full = allowed.iter().copied().find(|t| {
        state
            .role(*t)
            .is_some_and(|r| r.lists(policy::Capability::CAN_ADD_OWN_CLIENT))
    });
    if let Some(t) = full.or(allowed.first().copied()) {
        return Ok(t);
    }
    match policy::decide_action(
        state,
        actor,
        &Action::Add {
            target: target.clone(),
            role: 2,
        },
    ) {
        Decision::Denied { rule, reason } => Err(Error::NotAllowed {
            rule: rule.to_owned(),
            reason,
        }),
        Decision::Allowed => Ok(2),
    }
}

fn listed_index(state: &PolicyState, user: &UserUri) -> Result<u32> {
    state
        .participants
        .index_of(&user.to_bytes())
        .map(|i| i as u32)
        .ok_or_else(|| Error::Usage(format!("{user} is not in the room")))
}

/// A message ID given on the command line or by the UI: 64 hex digits.
fn message_id_arg(id: &str) -> Result<Vec<u8>> {
    match hex::decode(id) {
        Ok(b) if b.len() == 32 => Ok(b),
        _ => Err(Error::Usage(format!(
            "{id:?} is not a message ID (64 hex digits, as `messages --json` shows)"
        ))),
    }
}

fn id_array(id: &[u8]) -> Result<[u8; 32]> {
    id.try_into()
        .map_err(|_| Error::Io("a stored message ID is not 32 bytes".into()))
}

/// The stored message `id` names (a first version, a reaction or an edit), or a usage error.
fn stored_arg(conn: &Connection, room: &str, id: &str) -> Result<store::Stored> {
    store::stored(conn, room, &message_id_arg(id)?)?
        .ok_or_else(|| Error::Usage(format!("there is no message {id} in this room")))
}

/// The first version of the message `id` names (CONTENT §3: `replaces` names the first).
fn first_version_of(conn: &Connection, room: &str, id: &str) -> Result<MessageId> {
    let s = stored_arg(conn, room, id)?;
    let first = match (s.kind, s.replaces) {
        (store::RowKind::Edit, Some(first)) => first,
        _ => s.id,
    };
    Ok(MessageId(id_array(&first)?))
}

/// The newest version of the message `id` names (CONTENT §4.1: inReplyTo SHOULD name the newest).
fn newest_version(conn: &Connection, room: &str, id: &str) -> Result<MessageId> {
    let first = first_version_of(conn, room, id)?;
    let s = stored_arg(conn, room, &hex::encode(first.as_bytes()))?;
    if s.deleted {
        return Err(Error::Usage(format!("message {id} was deleted")));
    }
    Ok(MessageId(id_array(&s.latest.unwrap_or(s.id))?))
}

/// A reaction's text: one short non-empty grapheme sequence (CONTENT §4.3 "usually one emoji").
fn check_reaction(emoji: &str) -> Result<&str> {
    let e = emoji.trim();
    if e.is_empty() || e.len() > 64 || e.chars().any(char::is_control) {
        return Err(Error::Usage(
            "a reaction is a short text, usually one emoji (at most 64 bytes, no line breaks)"
                .into(),
        ));
    }
    Ok(e)
}
