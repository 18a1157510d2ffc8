//! Conclave rooms for the benches, built with exactly the code a client and the hub run: the
//! client's room engine (`conclave_client::room`) over each member's own SQLite store, and the
//! hub's domain functions (`conclave_hub::room`) on a connection to a real hub database. No HTTP:
//! a bulk add of 999 members is one commit, and a timed loop contains only what it names.
//!
//! Members that never need to read the room ("ghosts") get a real credential and KeyPackage whose
//! private keys are thrown away: the hub and the committer cannot tell them apart from members.
//!
//! Every identity is a new user's first device: its credential is approved by a user key of its
//! own (SECURITY.md "Devices"), as members require. The hub's check that a joiner uploaded such
//! KeyPackages looks at its `clients` row; the fixture's clients have none (no registration), so
//! the hub takes them as it takes another provider's.

use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};
use conclave_client::group::{self as croom, HubParts, Outcome, Plan};
use conclave_client::identity::{self, CIPHERSUITE, Identity};
use conclave_client::store::{self as cstore, Message, MessageKind};
use conclave_hub::franking_keys::Generation;
use conclave_hub::principal::{Principal, PrincipalKind};
use conclave_hub::{AppState, Config};
use ed25519_dalek::SigningKey;
use mimi::components::{ParticipantListUpdate, UserRolePair};
use mimi::content::{MimiContent, message_id};
use mimi::credential::{ClientIdentity, ProviderCredential};
use mimi::franking::ServerFrankingContext;
use mimi::identity::Trust;
use mimi::policy::Preset;
use mimi::uri::{ClientUri, RoomUri, UserUri};
use mimi::wire::{FanoutExtra, FanoutMessage, Frank, SubmitMessageRequest, decode, encode};
use openmls::prelude::{KeyPackage, SignatureScheme};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use rusqlite::Connection;
use tempfile::TempDir;

use crate::{OrDebug as _, random_id};

/// The provider domain of every bench hub.
pub const DOMAIN: &str = "localhost";

/// Where a SQLite file lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreAt {
    /// A temporary directory on the system's temp disk: real `fsync`s, as users have; the store
    /// encrypted (SQLCipher), as every client's is.
    Disk,
    /// `/dev/shm` (tmpfs), where `fsync` costs nothing: for setup, and to show what the disk costs.
    Tmpfs,
    /// As [`StoreAt::Disk`], the store unencrypted: the baseline of what encryption costs.
    DiskUnencrypted,
}

/// A fresh temporary directory at `at`.
pub fn temp_dir(at: StoreAt) -> Result<TempDir> {
    let b = {
        let mut b = tempfile::Builder::new();
        b.prefix("conclave-bench-");
        b
    };
    let shm = Path::new("/dev/shm");
    Ok(match at {
        StoreAt::Tmpfs if shm.is_dir() => b.tempdir_in(shm)?,
        _ => b.tempdir()?,
    })
}

/// Issues Conclave identities the way the hub's registration does: a provider key and the trust
/// anchor that goes with it.
pub struct Issuer {
    /// The provider's credential-signing key.
    pub key: SigningKey,
    /// The anchor members verify credentials against.
    pub trust: Trust,
}

impl Issuer {
    /// An issuer with `key` for [`DOMAIN`].
    pub fn new(key: SigningKey) -> Self {
        Issuer {
            trust: Trust {
                domain: DOMAIN.to_owned(),
                provider_key: key.verifying_key().to_bytes().to_vec(),
            },
            key,
        }
    }

    /// A new client of a new user `name`, with a signature key and a credential its user key
    /// approved.
    pub fn identity(&self, name: &str) -> Result<Identity> {
        Ok(self.identity_with_user_key(name)?.0)
    }

    /// [`Issuer::identity`], with the new user's key.
    pub fn identity_with_user_key(&self, name: &str) -> Result<(Identity, SigningKey)> {
        let user = UserUri::new(DOMAIN, name)?;
        let client = ClientUri::new(DOMAIN, &random_id(8))?;
        let signer = SignatureKeyPair::new(SignatureScheme::ED25519).or_debug("signature key")?;
        let user_key = SigningKey::generate(&mut rand::rngs::OsRng);
        let credential = mimi::credential::endorse(
            &user_key,
            &ProviderCredential::issue(&self.key, &client, &user, signer.public()).to_bytes(),
        )?;
        let id = Identity {
            user,
            client,
            signer,
            credential,
            credential_type: mimi::ids::PROVIDER_CREDENTIAL_TYPE,
            trust: self.trust.clone(),
        };
        Ok((id, user_key))
    }

    /// A member that never reads the room: a real identity and KeyPackage, private keys dropped.
    pub fn ghost(&self, name: &str) -> Result<(ClientIdentity, KeyPackage)> {
        let id = self.identity(name)?;
        let provider = OpenMlsRustCrypto::default();
        let kp = KeyPackage::builder()
            .leaf_node_capabilities(identity::capabilities())
            .build(CIPHERSUITE, &provider, &id.signer, id.credential_with_key())
            .or_debug("KeyPackage")?;
        Ok((id.me(), kp.key_package().clone()))
    }
}

/// A client: its identity and its own SQLite store, as `conclave_client::Client` keeps them.
pub struct Member {
    /// Who it is.
    pub id: Identity,
    /// Its store (OpenMLS state and Conclave's rows).
    pub conn: Connection,
    /// The last hub queue entry it processed.
    pub cursor: u64,
    _dir: TempDir,
}

impl Member {
    /// A new member `name` with an identity from `issuer` and a store at `at`.
    pub fn new(issuer: &Issuer, name: &str, at: StoreAt) -> Result<Self> {
        Self::with_identity(issuer.identity(name)?, at)
    }

    /// A member with a given identity (e.g. one registered over HTTP).
    pub fn with_identity(id: Identity, at: StoreAt) -> Result<Self> {
        let dir = temp_dir(at)?;
        // Encrypted as a client's store is, under a random key (SECURITY.md "Secrets at rest").
        let key: cstore::Key = rand::random();
        let cipher = (at != StoreAt::DiskUnencrypted).then_some(&key);
        let conn = cstore::open(&dir.path().join("conclave.sqlite3"), cipher)?;
        cstore::set_meta(&conn, "queue_cursor", "0")?;
        Ok(Member {
            id,
            conn,
            cursor: 0,
            _dir: dir,
        })
    }

    /// A KeyPackage whose private keys go into this member's store, so it can join.
    pub fn key_package(&self) -> Result<KeyPackage> {
        let provider = cstore::Provider::new(&self.conn);
        let kp = KeyPackage::builder()
            .leaf_node_capabilities(identity::capabilities())
            .build(
                CIPHERSUITE,
                &provider,
                &self.id.signer,
                self.id.credential_with_key(),
            )
            .or_debug("KeyPackage")?;
        Ok(kp.key_package().clone())
    }

    /// This member as the hub authenticates it.
    pub fn auth(&self) -> Principal {
        Principal {
            client: self.id.client.clone(),
            user: self.id.user.clone(),
            kind: PrincipalKind::Client,
        }
    }

    /// This member with its KeyPackage, ready to be added.
    pub fn to_add(&self) -> Result<(ClientIdentity, KeyPackage)> {
        Ok((self.id.me(), self.key_package()?))
    }

    /// Processes one queue entry the way `Client::sync` does: in one transaction with the new
    /// queue cursor.
    pub fn receive(&mut self, room: Option<&str>, data: &[u8], seq: u64) -> Result<Outcome> {
        let tx = self.conn.transaction()?;
        let outcome = croom::process_fanout(&tx, &self.id, room, data)?;
        cstore::set_meta(&tx, "queue_cursor", &seq.to_string())?;
        tx.commit()?;
        self.cursor = seq;
        Ok(outcome)
    }
}

/// Stages, as `Room::invite` does, one commit adding `adds` and listing their users in the
/// participant list; returns the HandshakeBundle bytes. The policy precheck runs.
pub fn stage_adds(
    committer: &mut Member,
    room: &RoomUri,
    adds: Vec<(ClientIdentity, KeyPackage)>,
) -> Result<Vec<u8>> {
    let r = room.to_string();
    let state = croom::state_of(
        &croom::load_group(&committer.conn, &r)?,
        &committer.id.trust,
    )?;
    let first = adds.first().ok_or_else(|| anyhow!("nothing to add"))?;
    let role = conclave_client::room::default_add_role(&state, &committer.id.user, &first.0.user)?;
    let mut listed = ParticipantListUpdate::default();
    for (who, _) in &adds {
        if state.participants.index_of(&who.user.to_bytes()).is_none() {
            listed.added_participants.push(UserRolePair {
                user: who.user.to_bytes().into(),
                role_index: role,
            });
        }
    }
    let plan = Plan {
        adds,
        updates: vec![(mimi::ids::PARTICIPANT_LIST, listed.to_bytes())],
        ..Default::default()
    };
    croom::stage_commit(&mut committer.conn, &committer.id, &r, &plan, true)?
        .ok_or_else(|| anyhow!("nothing to commit"))
}

/// A hub database driven through `conclave_hub`'s domain functions on a connection of its own.
pub struct DirectHub {
    /// The hub's state (provider key, franking keys); it also holds a connection, unused here.
    pub state: AppState,
    /// The connection the domain functions run on.
    pub conn: Connection,
    /// Issues credentials with the hub's provider key.
    pub issuer: Issuer,
    dir: TempDir,
}

impl DirectHub {
    /// A new hub in a temporary directory on disk.
    pub fn open() -> Result<Self> {
        let dir = temp_dir(StoreAt::Disk)?;
        let state = AppState::open(&Config::new(dir.path(), DOMAIN))?;
        let conn = conclave_hub::store::open(&dir.path().join("hub.sqlite3"))?;
        let issuer = Issuer::new(state.inner().provider_key.clone());
        Ok(DirectHub {
            state,
            conn,
            issuer,
            dir,
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// What a new room needs from this hub (`GET /v1/provider`).
    pub fn hub_parts(&self) -> Result<HubParts> {
        let i = self.state.inner();
        Ok(HubParts {
            franking_agent: i.franking_agent()?.to_bytes(),
            signature_key: i.provider_key.verifying_key().to_bytes().to_vec(),
            credential: i.hub_credential(),
        })
    }

    /// The franking keys new rooms use.
    pub fn franking(&self) -> Result<Generation> {
        Ok(self.state.inner().franking.newest()?)
    }

    /// Creates a room: the client makes the group, the hub registers it.
    pub fn create_room(&mut self, creator: &mut Member, preset: Preset) -> Result<RoomUri> {
        let room = RoomUri::new(DOMAIN, &random_id(8))?;
        let (gi, tree) = croom::create(
            &mut creator.conn,
            &creator.id,
            &room,
            "bench",
            preset,
            &self.hub_parts()?,
            false,
        )?;
        let trust = self.issuer.trust.clone();
        conclave_hub::room::create(
            &mut self.conn,
            &trust,
            self.state.inner(),
            &creator.auth(),
            &gi,
            &tree,
            None,
        )?;
        Ok(room)
    }

    /// `POST /v1/rooms/{room}/update` without the HTTP: the hub's whole validation, merge and
    /// fan-out, in one transaction.
    pub fn update(
        &mut self,
        committer: &Principal,
        room: &RoomUri,
        bundle: &[u8],
    ) -> Result<conclave_hub::room::Accepted> {
        let trust = self.issuer.trust.clone();
        Ok(conclave_hub::room::update(
            &mut self.conn,
            &trust,
            true,
            committer,
            room,
            bundle,
        )?)
    }

    /// Adds members in one commit: the committer stages, the hub validates and fans out, the
    /// committer merges.
    pub fn add(
        &mut self,
        committer: &mut Member,
        room: &RoomUri,
        adds: Vec<(ClientIdentity, KeyPackage)>,
    ) -> Result<()> {
        let bundle = stage_adds(committer, room, adds)?;
        let accepted = self.update(&committer.auth(), room, &bundle)?;
        croom::merge_pending(
            &mut committer.conn,
            &committer.id,
            &room.to_string(),
            accepted.timestamp,
        )?;
        Ok(())
    }

    /// Hands a member everything queued for it, as its sync would; returns the outcomes.
    pub fn deliver(&mut self, m: &mut Member) -> Result<Vec<Outcome>> {
        let client = m.id.client.to_string();
        let entries =
            conclave_hub::store::queue::fetch(&self.conn, &client, m.cursor, 500, usize::MAX)?;
        let mut out = Vec::new();
        for e in entries {
            out.push(m.receive(e.room.as_deref(), &e.data, e.seq)?);
        }
        conclave_hub::store::queue::ack(&self.conn, &client, m.cursor)?;
        Ok(out)
    }

    /// Empties every queue (setup leaves megabytes of Welcomes for ghosts that never read them).
    pub fn clear_queues(&self) -> Result<()> {
        self.conn
            .execute_batch("DELETE FROM queue; DELETE FROM queue_blobs;")?;
        Ok(())
    }
}

/// A room of `n` members on a [`DirectHub`]: the creator and `joiners` members that really
/// joined (they can read), plus ghosts; all added in one commit.
pub struct Room {
    /// The hub.
    pub hub: DirectHub,
    /// The room.
    pub uri: RoomUri,
    /// The creator (member 0), who commits.
    pub creator: Member,
    /// Members that joined from the Welcome.
    pub joiners: Vec<Member>,
}

impl Room {
    /// Builds the room. Stores live at `at`; the hub is on disk.
    pub fn build(n: usize, joiners: usize, preset: Preset, at: StoreAt) -> Result<Room> {
        anyhow::ensure!(n > joiners, "a room of {n} cannot have {joiners} joiners");
        let mut hub = DirectHub::open()?;
        let mut creator = Member::new(&hub.issuer, "creator", at)?;
        let uri = hub.create_room(&mut creator, preset)?;
        let mut members = Vec::new();
        let mut adds = Vec::new();
        for i in 0..joiners {
            let m = Member::new(&hub.issuer, &format!("member-{i}"), at)?;
            adds.push(m.to_add()?);
            members.push(m);
        }
        for i in joiners..n - 1 {
            adds.push(hub.issuer.ghost(&format!("ghost-{i}"))?);
        }
        if !adds.is_empty() {
            hub.add(&mut creator, &uri, adds)?;
        }
        for m in &mut members {
            let joined = hub.deliver(m)?.iter().any(|o| o.joined);
            if !joined {
                bail!("{} did not join", m.id.user);
            }
        }
        hub.clear_queues()?;
        Ok(Room {
            hub,
            uri,
            creator,
            joiners: members,
        })
    }
}

/// What the send path produced before the hub answered.
pub struct Outgoing {
    /// The content's salt.
    pub salt: [u8; 16],
    /// The exact content bytes.
    pub content: Vec<u8>,
    /// The message ID (hex).
    pub id: String,
    /// The `SubmitMessageRequest` bytes.
    pub request: Vec<u8>,
    /// The room's franking agent, as the sender's group named it.
    pub agent: Option<mimi::franking::FrankingAgentData>,
}

/// `Room::send_text` up to the network: content encode and message ID, the policy precheck
/// (canSendMessage), franking tag and MLS encryption (the ratchet state stored in the sender's
/// store).
pub fn send(m: &mut Member, room: &str, text: &str) -> Result<Outgoing> {
    let salt = crate::salt();
    let user = m.id.user.to_string();
    let content = MimiContent::text(salt, &user, room, text).encode();
    let id = message_id(&user, room, &content, &salt).to_string();
    let (request, agent) = croom::encrypt(
        &mut m.conn,
        &m.id,
        room,
        &content,
        &content,
        &salt,
        Some(&[]),
    )?;
    Ok(Outgoing {
        salt,
        content,
        id,
        request,
        agent,
    })
}

/// `Room::send_text` after the hub accepted: the frank checked and the message stored.
pub fn sent(
    m: &Member,
    room: &str,
    out: &Outgoing,
    text: &str,
    frank: &Frank,
    timestamp: u64,
) -> Result<Message> {
    let mut msg = Message::new(
        room,
        out.id.clone(),
        MessageKind::Message,
        m.id.user.to_string(),
        m.id.client.to_string(),
        Some(text.to_owned()),
        timestamp,
    );
    croom::store_sent(
        &m.conn,
        &m.id,
        out.agent.as_ref(),
        &mut msg,
        &conclave_client::content::Effect::Post { reply_to: None },
        &out.content,
        Some(frank),
    )?;
    Ok(msg)
}

/// The hub's part of `submitMessage` that a receiver depends on: the frank (PROTO §5.4.1.2, the
/// same `mimi::franking::frank` call the hub makes) and the `FanoutMessage` bytes.
pub fn frank_and_fan_out(
    keys: &Generation,
    room: &str,
    sender: &str,
    out: &Outgoing,
    timestamp: u64,
) -> Result<(Frank, Vec<u8>)> {
    let req: SubmitMessageRequest = decode(&out.request, "SubmitMessageRequest")?;
    let tag = mimi::franking::franking_tag(&out.salt, &out.content);
    let frank = mimi::franking::frank(
        &keys.hub_key,
        &keys.signing_key,
        mimi::ids::CIPHERSUITE,
        &tag,
        &ServerFrankingContext::new(sender, room, timestamp),
    );
    let fanout = encode(&FanoutMessage {
        timestamp,
        message: req.app_message,
        extra: FanoutExtra::Application {
            frank: Some(frank.clone()),
        },
    });
    Ok((frank, fanout))
}

/// Whether an outcome delivered one message whose frank verified.
pub fn delivered_verified(o: &Outcome) -> bool {
    o.events.iter().any(|e| {
        matches!(
            e,
            conclave_client::ClientEvent::Message(m) if m.verified
        )
    })
}

/// The room's epoch as a member's group holds it.
pub fn room_epoch(m: &Member, room: &str) -> Result<u64> {
    Ok(croom::load_group(&m.conn, room)?.epoch().as_u64())
}

/// Reads the hub's queue row count (fan-out deliveries).
pub fn queue_rows(conn: &Connection) -> Result<u64> {
    conn.query_row("SELECT COUNT(*) FROM queue", [], |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .context("counting queue rows")
}
