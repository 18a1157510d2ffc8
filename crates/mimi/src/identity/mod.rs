//! Pseudonymous credentials and identity links: PROTO §6.1 "Minimal metadata rooms" and
//! MIMIMI -01 §3–§5 (draft-kohbrok-mimi-metadata-minimalization), `specs/mimi.md` §4.3–§4.7.
//!
//! In a pseudonymous room the hub sees only pseudonyms, yet every member can tell who each other
//! member really is:
//!
//! 1. **Connect.** Two users exchange their [`ConnectionKey`]s once, in an HPKE-sealed
//!    [`ConnectionRequest`] and [`ConnectionResponse`] (`connection.rs`).
//! 2. **Create.** For each new leaf (each KeyPackage) a client picks a fresh client pseudonym and
//!    leaf signature key; the room fixes the user pseudonym. The [`PseudonymousCredentialTbs`]
//!    of those three gives the [`IdentityLinkKey`]
//!    `= ExpandWithLabel(connection_key, "IdentityLinkKey", TBS, Nh)`; the real client signs the
//!    TBS and [`PseudonymousCredential::create`] seals that signature with the real credential
//!    (an [`IdentityLinkTbe`]) under the identity_link_key. The result is the leaf's MLS
//!    credential, of type [`PSEUDONYMOUS_CREDENTIAL_TYPE`](crate::ids::PSEUDONYMOUS_CREDENTIAL_TYPE).
//! 3. **Share.** The room's [`IdentityLinkWrapperKey`] (Welcome only, in an
//!    [`IdentityLinkExtension`]) wraps each leaf's identity_link_key; the wrapped keys travel in
//!    the commit's [`AddAad`] and the hub stores them, unable to open them.
//! 4. **Resolve.** Every member runs [`resolve`] on every leaf (§4.7 steps 1–6), with a key
//!    derived from a connection key or unwrapped from the hub's copy, then
//!    [`enforce_consistency`] over the room. The hub and the policy engine see only
//!    [`identify_pseudonymous`]: the pseudonyms as client and user.
//!
//! Choices where the drafts are open, written down:
//! - `signature_public_key` lacks `<V>` in the draft's structs; it is read as
//!   `opaque signature_public_key<V>` (as `SignaturePublicKey` is in RFC 9420).
//! - The MLS credential type is the private-use 0xF0C1, configured in [`crate::ids`]; the
//!   credential's content is the TLS `PseudonymousCredential`.
//! - Pseudonyms are Conclave URIs: the client pseudonym `mimi://domain/d/ID`, the user pseudonym
//!   `mimi://domain/u/ID` (a random UUID as ID), so the policy engine takes them as any client
//!   and user; parsing refuses other kinds.
//! - Ciphertexts are a versioned [`Sealed`] with the named AEAD AES-256-GCM (the keys are
//!   `Nh` = 32 bytes) and an AAD that binds a purpose label and a context: the identity link to
//!   its credential's TBS, a wrapped key to its client pseudonym (so it cannot be moved to
//!   another leaf). Nonces (12 bytes) come from the caller. An empty ciphertext is a credential
//!   without identity link (MIMIMI §6 lets policy forbid them).
//! - `ExpandWithLabel` uses HKDF-SHA256, the KDF of Conclave's one cipher suite 0x0001.
//! - The real credential is a Conclave [`ProviderCredential`](crate::credential::ProviderCredential):
//!   a credential that binds a key, which the draft needs for "the real client's key" (§4.3
//!   \[ANALYSIS\]). Step 3 validates it with [`Trust::identify`](crate::identity::Trust::identify)
//!   against the key it binds itself; step 4 verifies with that key.
//! - Step 6 also checks the converse of the draft's rule: one user pseudonym names one real
//!   user. Roles attach to user pseudonyms, so otherwise Mallory could sign a credential with
//!   Alice's listed user pseudonym and act with Alice's role.
//! - The domain check of step 6 applies to both pseudonyms, against the real user's domain.
//! - Connections are simplified for one provider and signed (`connection.rs` says how and why).
//! - `AddAAD.encrypted_identity_link_keys` holds `Sealed wrapped_keys<V>` in Add order.

mod add;
mod connection;
mod credential;
mod error;
mod hpke;
mod keys;
mod resolve;
mod seal;
mod trust;

#[cfg(test)]
mod tests;

pub use add::{AddAad, IdentityLinkExtension, added_identity_links};
pub use connection::{
    CONNECTION_REQUEST_LABEL, CONNECTION_RESPONSE_LABEL, ConnectionRequest, ConnectionResponse,
    OpenedConnectionRequest, OpenedConnectionResponse, SEAL_REQUEST_LABEL, SEAL_RESPONSE_LABEL,
};
pub use credential::{
    IdentityLinkTbe, PSEUDONYMOUS_CREDENTIAL_LABEL, PseudonymousCredential,
    PseudonymousCredentialTbs, identify_pseudonymous,
};
pub use error::{IdentityError, Unresolved};
pub use hpke::{SEALED_CONNECTION_VERSION, connection_hpke_keypair};
pub use keys::{
    CONNECTION_TOKEN_LABEL, ConnectionKey, IDENTITY_LINK_KEY_LABEL, IdentityLinkKey,
    IdentityLinkWrapperKey, NH, expand_with_label,
};
pub use resolve::{
    Inconsistency, LinkKeySource, Resolution, RoomView, enforce_consistency, resolve,
    room_inconsistencies,
};
pub use seal::{AEAD_AES_256_GCM, NONCE_LEN, SEALED_VERSION, Sealed};
pub use trust::Trust;
