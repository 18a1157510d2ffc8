//! Round trips of every wire struct over real MLS objects made with OpenMLS.

use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use tls_codec::Serialize as _;

use super::*;

const CS: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

struct Fixture {
    key_package: Vec<u8>,
    commit: Vec<u8>,
    welcome: Vec<u8>,
    group_info: Vec<u8>,
    tree: Vec<u8>,
    app_message: Vec<u8>,
    proposal: Vec<u8>,
    credential: Vec<u8>,
    required: Vec<u8>,
}

fn identity(p: &OpenMlsRustCrypto, name: &str) -> (SignatureKeyPair, CredentialWithKey) {
    let sk = SignatureKeyPair::new(CS.signature_algorithm()).unwrap();
    sk.store(p.storage()).unwrap();
    let cwk = CredentialWithKey {
        credential: BasicCredential::new(name.into()).into(),
        signature_key: sk.public().into(),
    };
    (sk, cwk)
}

fn fixture() -> Fixture {
    let (pa, pb) = (OpenMlsRustCrypto::default(), OpenMlsRustCrypto::default());
    let (sa, ca) = identity(&pa, "alice");
    let (sb, cb) = identity(&pb, "bob");
    let kp = KeyPackage::builder()
        .build(CS, &pb, &sb, cb.clone())
        .unwrap();
    let mut g = MlsGroup::builder()
        .ciphersuite(CS)
        .with_wire_format_policy(PURE_PLAINTEXT_WIRE_FORMAT_POLICY)
        .build(&pa, &sa, ca.clone())
        .unwrap();
    let bundle = g
        .commit_builder()
        .propose_adds(vec![kp.key_package().clone()])
        .load_psks(pa.storage())
        .unwrap()
        .create_group_info(true)
        .build(pa.rand(), pa.crypto(), &sa, |_| true)
        .unwrap()
        .stage_commit(&pa)
        .unwrap();
    let commit = bundle.commit().to_bytes().unwrap();
    let welcome = bundle.welcome().unwrap().tls_serialize_detached().unwrap();
    let group_info = bundle
        .group_info()
        .unwrap()
        .tls_serialize_detached()
        .unwrap();
    g.merge_pending_commit(&pa).unwrap();
    let tree = g.export_ratchet_tree().tls_serialize_detached().unwrap();
    let app_message = g
        .create_message(&pa, &sa, b"hello")
        .unwrap()
        .to_bytes()
        .unwrap();
    let (proposal, _) = g
        .propose_self_update(&pa, &sa, LeafNodeParameters::default())
        .unwrap();
    let required = RequiredCapabilitiesExtension::new(&[], &[], &[CredentialType::Basic]);
    Fixture {
        key_package: kp.key_package().tls_serialize_detached().unwrap(),
        commit,
        welcome,
        group_info,
        tree,
        app_message,
        proposal: proposal.to_bytes().unwrap(),
        credential: ca.credential.tls_serialize_detached().unwrap(),
        required: required.tls_serialize_detached().unwrap(),
    }
}

fn roundtrip<T: Serialize + Deserialize + PartialEq + std::fmt::Debug>(t: &T) {
    let bytes = encode(t);
    assert_eq!(bytes.len(), t.tls_serialized_len());
    let back: T = decode(&bytes, "test").unwrap();
    assert_eq!(&back, t);
    assert_eq!(encode(&back), bytes, "re-encoding changed the bytes");
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(
        decode::<T>(&extra, "test").is_err(),
        "trailing bytes accepted"
    );
}

fn uri(s: &str) -> IdentifierUri {
    IdentifierUri {
        uri: s.as_bytes().to_vec().into(),
    }
}

#[test]
fn key_material_request_and_response_round_trip() {
    let f = fixture();
    let req = KeyMaterialRequest {
        protocol: Protocol::Mls10,
        requesting_user: uri("mimi://a.example/u/alice"),
        target_user: uri("mimi://a.example/u/bob"),
        room_id: uri("mimi://a.example/r/room"),
        acceptable_ciphersuites: vec![1],
        required_capabilities: Inline::from_bytes(f.required, "rc").unwrap(),
        requester_signature_key: vec![7; 32].into(),
        requester_credential: Inline::from_bytes(f.credential, "cred").unwrap(),
        signature: vec![9; 64].into(),
    };
    roundtrip(&req);
    let tbs = req.tbs();
    assert_eq!(
        tbs.len() + 2 + 64,
        encode(&req).len(),
        "TBS = all but the signature<V>"
    );
    let resp = KeyMaterialResponse {
        protocol: Protocol::Mls10,
        user_status: KeyMaterialUserCode::PartialSuccess,
        user_uri: uri("mimi://a.example/u/bob"),
        clients: vec![
            ClientKeyMaterial {
                client_uri: uri("mimi://a.example/d/b1"),
                status: ClientMaterial::Success(Inline::from_bytes(f.key_package, "kp").unwrap()),
            },
            ClientKeyMaterial {
                client_uri: uri("mimi://a.example/d/b2"),
                status: ClientMaterial::Exhausted,
            },
            ClientKeyMaterial {
                client_uri: uri("mimi://a.example/d/b3"),
                status: ClientMaterial::NothingCompatible,
            },
        ],
    };
    roundtrip(&resp);
}

#[test]
fn handshake_bundles_round_trip_and_are_told_apart_by_content_type() {
    let f = fixture();
    let commit = HandshakeBundle::Commit {
        commit: Inline::from_bytes(f.commit.clone(), "c").unwrap(),
        welcome: Some(Inline::from_bytes(f.welcome, "w").unwrap()),
        group_info: GroupInfoOption(Inline::from_bytes(f.group_info, "gi").unwrap()),
        ratchet_tree: RatchetTreeOption::Full(Inline::from_bytes(f.tree, "t").unwrap()),
    };
    roundtrip(&commit);
    let proposal = HandshakeBundle::Proposal {
        proposal: Inline::from_bytes(f.proposal.clone(), "p").unwrap(),
        more_proposals: vec![Inline::from_bytes(f.proposal, "p").unwrap()],
    };
    roundtrip(&proposal);
    // An application message is no handshake.
    let mut bad = f.app_message.clone();
    bad.extend_from_slice(&[0, 1, 0, 4]);
    assert!(decode::<HandshakeBundle>(&bad, "HandshakeBundle").is_err());
    assert_eq!(
        Inline::<MlsMessageIn>::from_bytes(f.commit, "c")
            .unwrap()
            .kind(),
        Ok(MessageKind::Commit)
    );
}

#[test]
fn submit_request_and_responses_round_trip() {
    let f = fixture();
    let req = SubmitMessageRequest {
        protocol: Protocol::Mls10,
        app_message: Inline::from_bytes(f.app_message, "m").unwrap(),
        sending_uri: uri("mimi://a.example/u/alice"),
    };
    roundtrip(&req);
    assert_eq!(req.app_message.kind(), Ok(MessageKind::Application));
    for r in [
        SubmitMessageResponse::Accepted {
            accepted_timestamp: 1_644_387_225_019,
            frank: None,
        },
        SubmitMessageResponse::Accepted {
            accepted_timestamp: 1,
            frank: Some(Frank {
                server_frank: [3; 32],
                franking_signature_ciphersuite: 1,
                franking_integrity_signature: vec![1, 2, 3].into(),
            }),
        },
        SubmitMessageResponse::NotAllowed,
        SubmitMessageResponse::EpochTooOld { current_epoch: 42 },
    ] {
        roundtrip(&r);
    }
    assert!(decode::<SubmitMessageResponse>(&[1, 9], "r").is_err());
}

#[test]
fn fanout_messages_round_trip_for_each_kind() {
    let f = fixture();
    let welcome = Inline::<Welcome>::from_bytes(f.welcome, "w").unwrap();
    for (message, extra) in [
        (
            Inline::from_bytes(f.app_message, "m").unwrap(),
            FanoutExtra::Application { frank: None },
        ),
        (
            MlsMessage::from_welcome(&welcome),
            FanoutExtra::Welcome {
                ratchet_tree: RatchetTreeOption::Full(Inline::from_bytes(f.tree, "t").unwrap()),
            },
        ),
        (
            Inline::from_bytes(f.proposal, "p").unwrap(),
            FanoutExtra::Proposal {
                more_proposals: vec![],
            },
        ),
        (
            Inline::from_bytes(f.commit, "c").unwrap(),
            FanoutExtra::Commit {
                external_proposals: vec![],
            },
        ),
    ] {
        roundtrip(&FanoutMessage {
            timestamp: 99,
            message,
            extra,
        });
    }
}

#[test]
fn truncated_or_garbage_input_is_a_clear_error() {
    let f = fixture();
    let e = decode::<FanoutMessage>(&f.commit[..10], "FanoutMessage").unwrap_err();
    assert!(e.to_string().starts_with("malformed FanoutMessage"), "{e}");
    assert!(Inline::<MlsMessageIn>::from_bytes(vec![0xff; 8], "MLSMessage").is_err());
    assert!(decode::<KeyMaterialResponse>(b"", "KeyMaterialResponse").is_err());
}
