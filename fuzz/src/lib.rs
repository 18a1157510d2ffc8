//! What the fuzz targets (`fuzz_targets/*.rs`) and the seed generator (`examples/seeds.rs`)
//! share: the selector byte of each dispatching target, and the round-trip checks; for the two
//! targets that run the hub and the client on a fixture, how an input becomes a request or a
//! queue entry and how the fixture is opened ([`hub`], [`queue`]).
//!
//! A dispatching target reads its first byte as a selector (modulo the number of decoders, so
//! every byte means something to the fuzzer) and hands the rest to that decoder. The seed
//! generator writes seeds with the same selectors, so the two cannot drift apart.
//!
//! The round-trip property asserted is the one the decoders promise: the TLS codec enforces
//! minimal vector lengths (tls_codec's `mls` feature), booleans and optionals are 0 or 1, enums
//! refuse unknown values, MLS objects are kept as the bytes received (`wire::Inline`), and MIMI
//! URIs have one spelling (`mimi::uri`). So whatever a strict decoder accepts, the encoder writes
//! back byte for byte. Several signatures and hashes rely on it: a credential's TBS, a
//! `ServerFrankingContext` and a pseudonymous credential's AAD are re-encoded from parsed values.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use tls_codec::{Deserialize, Serialize, Size};

pub mod hub;
pub mod queue;

/// Where the seed generator writes the fixtures of `hub_request` and `queue_entry` (next to
/// `corpus/`), and where those targets read them.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A new private directory for one process's copy of a fixture: under `/dev/shm` when there is
/// one (the hub and the client write and `fsync` on every input; on tmpfs that costs nothing),
/// else the temp directory. A fuzzer is stopped by a crash or a signal without cleaning up, so
/// the copies of processes that are gone are removed first.
pub fn scratch_dir(target: &str) -> Result<PathBuf, String> {
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
    .join("conclave-fuzz");
    let prefix = format!("{target}-");
    if Path::new("/proc/self").exists()
        && let Ok(entries) = std::fs::read_dir(&base)
    {
        for e in entries.flatten() {
            let name = e.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix(&prefix));
            if let Some(pid) = pid
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = base.join(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Copies every file of `from` into the new directory `to`, readable by its owner only (what
/// the hub requires of its data directory).
pub fn copy_private_dir(from: &Path, to: &Path) -> Result<(), String> {
    let names: Vec<String> = std::fs::read_dir(from)
        .map_err(|e| format!("reading {}: {e}", from.display()))?
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    copy_private_dir_files(from, to, &names)
}

/// Copies the files `names` of `from` into the new directory `to`, readable by its owner only.
pub fn copy_private_dir_files(from: &Path, to: &Path, names: &[&str]) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(to).map_err(|e| format!("creating {}: {e}", to.display()))?;
    let private = |p: &Path, mode| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("chmod {}: {e}", p.display()))
    };
    private(to, 0o700)?;
    for name in names {
        let (src, dst) = (from.join(name), to.join(name));
        std::fs::copy(&src, &dst).map_err(|e| format!("copying {}: {e}", src.display()))?;
        private(&dst, 0o600)?;
    }
    Ok(())
}

/// Splits a dispatching target's input into its selector (`0..n`) and the decoder's bytes.
pub fn select(data: &[u8], n: u8) -> Option<(u8, &[u8])> {
    let (first, rest) = data.split_first()?;
    Some((first % n, rest))
}

/// A seed for a dispatching target: the selector byte, then the bytes.
pub fn seed(selector: u8, bytes: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(1 + bytes.len());
    v.push(selector);
    v.extend_from_slice(bytes);
    v
}

/// Asserts that `encoded` (the value re-encoded) is exactly the input it was decoded from.
#[track_caller]
pub fn assert_same_bytes(what: &str, input: &[u8], encoded: &[u8]) {
    assert!(
        encoded == input,
        "{what}: re-encoding changed the bytes\n input:   {}\n encoded: {}",
        hex(input),
        hex(encoded),
    );
}

/// For a plain TLS struct that `decode` accepted from `input`: its announced size and its
/// encoding are exactly the input.
#[track_caller]
pub fn assert_tls_canonical<T: Serialize + Size + Debug>(what: &str, input: &[u8], value: &T) {
    assert_eq!(
        value.tls_serialized_len(),
        input.len(),
        "{what}: tls_serialized_len disagrees with the bytes it was decoded from: {value:?}"
    );
    assert_same_bytes(what, input, &mimi::wire::encode(value));
}

/// Decodes with `mimi::wire::decode` and, when that succeeds, checks the round trip.
#[track_caller]
pub fn tls_round_trip<T: Deserialize + Serialize + Size + Debug>(
    what: &'static str,
    input: &[u8],
) -> Option<T> {
    let value: T = mimi::wire::decode(input, what).ok()?;
    assert_tls_canonical(what, input, &value);
    Some(value)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Selectors of `fuzz_targets/wire.rs` (PROTO §5 wire structs).
pub mod wire {
    /// `KeyMaterialRequest`.
    pub const KEY_MATERIAL_REQUEST: u8 = 0;
    /// `KeyMaterialResponse`.
    pub const KEY_MATERIAL_RESPONSE: u8 = 1;
    /// `HandshakeBundle`.
    pub const HANDSHAKE_BUNDLE: u8 = 2;
    /// `SubmitMessageRequest`.
    pub const SUBMIT_MESSAGE_REQUEST: u8 = 3;
    /// `SubmitMessageResponse`.
    pub const SUBMIT_MESSAGE_RESPONSE: u8 = 4;
    /// `FanoutMessage`.
    pub const FANOUT_MESSAGE: u8 = 5;
    /// `Frank`.
    pub const FRANK: u8 = 6;
    /// A bare `MLSMessage` (`wire::MlsMessage`), classified.
    pub const MLS_MESSAGE: u8 = 7;
    /// `IdentifierUri`.
    pub const IDENTIFIER_URI: u8 = 8;
    /// How many.
    pub const COUNT: u8 = 9;
}

/// Selectors of `fuzz_targets/components.rs` (GroupContext components).
pub mod components {
    /// `RoomMetaData`.
    pub const ROOM_METADATA: u8 = 0;
    /// `RoleData`.
    pub const ROLE_DATA: u8 = 1;
    /// `ParticipantListData`.
    pub const PARTICIPANT_LIST: u8 = 2;
    /// `ParticipantListUpdate`.
    pub const PARTICIPANT_LIST_UPDATE: u8 = 3;
    /// `PreAuthData`.
    pub const PREAUTH: u8 = 4;
    /// `BaseRoomPolicy`.
    pub const BASE_ROOM_POLICY: u8 = 5;
    /// A `ParticipantListData` followed by a `ParticipantListUpdate`, applied.
    pub const APPLY_UPDATE: u8 = 6;
    /// How many.
    pub const COUNT: u8 = 7;
}

/// Selectors of `fuzz_targets/identity.rs` (credentials and `mimi::identity`).
pub mod identity {
    /// `ProviderCredential`.
    pub const PROVIDER_CREDENTIAL: u8 = 0;
    /// `PseudonymousCredential`.
    pub const PSEUDONYMOUS_CREDENTIAL: u8 = 1;
    /// `PseudonymousCredentialTbs`.
    pub const PSEUDONYMOUS_CREDENTIAL_TBS: u8 = 2;
    /// `IdentityLinkTbe`.
    pub const IDENTITY_LINK_TBE: u8 = 3;
    /// `Sealed`.
    pub const SEALED: u8 = 4;
    /// `AddAad`.
    pub const ADD_AAD: u8 = 5;
    /// `IdentityLinkExtension`.
    pub const IDENTITY_LINK_EXTENSION: u8 = 6;
    /// `ConnectionRequest`.
    pub const CONNECTION_REQUEST: u8 = 7;
    /// `ConnectionResponse`.
    pub const CONNECTION_RESPONSE: u8 = 8;
    /// A sealed connection request, opened with a fixed establishment key.
    pub const SEALED_CONNECTION_REQUEST: u8 = 9;
    /// A sealed connection response, opened with a fixed response key.
    pub const SEALED_CONNECTION_RESPONSE: u8 = 10;
    /// An MLS `Credential`, identified by `identity::Trust::identify`.
    pub const MLS_CREDENTIAL: u8 = 11;
    /// How many.
    pub const COUNT: u8 = 12;

    /// The provider the targets trust: `tests/data/identity_kat.json`'s, so that its known
    /// answers verify and the fuzzer starts from inputs that pass every check.
    pub const DOMAIN: &str = "a.example";
    /// The seed of the provider's Ed25519 key (`provider_seed` of the identity KAT).
    pub const PROVIDER_SEED: [u8; 32] = seq(0x00);
    /// Who opens sealed requests (the KAT's target).
    pub const ME: &str = "mimi://a.example/u/bob";
    /// Who opens sealed responses (the KAT's requester).
    pub const REQUESTER: &str = "mimi://a.example/u/alice";
    /// The HPKE key-pair seed of `ME`'s connection-establishment key.
    pub const ESTABLISHMENT_IKM: [u8; 32] = [0x42; 32];
    /// The HPKE key-pair seed of the requester's one-time response key.
    pub const RESPONSE_IKM: [u8; 32] = [0x43; 32];
    /// The identity_link_key identity links are opened with: the KAT's `identity_link_key`, so
    /// that the KAT's pseudonymous credential opens and its `IdentityLinkTBE` is decoded.
    pub const LINK_KEY: [u8; 32] = [
        0x3f, 0x2c, 0xf4, 0x22, 0xd9, 0x3f, 0xc1, 0xa1, 0xf0, 0x78, 0xf0, 0xcc, 0x6c, 0xc5, 0x3b,
        0x2e, 0xfa, 0x4b, 0x14, 0x7c, 0x45, 0x12, 0x52, 0xe7, 0xfc, 0x36, 0xda, 0xe7, 0x73, 0xd2,
        0xe5, 0x84,
    ];

    const fn seq(start: u8) -> [u8; 32] {
        let mut k = [0; 32];
        let mut i = 0;
        while i < 32 {
            k[i] = start + i as u8;
            i += 1;
        }
        k
    }
}

/// Selectors of `fuzz_targets/franking.rs` (PROTO §5.4.1, §5.9).
pub mod franking {
    /// `FrankAad`.
    pub const FRANK_AAD: u8 = 0;
    /// `FrankingAgentData`.
    pub const FRANKING_AGENT_DATA: u8 = 1;
    /// `ServerFrankingContext`.
    pub const SERVER_FRANKING_CONTEXT: u8 = 2;
    /// `FrankingIntegrityTbs`.
    pub const FRANKING_INTEGRITY_TBS: u8 = 3;
    /// `AbusiveMessage`, then verified as a report would be.
    pub const ABUSIVE_MESSAGE: u8 = 4;
    /// `AbuseReport`, each message verified.
    pub const ABUSE_REPORT: u8 = 5;
    /// How many.
    pub const COUNT: u8 = 6;

    /// The hub key reported messages are checked with (`hub_key` of `franking_kat.json`).
    pub const HUB_KEY: [u8; 32] = [
        0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
        0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
        0x3e, 0x3f,
    ];
    /// The franking public key (`franking_public_key` of the KAT).
    pub const FRANKING_PUBLIC_KEY: [u8; 32] = [
        0x25, 0x43, 0xb9, 0x2f, 0xf1, 0x09, 0x55, 0x11, 0x47, 0x6a, 0xdc, 0x83, 0x69, 0xdb, 0x6d,
        0xdc, 0x93, 0x36, 0x65, 0xa1, 0x19, 0x78, 0xdd, 0xa1, 0x40, 0x4e, 0xe1, 0x06, 0x6c, 0xa9,
        0x55, 0x9d,
    ];
    /// The room reports are posted to (`room_uri` of the KAT).
    pub const ROOM: &str = "mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg";
}

/// Decodes `$bytes` as `$t` with its `from_bytes`; if that succeeds, asserts that the value
/// re-encodes to exactly those bytes ([`assert_tls_canonical`]). Answers the value, if any.
#[macro_export]
macro_rules! round_trip {
    ($t:ty, $bytes:expr) => {{
        let bytes: &[u8] = $bytes;
        <$t>::from_bytes(bytes)
            .ok()
            .inspect(|v| $crate::assert_tls_canonical(stringify!($t), bytes, v))
    }};
}
