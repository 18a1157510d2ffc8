//! Tests of pseudonymous credentials: known answers computed outside Rust, strict round trips,
//! the create → resolve story, one failure per check of `specs/mimi.md` §4.7, and connections.

mod codec;
mod connection;
mod known_answer;
mod resolve;

use std::convert::Infallible;

use ed25519_dalek::{Signer as _, SigningKey};
use openmls::prelude::{Credential, CredentialType};
use openmls_rust_crypto::RustCrypto;

use super::*;
use crate::credential::{ClientIdentity, ProviderCredential};
use crate::identity::Trust;
use crate::ids::PROVIDER_CREDENTIAL_TYPE;
use crate::uri::{ClientUri, UserUri};

/// The known answers: `crates/mimi/tests/data/identity_kat.json`, written by `identity_kat.py`
/// next to it with Python's `hmac`/`hashlib` (HKDF-Expand and RFC 9420's KDFLabel spelled out,
/// checked first against the RFC 9420 `crypto-basics` vector) and the `cryptography` package's
/// Ed25519 and AES-256-GCM, every TLS byte written by hand. No Rust code of this crate took part.
const KAT_JSON: &str = include_str!("../../../tests/data/identity_kat.json");

pub(super) struct Kat(serde_json::Value);

impl Kat {
    pub(super) fn load() -> Self {
        Kat(serde_json::from_str(KAT_JSON).expect("identity_kat.json is JSON"))
    }
    pub(super) fn str(&self, field: &str) -> &str {
        self.0[field]
            .as_str()
            .unwrap_or_else(|| panic!("identity_kat.json has no string {field}"))
    }
    pub(super) fn bytes(&self, field: &str) -> Vec<u8> {
        hex::decode(self.str(field)).unwrap_or_else(|e| panic!("{field} is not hex: {e}"))
    }
    pub(super) fn array<const N: usize>(&self, field: &str) -> [u8; N] {
        self.bytes(field)
            .try_into()
            .unwrap_or_else(|_| panic!("{field} is not {N} bytes"))
    }
}

pub(super) const DOMAIN: &str = "a.example";

pub(super) fn crypto() -> RustCrypto {
    RustCrypto::default()
}

pub(super) fn ed(seed: [u8; 32]) -> SigningKey {
    SigningKey::from_bytes(&seed)
}

/// `SignWithLabel`'s signing step with an Ed25519 key, as `create` and the connection messages
/// take it.
pub(super) fn signer(key: &SigningKey) -> impl FnOnce(&[u8]) -> Result<Vec<u8>, Infallible> + '_ {
    move |payload| Ok(key.sign(payload).to_bytes().to_vec())
}

pub(super) fn client(s: &str) -> ClientUri {
    ClientUri::parse(s).expect("test client URI")
}

pub(super) fn user(s: &str) -> UserUri {
    UserUri::parse(s).expect("test user URI")
}

/// A provider that issues real credentials.
pub(super) struct Provider {
    pub key: SigningKey,
    pub domain: &'static str,
}

impl Provider {
    pub fn new(seed: [u8; 32]) -> Self {
        Provider {
            key: ed(seed),
            domain: DOMAIN,
        }
    }
    pub fn trust(&self) -> Trust {
        Trust {
            domain: self.domain.into(),
            provider_key: self.key.verifying_key().to_bytes().to_vec(),
        }
    }
    /// A real client with its long-term key.
    pub fn client(&self, client_uri: &str, user_uri: &str, seed: [u8; 32]) -> RealClient {
        let key = ed(seed);
        let id = ClientIdentity {
            client: client(client_uri),
            user: user(user_uri),
        };
        let pc = ProviderCredential::issue(
            &self.key,
            &id.client,
            &id.user,
            key.verifying_key().as_bytes(),
        );
        RealClient {
            credential: Credential::new(
                CredentialType::Other(PROVIDER_CREDENTIAL_TYPE),
                pc.to_bytes(),
            ),
            key,
            id,
        }
    }
}

/// A real client: its key, its provider credential, who it is.
pub(super) struct RealClient {
    pub key: SigningKey,
    pub credential: Credential,
    pub id: ClientIdentity,
}

/// One pseudonymous leaf as its owner made it.
pub(super) struct Leaf {
    pub credential: Credential,
    pub signature_key: Vec<u8>,
    pub link_key: IdentityLinkKey,
    /// The wrapped identity_link_key the hub stores.
    pub wrapped: Vec<u8>,
}

impl Leaf {
    pub fn pseudonymous(&self) -> PseudonymousCredential {
        PseudonymousCredential::from_credential(&self.credential).expect("our own leaf")
    }
}

/// A client's new leaf in a room: fresh leaf key from `leaf_seed`, the given pseudonyms, the link
/// key derived from `connection_key`, wrapped under the room's `wrapper`.
pub(super) fn make_leaf(
    real: &RealClient,
    connection_key: &ConnectionKey,
    client_pseudonym: &str,
    user_pseudonym: &str,
    leaf_seed: u8,
    wrapper: &IdentityLinkWrapperKey,
) -> Leaf {
    let c = crypto();
    let signature_key = ed([leaf_seed; 32]).verifying_key().to_bytes().to_vec();
    let tbs = PseudonymousCredentialTbs {
        client_pseudonym: client(client_pseudonym),
        user_pseudonym: user(user_pseudonym),
        signature_public_key: signature_key.clone(),
    };
    let link_key = IdentityLinkKey::derive(&c, connection_key, &tbs).expect("derive");
    let pc = PseudonymousCredential::create(
        &c,
        tbs.clone(),
        &real.credential,
        signer(&real.key),
        &link_key,
        [leaf_seed; 12],
    )
    .expect("create");
    let wrapped = wrapper
        .wrap(&c, &tbs.client_pseudonym, &link_key, [leaf_seed ^ 0xff; 12])
        .expect("wrap")
        .to_bytes();
    Leaf {
        credential: pc.to_credential(),
        signature_key,
        link_key,
        wrapped,
    }
}

pub(super) const ALICE: &str = "mimi://a.example/u/alice";
pub(super) const BOB: &str = "mimi://a.example/u/bob";
pub(super) const CAROL: &str = "mimi://a.example/u/carol";
pub(super) const MALLORY: &str = "mimi://a.example/u/mallory";
/// Alice's user pseudonym in the test room.
pub(super) const ALICE_P: &str = "mimi://a.example/u/3f2504e0-4f89-41d3-9a0c-0305e82c3301";
/// Bob's user pseudonym in the test room.
pub(super) const BOB_P: &str = "mimi://a.example/u/9b2e1c4a-0d7f-4e21-8f3a-5c6d7e8f9a0b";
