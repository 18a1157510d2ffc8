//! Seeds of the targets that need no MLS group: content, components, URIs, identity, franking.

use anyhow::{Context as _, Result, ensure};
use conclave_fuzz::seed;
use ed25519_dalek::{Signer as _, SigningKey};
use mimi::components::{
    ParticipantListData, ParticipantListUpdate, RichDescription, RoomMetaData, UserRolePair,
    UserindexRolePair,
};
use mimi::content::{
    Disposition, Expiration, ExtensionKey, MimiContent, NestedPart, Part, PartSemantics,
    TEXT_MARKDOWN, TEXT_PLAIN,
};
use mimi::franking::{AbuseReport, AbusiveMessage, verify_reported};
use mimi::identity::{
    ConnectionKey, ConnectionRequest, ConnectionResponse, IdentityLinkKey, IdentityLinkTbe,
    PseudonymousCredential, connection_hpke_keypair,
};
use mimi::policy::Preset;
use mimi::identity::Trust;
use mimi::uri::UserUri;
use openmls::prelude::Credential;
use openmls_rust_crypto::RustCrypto;
use tls_codec::Deserialize as _;

use crate::{Corpus, Kat};

const SENDER: &str = "mimi://a.example/u/alice";
const ROOM: &str = "mimi://a.example/r/engineering";

fn vl(s: &str) -> tls_codec::VLBytes {
    s.as_bytes().to_vec().into()
}

pub fn content(out: &mut Corpus) -> Result<()> {
    let franking = Kat::load(include_str!(
        "../../../crates/mimi/tests/data/franking_kat.json"
    ))?;
    out.put(
        "content",
        "kat-franking",
        &franking.bytes("application_data")?,
    )?;

    let text = MimiContent::text([1; 16], SENDER, ROOM, "hello");
    let mut reply = MimiContent::with_body(
        [2; 16],
        SENDER,
        ROOM,
        NestedPart::single(Disposition::Reaction, TEXT_PLAIN, "\u{2764}".as_bytes()),
    );
    reply.in_reply_to = Some(text.message_id(&text.encode())?);
    reply.topic_id = b"topic".to_vec();
    reply.expires = Some(Expiration {
        relative: true,
        time: 3600,
    });
    let mut edit = MimiContent::with_body([3; 16], SENDER, ROOM, NestedPart::null());
    edit.replaces = reply.in_reply_to;
    edit.other_extensions.insert(
        ExtensionKey::Text("x-conclave".into()),
        ciborium::Value::Array(vec![1.into(), "two".into()]),
    );
    edit.other_extensions
        .insert(ExtensionKey::Int(-7), ciborium::Value::Bytes(vec![0xff]));
    let multi = MimiContent::with_body(
        [4; 16],
        SENDER,
        ROOM,
        NestedPart {
            disposition: Disposition::Render,
            language: "en,fr".into(),
            part: Part::Multi {
                semantics: PartSemantics::ChooseOne,
                parts: vec![
                    NestedPart::single(Disposition::Render, TEXT_MARKDOWN, "**hi**"),
                    NestedPart {
                        disposition: Disposition::Attachment,
                        language: String::new(),
                        part: Part::External {
                            content_type: "image/png".into(),
                            url: "https://a.example/x".into(),
                            expires: 0,
                            size: 1234,
                            enc_alg: 1,
                            key: vec![5; 16],
                            nonce: vec![6; 12],
                            aad: vec![],
                            hash_alg: 1,
                            content_hash: vec![7; 32],
                            description: "a picture".into(),
                            filename: "x.png".into(),
                        },
                    },
                ],
            },
        },
    );
    for (name, c) in [
        ("text", text),
        ("reaction-reply", reply),
        ("edit-extensions", edit),
        ("multipart", multi),
    ] {
        let bytes = c.encode();
        ensure!(MimiContent::decode(&bytes)? == c, "content seed {name}");
        out.put("content", name, &bytes)?;
    }
    Ok(())
}

pub fn components(out: &mut Corpus) -> Result<()> {
    use conclave_fuzz::components as sel;
    for p in Preset::ALL {
        out.put(
            "components",
            &format!("roles-{}", p.name()),
            &seed(sel::ROLE_DATA, &p.roles().to_bytes()),
        )?;
        out.put(
            "components",
            &format!("base-{}", p.name()),
            &seed(sel::BASE_ROOM_POLICY, &p.base_policy().to_bytes()),
        )?;
        out.put(
            "components",
            &format!("preauth-{}", p.name()),
            &seed(sel::PREAUTH, &p.preauth().to_bytes()),
        )?;
    }
    let mut meta = RoomMetaData::named(ROOM, "Engineering");
    meta.room_descriptions.push(RichDescription {
        media_type: vl(""),
        language_tag: vl("en"),
        description_content: vl("Where we build things"),
    });
    meta.room_subject = vl("release 2.0");
    out.put(
        "components",
        "room-metadata",
        &seed(sel::ROOM_METADATA, &meta.to_bytes()),
    )?;

    let pair = |user: &str, role_index| UserRolePair {
        user: vl(user),
        role_index,
    };
    let list = ParticipantListData {
        participants: vec![
            pair(SENDER, 3),
            pair("mimi://a.example/u/bob", 2),
            pair("mimi://b.example/u/carol", 1),
        ],
    };
    let update = ParticipantListUpdate {
        changed_role_participants: vec![UserindexRolePair {
            user_index: 1,
            role_index: 3,
        }],
        removed_indices: vec![2],
        added_participants: vec![pair("mimi://a.example/u/dave", 2)],
    };
    ensure!(list.apply(&update).is_ok(), "the update seed applies");
    out.put(
        "components",
        "participant-list",
        &seed(sel::PARTICIPANT_LIST, &list.to_bytes()),
    )?;
    out.put(
        "components",
        "participant-list-update",
        &seed(sel::PARTICIPANT_LIST_UPDATE, &update.to_bytes()),
    )?;
    let mut both = list.to_bytes();
    both.extend_from_slice(&update.to_bytes());
    out.put(
        "components",
        "apply-update",
        &seed(sel::APPLY_UPDATE, &both),
    )?;
    Ok(())
}

pub fn uri(out: &mut Corpus) -> Result<()> {
    for (name, u) in [
        ("provider", "mimi://a.example"),
        ("user", "mimi://a.example/u/alice"),
        ("client", "mimi://a.example/d/alice-laptop"),
        ("room", "mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg"),
        ("port", "mimi://127.0.0.1:8443/u/bob"),
        (
            "pseudonym",
            "mimi://a.example/u/3f2504e0-4f89-41d3-9a0c-0305e82c3301",
        ),
    ] {
        out.put("uri", name, u.as_bytes())?;
    }
    Ok(())
}

pub fn identity(out: &mut Corpus) -> Result<()> {
    use conclave_fuzz::identity as sel;
    let kat = Kat::load(include_str!(
        "../../../crates/mimi/tests/data/identity_kat.json"
    ))?;
    let crypto = RustCrypto::default();
    let mut put =
        |name: &str, selector, bytes: &[u8]| out.put("identity", name, &seed(selector, bytes));

    let alice = Credential::tls_deserialize_exact(kat.bytes("alice_credential")?)?;
    let bob = Credential::tls_deserialize_exact(kat.bytes("bob_credential")?)?;
    put(
        "provider-credential",
        sel::PROVIDER_CREDENTIAL,
        alice.serialized_content(),
    )?;
    put(
        "mls-credential-provider",
        sel::MLS_CREDENTIAL,
        &kat.bytes("alice_credential")?,
    )?;
    put(
        "mls-credential-pseudonymous",
        sel::MLS_CREDENTIAL,
        &kat.bytes("mls_credential")?,
    )?;
    put(
        "pseudonymous-credential",
        sel::PSEUDONYMOUS_CREDENTIAL,
        &kat.bytes("pseudonymous_credential")?,
    )?;
    put(
        "pseudonymous-credential-tbs",
        sel::PSEUDONYMOUS_CREDENTIAL_TBS,
        &kat.bytes("tbs")?,
    )?;
    put(
        "identity-link-tbe",
        sel::IDENTITY_LINK_TBE,
        &kat.bytes("tbe")?,
    )?;
    put(
        "sealed-identity-link",
        sel::SEALED,
        &kat.bytes("identity_link_ciphertext")?,
    )?;
    put(
        "sealed-wrapped-key",
        sel::SEALED,
        &kat.bytes("wrapped_key")?,
    )?;
    put("add-aad", sel::ADD_AAD, &kat.bytes("add_aad")?)?;
    put(
        "identity-link-extension",
        sel::IDENTITY_LINK_EXTENSION,
        &kat.bytes("identity_link_extension")?,
    )?;
    put(
        "connection-request",
        sel::CONNECTION_REQUEST,
        &kat.bytes("connection_request")?,
    )?;
    put(
        "connection-response",
        sel::CONNECTION_RESPONSE,
        &kat.bytes("connection_response")?,
    )?;

    // The targets' fixed keys must be the KAT's, or the seeds below would not open.
    ensure!(
        kat.array("provider_seed")? == sel::PROVIDER_SEED,
        "PROVIDER_SEED"
    );
    ensure!(kat.array("identity_link_key")? == sel::LINK_KEY, "LINK_KEY");
    ensure!(kat.str("bob_user")? == sel::ME && kat.str("alice_user")? == sel::REQUESTER);
    let pc = PseudonymousCredential::from_bytes(&kat.bytes("pseudonymous_credential")?)?;
    IdentityLinkTbe::open(&crypto, &IdentityLinkKey::from_bytes(sel::LINK_KEY), &pc)
        .context("the KAT identity link opens with LINK_KEY")?;

    // A request sealed to the target's establishment key, and Bob's answer to it, re-signed over
    // the target's response key: both open and verify in the target.
    let trust = Trust {
        domain: sel::DOMAIN.into(),
        provider_key: SigningKey::from_bytes(&sel::PROVIDER_SEED)
            .verifying_key()
            .to_bytes()
            .to_vec(),
    };
    let (me, requester) = (UserUri::parse(sel::ME)?, UserUri::parse(sel::REQUESTER)?);
    let establishment = connection_hpke_keypair(&crypto, &sel::ESTABLISHMENT_IKM)?;
    let response_key = connection_hpke_keypair(&crypto, &sel::RESPONSE_IKM)?;
    let alice_key = SigningKey::from_bytes(&kat.array("alice_seed")?);
    let request = ConnectionRequest::new(
        alice,
        me.clone(),
        ConnectionKey::from_bytes(kat.array("connection_key")?),
        response_key.public.clone(),
        |m: &[u8]| Ok::<_, ()>(alice_key.sign(m).to_bytes().to_vec()),
    )?;
    let sealed = request.seal(&crypto, &establishment.public)?;
    let opened = ConnectionRequest::open(&crypto, &establishment, &me, &sealed, &trust)?;
    put(
        "sealed-connection-request",
        sel::SEALED_CONNECTION_REQUEST,
        &sealed,
    )?;
    let bob_key = SigningKey::from_bytes(&kat.array("bob_seed")?);
    let response = ConnectionResponse::new(
        bob,
        &opened,
        ConnectionKey::from_bytes(kat.array("bob_connection_key")?),
        |m: &[u8]| Ok::<_, ()>(bob_key.sign(m).to_bytes().to_vec()),
    )?;
    let sealed = response.seal(&crypto, &opened)?;
    ConnectionResponse::open(&crypto, &response_key, &requester, &me, &sealed, &trust)?;
    put(
        "sealed-connection-response",
        sel::SEALED_CONNECTION_RESPONSE,
        &sealed,
    )?;
    Ok(())
}

pub fn franking(out: &mut Corpus) -> Result<()> {
    use conclave_fuzz::franking as sel;
    let kat = Kat::load(include_str!(
        "../../../crates/mimi/tests/data/franking_kat.json"
    ))?;
    ensure!(kat.array("hub_key")? == sel::HUB_KEY, "HUB_KEY");
    ensure!(
        kat.array("franking_public_key")? == sel::FRANKING_PUBLIC_KEY,
        "FRANKING_PUBLIC_KEY"
    );
    ensure!(kat.str("room_uri")? == sel::ROOM, "ROOM");
    let message = AbusiveMessage::from_bytes(&kat.bytes("abusive_message")?)?;
    verify_reported(
        &message,
        &sel::HUB_KEY,
        &sel::FRANKING_PUBLIC_KEY,
        sel::ROOM,
    )?;
    AbuseReport::from_bytes(&kat.bytes("abuse_report")?)?;
    for (name, selector, key) in [
        ("frank-aad", sel::FRANK_AAD, "frank_aad"),
        (
            "franking-agent-data",
            sel::FRANKING_AGENT_DATA,
            "franking_agent_data",
        ),
        (
            "server-franking-context",
            sel::SERVER_FRANKING_CONTEXT,
            "context",
        ),
        ("franking-integrity-tbs", sel::FRANKING_INTEGRITY_TBS, "tbs"),
        ("abusive-message", sel::ABUSIVE_MESSAGE, "abusive_message"),
        ("abuse-report", sel::ABUSE_REPORT, "abuse_report"),
    ] {
        out.put("franking", name, &seed(selector, &kat.bytes(key)?))?;
    }
    Ok(())
}
