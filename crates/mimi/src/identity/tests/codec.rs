//! Strict round trips: every struct decodes from exactly its own encoding and refuses trailing
//! bytes, truncation, the wrong URI kind, another version or AEAD, and the wrong credential type.

use super::*;
use crate::error::WireError;

fn sample() -> (PseudonymousCredential, Leaf) {
    let provider = Provider::new([1; 32]);
    let alice = provider.client("mimi://a.example/d/alice-laptop", ALICE, [2; 32]);
    let wrapper = IdentityLinkWrapperKey::from_bytes([3; 32]);
    let leaf = make_leaf(
        &alice,
        &ConnectionKey::from_bytes([4; 32]),
        "mimi://a.example/d/c-1",
        ALICE_P,
        5,
        &wrapper,
    );
    (leaf.pseudonymous(), leaf)
}

fn refuses_trailing_and_truncated<T>(
    bytes: &[u8],
    parse: impl Fn(&[u8]) -> Result<T, IdentityError>,
) {
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert!(parse(&longer).is_err(), "accepted a trailing byte");
    assert!(
        parse(&bytes[..bytes.len() - 1]).is_err(),
        "accepted a truncation"
    );
    assert!(parse(&[]).is_err(), "accepted nothing");
}

#[test]
fn pseudonymous_credential_round_trips_through_bytes_and_mls_credential() {
    let (pc, leaf) = sample();
    assert_eq!(
        PseudonymousCredential::from_bytes(&pc.to_bytes()),
        Ok(pc.clone())
    );
    assert_eq!(
        PseudonymousCredential::from_credential(&pc.to_credential()),
        Ok(pc.clone())
    );
    assert_eq!(pc.to_credential(), leaf.credential);
    refuses_trailing_and_truncated(&pc.to_bytes(), PseudonymousCredential::from_bytes);
    let tbs = pc.tbs();
    assert_eq!(
        PseudonymousCredentialTbs::from_bytes(&tbs.to_bytes()),
        Ok(tbs.clone())
    );
    refuses_trailing_and_truncated(&tbs.to_bytes(), PseudonymousCredentialTbs::from_bytes);
    let tbe = IdentityLinkTbe::open(&crypto(), &leaf.link_key, &pc).expect("open");
    assert_eq!(
        IdentityLinkTbe::from_bytes(&tbe.to_bytes()),
        Ok(tbe.clone())
    );
    refuses_trailing_and_truncated(&tbe.to_bytes(), IdentityLinkTbe::from_bytes);
}

#[test]
fn pseudonyms_of_the_wrong_kind_are_refused() {
    let (pc, _) = sample();
    // A user URI where the client pseudonym goes: build the bytes by hand.
    let mut swapped = pc.clone();
    swapped.client_pseudonym = client("mimi://a.example/d/x");
    let bytes = swapped.to_bytes();
    let user_as_client = [&[0x14u8][..], b"mimi://a.example/u/x", &bytes[21..]].concat();
    assert!(matches!(
        PseudonymousCredential::from_bytes(&user_as_client),
        Err(IdentityError::Wire(WireError::Uri(_)))
    ));
}

#[test]
fn other_credential_types_are_not_pseudonymous() {
    let provider = Provider::new([1; 32]);
    let alice = provider.client("mimi://a.example/d/alice-laptop", ALICE, [2; 32]);
    assert_eq!(
        PseudonymousCredential::from_credential(&alice.credential),
        Err(IdentityError::NotPseudonymous {
            expected: 0xF0C1,
            found: "Other(61632)".into()
        })
    );
    assert!(identify_pseudonymous(&alice.credential, b"k").is_err());
}

#[test]
fn the_hub_sees_only_the_pseudonyms_bound_to_the_leaf_key() {
    let (pc, leaf) = sample();
    let id = identify_pseudonymous(&leaf.credential, &leaf.signature_key).expect("identify");
    assert_eq!(
        (id.client, id.user),
        (pc.client_pseudonym, pc.user_pseudonym)
    );
    assert!(identify_pseudonymous(&leaf.credential, &[0; 32]).is_err());
}

#[test]
fn sealed_refuses_other_versions_aeads_and_nonces() {
    let (_, leaf) = sample();
    let good = Sealed::from_bytes(&leaf.wrapped).expect("sealed");
    assert_eq!(good.to_bytes(), leaf.wrapped);
    refuses_trailing_and_truncated(&leaf.wrapped, |b| Ok(Sealed::from_bytes(b)?));
    let variant = |f: &dyn Fn(&mut Sealed)| {
        let mut s = good.clone();
        f(&mut s);
        Sealed::from_bytes(&s.to_bytes())
    };
    for (what, r) in [
        ("Sealed.version", variant(&|s| s.version = 2)),
        ("Sealed.aead_id", variant(&|s| s.aead_id = 0x0003)),
        ("Sealed.nonce", variant(&|s| s.nonce = vec![0; 24].into())),
        (
            "Sealed.ciphertext",
            variant(&|s| s.ciphertext = vec![0; 15].into()),
        ),
    ] {
        assert!(
            matches!(r, Err(WireError::Unsupported { what: w, .. }) if w == what),
            "{what}: {r:?}"
        );
    }
}

#[test]
fn a_hand_built_sealed_with_a_short_nonce_fails_to_open_without_panicking() {
    let (_, leaf) = sample();
    let mut s = Sealed::from_bytes(&leaf.wrapped).expect("sealed");
    s.nonce = vec![0; 3].into();
    let wrapper = IdentityLinkWrapperKey::from_bytes([3; 32]);
    assert!(
        wrapper
            .unwrap_key(&crypto(), &client("mimi://a.example/d/c-1"), &s.to_bytes())
            .is_err()
    );
}

#[test]
fn add_aad_and_extension_round_trip_and_refuse_bad_keys() {
    let (_, leaf) = sample();
    let add = AddAad {
        wrapped_keys: vec![
            Sealed::from_bytes(&leaf.wrapped).expect("sealed"),
            Sealed::from_bytes(&leaf.wrapped).expect("sealed"),
        ],
    };
    assert_eq!(AddAad::from_bytes(&add.to_bytes()), Ok(add.clone()));
    refuses_trailing_and_truncated(&add.to_bytes(), AddAad::from_bytes);
    let ext = IdentityLinkExtension {
        identity_link_wrapper_key: IdentityLinkWrapperKey::from_bytes([9; 32]),
    };
    assert_eq!(
        IdentityLinkExtension::from_bytes(&ext.to_bytes()),
        Ok(ext.clone())
    );
    assert!(IdentityLinkExtension::from_bytes(&[0x10; 17]).is_err());
}

#[test]
fn keys_do_not_print_their_bytes() {
    let k = ConnectionKey::from_bytes([0xab; 32]);
    assert_eq!(format!("{k:?}"), "ConnectionKey(…)");
    assert_eq!(k, ConnectionKey::from_bytes([0xab; 32]));
    assert_ne!(k, ConnectionKey::from_bytes([0xac; 32]));
}

#[test]
fn unresolved_codes_are_distinct() {
    let u = user(ALICE);
    let all = [
        Unresolved::NoIdentityLink,
        Unresolved::LinkKeyUnavailable,
        Unresolved::LinkUndecryptable,
        Unresolved::LinkMalformed,
        Unresolved::RealCredentialInvalid { detail: "x".into() },
        Unresolved::BadSignature,
        Unresolved::LeafKeyMismatch,
        Unresolved::PseudonymNotListed,
        Unresolved::SameUserOtherPseudonym { other: u.clone() },
        Unresolved::PseudonymOfAnotherUser { other: u },
        Unresolved::DomainMismatch {
            pseudonym_domain: "b".into(),
            provider_domain: "a".into(),
        },
    ];
    let mut codes: Vec<_> = all.iter().map(Unresolved::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
}

#[test]
fn trust_names_a_pseudonymous_leaf_by_its_pseudonyms_of_this_domain_only() {
    let (pc, leaf) = sample();
    let trust = Provider::new([1; 32]).trust();
    let id = trust
        .identify(&leaf.credential, &leaf.signature_key)
        .expect("identify");
    assert_eq!(
        (&id.client, &id.user),
        (&pc.client_pseudonym, &pc.user_pseudonym)
    );
    assert!(trust.identify(&leaf.credential, &[9; 32]).is_err());
    let other_domain = Trust {
        domain: "b.example".into(),
        ..trust
    };
    assert!(
        other_domain
            .identify(&leaf.credential, &leaf.signature_key)
            .is_err()
    );
}

#[test]
fn leaf_kinds_follow_the_rooms_pseudonyms_allowed() {
    use crate::room::check_leaf_kind;
    let (_, leaf) = sample();
    let provider = Provider::new([1; 32]);
    let alice = provider.client("mimi://a.example/d/alice-laptop", ALICE, [2; 32]);
    assert!(check_leaf_kind(&leaf.credential, true).is_ok());
    assert!(check_leaf_kind(&leaf.credential, false).is_err());
    assert!(check_leaf_kind(&alice.credential, false).is_ok());
    assert!(check_leaf_kind(&alice.credential, true).is_err());
}

#[test]
fn connection_tokens_differ_per_connection_key_and_are_stable() {
    let a = ConnectionKey::from_bytes([4; 32]);
    let b = ConnectionKey::from_bytes([5; 32]);
    let ta = a.connection_token(&crypto()).expect("token");
    assert_eq!(ta, a.connection_token(&crypto()).expect("token"));
    assert_ne!(ta, b.connection_token(&crypto()).expect("token"));
    // It is ExpandWithLabel under its own label, not the identity_link_key's.
    let by_hand =
        expand_with_label(&crypto(), &[4; 32], CONNECTION_TOKEN_LABEL, &[], 32).expect("expand");
    assert_eq!(ta.to_vec(), by_hand);
}

#[test]
fn a_remembered_verification_answers_only_for_the_same_inputs() {
    let provider = Provider::new([11; 32]);
    let alice = provider.client("mimi://a.example/d/alice-memo", ALICE, [12; 32]);
    let key = alice.key.verifying_key().to_bytes();
    let trust = provider.trust();
    // Twice the same answer (the second from the memo).
    for _ in 0..2 {
        assert_eq!(
            trust.identify(&alice.credential, &key),
            Ok(alice.id.clone())
        );
    }
    // Another leaf key, another anchor, a flipped signature byte: each verified afresh, refused.
    assert!(trust.identify(&alice.credential, &[7; 32]).is_err());
    let other = Provider::new([13; 32]).trust();
    assert!(other.identify(&alice.credential, &key).is_err());
    let mut forged = alice.credential.serialized_content().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let forged = Credential::new(CredentialType::Other(PROVIDER_CREDENTIAL_TYPE), forged);
    assert!(trust.identify(&forged, &key).is_err());
}
