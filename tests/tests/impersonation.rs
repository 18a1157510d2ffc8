//! One identity per token (SECURITY.md): a registered user who asserts another user's identity
//! through the pseudonym endpoints is refused at every step, and the victim still gets their
//! messages.
//!
//! The attack as it was found: mallory registers a "pseudonym" whose credential names alice's
//! real client and user; the hub's token lookup then took mallory's token for alice's client, and
//! mallory read and acked alice's queue, submitted as alice, got franks as alice and filed
//! reports in her name. Registration now refuses such a credential; to try every later step as
//! well, the test then plants the colliding row in the hub's database directly.

use base64::Engine as _;
use conclave_e2e::raw::{call, token_of};
use conclave_e2e::{TestHub, settle};
use mimi::identity::PseudonymousCredential;
use mimi::policy::Preset;
use mimi::uri::{ClientUri, UserUri};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn credential(client: &ClientUri, user: &UserUri) -> String {
    let pc = PseudonymousCredential {
        client_pseudonym: client.clone(),
        user_pseudonym: user.clone(),
        signature_public_key: vec![7; 32],
        identity_link_ciphertext: Vec::new(),
    };
    base64::engine::general_purpose::STANDARD.encode(pc.to_bytes())
}

fn uuid(n: u8) -> String {
    mimi::uri::pseudonym_local([n; 16])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pseudonym_that_names_another_users_client_is_refused_at_every_step() {
    // Given alice and mallory in a room, and a message waiting in alice's queue
    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let mallory = hub.user("mallory").await;
    let room = alice
        .room_with("club", Preset::Cooperative, &[&mallory])
        .await;
    settle(&[&alice, &mallory]).await;
    mallory.room(&room).send_text("one").await.unwrap();
    let url = hub.url();
    let mallory_token = token_of(mallory.data_dir());
    let (a_client, a_user) = (alice.client_uri().clone(), alice.user().clone());
    let stolen = "f".repeat(64);

    // Step 1: mallory registers a pseudonym naming alice's client and user, or either of them
    // beside a pseudonym of the right form, or a "pseudonym" that is not a random UUID (PROTO
    // §6.1): each is refused with 403 not_your_identity.
    let fresh_client = ClientUri::new("localhost", &uuid(1)).unwrap();
    let fresh_user = UserUri::new("localhost", &uuid(2)).unwrap();
    let plain = ClientUri::new("localhost", "0123456789abcdef").unwrap();
    for (client, user) in [
        (&a_client, &a_user),
        (&a_client, &fresh_user),
        (&fresh_client, &a_user),
        (&plain, &fresh_user),
    ] {
        let body = json!({ "credential": credential(client, user), "token": stolen });
        let (status, answer) = call(
            Method::POST,
            format!("{url}/v1/pseudonyms"),
            Some(&mallory_token),
            Some(body.to_string().into_bytes()),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{client} {user}: {answer}");
        assert_eq!(answer["code"], "not_your_identity", "{answer}");
    }
    // Nothing was stored: the token authenticates as no one.
    let queue = format!("{url}/v1/clients/{}/queue", a_client.local());
    let (status, answer) = call(Method::GET, queue.clone(), Some(&stolen), None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");

    // Step 2: the colliding row is planted directly, as if registration had let it through.
    hub.plant_pseudonym(&a_client, &a_user, &stolen);

    // Every later step with that token is refused, with the same stable code.
    let room_id = room.local();
    // (what, method, URL, body, whether the body is JSON)
    type Step<'a> = (&'a str, Method, String, Option<Vec<u8>>, bool);
    let steps: Vec<Step> = vec![
        (
            "read alice's queue",
            Method::GET,
            queue.clone(),
            None,
            false,
        ),
        (
            "ack (delete) alice's queue",
            Method::POST,
            format!("{queue}/ack"),
            Some(br#"{"seq":1000}"#.to_vec()),
            true,
        ),
        (
            "submit (and get franked) as alice",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/submitMessage"),
            Some(vec![0; 64]),
            false,
        ),
        (
            "commit as alice",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/update"),
            Some(vec![0; 64]),
            false,
        ),
        (
            "report in alice's name",
            Method::POST,
            format!("{url}/v1/rooms/{room_id}/reportAbuse"),
            Some(vec![0; 64]),
            false,
        ),
        (
            "read the room's identity links as alice",
            Method::GET,
            format!("{url}/v1/rooms/{room_id}/identity-links"),
            None,
            false,
        ),
    ];
    for (what, method, target, body, is_json) in steps {
        let (status, answer) = call(method, target, Some(&stolen), body, is_json).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {answer}");
        assert_eq!(answer["code"], "not_your_identity", "{what}: {answer}");
    }

    // And alice still receives her messages: the first one, and two sent after the attack.
    mallory.room(&room).send_text("two").await.unwrap();
    mallory.room(&room).send_text("three").await.unwrap();
    let got = alice.wait_for_messages(&room, 3).await;
    let texts: Vec<&str> = got.iter().filter_map(|m| m.text.as_deref()).collect();
    assert_eq!(texts, ["one", "two", "three"]);
    // Alice's own token still works on her queue.
    let (status, _) = call(
        Method::GET,
        queue,
        Some(&token_of(alice.data_dir())),
        None,
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_user_may_take_a_name_of_the_pseudonyms_form() {
    let hub = TestHub::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let e = conclave_client::Client::register(
        dir.path(),
        &hub.url(),
        &uuid(9),
        None,
        &conclave_e2e::options(),
    )
    .await
    .err()
    .expect("a UUID name is refused");
    assert_eq!(e.hub_code(), Some("malformed_body"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pseudonymous_keypackage_that_names_another_users_client_is_refused() {
    use openmls::prelude::{CredentialWithKey, KeyPackage};
    use openmls_basic_credential::SignatureKeyPair;
    use tls_codec::Serialize as _;

    let hub = TestHub::spawn().await;
    let alice = hub.user("alice").await;
    let mallory = hub.user("mallory").await;
    let provider = openmls_rust_crypto::OpenMlsRustCrypto::default();
    let upload = |client: ClientUri| {
        // A well-formed pseudonymous KeyPackage, signed by its own leaf key, whose credential
        // names `client`.
        let signer =
            SignatureKeyPair::new(conclave_client::identity::CIPHERSUITE.signature_algorithm())
                .unwrap();
        let pc = PseudonymousCredential {
            client_pseudonym: client,
            user_pseudonym: UserUri::new("localhost", &uuid(3)).unwrap(),
            signature_public_key: signer.public().to_vec(),
            identity_link_ciphertext: Vec::new(),
        };
        let kp = KeyPackage::builder()
            .leaf_node_capabilities(conclave_client::identity::capabilities())
            .build(
                conclave_client::identity::CIPHERSUITE,
                &provider,
                &signer,
                CredentialWithKey {
                    credential: pc.to_credential(),
                    signature_key: signer.public().into(),
                },
            )
            .unwrap();
        json!({
            "set_size": 2,
            "key_package": base64::engine::general_purpose::STANDARD
                .encode(kp.key_package().tls_serialize_detached().unwrap()),
            "token": format!("{:0>40}", pc.client_pseudonym.local().replace('-', "")),
        })
        .to_string()
        .into_bytes()
    };
    let url = format!(
        "{}/v1/pseudonymous-key-packages/{}",
        hub.url(),
        "ab".repeat(mimi::identity::NH)
    );
    let token = token_of(mallory.data_dir());
    // Naming alice's real client: refused, and nothing is stored.
    let (status, answer) = call(
        Method::POST,
        url.clone(),
        Some(&token),
        Some(upload(alice.client_uri().clone())),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["code"], "not_your_identity", "{answer}");
    // The control: the same upload with a pseudonym of the right form is taken.
    let fresh = ClientUri::new("localhost", &uuid(4)).unwrap();
    let (status, answer) = call(
        Method::POST,
        url.clone(),
        Some(&token),
        Some(upload(fresh)),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (_, sets) = call(Method::GET, url, Some(&token), None, false).await;
    assert_eq!(sets.as_array().map(Vec::len), Some(1), "{sets}");
    assert_eq!(sets[0]["count"], 1, "{sets}");
}
