//! Seeds and fixtures of `hub_request` and `queue_entry`: a real hub (its router, in process) and
//! two real clients (their stores, the client's room engine) play a short story, and the state
//! they reach is kept as the targets' fixtures; the requests and queue entries that come next in
//! the story, made for exactly that state, are the seeds.
//!
//! 1. `alice`, `bob` and `carol` register, each with a user key that approves its device's
//!    credential (SECURITY.md "Devices"); each uploads KeyPackages (which approves the device at
//!    the hub: only then may it be in a room), bob publishes a connection key.
//! 2. alice creates a room (Cooperative), claims bob's key material, adds him; bob joins from
//!    the Welcome and sends a message; alice receives it (verified, so it can be reported).
//! 3. alice creates a second room and adds bob; his Welcome waits in his queue.
//! 4. alice registers a pseudonym and uploads a pseudonymous KeyPackage set.
//!
//! Then the hub's data directory becomes `fixtures/hub_request` (the requests are alice's, with
//! her token) and bob's store `fixtures/queue_entry`. The seeds: alice's next request to every
//! route; and what bob's queue hands him next: the waiting Welcome, and, once the hub accepted
//! them, alice's application message, her commit renaming the room and her proposals to leave
//! it. Each seed is checked on a fresh copy of its fixture: every request answers 2xx, and every
//! queue entry is used (joined, a verified message, a commit or proposals applied), not dropped.

use std::path::Path;
use std::rc::Rc;

use anyhow::{Context as _, Result, anyhow, bail, ensure};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use conclave_client::ClientEvent;
use conclave_client::group::{self as croom, HubParts, Outcome, Plan};
use conclave_client::identity::{self, CIPHERSUITE, Identity};
use conclave_client::store as cstore;
use conclave_fuzz::hub::{self as fhub, Session};
use conclave_fuzz::queue::{self as fqueue, IdentityFile};
use conclave_hub::{AppState, Config};
use mimi::components::{ParticipantListUpdate, RoomMetaData, UserRolePair};
use mimi::content::MimiContent;
use mimi::credential::ClientIdentity;
use mimi::franking::{AbuseReport, AbusiveMessage, ComponentData};
use mimi::identity::{ConnectionKey, ConnectionRequest, Trust, connection_hpke_keypair};
use mimi::policy::Preset;
use mimi::uri::{ClientUri, RoomUri, UserUri};
use mimi::wire::{
    HandshakeBundle, IdentifierUri, Inline, KEY_MATERIAL_REQUEST_LABEL, KeyMaterialRequest,
    KeyMaterialResponse, Protocol, SubmitMessageResponse, decode, encode,
};
use openmls::prelude::{Credential, KeyPackage, SignatureScheme};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::RustCrypto;
use openmls_traits::signatures::Signer as _;
use rand::RngCore as _;
use rusqlite::Connection;
use serde_json::{Value, json};
use tls_codec::{Deserialize as _, Serialize as _};
use tower::ServiceExt as _;

use crate::Corpus;

/// The hub's provider domain.
const DOMAIN: &str = "localhost";
/// The rooms' ids: the one bob is in, the one whose Welcome waits, and one alice creates next.
const ROOM: &str = "fuzzroom";
const WELCOME_ROOM: &str = "fuzzwelcome";
const NEW_ROOM: &str = "fuzznew";
/// A room nobody creates.
const UNKNOWN_ROOM: &str = "nowhere";

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn unb64(v: &Value) -> Result<Vec<u8>> {
    let s = v.as_str().ok_or_else(|| anyhow!("not a string: {v}"))?;
    Ok(base64::engine::general_purpose::STANDARD.decode(s)?)
}

fn debug<E: std::fmt::Debug>(what: &'static str) -> impl FnOnce(E) -> anyhow::Error {
    move |e| anyhow!("{what}: {e:?}")
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

/// The hub's router, driven in process.
struct Api {
    rt: Rc<tokio::runtime::Runtime>,
    state: AppState,
}

/// A request body.
enum Payload<'a> {
    Empty,
    Json(&'a Value),
    Tls(&'a [u8]),
}

impl Api {
    fn send(&self, req: Request<Body>) -> Result<(StatusCode, Vec<u8>)> {
        self.rt.block_on(async {
            let resp = conclave_hub::router(self.state.clone())
                .oneshot(req)
                .await
                .map_err(|e| anyhow!("router: {e:?}"))?;
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            Ok((status, body.to_vec()))
        })
    }

    /// One call that must succeed; answers the body.
    fn call(&self, method: Method, path: &str, token: Option<&str>, p: Payload) -> Result<Vec<u8>> {
        let mut req = Request::builder().method(method.clone()).uri(path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match p {
            Payload::Empty => Body::empty(),
            Payload::Json(v) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            Payload::Tls(b) => {
                req = req.header(header::CONTENT_TYPE, "application/octet-stream");
                Body::from(b.to_vec())
            }
        };
        let (status, body) = self.send(req.body(body)?)?;
        ensure!(
            status.is_success(),
            "{method} {path}: {status} {}",
            String::from_utf8_lossy(&body)
        );
        Ok(body)
    }

    fn json(&self, method: Method, path: &str, token: Option<&str>, p: Payload) -> Result<Value> {
        Ok(serde_json::from_slice(&self.call(method, path, token, p)?)?)
    }
}

/// A registered client with its store.
struct Member {
    id: Identity,
    /// The Ed25519 seed of its signature key.
    seed: [u8; 32],
    /// Its user's key, which approved its credential.
    user_key: ed25519_dalek::SigningKey,
    token: String,
    conn: Connection,
    cursor: u64,
    _dir: tempfile::TempDir,
}

/// A queue entry as the hub hands it out.
struct Entry {
    seq: u64,
    kind: String,
    room: Option<String>,
    data: Vec<u8>,
}

impl Member {
    fn register(api: &Api, name: &str, trust: &Trust) -> Result<Member> {
        let seed = random::<32>();
        let public = ed25519_dalek::SigningKey::from_bytes(&seed)
            .verifying_key()
            .to_bytes();
        let signer =
            SignatureKeyPair::from_raw(SignatureScheme::ED25519, seed.to_vec(), public.to_vec());
        // A new user's first device makes the user key and registers its public half; the
        // credential its leaves carry is the hub's, approved by that key.
        let user_key = ed25519_dalek::SigningKey::from_bytes(&random::<32>());
        let body = json!({
            "name": name,
            "signature_key": b64(signer.public()),
            "user_key": b64(user_key.verifying_key().as_bytes()),
        });
        let r = api.json(Method::POST, "/v1/register", None, Payload::Json(&body))?;
        let id = Identity {
            user: UserUri::parse(r["user"].as_str().unwrap_or_default())?,
            client: ClientUri::parse(r["client"].as_str().unwrap_or_default())?,
            signer,
            credential: mimi::credential::endorse(&user_key, &unb64(&r["credential"])?)?,
            credential_type: mimi::ids::PROVIDER_CREDENTIAL_TYPE,
            trust: trust.clone(),
        };
        let dir = tempfile::tempdir()?;
        let conn = cstore::open(&dir.path().join("conclave.sqlite3"), None)?;
        Ok(Member {
            id,
            seed,
            user_key,
            token: r["token"].as_str().unwrap_or_default().to_owned(),
            conn,
            cursor: 0,
            _dir: dir,
        })
    }

    fn token(&self) -> Option<&str> {
        Some(&self.token)
    }

    /// A KeyPackage whose private keys stay in this member's store.
    fn key_package(&self) -> Result<Vec<u8>> {
        let provider = cstore::Provider::new(&self.conn);
        let kp = KeyPackage::builder()
            .leaf_node_capabilities(identity::capabilities())
            .build(
                CIPHERSUITE,
                &provider,
                &self.id.signer,
                self.id.credential_with_key(),
            )
            .map_err(debug("KeyPackage"))?;
        Ok(kp.key_package().tls_serialize_detached()?)
    }

    /// `POST /v1/rooms`'s body for a new room created in this member's store.
    fn create_room(&mut self, local: &str, parts: &HubParts) -> Result<(RoomUri, Value)> {
        let room = RoomUri::new(DOMAIN, local)?;
        let (gi, tree) = croom::create(
            &mut self.conn,
            &self.id,
            &room,
            "fuzz",
            Preset::Cooperative,
            parts,
            false,
        )?;
        Ok((
            room,
            json!({ "group_info": b64(&gi), "ratchet_tree": b64(&tree) }),
        ))
    }

    /// A signed `KeyMaterialRequest` for `target`'s KeyPackages to add them to `room`.
    fn key_material_request(&self, target: &UserUri, room: &RoomUri) -> Result<Vec<u8>> {
        let credential = self.id.credential_with_key().credential;
        let mut req = KeyMaterialRequest {
            protocol: Protocol::Mls10,
            requesting_user: IdentifierUri::new(&self.id.user),
            target_user: IdentifierUri::new(target),
            room_id: IdentifierUri::new(room),
            acceptable_ciphersuites: vec![mimi::ids::CIPHERSUITE],
            required_capabilities: Inline::from_bytes(
                identity::required_capabilities().tls_serialize_detached()?,
                "RequiredCapabilities",
            )?,
            requester_signature_key: self.id.signer.public().to_vec().into(),
            requester_credential: Inline::<Credential>::from_bytes(
                credential.tls_serialize_detached()?,
                "Credential",
            )?,
            signature: Vec::new().into(),
        };
        let tbs = mimi::credential::sign_content(KEY_MATERIAL_REQUEST_LABEL, &req.tbs());
        req.signature = self.id.signer.sign(&tbs).map_err(debug("signing"))?.into();
        Ok(encode(&req))
    }

    /// Claims `target`'s key material and stages a commit adding them to `room` and its
    /// participant list, as `Room::invite` does; answers the HandshakeBundle.
    fn stage_add(&mut self, api: &Api, target: &UserUri, room: &RoomUri) -> Result<Vec<u8>> {
        let req = self.key_material_request(target, room)?;
        let resp = api.call(
            Method::POST,
            "/v1/keyMaterial",
            self.token(),
            Payload::Tls(&req),
        )?;
        let resp: KeyMaterialResponse = decode(&resp, "KeyMaterialResponse")?;
        let adds: Vec<(ClientIdentity, KeyPackage)> =
            croom::validate_key_material(&resp, target, &self.id.trust)?;
        ensure!(!adds.is_empty(), "no KeyPackage of {target}");
        let r = room.to_string();
        let state = croom::state_of(&croom::load_group(&self.conn, &r)?, &self.id.trust)?;
        let role = conclave_client::room::default_add_role(&state, &self.id.user, target)?;
        let listed = ParticipantListUpdate {
            added_participants: vec![UserRolePair {
                user: target.to_bytes().into(),
                role_index: role,
            }],
            ..Default::default()
        };
        let plan = Plan {
            adds,
            updates: vec![(mimi::ids::PARTICIPANT_LIST, listed.to_bytes())],
            ..Default::default()
        };
        croom::stage_commit(&mut self.conn, &self.id, &r, &plan, true)?
            .ok_or_else(|| anyhow!("nothing to commit"))
    }

    /// Stages a commit renaming `room`; answers the HandshakeBundle.
    fn stage_rename(&mut self, room: &RoomUri, name: &str) -> Result<Vec<u8>> {
        let r = room.to_string();
        let plan = Plan {
            updates: vec![(
                mimi::ids::ROOM_METADATA,
                RoomMetaData::named(&r, name).to_bytes(),
            )],
            ..Default::default()
        };
        croom::stage_commit(&mut self.conn, &self.id, &r, &plan, true)?
            .ok_or_else(|| anyhow!("nothing to commit"))
    }

    /// Sends a staged commit and merges it once the hub accepted it.
    fn commit(&mut self, api: &Api, room: &RoomUri, bundle: &[u8]) -> Result<()> {
        let path = format!("/v1/rooms/{}/update", room.local());
        let r = api.json(Method::POST, &path, self.token(), Payload::Tls(bundle))?;
        let ts = r["accepted_timestamp"]
            .as_u64()
            .ok_or_else(|| anyhow!("no accepted_timestamp in {r}"))?;
        croom::merge_pending(&mut self.conn, &self.id, &room.to_string(), ts)?;
        Ok(())
    }

    /// Encrypts a text message; answers the `SubmitMessageRequest` and the content.
    fn encrypt(&mut self, room: &RoomUri, text: &str) -> Result<(Vec<u8>, Vec<u8>)> {
        let (r, user) = (room.to_string(), self.id.user.to_string());
        let salt = random();
        let content = MimiContent::text(salt, &user, &r, text).encode();
        let (req, _agent) = croom::encrypt(
            &mut self.conn,
            &self.id,
            &r,
            &content,
            &content,
            &salt,
            Some(&[]),
        )?;
        Ok((req, content))
    }

    /// The entries after this member's cursor, without waiting.
    fn fetch(&self, api: &Api) -> Result<Vec<Entry>> {
        let path = format!(
            "/v1/clients/{}/queue?after={}&wait=0&limit=500",
            self.id.client.local(),
            self.cursor
        );
        let r = api.json(Method::GET, &path, self.token(), Payload::Empty)?;
        r["entries"]
            .as_array()
            .ok_or_else(|| anyhow!("no entries in {r}"))?
            .iter()
            .map(|e| {
                Ok(Entry {
                    seq: e["seq"].as_u64().ok_or_else(|| anyhow!("no seq"))?,
                    kind: e["kind"].as_str().unwrap_or_default().to_owned(),
                    room: e["room"].as_str().map(str::to_owned),
                    data: unb64(&e["data"])?,
                })
            })
            .collect()
    }

    /// Processes every queued fan-out as `Client::sync` does, and acknowledges them.
    fn sync(&mut self, api: &Api) -> Result<Vec<Outcome>> {
        let mut out = Vec::new();
        for e in self.fetch(api)? {
            if e.kind == "fanout" {
                let tx = self.conn.transaction()?;
                out.push(croom::process_fanout(
                    &tx,
                    &self.id,
                    e.room.as_deref(),
                    &e.data,
                )?);
                tx.commit()?;
            }
            self.cursor = e.seq;
        }
        let path = format!("/v1/clients/{}/queue/ack", self.id.client.local());
        let body = json!({ "seq": self.cursor });
        api.call(Method::POST, &path, self.token(), Payload::Json(&body))?;
        Ok(out)
    }
}

/// `POST /v1/token/signed`'s body: the device's signature over its URI and the time.
fn signed_renewal(m: &Member) -> Result<Value> {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let content = mimi::credential::token_renewal_content(&m.id.client, at);
    let tbs = mimi::credential::sign_content(mimi::credential::TOKEN_RENEWAL_LABEL, &content);
    let signature = m.id.signer.sign(&tbs).map_err(debug("signing"))?;
    Ok(json!({ "client": m.id.client.to_string(), "at": at, "signature": b64(&signature) }))
}

/// `DELETE /v1/devices/{client}`'s body for another device of the user: the removal of `client`
/// signed with the user key at the current time.
fn signed_removal(m: &Member, client: &ClientUri) -> Result<Value> {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis() as u64;
    let signature = mimi::credential::sign_with_label(
        &m.user_key,
        mimi::credential::DEVICE_REMOVAL_LABEL,
        &mimi::credential::device_removal_content(client, at),
    );
    Ok(json!({ "at": at, "signature": b64(&signature) }))
}

/// Whether an outcome used its entry: no drop or refusal.
fn used(o: &Outcome) -> bool {
    !o.events
        .iter()
        .any(|e| matches!(e, ClientEvent::Dropped { .. } | ClientEvent::Refused { .. }))
}

/// Opens a hub on `dir` with the fuzzed hub's limits (its tokens outlive the fixture).
fn open_hub(rt: &Rc<tokio::runtime::Runtime>, dir: &Path) -> Result<Api> {
    let mut config = Config::new(dir, DOMAIN);
    config.limits = fhub::limits();
    Ok(Api {
        rt: rt.clone(),
        state: AppState::open(&config)?,
    })
}

/// Writes a compact copy of a SQLite database (consistent while it is open).
fn vacuum_into(conn: &Connection, to: &Path) -> Result<()> {
    let _ = std::fs::remove_file(to);
    conn.execute("VACUUM INTO ?1", [to.to_string_lossy().into_owned()])
        .with_context(|| format!("VACUUM INTO {}", to.display()))?;
    Ok(())
}

/// Replaces the fixture directory `dir` with the hub data directory `data` and the session.
fn write_hub_fixture(dir: &Path, data: &Path, session: &Session) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    let out = dir.join(fhub::DATA);
    std::fs::create_dir_all(&out)?;
    for e in std::fs::read_dir(data)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name == "hub.sqlite3" {
            vacuum_into(&Connection::open(e.path())?, &out.join(&name))?;
        } else if !name.starts_with("hub.sqlite3-") && e.path().is_file() {
            std::fs::copy(e.path(), out.join(&name))?;
        }
    }
    std::fs::write(
        dir.join(fhub::SESSION),
        serde_json::to_string_pretty(session)? + "\n",
    )?;
    Ok(())
}

/// Replaces the fixture directory `dir` with `m`'s store and identity.
fn write_client_fixture(dir: &Path, m: &Member, file: &IdentityFile) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    vacuum_into(&m.conn, &dir.join(fqueue::STORE))?;
    std::fs::write(
        dir.join(fqueue::IDENTITY),
        serde_json::to_string_pretty(file)? + "\n",
    )?;
    Ok(())
}

pub fn world(out: &mut Corpus) -> Result<()> {
    let rt = Rc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
    );
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("hub");
    let api = open_hub(&rt, &data)?;

    // 1. Registration, KeyPackages, a connection key.
    let provider = api.json(Method::GET, "/v1/provider", None, Payload::Empty)?;
    let provider_key = unb64(&provider["signature_key"])?;
    let trust = Trust {
        domain: DOMAIN.to_owned(),
        provider_key: provider_key.clone(),
    };
    let parts = HubParts {
        franking_agent: unb64(&provider["franking_agent"])?,
        signature_key: provider_key,
        credential: Credential::tls_deserialize_exact(unb64(&provider["hub_credential"])?)?,
    };
    let mut alice = Member::register(&api, "alice", &trust)?;
    // Her KeyPackage approves her device: the hub lets no other create or join a room.
    api.call(
        Method::POST,
        "/v1/key-packages",
        alice.token(),
        Payload::Json(&json!({ "key_packages": [b64(&alice.key_package()?)] })),
    )?;
    let mut bob = Member::register(&api, "bob", &trust)?;
    let kps: Vec<String> = (0..3)
        .map(|_| bob.key_package().map(|k| b64(&k)))
        .collect::<Result<_>>()?;
    api.call(
        Method::POST,
        "/v1/key-packages",
        bob.token(),
        Payload::Json(&json!({ "key_packages": kps })),
    )?;
    // Someone alice can still invite: the hub hands out no KeyPackage of a room's members.
    let carol = Member::register(&api, "carol", &trust)?;
    api.call(
        Method::POST,
        "/v1/key-packages",
        carol.token(),
        Payload::Json(&json!({ "key_packages": [b64(&carol.key_package()?)] })),
    )?;
    // Bob and carol consent to being added by alice: a claim of their KeyPackages needs it
    // (SECURITY.md "KeyPackages"), so that her claims below (and the key-material seed) get some.
    for m in [&bob, &carol] {
        api.call(
            Method::POST,
            "/v1/consent",
            m.token(),
            Payload::Json(&json!({ "operation": "grant", "user": alice.id.user.to_string() })),
        )?;
    }
    let crypto = RustCrypto::default();
    let bob_establishment = connection_hpke_keypair(&crypto, &random::<32>())?.public;
    api.call(
        Method::PUT,
        "/v1/connection-key",
        bob.token(),
        Payload::Json(&json!({ "public_key": b64(&bob_establishment) })),
    )?;

    // 2. The room, bob in it, his message received by alice.
    let (room, body) = alice.create_room(ROOM, &parts)?;
    api.call(
        Method::POST,
        "/v1/rooms",
        alice.token(),
        Payload::Json(&body),
    )?;
    let add = alice.stage_add(&api, &bob.id.user, &room)?;
    let add_hash = hex::encode(decode::<HandshakeBundle>(&add, "HandshakeBundle")?.key());
    alice.commit(&api, &room, &add)?;
    ensure!(bob.sync(&api)?.iter().any(|o| o.joined), "bob did not join");
    let (req, content) = bob.encrypt(&room, "the message alice reports")?;
    let resp = api.call(
        Method::POST,
        &format!("/v1/rooms/{ROOM}/submitMessage"),
        bob.token(),
        Payload::Tls(&req),
    )?;
    let SubmitMessageResponse::Accepted {
        accepted_timestamp,
        frank: Some(frank),
    } = decode::<SubmitMessageResponse>(&resp, "SubmitMessageResponse")?
    else {
        bail!("bob's message was not accepted with a frank");
    };
    let got = alice.sync(&api)?;
    ensure!(
        got.iter().flat_map(|o| &o.events).any(
            |e| matches!(e, ClientEvent::Message(m) if m.verified && m.sender == bob.id.user.to_string())
        ),
        "alice did not receive bob's message verified"
    );
    let bob_user = bob.id.user.to_string();
    let user = bob.id.user.clone();

    // 3. The second room, bob's Welcome left waiting.
    let (welcome_room, body) = alice.create_room(WELCOME_ROOM, &parts)?;
    api.call(
        Method::POST,
        "/v1/rooms",
        alice.token(),
        Payload::Json(&body),
    )?;
    let add2 = alice.stage_add(&api, &user, &welcome_room)?;
    alice.commit(&api, &welcome_room, &add2)?;

    // 4. alice's pseudonym, and a pseudonymous KeyPackage set under a connection token.
    let connection_key = ConnectionKey::from_bytes(random());
    let connection_token = hex::encode(connection_key.connection_token(&crypto)?);
    let (pseudonym, _) =
        conclave_client::pseudonymous::create(&alice.conn, &alice.id, &connection_key, None)?;
    api.call(
        Method::POST,
        "/v1/pseudonyms",
        alice.token(),
        Payload::Json(
            &json!({ "credential": b64(&pseudonym.credential), "token": pseudonym.token }),
        ),
    )?;
    let (set, _) =
        conclave_client::pseudonymous::create(&alice.conn, &alice.id, &connection_key, None)?;
    let set_kp = conclave_client::pseudonymous::key_package(&alice.conn, &alice.id, &set)?;
    api.call(
        Method::POST,
        &format!("/v1/pseudonymous-key-packages/{connection_token}"),
        alice.token(),
        Payload::Json(&json!({ "set_size": 1, "key_package": b64(&set_kp), "token": set.token })),
    )?;

    // The fixtures.
    let session = Session {
        domain: DOMAIN.to_owned(),
        account_token: alice.token.clone(),
        pseudonym_token: pseudonym.token.clone(),
        params: [
            ("room", [ROOM.to_owned(), WELCOME_ROOM.to_owned()]),
            (
                "client",
                [
                    alice.id.client.local().to_owned(),
                    bob.id.client.local().to_owned(),
                ],
            ),
            ("name", ["bob".to_owned(), "alice".to_owned()]),
            ("user", [bob_user.clone(), carol.id.user.to_string()]),
            ("hash", [add_hash, hex::encode([0u8; 32])]),
            ("token", [connection_token.clone(), hex::encode([7u8; 32])]),
            ("set", [set.user.local().to_owned(), "nobody".to_owned()]),
            ("epoch", ["1".to_owned(), "0".to_owned()]),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        routes: fhub::route_names(),
    };
    fhub::check_routes(&session).map_err(|e| anyhow!(e))?;
    let fixtures = out.fixtures();
    let hub_fixture = fixtures.join(fhub::FIXTURE);
    write_hub_fixture(&hub_fixture, &data, &session)?;
    let unknown = RoomUri::new(DOMAIN, UNKNOWN_ROOM)?.to_string();
    let bob_file = IdentityFile::new(
        &bob.id,
        &bob.seed,
        &room.to_string(),
        &welcome_room.to_string(),
        &unknown,
    );
    let client_fixture = fixtures.join(fqueue::FIXTURE);
    write_client_fixture(&client_fixture, &bob, &bob_file)?;

    // The hub seeds: alice's next request to every route, from the fixture's state.
    let mut seeds: Vec<(&str, Method, &str, Vec<u8>)> = Vec::new();
    let json_seed = |v: Value| v.to_string().into_bytes();
    let dave = SignatureKeyPair::new(SignatureScheme::ED25519).map_err(debug("key"))?;
    let dave_user_key = SignatureKeyPair::new(SignatureScheme::ED25519).map_err(debug("key"))?;
    let (_, new_room_body) = alice.create_room(NEW_ROOM, &parts)?;
    let proposals = croom::leave_proposals(&mut alice.conn, &alice.id, &room.to_string())?;
    let (message, _) = alice.encrypt(&room, "the message bob gets")?;
    let rename = alice.stage_rename(&room, "renamed")?;
    let response_key = connection_hpke_keypair(&crypto, &random::<32>())?.public;
    let request = ConnectionRequest::new(
        alice.id.credential_with_key().credential,
        user.clone(),
        ConnectionKey::from_bytes(random()),
        response_key,
        |tbs| alice.id.signer.sign(tbs),
    )?
    .seal(&crypto, &bob_establishment)?;
    let (pseudonym2, _) =
        conclave_client::pseudonymous::create(&alice.conn, &alice.id, &connection_key, None)?;
    let (set2, _) =
        conclave_client::pseudonymous::create(&alice.conn, &alice.id, &connection_key, None)?;
    let set2_kp = conclave_client::pseudonymous::key_package(&alice.conn, &alice.id, &set2)?;
    // The registered pseudonym's own KeyPackage, as a new device leaves it for its sibling.
    let sibling_kp = conclave_client::pseudonymous::key_package(&alice.conn, &alice.id, &pseudonym)?;
    let report = AbuseReport {
        reporting_user: IdentifierUri::new(&alice.id.user),
        alleged_abuser_uri: IdentifierUri::new(&user),
        reason_code: 0,
        note: b"fuzz".to_vec().into(),
        messages: vec![AbusiveMessage {
            message_content: content.clone().into(),
            frank,
            accepted_timestamp,
        }],
        abuse_extensions: vec![ComponentData {
            component_id: mimi::ids::REPORT_REASON,
            data: b"spam".to_vec().into(),
        }],
    };
    let own_kp = alice.key_package()?;
    seeds.extend([
        ("health", Method::GET, "/health", Vec::new()),
        ("provider", Method::GET, "/v1/provider", Vec::new()),
        (
            "register",
            Method::POST,
            "/v1/register",
            json_seed(json!({
                "name": "dave",
                "signature_key": b64(dave.public()),
                "user_key": b64(dave_user_key.public()),
            })),
        ),
        ("devices", Method::GET, "/v1/devices", Vec::new()),
        (
            "connection-key",
            Method::PUT,
            "/v1/connection-key",
            json_seed(json!({ "public_key": b64(&connection_hpke_keypair(&crypto, &random::<32>())?.public) })),
        ),
        (
            "user-connection-key",
            Method::GET,
            "/v1/users/{name}/connection-key",
            Vec::new(),
        ),
        (
            "connection-request",
            Method::POST,
            "/v1/connections",
            json_seed(json!({ "to": bob_user, "kind": "request", "sealed": b64(&request) })),
        ),
        ("blocks", Method::GET, "/v1/blocks", Vec::new()),
        (
            "block",
            Method::POST,
            "/v1/blocks",
            json_seed(json!({ "user": bob_user })),
        ),
        ("unblock", Method::DELETE, "/v1/blocks/{user}", Vec::new()),
        (
            "consent",
            Method::POST,
            "/v1/consent",
            json_seed(json!({ "operation": "grant", "user": bob_user })),
        ),
        ("consents", Method::GET, "/v1/consent", Vec::new()),
        (
            "remove-device",
            Method::DELETE,
            "/v1/devices/{client}",
            Vec::new(),
        ),
        // The body a removal of another device carries; here of alice's own device, which
        // needs none (the seed must get through), so that the fuzzer has its form.
        (
            "remove-device-signed",
            Method::DELETE,
            "/v1/devices/{client}",
            json_seed(signed_removal(&alice, &alice.id.client)?),
        ),
        ("renew-token", Method::POST, "/v1/token", Vec::new()),
        (
            "renew-token-signed",
            Method::POST,
            "/v1/token/signed",
            json_seed(signed_renewal(&alice)?),
        ),
        (
            "group-info",
            Method::GET,
            "/v1/rooms/{room}/group-info/{epoch}",
            Vec::new(),
        ),
        (
            "link-device",
            Method::POST,
            "/v1/devices/link",
            json_seed(json!({ "device_keys": b64(&random::<48>()) })),
        ),
        (
            "key-packages",
            Method::POST,
            "/v1/key-packages",
            json_seed(json!({ "key_packages": [b64(&own_kp)] })),
        ),
        (
            "key-material",
            Method::POST,
            "/v1/keyMaterial",
            alice.key_material_request(&carol.id.user, &room)?,
        ),
        (
            "create-room",
            Method::POST,
            "/v1/rooms",
            json_seed(new_room_body),
        ),
        ("commit", Method::POST, "/v1/rooms/{room}/update", rename.clone()),
        (
            "proposals",
            Method::POST,
            "/v1/rooms/{room}/update",
            proposals.clone(),
        ),
        (
            "submit",
            Method::POST,
            "/v1/rooms/{room}/submitMessage",
            message.clone(),
        ),
        (
            "report",
            Method::POST,
            "/v1/rooms/{room}/reportAbuse",
            report.to_bytes(),
        ),
        (
            "commit-status",
            Method::GET,
            "/v1/rooms/{room}/commits/{hash}",
            Vec::new(),
        ),
        (
            "identity-links",
            Method::GET,
            "/v1/rooms/{room}/identity-links",
            Vec::new(),
        ),
        (
            "pseudonym",
            Method::POST,
            "/v1/pseudonyms",
            json_seed(json!({ "credential": b64(&pseudonym2.credential), "token": pseudonym2.token })),
        ),
        (
            "sibling-key-package",
            Method::POST,
            "/v1/pseudonyms/sibling-key-package",
            json_seed(json!({ "key_package": b64(&sibling_kp) })),
        ),
        (
            "sibling-claim",
            Method::POST,
            "/v1/pseudonyms/sibling-key-packages/claim",
            Vec::new(),
        ),
        (
            "pseudonymous-sets",
            Method::GET,
            "/v1/pseudonymous-key-packages/{token}",
            Vec::new(),
        ),
        (
            "pseudonymous-key-package",
            Method::POST,
            "/v1/pseudonymous-key-packages/{token}",
            json_seed(json!({ "set_size": 1, "key_package": b64(&set2_kp), "token": set2.token })),
        ),
        (
            "pseudonymous-claim",
            Method::POST,
            "/v1/pseudonymous-key-packages/{token}/claim",
            Vec::new(),
        ),
        (
            "pseudonymous-drop",
            Method::DELETE,
            "/v1/pseudonymous-key-packages/{token}/{set}",
            Vec::new(),
        ),
        (
            "queue",
            Method::GET,
            "/v1/clients/{client}/queue",
            Vec::new(),
        ),
        (
            "ack",
            Method::POST,
            "/v1/clients/{client}/queue/ack",
            json_seed(json!({ "seq": alice.cursor })),
        ),
    ]);
    let routes = fhub::routes();
    for (method, path) in &routes {
        ensure!(
            seeds.iter().any(|(_, m, p, _)| m == method && p == path),
            "no hub_request seed for {method} {path}: add one"
        );
    }
    let scratch_root = tmp.path().join("checks");
    std::fs::create_dir_all(&scratch_root)?;
    // Seeds that act as the registered pseudonym, and the status each must get: the pseudonym is
    // in no room, so its claim is refused as the matrix says (`tests/tests/access.rs`).
    let as_pseudonym = |name: &str| match name {
        "sibling-key-package" => Some(200),
        "sibling-claim" => Some(403),
        _ => None,
    };
    for (i, (name, method, path, body)) in seeds.iter().enumerate() {
        let route = fhub::route_index(method, path)
            .ok_or_else(|| anyhow!("{method} {path} is not a route"))?;
        let flag = match as_pseudonym(name) {
            Some(_) => fhub::flags::AUTH_PSEUDONYM,
            None => fhub::flags::AUTH_ACCOUNT,
        };
        let input = fhub::seed(route, flag, body);
        // Each request is alice's next one from the fixture's state: it must get through.
        let hub = fhub::Hub::open(&hub_fixture, scratch_root.join(format!("hub{i}")))
            .map_err(|e| anyhow!(e))?;
        let (_, req) = fhub::request(&routes, &hub.session, &input)
            .ok_or_else(|| anyhow!("seed {name} makes no request"))?;
        let check = Api {
            rt: rt.clone(),
            state: hub.state.clone(),
        };
        let (status, answer) = check.send(req)?;
        ensure!(
            as_pseudonym(name).map_or(status.is_success(), |want| status.as_u16() == want),
            "hub_request seed {name} ({method} {path}) answered {status}: {}",
            String::from_utf8_lossy(&answer)
        );
        out.put("hub_request", name, &input)?;
    }
    // A few with other flags: the pseudonym's token, no token, parameters from the input.
    let route = |m: Method, p: &str| fhub::route_index(&m, p).ok_or_else(|| anyhow!("{p}"));
    out.put(
        "hub_request",
        "submit-as-pseudonym",
        &fhub::seed(
            route(Method::POST, "/v1/rooms/{room}/submitMessage")?,
            fhub::flags::AUTH_PSEUDONYM,
            &message,
        ),
    )?;
    out.put(
        "hub_request",
        "devices-unauthenticated",
        &fhub::seed(
            route(Method::GET, "/v1/devices")?,
            fhub::flags::AUTH_NONE,
            b"",
        ),
    )?;
    out.put(
        "hub_request",
        "queue-query-from-input",
        &fhub::seed(
            route(Method::GET, "/v1/clients/{client}/queue")?,
            fhub::flags::PATH_FROM_INPUT | fhub::flags::WAKE_ON,
            format!("{}/after=0&limit=3\n", alice.id.client.local()).as_bytes(),
        ),
    )?;

    // The queue_entry seeds: what bob's queue hands him next. The proposals go to a copy of the
    // fixture hub (in the story they would need a commit before alice's rename).
    let entry_seed = |e: &Entry| {
        let mut v = vec![bob_file.flags_for(e.room.as_deref())];
        v.extend_from_slice(&e.data);
        v
    };
    let mut queue_seeds: Vec<(&str, Vec<u8>)> = Vec::new();
    {
        let fork = fhub::Hub::open(&hub_fixture, scratch_root.join("proposals"))
            .map_err(|e| anyhow!(e))?;
        let fork_api = Api {
            rt: rt.clone(),
            state: fork.state.clone(),
        };
        fork_api.call(
            Method::POST,
            &format!("/v1/rooms/{ROOM}/update"),
            alice.token(),
            Payload::Tls(&proposals),
        )?;
        let entries = bob.fetch(&fork_api)?;
        let last = entries
            .last()
            .ok_or_else(|| anyhow!("no proposal for bob"))?;
        queue_seeds.push(("proposals", entry_seed(last)));
    }
    api.call(
        Method::POST,
        &format!("/v1/rooms/{ROOM}/submitMessage"),
        alice.token(),
        Payload::Tls(&message),
    )?;
    alice.commit(&api, &room, &rename)?;
    let entries = bob.fetch(&api)?;
    ensure!(
        entries.len() == 3,
        "bob has {} entries, not 3",
        entries.len()
    );
    queue_seeds.push(("welcome", entry_seed(&entries[0])));
    queue_seeds.push(("application", entry_seed(&entries[1])));
    queue_seeds.push(("commit", entry_seed(&entries[2])));
    for (i, (name, input)) in queue_seeds.iter().enumerate() {
        let mut c = fqueue::Client::open(&client_fixture, scratch_root.join(format!("c{i}")))
            .map_err(|e| anyhow!(e))?;
        let room = c.file.room(input[0]).map(str::to_owned);
        let tx = c.conn.transaction()?;
        let o = croom::process_fanout(&tx, &c.id, room.as_deref(), &input[1..])?;
        drop(tx);
        ensure!(
            used(&o),
            "queue_entry seed {name} was not used: {:?}",
            o.events
        );
        let wanted = match *name {
            "welcome" => o.joined,
            "application" => o
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Message(m) if m.verified)),
            "proposals" => o.proposals_in.is_some(),
            _ => o
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::MembersChanged { .. })),
        };
        ensure!(wanted, "queue_entry seed {name}: {:?}", o.events);
        out.put("queue_entry", name, input)?;
    }
    Ok(())
}
