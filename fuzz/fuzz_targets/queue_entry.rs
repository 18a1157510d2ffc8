//! Queue entries at the client (`conclave_client::group::process_fanout`): the bytes the hub's
//! queue hands a client, which it decodes as a `FanoutMessage` and processes (a Welcome, a
//! commit, a proposal, an application message) in its store. The input's layout and the fixture
//! store are in `conclave_fuzz::queue`.
//!
//! Promises checked: whatever the entry and the room it names, `process_fanout` answers `Ok`
//! (an unusable entry is dropped with an event) or an error, never panics, and does not end the
//! caller's transaction (its writes go through it, `Client::sync` commits them with the queue
//! cursor). Each input is processed in a transaction that is then rolled back, so every input
//! meets the same store.

#![no_main]

use std::sync::{LazyLock, Mutex};

use conclave_fuzz::queue::{self, Client};
use libfuzzer_sys::fuzz_target;

static CLIENT: LazyLock<Mutex<Client>> = LazyLock::new(|| {
    let fixture = conclave_fuzz::fixtures().join(queue::FIXTURE);
    let dir = conclave_fuzz::scratch_dir(queue::FIXTURE).expect("a scratch directory");
    Mutex::new(Client::open(&fixture, dir).expect("opening the client on its fixture"))
});

fuzz_target!(|data: &[u8]| {
    let Some((&flags, entry)) = data.split_first() else {
        return;
    };
    let mut guard = CLIENT.lock().unwrap_or_else(|e| e.into_inner());
    let c = &mut *guard;
    let room = c.file.room(flags).map(str::to_owned);
    let tx = c.conn.transaction().expect("a transaction");
    let _ = conclave_client::group::process_fanout(&tx, &c.id, room.as_deref(), entry);
    tx.rollback()
        .expect("the caller's transaction is still open after process_fanout");
    assert!(c.conn.is_autocommit());
});
