//! The TLS-PL wire structs of PROTO §5 (`mimi::wire::decode::<T>`): what the hub reads from
//! clients and followers, and what clients read from the hub. The first byte picks the struct
//! (`conclave_fuzz::wire`).
//!
//! Promise checked: the codec is strict and canonical and MLS objects are kept as the exact bytes
//! received (`Inline`), so an accepted input re-encodes to itself, its announced size is its
//! length, and every `Inline` inside parses again as its type.

#![no_main]

use conclave_fuzz::wire as sel;
use conclave_fuzz::{select, tls_round_trip};
use libfuzzer_sys::fuzz_target;
use mimi::wire::{
    ClientMaterial, FanoutExtra, FanoutMessage, Frank, HandshakeBundle, IdentifierUri,
    KeyMaterialRequest, KeyMaterialResponse, MessageKind, MlsMessage, RatchetTreeOption,
    SubmitMessageRequest, SubmitMessageResponse,
};

fuzz_target!(|data: &[u8]| {
    let Some((selector, bytes)) = select(data, sel::COUNT) else {
        return;
    };
    match selector {
        sel::KEY_MATERIAL_REQUEST => {
            if let Some(r) = tls_round_trip::<KeyMaterialRequest>("KeyMaterialRequest", bytes) {
                // The TBS is the encoding without the trailing signature field.
                let tbs = r.tbs();
                assert!(bytes.starts_with(&tbs));
                r.required_capabilities
                    .parse("required_capabilities")
                    .unwrap();
                r.requester_credential
                    .parse("requester_credential")
                    .unwrap();
                let _ = r.requesting_user.as_str();
            }
        }
        sel::KEY_MATERIAL_RESPONSE => {
            if let Some(r) = tls_round_trip::<KeyMaterialResponse>("KeyMaterialResponse", bytes) {
                for c in &r.clients {
                    if let ClientMaterial::Success(kp) = &c.status {
                        kp.parse("KeyPackage").unwrap();
                    }
                }
            }
        }
        sel::HANDSHAKE_BUNDLE => {
            match tls_round_trip::<HandshakeBundle>("HandshakeBundle", bytes) {
                Some(HandshakeBundle::Commit {
                    commit,
                    welcome,
                    group_info,
                    ratchet_tree,
                }) => {
                    assert_eq!(commit.kind(), Ok(MessageKind::Commit));
                    if let Some(w) = welcome {
                        w.parse("Welcome").unwrap();
                        assert_eq!(
                            MlsMessage::from_welcome(&w).kind(),
                            Ok(MessageKind::Welcome)
                        );
                    }
                    group_info.0.parse("GroupInfo").unwrap();
                    tree(&ratchet_tree);
                }
                Some(HandshakeBundle::Proposal {
                    proposal,
                    more_proposals,
                }) => {
                    assert_eq!(proposal.kind(), Ok(MessageKind::Proposal));
                    for p in &more_proposals {
                        let _ = p.kind();
                    }
                }
                None => {}
            }
        }
        sel::SUBMIT_MESSAGE_REQUEST => {
            if let Some(r) = tls_round_trip::<SubmitMessageRequest>("SubmitMessageRequest", bytes) {
                let _ = r.app_message.kind();
                let _ = r.sending_uri.as_str();
            }
        }
        sel::SUBMIT_MESSAGE_RESPONSE => {
            let _ = tls_round_trip::<SubmitMessageResponse>("SubmitMessageResponse", bytes);
        }
        sel::FANOUT_MESSAGE => {
            if let Some(f) = tls_round_trip::<FanoutMessage>("FanoutMessage", bytes) {
                let kind = f.message.kind();
                match &f.extra {
                    FanoutExtra::Application { .. } => {
                        assert_eq!(kind, Ok(MessageKind::Application))
                    }
                    FanoutExtra::Welcome { ratchet_tree } => {
                        assert_eq!(kind, Ok(MessageKind::Welcome));
                        tree(ratchet_tree);
                    }
                    FanoutExtra::Proposal { .. } => assert_eq!(kind, Ok(MessageKind::Proposal)),
                    FanoutExtra::Commit { .. } => assert_eq!(kind, Ok(MessageKind::Commit)),
                }
            }
        }
        sel::FRANK => {
            let _ = tls_round_trip::<Frank>("Frank", bytes);
        }
        sel::MLS_MESSAGE => {
            if let Ok(m) = MlsMessage::from_bytes(bytes.to_vec(), "MLSMessage") {
                conclave_fuzz::assert_tls_canonical("MLSMessage", bytes, &m);
                let _ = m.kind();
            }
        }
        sel::IDENTIFIER_URI => {
            if let Some(u) = tls_round_trip::<IdentifierUri>("IdentifierUri", bytes) {
                let _ = u.as_str();
            }
        }
        _ => unreachable!("select() returns less than COUNT"),
    }
});

fn tree(t: &RatchetTreeOption) {
    if let RatchetTreeOption::Full(t) = t {
        t.parse("ratchet_tree").unwrap();
    }
}
