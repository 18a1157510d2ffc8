//! Credentials and identity links: `ProviderCredential` with the user's approval after it (every
//! leaf, KeyPackage and member list)
//! and the structs of `mimi::identity` (pseudonymous rooms, connections), which members read from
//! other members' leaves, commits and sealed messages relayed by the hub. The first byte picks
//! the decoder (`conclave_fuzz::identity`).
//!
//! Promise checked: every `from_bytes` is strict TLS and every URI inside has one spelling, so an
//! accepted input re-encodes to itself. The code relies on it: a pseudonymous credential's TBS
//! (signed, and the AAD of its identity link) and a connection message's TBS are re-encoded from
//! the parsed values. The open and identify paths, which take sealed or signed bytes from
//! outside, must refuse and never panic.

#![no_main]

use std::sync::LazyLock;

use conclave_fuzz::identity as sel;
use conclave_fuzz::{assert_same_bytes, assert_tls_canonical, select};
use ed25519_dalek::SigningKey;
use libfuzzer_sys::fuzz_target;
use mimi::credential::{ProviderCredential, UserEndorsement, endorsement_of};
use mimi::identity::{
    AddAad, ConnectionRequest, ConnectionResponse, IdentityLinkExtension, IdentityLinkKey,
    IdentityLinkTbe, PseudonymousCredential, PseudonymousCredentialTbs, Sealed,
    connection_hpke_keypair, identify_pseudonymous,
};
use mimi::identity::Trust;
use mimi::uri::UserUri;
use openmls::prelude::{Credential, HpkeKeyPair};
use openmls_rust_crypto::RustCrypto;
use tls_codec::Deserialize as _;

struct Fixed {
    crypto: RustCrypto,
    trust: Trust,
    establishment: HpkeKeyPair,
    response: HpkeKeyPair,
    me: UserUri,
    requester: UserUri,
}

static FIXED: LazyLock<Fixed> = LazyLock::new(|| {
    let crypto = RustCrypto::default();
    let provider = SigningKey::from_bytes(&sel::PROVIDER_SEED);
    Fixed {
        trust: Trust {
            domain: sel::DOMAIN.to_owned(),
            provider_key: provider.verifying_key().to_bytes().to_vec(),
        },
        establishment: connection_hpke_keypair(&crypto, &sel::ESTABLISHMENT_IKM).unwrap(),
        response: connection_hpke_keypair(&crypto, &sel::RESPONSE_IKM).unwrap(),
        me: UserUri::parse(sel::ME).unwrap(),
        requester: UserUri::parse(sel::REQUESTER).unwrap(),
        crypto,
    }
});

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = select(data, sel::COUNT) else {
        return;
    };
    let f = &*FIXED;
    match selector {
        sel::PROVIDER_CREDENTIAL => {
            if let Ok(c) = ProviderCredential::from_bytes(bytes) {
                // The provider's part, then nothing or exactly one UserEndorsement (the user
                // key's approval of the device, SECURITY.md "Devices").
                let (provider, approval) = bytes.split_at(c.to_bytes().len());
                assert_tls_canonical("ProviderCredential", provider, &c);
                if !approval.is_empty() {
                    let e = UserEndorsement::tls_deserialize_exact(approval)
                        .expect("from_bytes accepted what follows as one UserEndorsement");
                    assert_tls_canonical("UserEndorsement", approval, &e);
                }
                let _ = endorsement_of(bytes);
                let _ = c.verify(
                    sel::DOMAIN,
                    &f.trust.provider_key,
                    c.signature_key.as_slice(),
                );
            }
        }
        sel::PSEUDONYMOUS_CREDENTIAL => {
            if let Ok(c) = PseudonymousCredential::from_bytes(bytes) {
                assert_same_bytes("PseudonymousCredential", bytes, &c.to_bytes());
                let mls = c.to_credential();
                assert_eq!(
                    PseudonymousCredential::from_credential(&mls).as_ref(),
                    Ok(&c)
                );
                assert!(identify_pseudonymous(&mls, &c.signature_public_key).is_ok());
                let _ = f.trust.identify(&mls, &c.signature_public_key);
                let key = IdentityLinkKey::from_bytes(sel::LINK_KEY);
                let _ = IdentityLinkTbe::open(&f.crypto, &key, &c);
            }
        }
        sel::PSEUDONYMOUS_CREDENTIAL_TBS => {
            if let Ok(t) = PseudonymousCredentialTbs::from_bytes(bytes) {
                assert_same_bytes("PseudonymousCredentialTBS", bytes, &t.to_bytes());
            }
        }
        sel::IDENTITY_LINK_TBE => {
            if let Ok(t) = IdentityLinkTbe::from_bytes(bytes) {
                assert_same_bytes("IdentityLinkTBE", bytes, &t.to_bytes());
            }
        }
        sel::SEALED => {
            if let Ok(s) = Sealed::from_bytes(bytes) {
                assert_tls_canonical("Sealed", bytes, &s);
                assert_eq!(s.to_bytes(), bytes);
            }
        }
        sel::ADD_AAD => {
            if let Ok(a) = AddAad::from_bytes(bytes) {
                assert_same_bytes("AddAAD", bytes, &a.to_bytes());
            }
        }
        sel::IDENTITY_LINK_EXTENSION => {
            if let Ok(e) = IdentityLinkExtension::from_bytes(bytes) {
                assert_same_bytes("IdentityLinkExtension", bytes, &e.to_bytes());
            }
        }
        sel::CONNECTION_REQUEST => {
            if let Ok(r) = ConnectionRequest::from_bytes(bytes) {
                assert_same_bytes("ConnectionRequest", bytes, &r.to_bytes());
            }
        }
        sel::CONNECTION_RESPONSE => {
            if let Ok(r) = ConnectionResponse::from_bytes(bytes) {
                assert_same_bytes("ConnectionResponse", bytes, &r.to_bytes());
            }
        }
        sel::SEALED_CONNECTION_REQUEST => {
            let _ = ConnectionRequest::open(&f.crypto, &f.establishment, &f.me, bytes, &f.trust);
        }
        sel::SEALED_CONNECTION_RESPONSE => {
            let _ = ConnectionResponse::open(
                &f.crypto,
                &f.response,
                &f.requester,
                &f.me,
                bytes,
                &f.trust,
            );
        }
        sel::MLS_CREDENTIAL => {
            if let Ok(c) = Credential::tls_deserialize_exact(bytes) {
                let key = ProviderCredential::from_bytes(c.serialized_content())
                    .map(|p| p.signature_key.as_slice().to_vec())
                    .unwrap_or_default();
                let _ = f.trust.identify(&c, &key);
                let _ = mimi::room::check_leaf_kind(&c, true);
                let _ = mimi::room::check_leaf_kind(&c, false);
            }
        }
        _ => unreachable!("select() returns less than COUNT"),
    }
});
