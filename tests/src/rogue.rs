//! A hub test double: a provider that turned against its users (SECURITY.md "Devices"). It is the
//! real hub's process, database and provider key, used by the test as a malicious operator
//! would: it mints a device for one of its users, with a credential signed by the provider key
//! and approved by a user key of its own, marks it approved in its database (so the hub's own
//! checks pass), and stores KeyPackages the hub then hands out — everything a hub can do without
//! the user's key. Nothing here is a switch in
//! the hub: the hub's code stays honest, its data is what lies.

use conclave_client::identity::{CIPHERSUITE, capabilities};
use mimi::credential::{ProviderCredential, endorse};
use mimi::ids::PROVIDER_CREDENTIAL_TYPE;
use mimi::uri::{ClientUri, UserUri};
use openmls::prelude::{
    Credential, CredentialType, CredentialWithKey, KeyPackage, SignatureScheme,
};
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use rusqlite::params;
use tls_codec::Serialize as _;

use crate::TestHub;

/// A device the rogue hub made for a user who never approved it.
pub struct MintedDevice {
    /// Its client URI.
    pub client: ClientUri,
}

impl TestHub {
    /// The provider's signing key, read from the hub's data directory (as its operator can).
    fn provider_key(&self) -> ed25519_dalek::SigningKey {
        let seed: [u8; 32] = std::fs::read(self.data_dir().join("provider.key"))
            .expect("the provider key")
            .try_into()
            .expect("a 32-byte provider key");
        ed25519_dalek::SigningKey::from_bytes(&seed)
    }

    /// Mints a device of `user` the way a rogue operator could: a fresh leaf key, a credential
    /// signed with the provider key and approved by a user key of the operator's, the device
    /// marked approved in the hub's database, and `packages` KeyPackages in the hub's store,
    /// claimable like any other.
    pub fn mint_device(&self, user: &UserUri, packages: usize) -> MintedDevice {
        let provider = OpenMlsRustCrypto::default();
        let signer = SignatureKeyPair::new(SignatureScheme::ED25519).expect("a leaf key");
        let user_key = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]);
        let client = ClientUri::new(user.domain(), "0ddba11c0ffee000").expect("a client URI");
        let pc = ProviderCredential::issue(&self.provider_key(), &client, user, signer.public());
        let credential = endorse(&user_key, &pc.to_bytes()).expect("endorse");
        let cwk = CredentialWithKey {
            credential: Credential::new(
                CredentialType::Other(PROVIDER_CREDENTIAL_TYPE),
                credential.clone(),
            ),
            signature_key: signer.public().into(),
        };
        let conn = conclave_hub::store::open(&self.db_path()).expect("the hub's database");
        conn.execute(
            "INSERT INTO clients (uri, user_uri, token_hash, signature_key, credential, announced,
               created_at, token_expires_at, approved)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, 0, ?6, 1)",
            params![
                client.to_string(),
                user.to_string(),
                conclave_hub::accounts::secret_hash("rogue"),
                signer.public(),
                credential,
                i64::MAX
            ],
        )
        .expect("mint the client");
        for _ in 0..packages {
            let kp = KeyPackage::builder()
                .leaf_node_capabilities(capabilities())
                .build(CIPHERSUITE, &provider, &signer, cwk.clone())
                .expect("a KeyPackage")
                .key_package()
                .tls_serialize_detached()
                .expect("serialize");
            conn.execute(
                "INSERT INTO key_packages (client_uri, data, last_resort) VALUES (?1, ?2, 0)",
                params![client.to_string(), kp],
            )
            .expect("store the KeyPackage");
        }
        MintedDevice { client }
    }

    /// Tells `to` (a client of the minted device's user) that its user has a new device, as the
    /// hub does after a new device's first KeyPackages: the user's devices add their own new
    /// devices to their rooms — unless their user's key did not approve it.
    pub fn announce_device(&self, to: &ClientUri, device: &MintedDevice) {
        let conn = conclave_hub::store::open(&self.db_path()).expect("the hub's database");
        let notice = serde_json::json!({ "new_client": device.client.to_string() });
        conclave_hub::store::queue::enqueue(
            &conn,
            &to.to_string(),
            "device",
            None,
            notice.to_string().as_bytes(),
        )
        .expect("enqueue the notice");
    }
}
