//! The receiver's checks (PROTO §5.4.1.3): a genuine message passes, and each check fails on
//! its own with its own error.

use super::*;

/// What Bob's client holds after decrypting Alice's KAT message, owned so a test can spoil one
/// thing before checking.
struct Arrival {
    application_data: Vec<u8>,
    frank_aad: Option<Vec<u8>>,
    frank: Option<Frank>,
    accepted_timestamp: u64,
    group_ciphersuite: u16,
    agent: Option<FrankingAgentData>,
    hub_domain: String,
    sender_identity: String,
    room_uri: String,
}

impl Arrival {
    fn genuine() -> Self {
        let kat = Kat::load();
        Arrival {
            application_data: kat.bytes("application_data"),
            frank_aad: Some(kat.bytes("frank_aad")),
            frank: Some(kat.frank()),
            accepted_timestamp: kat.u64("accepted_timestamp"),
            group_ciphersuite: crate::ids::CIPHERSUITE,
            agent: Some(kat.agent()),
            hub_domain: HUB.to_owned(),
            sender_identity: ALICE.to_owned(),
            room_uri: ROOM.to_owned(),
        }
    }

    fn verify(&self) -> Result<ServerFrankingContext, FrankingError> {
        verify_received(&Received {
            application_data: &self.application_data,
            frank_aad: self.frank_aad.as_deref(),
            frank: self.frank.as_ref(),
            accepted_timestamp: self.accepted_timestamp,
            group_ciphersuite: self.group_ciphersuite,
            agent: self.agent.as_ref(),
            hub_domain: &self.hub_domain,
            agent_domain_of: &domain_of_basic,
            sender_identity: &self.sender_identity,
            room_uri: &self.room_uri,
        })
    }

    fn frank_mut(&mut self) -> &mut Frank {
        self.frank.as_mut().expect("the genuine arrival is franked")
    }
}

#[test]
fn genuine_message_passes_and_yields_the_context_to_store() {
    let kat = Kat::load();
    assert_eq!(Arrival::genuine().verify(), Ok(kat.context()));
}

#[test]
fn step1_message_without_frank_aad_is_unverified() {
    let mut a = Arrival::genuine();
    a.frank_aad = None;
    assert_eq!(a.verify(), Err(FrankingError::MissingFrankAad));
}

#[test]
fn step1_frank_aad_of_the_wrong_length_is_unverified() {
    let mut a = Arrival::genuine();
    a.frank_aad = Some(vec![0; 33]);
    assert_eq!(
        a.verify(),
        Err(FrankingError::MalformedFrankAad { len: 33 })
    );
}

#[test]
fn step1_message_fanned_out_without_frank_is_unverified() {
    let mut a = Arrival::genuine();
    a.frank = None;
    assert_eq!(a.verify(), Err(FrankingError::MissingFrank));
}

#[test]
fn step2_frank_naming_another_ciphersuite_is_refused() {
    let mut a = Arrival::genuine();
    a.frank_mut().franking_signature_ciphersuite = 0x0003;
    assert_eq!(
        a.verify(),
        Err(FrankingError::CiphersuiteMismatch {
            frank: 0x0003,
            group: 0x0001
        })
    );
}

#[test]
fn step3_room_without_franking_agent_cannot_verify() {
    let mut a = Arrival::genuine();
    a.agent = None;
    assert_eq!(a.verify(), Err(FrankingError::MissingFrankingAgent));
}

#[test]
fn step3_franking_agent_of_another_domain_is_refused() {
    // A follower (or a member) installed its own franking key under its own credential.
    let mut a = Arrival::genuine();
    let evil = SigningKey::from_bytes(&[9; 32]);
    a.agent = Some(FrankingAgentData {
        franking_signature_key: evil.verifying_key().to_bytes().to_vec().into(),
        credential: BasicCredential::new(b"mimi://follower.example".to_vec()).into(),
    });
    assert_eq!(
        a.verify(),
        Err(FrankingError::AgentNotHub {
            agent_domain: "follower.example".into(),
            hub_domain: HUB.into()
        })
    );
}

#[test]
fn step3_franking_agent_credential_without_domain_is_refused() {
    let mut a = Arrival::genuine();
    if let Some(agent) = a.agent.as_mut() {
        agent.credential = BasicCredential::new(b"not a uri".to_vec()).into();
    }
    assert_eq!(a.verify(), Err(FrankingError::AgentDomainUnknown));
}

#[test]
fn step4_frank_signed_by_another_key_is_refused() {
    // The agent is the hub's, but the signature was made by someone else.
    let kat = Kat::load();
    let mut a = Arrival::genuine();
    let forged = frank(
        &kat.array("hub_key"),
        &SigningKey::from_bytes(&[9; 32]),
        0x0001,
        &kat.array("franking_tag"),
        &kat.context(),
    );
    a.frank = Some(forged);
    assert_eq!(a.verify(), Err(FrankingError::BadSignature));
}

#[test]
fn step4_follower_tampering_with_the_timestamp_breaks_the_signature() {
    let mut a = Arrival::genuine();
    a.accepted_timestamp += 1;
    assert_eq!(a.verify(), Err(FrankingError::BadSignature));
}

#[test]
fn step4_follower_tampering_with_the_server_frank_breaks_the_signature() {
    let mut a = Arrival::genuine();
    a.frank_mut().server_frank[0] ^= 1;
    assert_eq!(a.verify(), Err(FrankingError::BadSignature));
}

#[test]
fn step4_application_data_that_is_not_mimi_content_is_unverified() {
    let mut a = Arrival::genuine();
    a.application_data = b"plain bytes".to_vec();
    assert!(matches!(a.verify(), Err(FrankingError::Content(_))));
}

#[test]
fn step5_tampered_content_fails_the_tag_check() {
    // Same salt, sender and room, so the hub's signature over the context still holds; only the
    // body differs from what the AAD commits to.
    let kat = Kat::load();
    let mut a = Arrival::genuine();
    a.application_data = text(kat.array("salt"), ALICE, ROOM, "hello, hug");
    assert_eq!(a.verify(), Err(FrankingError::TagMismatch));
}

#[test]
fn step6_content_claiming_a_sender_other_than_the_leaf_credential_is_refused() {
    // The content, AAD and frank are all consistent, but the MLS sender is Mallory.
    let mut a = Arrival::genuine();
    a.sender_identity = "mimi://b.example/u/mallory".into();
    assert_eq!(
        a.verify(),
        Err(FrankingError::SenderMismatch {
            content: ALICE.into(),
            credential: "mimi://b.example/u/mallory".into()
        })
    );
}

#[test]
fn step7_message_claiming_another_room_is_refused() {
    let mut a = Arrival::genuine();
    a.room_uri = "mimi://hub.example/r/other".into();
    assert_eq!(
        a.verify(),
        Err(FrankingError::RoomMismatch {
            content: ROOM.into(),
            expected: "mimi://hub.example/r/other".into()
        })
    );
}

#[test]
fn checks_run_in_the_order_of_the_draft() {
    // Everything wrong at once: the first check (step 1) is the one reported; then each fix
    // reveals the next.
    let mut a = Arrival::genuine();
    a.frank = None;
    a.agent = None;
    a.room_uri = "mimi://hub.example/r/other".into();
    assert_eq!(a.verify().map_err(|e| e.code()), Err("frank_missing"));
    a.frank = Arrival::genuine().frank;
    assert_eq!(
        a.verify().map_err(|e| e.code()),
        Err("franking_agent_missing")
    );
    a.agent = Arrival::genuine().agent;
    assert_eq!(a.verify().map_err(|e| e.code()), Err("frank_room_mismatch"));
}

#[test]
fn every_error_has_a_distinct_code_and_a_sentence() {
    let errors = [
        FrankingError::MissingFrankAad,
        FrankingError::MalformedFrankAad { len: 1 },
        FrankingError::MissingFrank,
        FrankingError::CiphersuiteMismatch { frank: 1, group: 2 },
        FrankingError::UnsupportedCiphersuite { suite: 2 },
        FrankingError::MissingFrankingAgent,
        FrankingError::AgentDomainUnknown,
        FrankingError::AgentNotHub {
            agent_domain: "a".into(),
            hub_domain: "b".into(),
        },
        FrankingError::Content(crate::content::ContentError::MissingSenderUri),
        FrankingError::MissingSenderUri,
        FrankingError::MissingRoomUri,
        FrankingError::BadSignature,
        FrankingError::TagMismatch,
        FrankingError::SenderMismatch {
            content: "a".into(),
            credential: "b".into(),
        },
        FrankingError::RoomMismatch {
            content: "a".into(),
            expected: "b".into(),
        },
        FrankingError::ServerFrankMismatch,
    ];
    let mut codes: Vec<_> = errors.iter().map(FrankingError::code).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), errors.len());
    for e in &errors {
        assert!(e.to_string().len() > 20, "{e:?} has no sentence");
    }
    assert_eq!(
        FrankingError::CiphersuiteMismatch { frank: 3, group: 1 }.to_string(),
        "the frank uses cipher suite 0x0003 but the group uses 0x0001"
    );
}
