//! Connections: an HPKE-sealed request and response, refused with the wrong key, for the wrong
//! recipient, or when forged.

use super::*;
use openmls::prelude::{HpkeCiphertext, HpkeKeyPair};

struct Users {
    trust: Trust,
    alice: RealClient,
    bob: RealClient,
    carol: RealClient,
    bob_establishment: HpkeKeyPair,
    carol_establishment: HpkeKeyPair,
    response_key: HpkeKeyPair,
}

fn users() -> Users {
    let provider = Provider::new([1; 32]);
    let c = crypto();
    Users {
        trust: provider.trust(),
        alice: provider.client("mimi://a.example/d/alice-laptop", ALICE, [2; 32]),
        bob: provider.client("mimi://a.example/d/bob-phone", BOB, [3; 32]),
        carol: provider.client("mimi://a.example/d/carol-pc", CAROL, [4; 32]),
        bob_establishment: connection_hpke_keypair(&c, &[0xb0; 32]).expect("keypair"),
        carol_establishment: connection_hpke_keypair(&c, &[0xc0; 32]).expect("keypair"),
        response_key: connection_hpke_keypair(&c, &[0xa5; 32]).expect("keypair"),
    }
}

fn alices_request(u: &Users) -> ConnectionRequest {
    ConnectionRequest::new(
        u.alice.credential.clone(),
        user(BOB),
        ConnectionKey::from_bytes([0xa1; 32]),
        u.response_key.public.clone(),
        signer(&u.alice.key),
    )
    .expect("request")
}

#[test]
fn alice_and_bob_connect_and_can_then_resolve_each_others_pseudonyms() {
    let c = crypto();
    let u = users();
    // Given Alice's request sealed to Bob's connection-establishment key,
    let request = alices_request(&u);
    assert_eq!(
        ConnectionRequest::from_bytes(&request.to_bytes()),
        Ok(request.clone())
    );
    let sealed = request.seal(&c, &u.bob_establishment.public).expect("seal");

    // when Bob opens it and answers,
    let opened = ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &sealed, &u.trust)
        .expect("open request");
    assert_eq!(opened.requester, u.alice.id);
    assert_eq!(
        opened.requester_connection_key,
        ConnectionKey::from_bytes([0xa1; 32])
    );
    let response = ConnectionResponse::new(
        u.bob.credential.clone(),
        &opened,
        ConnectionKey::from_bytes([0xb1; 32]),
        signer(&u.bob.key),
    )
    .expect("response");
    assert_eq!(
        ConnectionResponse::from_bytes(&response.to_bytes()),
        Ok(response.clone())
    );
    let sealed_response = response.seal(&c, &opened).expect("seal");

    // then Alice learns Bob's connection key from Bob,
    let accepted = ConnectionResponse::open(
        &c,
        &u.response_key,
        &user(ALICE),
        &user(BOB),
        &sealed_response,
        &u.trust,
    )
    .expect("open response");
    assert_eq!(accepted.responder, u.bob.id);
    assert_eq!(
        accepted.responder_connection_key,
        ConnectionKey::from_bytes([0xb1; 32])
    );

    // and Bob can resolve Alice's pseudonymous leaves with the key he received.
    let wrapper = IdentityLinkWrapperKey::from_bytes([0xaa; 32]);
    let leaf = make_leaf(
        &u.alice,
        &ConnectionKey::from_bytes([0xa1; 32]),
        "mimi://a.example/d/c-1",
        ALICE_P,
        0x11,
        &wrapper,
    );
    let participants = [user(ALICE_P)];
    let r = resolve(
        &c,
        &leaf.credential,
        &leaf.signature_key,
        LinkKeySource::Connection(&opened.requester_connection_key),
        &RoomView {
            trust: &u.trust,
            participants: &participants,
            resolved: &[],
        },
    )
    .expect("resolve");
    assert_eq!(r.real(), Some(&u.alice.id));
}

#[test]
fn a_request_opened_with_the_wrong_key_is_refused() {
    let c = crypto();
    let u = users();
    let sealed = alices_request(&u)
        .seal(&c, &u.bob_establishment.public)
        .expect("seal");
    // Carol's key cannot open a request sealed to Bob,
    assert_eq!(
        ConnectionRequest::open(&c, &u.carol_establishment, &user(CAROL), &sealed, &u.trust),
        Err(IdentityError::Open("connection request"))
    );
    // nor can Bob's key under another name (the recipient is in the HPKE info),
    assert_eq!(
        ConnectionRequest::open(&c, &u.bob_establishment, &user(CAROL), &sealed, &u.trust),
        Err(IdentityError::Open("connection request"))
    );
    // and a flipped byte is refused.
    let mut tampered = sealed.clone();
    if let Some(b) = tampered.last_mut() {
        *b ^= 1;
    }
    assert_eq!(
        ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &tampered, &u.trust),
        Err(IdentityError::Open("connection request"))
    );
}

#[test]
fn a_request_resealed_to_someone_else_names_its_real_target() {
    // Bob re-seals Alice's signed request to Carol: Carol sees it was meant for Bob.
    let c = crypto();
    let u = users();
    let request = alices_request(&u);
    let sealed = crate::identity::connection::seal_request_to(
        &c,
        &request,
        &u.carol_establishment.public,
        &user(CAROL),
    )
    .expect("seal");
    assert_eq!(
        ConnectionRequest::open(&c, &u.carol_establishment, &user(CAROL), &sealed, &u.trust),
        Err(IdentityError::WrongRecipient {
            addressed: BOB.into(),
            me: CAROL.into()
        })
    );
}

#[test]
fn forged_requests_are_refused() {
    let c = crypto();
    let u = users();
    let open = |r: &ConnectionRequest| {
        let sealed = r.seal(&c, &u.bob_establishment.public).expect("seal");
        ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &sealed, &u.trust)
    };
    // Mallory swaps in her connection key under Alice's signature.
    let mut swapped = alices_request(&u);
    swapped.requester_connection_key = ConnectionKey::from_bytes([0x66; 32]);
    assert_eq!(
        open(&swapped),
        Err(IdentityError::BadSignature("connection request"))
    );
    // Alice's credential, another user's name.
    let mut renamed = alices_request(&u);
    renamed.requester_user = user(CAROL);
    assert!(matches!(
        open(&renamed),
        Err(IdentityError::UserMismatch { .. })
    ));
    // A credential of another provider.
    let rogue = Provider::new([0xee; 32]).client("mimi://a.example/d/alice-laptop", ALICE, [2; 32]);
    let mut foreign = alices_request(&u);
    foreign.requester_client_credential = rogue.credential;
    assert!(matches!(
        open(&foreign),
        Err(IdentityError::SenderCredential(_))
    ));
    // And Mallory cannot sign a request with Alice's credential in the first place.
    assert_eq!(
        ConnectionRequest::new(
            u.alice.credential.clone(),
            user(BOB),
            ConnectionKey::from_bytes([0x66; 32]),
            u.response_key.public.clone(),
            signer(&ed([6; 32])),
        ),
        Err(IdentityError::SignerMismatch)
    );
}

#[test]
fn a_response_from_someone_else_or_to_another_key_is_refused() {
    let c = crypto();
    let u = users();
    let sealed = alices_request(&u)
        .seal(&c, &u.bob_establishment.public)
        .expect("seal");
    let opened = ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &sealed, &u.trust)
        .expect("open");
    // Carol answers a request she was not sent (she learnt the response key somehow).
    let carols = ConnectionResponse::new(
        u.carol.credential.clone(),
        &opened,
        ConnectionKey::from_bytes([0xc1; 32]),
        signer(&u.carol.key),
    )
    .expect("response")
    .seal(&c, &opened)
    .expect("seal");
    assert!(matches!(
        ConnectionResponse::open(
            &c,
            &u.response_key,
            &user(ALICE),
            &user(BOB),
            &carols,
            &u.trust
        ),
        Err(IdentityError::UserMismatch { .. })
    ));
    // Bob's answer opened with another key pair.
    let bobs = ConnectionResponse::new(
        u.bob.credential.clone(),
        &opened,
        ConnectionKey::from_bytes([0xb1; 32]),
        signer(&u.bob.key),
    )
    .expect("response")
    .seal(&c, &opened)
    .expect("seal");
    assert_eq!(
        ConnectionResponse::open(
            &c,
            &u.carol_establishment,
            &user(ALICE),
            &user(BOB),
            &bobs,
            &u.trust
        ),
        Err(IdentityError::Open("connection response"))
    );
}

#[test]
fn decrypt_with_label_matches_the_rfc9420_vector_for_suite_1() {
    // mls-implementations test-vectors/crypto-basics.json, cipher_suite 1, encrypt_with_label:
    // the same EncryptWithLabel construction and HPKE suite as the connection messages.
    let h = |s: &str| hex::decode(s).expect("hex");
    // `priv` is given as an opaque<V>: drop the one-byte length 0x20.
    let private = h("209b1a15adf386aa22de4c19b7b1267ce3d7eee21a66c3bbafcf8750cad308e8f4");
    let ct = HpkeCiphertext {
        kem_output: h("8acf7b2c1a8d4a6614ec844d1544c62f60993c2975fc8051a655406573feed06").into(),
        ciphertext: h(
            "388491a9a82788528d7c8767b51327a0d401247cf102d04321ab7877177c710a16e776a46e2b74be529ecf2e35f1daa3",
        )
        .into(),
    };
    let plain = crate::identity::hpke::decrypt_with_label(
        &crypto(),
        &private[1..],
        "EncryptWithLabel",
        &h("4adad5a8ff163b5e9c9397728e94267f118cfb7471babf3b4b9c85419dd8ead4"),
        &ct,
        "test vector",
    )
    .expect("decrypt");
    assert_eq!(
        hex::encode(plain),
        "b442c4606b97eca24b082479b2c187ee9661ece6ac061357e9db0edbb2a89a67"
    );
}

#[test]
fn sealed_connection_messages_of_another_suite_are_refused() {
    let c = crypto();
    let u = users();
    let mut sealed = alices_request(&u)
        .seal(&c, &u.bob_establishment.public)
        .expect("seal");
    // uint8 version = 1; uint16 kem_id = 0x0020; kdf_id = 0x0001; aead_id = 0x0001
    assert_eq!(hex::encode(&sealed[..7]), "01002000010001");
    let mut other_aead = sealed.clone();
    other_aead[6] = 0x03;
    assert!(matches!(
        ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &other_aead, &u.trust),
        Err(IdentityError::Wire(_))
    ));
    // An all-zero (low-order) KEM output, and a short one, fail to open without panicking.
    // kem_output<V> starts at byte 7: length 0x20, then 32 bytes.
    assert_eq!(sealed[7], 0x20);
    sealed[8..40].fill(0);
    assert_eq!(
        ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &sealed, &u.trust),
        Err(IdentityError::Open("connection request"))
    );
    let short = [&sealed[..7], &[0x01, 0x09], &sealed[40..]].concat();
    assert_eq!(
        ConnectionRequest::open(&c, &u.bob_establishment, &user(BOB), &short, &u.trust),
        Err(IdentityError::Open("connection request"))
    );
}
