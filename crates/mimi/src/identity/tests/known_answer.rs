//! Known answers from `tests/data/identity_kat.json` (see [`super::KAT_JSON`] for how they were
//! computed), the RFC 9420 `crypto-basics` vector for suite 1, and the TLS layouts written out
//! byte for byte.

use tls_codec::Serialize as _;

use super::*;
use crate::identity::seal::{Purpose, aad_bytes};

fn hex_of(s: &str) -> String {
    hex::encode(s)
}

struct Fixture {
    kat: Kat,
    alice: RealClient,
    bob: RealClient,
    tbs: PseudonymousCredentialTbs,
}

fn fixture() -> Fixture {
    let kat = Kat::load();
    let provider = Provider::new(kat.array("provider_seed"));
    let alice = provider.client(
        kat.str("alice_client"),
        kat.str("alice_user"),
        kat.array("alice_seed"),
    );
    let bob = provider.client(
        kat.str("bob_client"),
        kat.str("bob_user"),
        kat.array("bob_seed"),
    );
    let tbs = PseudonymousCredentialTbs {
        client_pseudonym: client(kat.str("client_pseudonym")),
        user_pseudonym: user(kat.str("user_pseudonym")),
        signature_public_key: kat.bytes("leaf_key"),
    };
    Fixture {
        kat,
        alice,
        bob,
        tbs,
    }
}

#[test]
fn the_kat_real_credentials_are_what_the_provider_issues() {
    let f = fixture();
    let bytes = |c: &Credential| c.tls_serialize_detached().expect("serialise");
    assert_eq!(bytes(&f.alice.credential), f.kat.bytes("alice_credential"));
    assert_eq!(bytes(&f.bob.credential), f.kat.bytes("bob_credential"));
}

#[test]
fn pseudonymous_credential_tbs_layout_byte_for_byte() {
    let f = fixture();
    let cp = f.kat.str("client_pseudonym");
    let up = f.kat.str("user_pseudonym");
    let expected = [
        // IdentifierUri client_pseudonym: opaque uri<V>, 55 bytes, one-byte varint length
        "37",
        &hex_of(cp),
        // IdentifierUri user_pseudonym: 55 bytes
        "37",
        &hex_of(up),
        // opaque signature_public_key<V>: the draft's missing <V> read as a varint length
        "20",
        "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f",
    ]
    .concat();
    assert_eq!((cp.len(), up.len()), (55, 55));
    assert_eq!(hex::encode(f.tbs.to_bytes()), expected);
    assert_eq!(f.tbs.to_bytes(), f.kat.bytes("tbs"));
}

#[test]
fn expand_with_label_matches_the_rfc9420_vector_for_suite_1() {
    // mls-implementations test-vectors/crypto-basics.json, cipher_suite 1, expand_with_label.
    let secret = hex::decode("55566f91303366cc1677e009b3506ead870add13254e4b3d413a8e716e44bdc2")
        .expect("hex");
    let context = hex::decode("7f2601b53739cb940e9c59291f5431ececc186d93185f01d2c34fd23ecfe0393")
        .expect("hex");
    let out =
        expand_with_label(&crypto(), &secret, "ExpandWithLabel", &context, 16).expect("expand");
    assert_eq!(hex::encode(out), "56f994cdab685d988cb9fce9c8873c80");
}

#[test]
fn identity_link_key_matches_the_known_answer() {
    let f = fixture();
    let ck = ConnectionKey::from_bytes(f.kat.array("connection_key"));
    let key = IdentityLinkKey::derive(&crypto(), &ck, &f.tbs).expect("derive");
    assert_eq!(key.as_bytes().to_vec(), f.kat.bytes("identity_link_key"));
    // KDFLabel { uint16 length = 32; "MLS 1.0 IdentityLinkKey"<V>; TBS<V> (145 bytes) }
    let kdf_label = f.kat.bytes("kdf_label");
    assert_eq!(
        hex::encode(&kdf_label[..28]),
        ["0020", "17", &hex_of("MLS 1.0 IdentityLinkKey"), "4091"].concat()
    );
    assert_eq!(&kdf_label[28..], f.tbs.to_bytes().as_slice());
}

#[test]
fn created_credential_matches_the_known_answer_byte_for_byte() {
    // Ed25519 and AES-GCM with a given nonce are deterministic, so the whole credential is a
    // known answer.
    let f = fixture();
    let c = crypto();
    let key = IdentityLinkKey::from_bytes(f.kat.array("identity_link_key"));
    let pc = PseudonymousCredential::create(
        &c,
        f.tbs.clone(),
        &f.alice.credential,
        signer(&f.alice.key),
        &key,
        f.kat.array("link_nonce"),
    )
    .expect("create");
    assert_eq!(
        pc.identity_link_ciphertext,
        f.kat.bytes("identity_link_ciphertext")
    );
    assert_eq!(pc.to_bytes(), f.kat.bytes("pseudonymous_credential"));
    let mls = pc
        .to_credential()
        .tls_serialize_detached()
        .expect("serialise");
    assert_eq!(mls, f.kat.bytes("mls_credential"));
    // Credential: uint16 credential_type = 0xF0C1, then the content as opaque<V>.
    assert_eq!(hex::encode(&mls[..2]), "f0c1");

    let tbe = IdentityLinkTbe::open(&c, &key, &pc).expect("open");
    assert_eq!(tbe.to_bytes(), f.kat.bytes("tbe"));
    assert_eq!(
        tbe.pseudonymous_credential_signature,
        f.kat.bytes("signature")
    );
    assert_eq!(tbe.client_credential, f.alice.credential);
}

#[test]
fn sealed_layout_byte_for_byte() {
    let f = fixture();
    let link = f.kat.bytes("identity_link_ciphertext");
    // uint8 version = 1; uint16 aead_id = 0x0002 (AES-256-GCM); nonce<V> (12 bytes)
    assert_eq!(
        hex::encode(&link[..16]),
        ["01", "0002", "0c", "808182838485868788898a8b"].concat()
    );
    // ciphertext<V>: the TBE plus the 16-byte tag, two-byte varint length
    let ct_len = f.kat.bytes("tbe").len() + 16;
    assert_eq!(
        u16::from_be_bytes([link[16], link[17]]),
        0x4000 | ct_len as u16
    );
    assert_eq!(link.len(), 18 + ct_len);

    let tbs = f.tbs.to_bytes();
    let expected_aad = [
        "15",
        &hex_of("Conclave IdentityLink"),
        "01",
        "0002",
        "4091",
        &hex::encode(&tbs),
    ]
    .concat();
    assert_eq!(
        hex::encode(aad_bytes(Purpose::IdentityLink, &tbs)),
        expected_aad
    );
    assert_eq!(
        aad_bytes(Purpose::IdentityLink, &tbs),
        f.kat.bytes("link_aad")
    );
    let cp = f.kat.str("client_pseudonym").as_bytes();
    assert_eq!(aad_bytes(Purpose::WrappedKey, cp), f.kat.bytes("wrap_aad"));
}

#[test]
fn wrapped_key_add_aad_and_extension_match_the_known_answers() {
    let f = fixture();
    let wrapper = IdentityLinkWrapperKey::from_bytes(f.kat.array("wrapper_key"));
    let key = IdentityLinkKey::from_bytes(f.kat.array("identity_link_key"));
    let wrapped = wrapper
        .wrap(
            &crypto(),
            &f.tbs.client_pseudonym,
            &key,
            f.kat.array("wrap_nonce"),
        )
        .expect("wrap");
    assert_eq!(wrapped.to_bytes(), f.kat.bytes("wrapped_key"));
    // 1 + 2 + (1 + 12) + (1 + 32 + 16)
    assert_eq!(wrapped.to_bytes().len(), 65);

    let add = AddAad {
        wrapped_keys: vec![wrapped],
    };
    // encrypted_identity_link_keys<V> (67 bytes) holding Sealed wrapped_keys<V> (65 bytes): one
    // Sealed
    assert_eq!(hex::encode(&add.to_bytes()[..4]), "40434041");
    assert_eq!(add.to_bytes(), f.kat.bytes("add_aad"));

    let ext = IdentityLinkExtension {
        identity_link_wrapper_key: wrapper,
    };
    assert_eq!(ext.to_bytes(), f.kat.bytes("identity_link_extension"));
    assert_eq!(ext.to_bytes()[0], 0x20);
}

#[test]
fn connection_messages_match_the_known_answers() {
    let f = fixture();
    let request = ConnectionRequest::new(
        f.alice.credential.clone(),
        user(f.kat.str("bob_user")),
        ConnectionKey::from_bytes(f.kat.array("connection_key")),
        f.kat.bytes("response_key"),
        signer(&f.alice.key),
    )
    .expect("request");
    assert_eq!(request.requester_user, user(f.kat.str("alice_user")));
    assert_eq!(request.to_bytes(), f.kat.bytes("connection_request"));

    let opened = OpenedConnectionRequest {
        requester: f.alice.id.clone(),
        requester_connection_key: request.requester_connection_key.clone(),
        response_key: f.kat.bytes("response_key"),
    };
    let response = ConnectionResponse::new(
        f.bob.credential.clone(),
        &opened,
        ConnectionKey::from_bytes(f.kat.array("bob_connection_key")),
        signer(&f.bob.key),
    )
    .expect("response");
    assert_eq!(response.to_bytes(), f.kat.bytes("connection_response"));
}
