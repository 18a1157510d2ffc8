//! P6, the client store with 10,000 messages, on disk, against raw rusqlite on the same schema:
//!
//! - `p6_insert`: 10,000 received messages (1 KiB content, a frank) stored with
//!   `store::insert_message` in one transaction, vs one prepared `INSERT` run 10,000 times in one
//!   transaction in a second client database (same schema and pragmas). The table is emptied
//!   before each round, untimed.
//! - `p6_list`: `store::messages(room, 10_000)` vs the same `SELECT` through a prepared
//!   statement into plain tuples.
//! - `p6_open`: opening a room in the UI, the first page: `Room::messages(50)` on a
//!   `Client` opened on that home vs the raw `SELECT … LIMIT 50` (on the same encrypted file).
//! - `p6_cipher_insert`, `p6_cipher_list`: what encryption at rest costs: our code on the
//!   encrypted store (as clients keep it) vs our code on an unencrypted one.
//!
//! P6.insert and P6.list compare our code with raw SQL, both on unencrypted stores.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use conclave_client::group::{self as croom, HubParts};
use conclave_client::store::{self as cstore, Message, MessageKind};
use conclave_client::{Client, KeystoreKind, Options};
use conclave_load::fixture::{DOMAIN, Issuer, StoreAt, temp_dir};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use mimi::content::{MimiContent, message_id};
use mimi::franking::FrankingAgentData;
use mimi::policy::Preset;
use mimi::uri::RoomUri;
use openmls::prelude::BasicCredential;
use rusqlite::{Connection, params};

const MESSAGES: usize = 10_000;

const RAW_INSERT: &str = "INSERT OR IGNORE INTO messages (room_uri, id, sender_user, sender_client, timestamp, content, text, kind, frank, verified)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
const RAW_SELECT: &str =
    "SELECT id, sender_user, sender_client, text, timestamp, kind, verified FROM
       (SELECT * FROM messages WHERE room_uri = ?1 ORDER BY timestamp DESC, id DESC LIMIT ?2)
     ORDER BY timestamp, id";

fn key() -> SigningKey {
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(&conclave_load::salt());
    SigningKey::from_bytes(&seed)
}

/// The store of the home `dir`: encrypted with the key its keystore keeps, as clients keep it,
/// or unencrypted.
fn open_store(dir: &Path, encrypted: bool) -> Connection {
    let path = dir.join("conclave.sqlite3");
    if encrypted {
        let secrets =
            conclave_client::keystore::open(KeystoreKind::File, dir, None).expect("keystore");
        cstore::encrypt::open_home(&path, secrets.as_ref()).expect("store")
    } else {
        cstore::open(&path, None).expect("store")
    }
}

/// A raw rusqlite connection on the encrypted store of the home `dir`: its key set, nothing
/// else of ours.
fn raw_keyed(dir: &Path) -> Connection {
    let secrets = conclave_client::keystore::open(KeystoreKind::File, dir, None).expect("keystore");
    let key: cstore::Key = secrets
        .get(cstore::encrypt::KEY_SECRET)
        .expect("keystore")
        .expect("the database key")
        .try_into()
        .expect("32 bytes");
    let conn = Connection::open(dir.join("conclave.sqlite3")).expect("open");
    conclave_sqlite::cipher::apply_key(&conn, &key).expect("key");
    conn
}

/// A registered client's home made offline: its store (encrypted or not) with one room, its
/// keystore (file), and the settings `Client::open` reads. Returns the room.
fn home(dir: &Path, encrypted: bool) -> RoomUri {
    let issuer = Issuer::new(key());
    let (id, user_key) = issuer.identity_with_user_key("reader").expect("identity");
    let secrets = conclave_client::keystore::open(KeystoreKind::File, dir, None).expect("keystore");
    let mut conn = open_store(dir, encrypted);
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    for (k, v) in [
        ("hub_url", "http://127.0.0.1:9".to_owned()),
        ("user", id.user.to_string()),
        ("client", id.client.to_string()),
        ("provider_domain", DOMAIN.to_owned()),
        ("provider_key", b64(&issuer.trust.provider_key)),
        ("credential", b64(&id.credential)),
        ("queue_cursor", "0".to_owned()),
        ("key_packages_published", "1".to_owned()),
    ] {
        cstore::set_meta(&conn, k, &v).expect("meta");
    }
    secrets
        .set(
            "signature_key",
            &serde_json::to_vec(&id.signer).expect("key"),
        )
        .expect("set key");
    secrets.set("token", b"bench").expect("set token");
    // The user key, kept and pinned as registration does (SECURITY.md "Devices").
    conclave_client::user_key::keep(secrets.as_ref(), &user_key).expect("set user key");
    conclave_client::user_key::pin(
        &conn,
        &id.user.to_string(),
        user_key.verifying_key().as_bytes(),
    )
    .expect("pin user key");
    let hub_credential: openmls::prelude::Credential =
        BasicCredential::new(format!("mimi://{DOMAIN}").into_bytes()).into();
    let parts = HubParts {
        franking_agent: FrankingAgentData {
            franking_signature_key: key().verifying_key().to_bytes().to_vec().into(),
            credential: hub_credential.clone(),
        }
        .to_bytes(),
        signature_key: issuer.trust.provider_key.clone(),
        credential: hub_credential,
    };
    let room = RoomUri::new(DOMAIN, &conclave_load::random_id(8)).expect("room");
    croom::create(
        &mut conn,
        &id,
        &room,
        "store",
        Preset::Private,
        &parts,
        false,
    )
    .expect("room");
    room
}

/// 10,000 received messages as the client stores them: row, exact content bytes, frank bytes.
fn messages(room: &str) -> Vec<(Message, Vec<u8>, Vec<u8>)> {
    let text = conclave_load::text_1k();
    let sender = format!("mimi://{DOMAIN}/u/bob");
    let frank = vec![5u8; 110];
    (0..MESSAGES)
        .map(|i| {
            let salt = conclave_load::salt();
            let content = MimiContent::text(salt, &sender, room, &text).encode();
            let mut m = Message::new(
                room,
                message_id(&sender, room, &content, &salt).to_string(),
                MessageKind::Message,
                sender.clone(),
                format!("mimi://{DOMAIN}/d/0011223344556677"),
                Some(text.clone()),
                1_800_000_000_000 + i as u64,
            );
            m.verified = true;
            (m, content, frank.clone())
        })
        .collect()
}

fn insert_ours(conn: &mut Connection, rows: &[(Message, Vec<u8>, Vec<u8>)]) -> Duration {
    conn.execute("DELETE FROM messages", []).expect("empty");
    let t = Instant::now();
    let tx = conn.transaction().expect("tx");
    for (m, content, frank) in rows {
        assert!(cstore::insert_message(&tx, m, content, Some(frank)).expect("insert"));
    }
    tx.commit().expect("commit");
    t.elapsed()
}

/// A row for the raw side: the message, its binary id, content and frank.
type RawInsert = (Message, Vec<u8>, Vec<u8>, Vec<u8>);

/// The same rows through one prepared statement (ids already binary).
fn insert_raw(conn: &mut Connection, rows: &[RawInsert]) -> Duration {
    conn.execute("DELETE FROM messages", []).expect("empty");
    let t = Instant::now();
    let tx = conn.transaction().expect("tx");
    {
        let mut st = tx.prepare_cached(RAW_INSERT).expect("prepare");
        for (m, id, content, frank) in rows {
            st.execute(params![
                m.room,
                id,
                m.sender,
                m.sender_client,
                m.timestamp as i64,
                content,
                m.text,
                "message",
                frank,
                m.verified
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
    t.elapsed()
}

type RawRow = (Vec<u8>, String, String, Option<String>, i64, String, i64);

fn select_raw(conn: &Connection, room: &str, limit: u32) -> Vec<RawRow> {
    let mut st = conn.prepare_cached(RAW_SELECT).expect("prepare");
    st.query_map(params![room, limit], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn store(c: &mut Criterion) {
    let enc_dir = temp_dir(StoreAt::Disk).expect("tempdir");
    let plain_dir = temp_dir(StoreAt::Disk).expect("tempdir");
    let raw_dir = temp_dir(StoreAt::Disk).expect("tempdir");
    let room = home(enc_dir.path(), true);
    let r = room.to_string();
    let plain_room = home(plain_dir.path(), false).to_string();
    let raw_room = home(raw_dir.path(), false).to_string();
    let rows = messages(&r);
    let plain_rows = messages(&plain_room);
    let raw_rows: Vec<_> = messages(&raw_room)
        .into_iter()
        .map(|(m, content, frank)| {
            let id = hex::decode(&m.id).expect("hex id");
            (m, id, content, frank)
        })
        .collect();
    let mut enc = open_store(enc_dir.path(), true);
    let mut plain = open_store(plain_dir.path(), false);
    let mut raw = open_store(raw_dir.path(), false);

    let mut g = c.benchmark_group("p6_insert");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| insert_ours(&mut plain, &plain_rows))
                .sum()
        })
    });
    g.bench_function("raw", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| insert_raw(&mut raw, &raw_rows)).sum())
    });
    g.finish();
    let mut g = c.benchmark_group("p6_cipher_insert");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| insert_ours(&mut enc, &rows)).sum())
    });
    g.bench_function("raw", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| insert_ours(&mut plain, &plain_rows))
                .sum()
        })
    });
    g.finish();

    // Each room now holds 10,000 messages; the raw side reads the unencrypted database.
    insert_ours(&mut enc, &rows);
    insert_ours(&mut plain, &plain_rows);
    let plain_raw = Connection::open(plain_dir.path().join("conclave.sqlite3")).expect("open");
    let list = |conn: &Connection, room: &str| {
        let all = cstore::messages(conn, room, MESSAGES as u32).expect("messages");
        assert_eq!(all.len(), MESSAGES);
        black_box(all)
    };
    let mut g = c.benchmark_group("p6_list");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| b.iter(|| list(&plain, &plain_room)));
    g.bench_function("raw", |b| {
        b.iter(|| {
            let all = select_raw(&plain_raw, &plain_room, MESSAGES as u32);
            assert_eq!(all.len(), MESSAGES);
            black_box(all)
        })
    });
    g.finish();
    let mut g = c.benchmark_group("p6_cipher_list");
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function("ours", |b| b.iter(|| list(&enc, &r)));
    g.bench_function("raw", |b| b.iter(|| list(&plain, &plain_room)));
    g.finish();

    drop(enc);
    let keyed = raw_keyed(enc_dir.path());
    let options = Options {
        keystore: KeystoreKind::File,
        ..Default::default()
    };
    let client = Client::open(enc_dir.path(), &options).expect("Client::open");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let mut g = c.benchmark_group("p6_open");
    g.bench_function("ours", |b| {
        b.iter(|| {
            let page = runtime
                .block_on(client.room(&room).messages(50))
                .expect("Room::messages");
            assert_eq!(page.len(), 50);
            black_box(page)
        })
    });
    g.bench_function("raw", |b| {
        b.iter(|| {
            let page = select_raw(&keyed, &r, 50);
            assert_eq!(page.len(), 50);
            black_box(page)
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = store
}
criterion_main!(benches);
