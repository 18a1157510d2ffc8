//! The create → resolve story, and one failure per check of `specs/mimi.md` §4.7.

use ed25519_dalek::Signer as _;

use super::*;

/// A pseudonymous room on `a.example`: Alice (connected to Bob) and Bob are members; the wrapper
/// key is shared by members, and the hub holds each leaf's wrapped identity_link_key.
struct Room {
    provider: Provider,
    trust: Trust,
    wrapper: IdentityLinkWrapperKey,
    alice: RealClient,
    alice_ck: ConnectionKey,
    bob: RealClient,
    bob_ck: ConnectionKey,
    participants: Vec<UserUri>,
}

impl Room {
    fn new() -> Self {
        let provider = Provider::new([1; 32]);
        Room {
            trust: provider.trust(),
            wrapper: IdentityLinkWrapperKey::from_bytes([0xaa; 32]),
            alice: provider.client("mimi://a.example/d/alice-laptop", ALICE, [2; 32]),
            alice_ck: ConnectionKey::from_bytes([0xa1; 32]),
            bob: provider.client("mimi://a.example/d/bob-phone", BOB, [3; 32]),
            bob_ck: ConnectionKey::from_bytes([0xb1; 32]),
            participants: vec![user(ALICE_P), user(BOB_P)],
            provider,
        }
    }

    fn alice_leaf(&self) -> Leaf {
        make_leaf(
            &self.alice,
            &self.alice_ck,
            "mimi://a.example/d/0c1f6c2e-aaaa-4bbb-8ccc-000000000001",
            ALICE_P,
            0x11,
            &self.wrapper,
        )
    }

    fn view<'a>(&'a self, resolved: &'a [Resolution]) -> RoomView<'a> {
        RoomView {
            trust: &self.trust,
            participants: &self.participants,
            resolved,
        }
    }

    /// Resolves through the hub's wrapped key, as a member not connected to the owner does.
    fn resolve_wrapped(&self, leaf: &Leaf, resolved: &[Resolution]) -> Resolution {
        resolve(
            &crypto(),
            &leaf.credential,
            &leaf.signature_key,
            LinkKeySource::Wrapped {
                wrapper_key: &self.wrapper,
                wrapped: &leaf.wrapped,
            },
            &self.view(resolved),
        )
        .expect("a pseudonymous leaf")
    }
}

fn reason(r: &Resolution) -> Option<&Unresolved> {
    r.reason()
}

/// Seals a hand-made identity link for `tbs` under `key`, for the forgeries below.
fn forged_leaf(
    tbs: &PseudonymousCredentialTbs,
    key: &IdentityLinkKey,
    plaintext: Vec<u8>,
) -> Credential {
    let sealed = crate::identity::seal::Sealed::seal(
        &crypto(),
        key.as_bytes(),
        crate::identity::seal::Purpose::IdentityLink,
        &tbs.to_bytes(),
        [7; 12],
        &plaintext,
    )
    .expect("seal");
    PseudonymousCredential {
        client_pseudonym: tbs.client_pseudonym.clone(),
        user_pseudonym: tbs.user_pseudonym.clone(),
        signature_public_key: tbs.signature_public_key.clone(),
        identity_link_ciphertext: sealed.to_bytes(),
    }
    .to_credential()
}

#[test]
fn alice_creates_a_pseudonymous_leaf_and_bob_and_carol_resolve_it_to_alice() {
    // Given Alice's new leaf in the room, its identity_link_key wrapped for the hub,
    let room = Room::new();
    let leaf = room.alice_leaf();
    let expected = Resolution::Verified {
        real: room.alice.id.clone(),
        client_pseudonym: client("mimi://a.example/d/0c1f6c2e-aaaa-4bbb-8ccc-000000000001"),
        user_pseudonym: user(ALICE_P),
    };

    // when Bob, connected to Alice, derives the key from her connection key,
    let by_bob = resolve(
        &crypto(),
        &leaf.credential,
        &leaf.signature_key,
        LinkKeySource::Connection(&room.alice_ck),
        &room.view(&[]),
    )
    .expect("resolve");
    // and Carol, not connected, unwraps the hub's copy with the room's wrapper key,
    let by_carol = room.resolve_wrapped(&leaf, &[]);
    // and Alice resolves her own leaf with the key she kept,
    let by_alice = resolve(
        &crypto(),
        &leaf.credential,
        &leaf.signature_key,
        LinkKeySource::Known(&leaf.link_key),
        &room.view(&[]),
    )
    .expect("resolve");

    // then all three see Alice's real client behind the pseudonyms,
    assert_eq!(by_bob, expected);
    assert_eq!(by_carol, expected);
    assert_eq!(by_alice, expected);
    // while the hub sees only the pseudonyms.
    let hub_view = identify_pseudonymous(&leaf.credential, &leaf.signature_key).expect("hub");
    assert_eq!(hub_view.user, user(ALICE_P));
    assert!(
        !leaf
            .credential
            .serialized_content()
            .windows(5)
            .any(|w| w == b"alice")
    );
}

#[test]
fn a_users_two_clients_share_one_pseudonym_and_both_verify() {
    let room = Room::new();
    let phone = room
        .provider
        .client("mimi://a.example/d/alice-phone", ALICE, [4; 32]);
    let laptop = room.alice_leaf();
    let phone_leaf = make_leaf(
        &phone,
        &room.alice_ck,
        "mimi://a.example/d/0c1f6c2e-aaaa-4bbb-8ccc-000000000002",
        ALICE_P,
        0x12,
        &room.wrapper,
    );
    let first = room.resolve_wrapped(&laptop, &[]);
    let second = room.resolve_wrapped(&phone_leaf, std::slice::from_ref(&first));
    let mut all = vec![first, second];
    assert!(enforce_consistency(&mut all).is_empty());
    assert!(all.iter().all(|r| r.real().is_some()));
    assert_eq!(all[1].real().map(|id| &id.client), Some(&phone.id.client));
}

#[test]
fn an_empty_identity_link_is_unverified() {
    let room = Room::new();
    let leaf = room.alice_leaf();
    let mut pc = leaf.pseudonymous();
    pc.identity_link_ciphertext.clear();
    let stripped = Leaf {
        credential: pc.to_credential(),
        ..leaf
    };
    assert_eq!(
        reason(&room.resolve_wrapped(&stripped, &[])),
        Some(&Unresolved::NoIdentityLink)
    );
}

#[test]
fn a_wrapped_key_moved_to_another_leaf_does_not_open() {
    // Step 1: the wrapped key is bound to its client pseudonym.
    let room = Room::new();
    let alice = room.alice_leaf();
    let bob = make_leaf(
        &room.bob,
        &room.bob_ck,
        "mimi://a.example/d/0c1f6c2e-bbbb-4bbb-8ccc-000000000001",
        BOB_P,
        0x21,
        &room.wrapper,
    );
    let moved = Leaf {
        wrapped: bob.wrapped.clone(),
        ..alice
    };
    assert_eq!(
        reason(&room.resolve_wrapped(&moved, &[])),
        Some(&Unresolved::LinkKeyUnavailable)
    );
    // and another room's wrapper key does not open it either.
    let other_room = IdentityLinkWrapperKey::from_bytes([0xbb; 32]);
    let r = resolve(
        &crypto(),
        &bob.credential,
        &bob.signature_key,
        LinkKeySource::Wrapped {
            wrapper_key: &other_room,
            wrapped: &bob.wrapped,
        },
        &room.view(&[]),
    )
    .expect("resolve");
    assert_eq!(reason(&r), Some(&Unresolved::LinkKeyUnavailable));
}

#[test]
fn a_tampered_identity_link_is_undecryptable() {
    // Step 2.
    let room = Room::new();
    let leaf = room.alice_leaf();
    let mut pc = leaf.pseudonymous();
    if let Some(last) = pc.identity_link_ciphertext.last_mut() {
        *last ^= 1;
    }
    let tampered = Leaf {
        credential: pc.to_credential(),
        ..leaf
    };
    assert_eq!(
        reason(&room.resolve_wrapped(&tampered, &[])),
        Some(&Unresolved::LinkUndecryptable)
    );
}

#[test]
fn the_wrong_connection_key_cannot_decrypt_the_link() {
    // Step 2: Bob's connection key is not Alice's.
    let room = Room::new();
    let leaf = room.alice_leaf();
    let r = resolve(
        &crypto(),
        &leaf.credential,
        &leaf.signature_key,
        LinkKeySource::Connection(&room.bob_ck),
        &room.view(&[]),
    )
    .expect("resolve");
    assert_eq!(reason(&r), Some(&Unresolved::LinkUndecryptable));
}

#[test]
fn a_link_that_is_not_an_identity_link_tbe_is_malformed() {
    // Step 2: it decrypts, but to garbage.
    let room = Room::new();
    let leaf = room.alice_leaf();
    let tbs = leaf.pseudonymous().tbs();
    let credential = forged_leaf(&tbs, &leaf.link_key, b"not a TBE".to_vec());
    let r = resolve(
        &crypto(),
        &credential,
        &leaf.signature_key,
        LinkKeySource::Known(&leaf.link_key),
        &room.view(&[]),
    )
    .expect("resolve");
    assert_eq!(reason(&r), Some(&Unresolved::LinkMalformed));
}

#[test]
fn a_real_credential_from_another_provider_is_refused() {
    // Step 3: Mallory runs her own provider with the same domain but another key.
    let room = Room::new();
    let rogue = Provider::new([0xee; 32]);
    let fake_alice = rogue.client("mimi://a.example/d/alice-laptop", ALICE, [5; 32]);
    let leaf = make_leaf(
        &fake_alice,
        &room.alice_ck,
        "mimi://a.example/d/0c1f6c2e-eeee-4bbb-8ccc-000000000001",
        ALICE_P,
        0x31,
        &room.wrapper,
    );
    let r = room.resolve_wrapped(&leaf, &[]);
    assert!(
        matches!(reason(&r), Some(Unresolved::RealCredentialInvalid { detail }) if detail.contains("signature")),
        "{r:?}"
    );
}

#[test]
fn a_signature_by_another_key_is_refused() {
    // Step 4: Mallory puts Alice's real credential in the link but signs with her own key.
    let room = Room::new();
    let leaf = room.alice_leaf();
    let tbs = leaf.pseudonymous().tbs();
    let mallory = ed([6; 32]);
    let signature = mallory
        .sign(&crate::credential::sign_content(
            PSEUDONYMOUS_CREDENTIAL_LABEL,
            &tbs.to_bytes(),
        ))
        .to_bytes()
        .to_vec();
    let tbe = IdentityLinkTbe {
        pseudonymous_credential_signature: signature,
        client_credential: room.alice.credential.clone(),
    };
    let credential = forged_leaf(&tbs, &leaf.link_key, tbe.to_bytes());
    let r = resolve(
        &crypto(),
        &credential,
        &leaf.signature_key,
        LinkKeySource::Known(&leaf.link_key),
        &room.view(&[]),
    )
    .expect("resolve");
    assert_eq!(reason(&r), Some(&Unresolved::BadSignature));
}

#[test]
fn create_refuses_a_signer_that_is_not_the_real_credentials_key() {
    let room = Room::new();
    let tbs = room.alice_leaf().pseudonymous().tbs();
    let mallory = ed([6; 32]);
    let r = PseudonymousCredential::create(
        &crypto(),
        tbs,
        &room.alice.credential,
        signer(&mallory),
        &IdentityLinkKey::from_bytes([1; 32]),
        [0; 12],
    );
    assert_eq!(r, Err(IdentityError::SignerMismatch));
}

#[test]
fn a_credential_on_another_leaf_key_is_refused() {
    // Step 5: Alice's valid credential presented on a leaf with another signature key.
    let room = Room::new();
    let leaf = room.alice_leaf();
    let r = resolve(
        &crypto(),
        &leaf.credential,
        ed([0x77; 32]).verifying_key().as_bytes(),
        LinkKeySource::Known(&leaf.link_key),
        &room.view(&[]),
    )
    .expect("resolve");
    assert_eq!(reason(&r), Some(&Unresolved::LeafKeyMismatch));
}

#[test]
fn a_pseudonym_missing_from_the_participant_list_is_unverified() {
    // Step 6.
    let mut room = Room::new();
    room.participants = vec![user(BOB_P)];
    let leaf = room.alice_leaf();
    assert_eq!(
        reason(&room.resolve_wrapped(&leaf, &[])),
        Some(&Unresolved::PseudonymNotListed)
    );
}

#[test]
fn one_users_clients_with_two_pseudonyms_are_all_unverified() {
    // Step 6: PROTO §6.1's MUST, whichever leaf is resolved first.
    let mut room = Room::new();
    let second_pseudonym = "mimi://a.example/u/0c1f6c2e-ffff-4bbb-8ccc-000000000009";
    room.participants.push(user(second_pseudonym));
    let phone = room
        .provider
        .client("mimi://a.example/d/alice-phone", ALICE, [4; 32]);
    let laptop = room.alice_leaf();
    let phone_leaf = make_leaf(
        &phone,
        &room.alice_ck,
        "mimi://a.example/d/0c1f6c2e-aaaa-4bbb-8ccc-000000000002",
        second_pseudonym,
        0x12,
        &room.wrapper,
    );
    let first = room.resolve_wrapped(&laptop, &[]);
    assert!(first.real().is_some());
    let second = room.resolve_wrapped(&phone_leaf, std::slice::from_ref(&first));
    assert_eq!(
        reason(&second),
        Some(&Unresolved::SameUserOtherPseudonym {
            other: user(ALICE_P)
        })
    );

    // The room-wide check finds it from the verified leaves alone, in either order…
    let both_verified = [room.resolve_wrapped(&phone_leaf, &[]), first];
    assert_eq!(
        room_inconsistencies(&both_verified),
        vec![Inconsistency::UserWithSeveralPseudonyms {
            real_user: user(ALICE),
            user_pseudonyms: vec![user(second_pseudonym), user(ALICE_P)],
        }]
    );
    // …and trusts neither pseudonym.
    let mut all = both_verified.to_vec();
    assert_eq!(enforce_consistency(&mut all).len(), 1);
    assert_eq!(
        all.iter()
            .map(|r| r.reason().map(Unresolved::code))
            .collect::<Vec<_>>(),
        vec![
            Some("same_user_other_pseudonym"),
            Some("same_user_other_pseudonym")
        ]
    );
}

#[test]
fn mallory_cannot_take_alices_user_pseudonym() {
    // Step 6, Conclave's converse: a valid credential of Mallory's claiming Alice's listed user
    // pseudonym would give Mallory Alice's role.
    let room = Room::new();
    let mallory = room
        .provider
        .client("mimi://a.example/d/mallory-pc", MALLORY, [8; 32]);
    let alice_leaf = room.alice_leaf();
    let mallory_leaf = make_leaf(
        &mallory,
        &ConnectionKey::from_bytes([0x88; 32]),
        "mimi://a.example/d/0c1f6c2e-dddd-4bbb-8ccc-000000000001",
        ALICE_P,
        0x41,
        &room.wrapper,
    );
    let alice = room.resolve_wrapped(&alice_leaf, &[]);
    let m = room.resolve_wrapped(&mallory_leaf, std::slice::from_ref(&alice));
    assert_eq!(
        reason(&m),
        Some(&Unresolved::PseudonymOfAnotherUser { other: user(ALICE) })
    );
    let mut all = vec![room.resolve_wrapped(&mallory_leaf, &[]), alice];
    assert_eq!(
        enforce_consistency(&mut all),
        vec![Inconsistency::PseudonymOfSeveralUsers {
            user_pseudonym: user(ALICE_P),
            real_users: vec![user(ALICE), user(MALLORY)],
        }]
    );
    assert!(all.iter().all(|r| r.real().is_none()));
}

#[test]
fn a_pseudonym_outside_the_real_users_domain_is_refused() {
    // Step 6: the pseudonyms must be at the real user's provider.
    let mut room = Room::new();
    let foreign = "mimi://b.example/u/0c1f6c2e-aaaa-4bbb-8ccc-00000000000b";
    room.participants.push(user(foreign));
    let leaf = make_leaf(
        &room.alice,
        &room.alice_ck,
        "mimi://b.example/d/0c1f6c2e-aaaa-4bbb-8ccc-00000000000c",
        foreign,
        0x51,
        &room.wrapper,
    );
    assert_eq!(
        reason(&room.resolve_wrapped(&leaf, &[])),
        Some(&Unresolved::DomainMismatch {
            pseudonym_domain: "b.example".into(),
            provider_domain: "a.example".into(),
        })
    );
}

#[test]
fn a_leaf_that_is_not_pseudonymous_is_an_error_not_an_unverified_pseudonym() {
    let room = Room::new();
    let r = resolve(
        &crypto(),
        &room.alice.credential,
        room.alice.key.verifying_key().as_bytes(),
        LinkKeySource::Known(&IdentityLinkKey::from_bytes([0; 32])),
        &room.view(&[]),
    );
    assert!(matches!(r, Err(IdentityError::NotPseudonymous { .. })));
}
