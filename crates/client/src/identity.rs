//! Who this client is in MLS terms: its signature key, its provider-issued credential, the
//! capabilities every Conclave leaf advertises, and the group configuration every room uses.

use mimi::identity::Trust;
use mimi::ids::{PROVIDER_CREDENTIAL_TYPE, PSEUDONYMOUS_CREDENTIAL_TYPE};
use mimi::uri::{ClientUri, UserUri};
use openmls::prelude::{
    Capabilities, Ciphersuite, Credential, CredentialType, CredentialWithKey, ExtensionType,
    MlsGroupCreateConfig, MlsGroupJoinConfig, PURE_PLAINTEXT_WIRE_FORMAT_POLICY, ProposalType,
    RequiredCapabilitiesExtension, SenderRatchetConfiguration,
};
use openmls_basic_credential::SignatureKeyPair;

/// The one cipher suite (DESIGN "MLS").
pub const CIPHERSUITE: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// How many past epochs' secrets a client keeps, so late application messages still decrypt.
const MAX_PAST_EPOCHS: usize = 5;

/// This client's identity.
pub struct Identity {
    /// The user.
    pub user: UserUri,
    /// This client.
    pub client: ClientUri,
    /// The MLS signature key pair (private half lives in the keystore).
    pub signer: SignatureKeyPair,
    /// The credential's content: ProviderCredential bytes, or a PseudonymousCredential's for
    /// the identity this client has in a pseudonymous room.
    pub credential: Vec<u8>,
    /// The credential's type: [`PROVIDER_CREDENTIAL_TYPE`] or [`PSEUDONYMOUS_CREDENTIAL_TYPE`].
    pub credential_type: u16,
    /// Whom we trust to issue credentials.
    pub trust: Trust,
}

impl Identity {
    /// This client as the policy engine names it.
    pub fn me(&self) -> mimi::credential::ClientIdentity {
        mimi::credential::ClientIdentity {
            client: self.client.clone(),
            user: self.user.clone(),
        }
    }

    /// The MLS credential with its key.
    pub fn credential_with_key(&self) -> CredentialWithKey {
        CredentialWithKey {
            credential: Credential::new(
                CredentialType::Other(self.credential_type),
                self.credential.clone(),
            ),
            signature_key: self.signer.public().into(),
        }
    }
}

/// What every Conclave leaf supports: app components, SelfRemove, and both Conclave credential
/// types (credential types are negotiated: every leaf must list every type in use).
pub fn capabilities() -> Capabilities {
    Capabilities::builder()
        .extensions(vec![
            ExtensionType::AppDataDictionary,
            ExtensionType::LastResort,
        ])
        .proposals(vec![ProposalType::AppDataUpdate, ProposalType::SelfRemove])
        .credentials(vec![
            CredentialType::Basic,
            CredentialType::Other(PROVIDER_CREDENTIAL_TYPE),
            CredentialType::Other(PSEUDONYMOUS_CREDENTIAL_TYPE),
        ])
        .build()
}

/// What a room requires of every leaf, so OpenMLS enforces it on every add.
pub fn required_capabilities() -> RequiredCapabilitiesExtension {
    required_capabilities_for(false)
}

/// The RequiredCapabilities of a room: its leaves' credential type is the provider's, or the
/// pseudonymous one in a pseudonymous room (PROTO §6.1).
pub fn required_capabilities_for(pseudonymous: bool) -> RequiredCapabilitiesExtension {
    let credential = if pseudonymous {
        PSEUDONYMOUS_CREDENTIAL_TYPE
    } else {
        PROVIDER_CREDENTIAL_TYPE
    };
    RequiredCapabilitiesExtension::new(
        &[ExtensionType::AppDataDictionary],
        &[ProposalType::AppDataUpdate, ProposalType::SelfRemove],
        &[CredentialType::Other(credential)],
    )
}

/// Handshakes are PublicMessage so the hub can validate them; application messages are always
/// PrivateMessage (DESIGN "MLS"). The hub serves the tree, so none is carried in messages.
pub fn join_config() -> MlsGroupJoinConfig {
    MlsGroupJoinConfig::builder()
        .wire_format_policy(PURE_PLAINTEXT_WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(false)
        .max_past_epochs(MAX_PAST_EPOCHS)
        .sender_ratchet_configuration(SenderRatchetConfiguration::default())
        .build()
}

/// The configuration of a new room.
pub fn create_config(
    extensions: openmls::prelude::Extensions<openmls::prelude::GroupContext>,
) -> MlsGroupCreateConfig {
    MlsGroupCreateConfig::builder()
        .ciphersuite(CIPHERSUITE)
        .wire_format_policy(PURE_PLAINTEXT_WIRE_FORMAT_POLICY)
        .use_ratchet_tree_extension(false)
        .max_past_epochs(MAX_PAST_EPOCHS)
        .capabilities(capabilities())
        .with_group_context_extensions(extensions)
        .build()
}
