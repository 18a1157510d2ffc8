//! Seeds of the `wire` target: every PROTO §5 struct over real MLS objects, made by a two-member
//! OpenMLS group as in `crates/mimi/src/wire/tests.rs`.

use anyhow::{Result, ensure};
use conclave_fuzz::seed;
use conclave_fuzz::wire as sel;
use mimi::wire::{
    ClientKeyMaterial, ClientMaterial, FanoutExtra, FanoutMessage, Frank, GroupInfoOption,
    HandshakeBundle, IdentifierUri, Inline, KeyMaterialRequest, KeyMaterialResponse,
    KeyMaterialUserCode, MlsMessage, Protocol, RatchetTreeOption, SubmitMessageRequest,
    SubmitMessageResponse, decode, encode,
};
use openmls::prelude::*;
use openmls_basic_credential::SignatureKeyPair;
use openmls_rust_crypto::OpenMlsRustCrypto;
use tls_codec::{Deserialize, Serialize as _};

use crate::Corpus;

const CS: Ciphersuite = Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;

/// The bytes of each MLS object a wire struct carries.
struct Group {
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

fn member(p: &OpenMlsRustCrypto, name: &str) -> Result<(SignatureKeyPair, CredentialWithKey)> {
    let sk = SignatureKeyPair::new(CS.signature_algorithm())?;
    sk.store(p.storage())?;
    let cwk = CredentialWithKey {
        credential: BasicCredential::new(name.into()).into(),
        signature_key: sk.public().into(),
    };
    Ok((sk, cwk))
}

fn group() -> Result<Group> {
    let (pa, pb) = (OpenMlsRustCrypto::default(), OpenMlsRustCrypto::default());
    let (sa, ca) = member(&pa, "alice")?;
    let (sb, cb) = member(&pb, "bob")?;
    let kp = KeyPackage::builder().build(CS, &pb, &sb, cb)?;
    let mut g = MlsGroup::builder()
        .ciphersuite(CS)
        .with_wire_format_policy(PURE_PLAINTEXT_WIRE_FORMAT_POLICY)
        .build(&pa, &sa, ca.clone())?;
    let bundle = g
        .commit_builder()
        .propose_adds(vec![kp.key_package().clone()])
        .load_psks(pa.storage())?
        .create_group_info(true)
        .build(pa.rand(), pa.crypto(), &sa, |_| true)?
        .stage_commit(&pa)?;
    let commit = bundle.commit().to_bytes()?;
    let welcome = bundle.welcome().map(|w| w.tls_serialize_detached());
    let group_info = bundle.group_info().map(|g| g.tls_serialize_detached());
    g.merge_pending_commit(&pa)?;
    let app_message = g.create_message(&pa, &sa, b"hello")?.to_bytes()?;
    let (proposal, _) = g.propose_self_update(&pa, &sa, LeafNodeParameters::default())?;
    let required = RequiredCapabilitiesExtension::new(&[], &[], &[CredentialType::Basic]);
    Ok(Group {
        key_package: kp.key_package().tls_serialize_detached()?,
        commit,
        welcome: welcome.ok_or_else(|| anyhow::anyhow!("no Welcome"))??,
        group_info: group_info.ok_or_else(|| anyhow::anyhow!("no GroupInfo"))??,
        tree: g.export_ratchet_tree().tls_serialize_detached()?,
        app_message,
        proposal: proposal.to_bytes()?,
        credential: ca.credential.tls_serialize_detached()?,
        required: required.tls_serialize_detached()?,
    })
}

fn inline<T: Deserialize>(bytes: &[u8]) -> Result<Inline<T>> {
    Ok(Inline::from_bytes(bytes.to_vec(), "seed")?)
}

fn uri(s: &str) -> IdentifierUri {
    IdentifierUri {
        uri: s.as_bytes().to_vec().into(),
    }
}

/// Writes one seed after checking that it decodes back to the value.
fn put<T>(out: &mut Corpus, name: &str, selector: u8, value: &T) -> Result<()>
where
    T: tls_codec::Serialize + Deserialize + PartialEq,
{
    let bytes = encode(value);
    ensure!(
        decode::<T>(&bytes, "seed").ok().as_ref() == Some(value),
        "wire seed {name}"
    );
    out.put("wire", name, &seed(selector, &bytes))
}

pub fn wire(out: &mut Corpus) -> Result<()> {
    let g = group()?;
    let frank = Frank {
        server_frank: [3; 32],
        franking_signature_ciphersuite: 1,
        franking_integrity_signature: vec![4; 64].into(),
    };
    let request = KeyMaterialRequest {
        protocol: Protocol::Mls10,
        requesting_user: uri("mimi://a.example/u/alice"),
        target_user: uri("mimi://a.example/u/bob"),
        room_id: uri("mimi://a.example/r/room"),
        acceptable_ciphersuites: vec![1],
        required_capabilities: inline(&g.required)?,
        requester_signature_key: vec![7; 32].into(),
        requester_credential: inline(&g.credential)?,
        signature: vec![9; 64].into(),
    };
    put(
        out,
        "key-material-request",
        sel::KEY_MATERIAL_REQUEST,
        &request,
    )?;
    let client = |u: &str, status| ClientKeyMaterial {
        client_uri: uri(u),
        status,
    };
    let response = KeyMaterialResponse {
        protocol: Protocol::Mls10,
        user_status: KeyMaterialUserCode::PartialSuccess,
        user_uri: uri("mimi://a.example/u/bob"),
        clients: vec![
            client(
                "mimi://a.example/d/b1",
                ClientMaterial::Success(inline(&g.key_package)?),
            ),
            client("mimi://a.example/d/b2", ClientMaterial::Exhausted),
            client("mimi://a.example/d/b3", ClientMaterial::NothingCompatible),
        ],
    };
    put(
        out,
        "key-material-response",
        sel::KEY_MATERIAL_RESPONSE,
        &response,
    )?;

    let commit = HandshakeBundle::Commit {
        commit: inline(&g.commit)?,
        welcome: Some(inline(&g.welcome)?),
        group_info: GroupInfoOption(inline(&g.group_info)?),
        ratchet_tree: RatchetTreeOption::Full(inline(&g.tree)?),
    };
    put(out, "handshake-commit", sel::HANDSHAKE_BUNDLE, &commit)?;
    let proposal = HandshakeBundle::Proposal {
        proposal: inline(&g.proposal)?,
        more_proposals: vec![inline(&g.proposal)?],
    };
    put(out, "handshake-proposal", sel::HANDSHAKE_BUNDLE, &proposal)?;

    let submit = SubmitMessageRequest {
        protocol: Protocol::Mls10,
        app_message: inline(&g.app_message)?,
        sending_uri: uri("mimi://a.example/u/alice"),
    };
    put(out, "submit-request", sel::SUBMIT_MESSAGE_REQUEST, &submit)?;
    for (name, r) in [
        (
            "submit-accepted",
            SubmitMessageResponse::Accepted {
                accepted_timestamp: 1_700_000_000_123,
                frank: Some(frank.clone()),
            },
        ),
        ("submit-not-allowed", SubmitMessageResponse::NotAllowed),
        (
            "submit-epoch-too-old",
            SubmitMessageResponse::EpochTooOld { current_epoch: 42 },
        ),
    ] {
        put(out, name, sel::SUBMIT_MESSAGE_RESPONSE, &r)?;
    }

    let welcome = MlsMessage::from_welcome(&inline(&g.welcome)?);
    for (name, message, extra) in [
        (
            "fanout-application",
            inline(&g.app_message)?,
            FanoutExtra::Application {
                frank: Some(frank.clone()),
            },
        ),
        (
            "fanout-welcome",
            welcome.clone(),
            FanoutExtra::Welcome {
                ratchet_tree: RatchetTreeOption::DistributionService,
            },
        ),
        (
            "fanout-proposal",
            inline(&g.proposal)?,
            FanoutExtra::Proposal {
                more_proposals: vec![],
            },
        ),
        (
            "fanout-commit",
            inline(&g.commit)?,
            FanoutExtra::Commit {
                external_proposals: vec![inline(&g.proposal)?],
            },
        ),
    ] {
        let m = FanoutMessage {
            timestamp: 99,
            message,
            extra,
        };
        put(out, name, sel::FANOUT_MESSAGE, &m)?;
    }
    put(out, "frank", sel::FRANK, &frank)?;
    put(out, "mls-welcome", sel::MLS_MESSAGE, &welcome)?;
    put(
        out,
        "mls-commit",
        sel::MLS_MESSAGE,
        &inline::<MlsMessageIn>(&g.commit)?,
    )?;
    put(
        out,
        "identifier-uri",
        sel::IDENTIFIER_URI,
        &uri("mimi://a.example/u/alice"),
    )?;
    Ok(())
}
