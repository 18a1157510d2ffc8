#!/usr/bin/env python3
"""Computes the identity known answers in identity_kat.json, independently of the Rust code.

Only the Python standard library (hmac, hashlib) and `cryptography` (Ed25519, AES-256-GCM) are
used. The TLS bytes are written out by hand from PROTO §6.1 / MIMIMI -01 §3 (read with
`opaque signature_public_key<V>`), RFC 9420 §2.1.2 (varint lengths), §5.1.2 (SignWithLabel),
§5.1.3 (ExpandWithLabel's KDFLabel) and §5.3 (Credential), and from the layouts Conclave
documents in crates/mimi/src/identity/ (Sealed, SealedAad, AddAAD framing, connection messages).
HKDF-Expand is RFC 5869 §2.3 written out with hmac; the script first checks it against the
RFC 9420 test vector (mls-implementations test-vectors/crypto-basics.json, cipher suite 1,
expand_with_label). Not part of any build: run it by hand
(`python3 identity_kat.py > identity_kat.json`) and commit the output when the vectors change.
"""
import hashlib
import hmac
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def varint(n):  # RFC 9420 §2.1.2 variable-size vector length
    if n < 0x40:
        return bytes([n])
    if n < 0x4000:
        return (0x4000 | n).to_bytes(2, "big")
    return (0x80000000 | n).to_bytes(4, "big")


def opaque(b):  # opaque x<V>
    return varint(len(b)) + b


def u8(n):
    return n.to_bytes(1, "big")


def u16(n):
    return n.to_bytes(2, "big")


def hkdf_expand(prk, info, length):  # RFC 5869 §2.3 with SHA-256
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(prk, t + info + u8(i), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:length]


def expand_with_label(secret, label, context, length):  # RFC 9420 §5.1.3
    kdf_label = u16(length) + opaque(b"MLS 1.0 " + label) + opaque(context)
    return hkdf_expand(secret, kdf_label, length)


def sign_with_label(key, label, content):  # RFC 9420 §5.1.2
    return key.sign(opaque(b"MLS 1.0 " + label) + opaque(content))


def public(key):
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def credential(ctype, content):  # RFC 9420 §5.3, content of a non-basic type as opaque<V>
    return u16(ctype) + opaque(content)


def provider_credential(provider, client, user, key):  # crates/mimi/src/credential.rs
    tbs = opaque(client) + opaque(user) + opaque(key)
    return tbs + opaque(sign_with_label(provider, b"ConclaveClientCredentialTBS", tbs))


def sealed(key, label, context, nonce, plaintext):  # crates/mimi/src/identity/seal.rs
    version, aead_id = 1, 0x0002
    aad = opaque(label) + u8(version) + u16(aead_id) + opaque(context)
    ct = AESGCM(key).encrypt(nonce, plaintext, aad)
    return u8(version) + u16(aead_id) + opaque(nonce) + opaque(ct), aad


# RFC 9420 test vector, cipher suite 1, expand_with_label.
assert expand_with_label(
    bytes.fromhex("55566f91303366cc1677e009b3506ead870add13254e4b3d413a8e716e44bdc2"),
    b"ExpandWithLabel",
    bytes.fromhex("7f2601b53739cb940e9c59291f5431ececc186d93185f01d2c34fd23ecfe0393"),
    16,
) == bytes.fromhex("56f994cdab685d988cb9fce9c8873c80")

PROVIDER_CREDENTIAL_TYPE = 0xF0C0
PSEUDONYMOUS_CREDENTIAL_TYPE = 0xF0C1

provider_seed = bytes(range(0x00, 0x20))
alice_seed = bytes(range(0x20, 0x40))
bob_seed = bytes(range(0x30, 0x50))
connection_key = bytes(range(0x40, 0x60))
leaf_key = bytes(range(0x60, 0x80))
link_nonce = bytes(range(0x80, 0x8C))
wrapper_key = bytes(range(0xA0, 0xC0))
wrap_nonce = bytes(range(0xC0, 0xCC))
response_key = bytes(range(0xD0, 0xF0))
bob_connection_key = bytes(range(0xE0, 0x100))

alice_client = b"mimi://a.example/d/alice-laptop"
alice_user = b"mimi://a.example/u/alice"
bob_client = b"mimi://a.example/d/bob-phone"
bob_user = b"mimi://a.example/u/bob"
client_pseudonym = b"mimi://a.example/d/6f9619ff-8b86-4011-b42d-00c04fc964ff"
user_pseudonym = b"mimi://a.example/u/3f2504e0-4f89-41d3-9a0c-0305e82c3301"

provider = Ed25519PrivateKey.from_private_bytes(provider_seed)
alice = Ed25519PrivateKey.from_private_bytes(alice_seed)
bob = Ed25519PrivateKey.from_private_bytes(bob_seed)

alice_credential = credential(
    PROVIDER_CREDENTIAL_TYPE,
    provider_credential(provider, alice_client, alice_user, public(alice)),
)
bob_credential = credential(
    PROVIDER_CREDENTIAL_TYPE, provider_credential(provider, bob_client, bob_user, public(bob))
)

# PROTO §6.1
tbs = opaque(client_pseudonym) + opaque(user_pseudonym) + opaque(leaf_key)
kdf_label = u16(32) + opaque(b"MLS 1.0 IdentityLinkKey") + opaque(tbs)
identity_link_key = expand_with_label(connection_key, b"IdentityLinkKey", tbs, 32)
signature = sign_with_label(alice, b"PseudonymousCredentialTBS", tbs)
tbe = opaque(signature) + alice_credential
link, link_aad = sealed(identity_link_key, b"Conclave IdentityLink", tbs, link_nonce, tbe)
pseudonymous = opaque(client_pseudonym) + opaque(user_pseudonym) + opaque(leaf_key) + opaque(link)
wrapped, wrap_aad = sealed(
    wrapper_key, b"Conclave WrappedIdentityLinkKey", client_pseudonym, wrap_nonce, identity_link_key
)
add_aad = opaque(opaque(wrapped))  # encrypted_identity_link_keys<V> = Sealed wrapped_keys<V>
extension = opaque(wrapper_key)

# Connections (crates/mimi/src/identity/connection.rs)
request_tbs = (
    alice_credential
    + opaque(alice_user)
    + opaque(bob_user)
    + opaque(connection_key)
    + opaque(response_key)
)
request = request_tbs + opaque(sign_with_label(alice, b"ConclaveConnectionRequestTBS", request_tbs))
response_tbs = bob_credential + opaque(alice_user) + opaque(response_key) + opaque(bob_connection_key)
response = (
    bob_credential
    + opaque(bob_connection_key)
    + opaque(sign_with_label(bob, b"ConclaveConnectionResponseTBS", response_tbs))
)

out = {
    "provider_seed": provider_seed,
    "alice_seed": alice_seed,
    "bob_seed": bob_seed,
    "connection_key": connection_key,
    "leaf_key": leaf_key,
    "link_nonce": link_nonce,
    "wrapper_key": wrapper_key,
    "wrap_nonce": wrap_nonce,
    "response_key": response_key,
    "bob_connection_key": bob_connection_key,
    "alice_client": alice_client.decode(),
    "alice_user": alice_user.decode(),
    "bob_client": bob_client.decode(),
    "bob_user": bob_user.decode(),
    "client_pseudonym": client_pseudonym.decode(),
    "user_pseudonym": user_pseudonym.decode(),
    "alice_credential": alice_credential,
    "bob_credential": bob_credential,
    "tbs": tbs,
    "kdf_label": kdf_label,
    "identity_link_key": identity_link_key,
    "signature": signature,
    "tbe": tbe,
    "link_aad": link_aad,
    "identity_link_ciphertext": link,
    "pseudonymous_credential": pseudonymous,
    "mls_credential": credential(PSEUDONYMOUS_CREDENTIAL_TYPE, pseudonymous),
    "wrap_aad": wrap_aad,
    "wrapped_key": wrapped,
    "add_aad": add_aad,
    "identity_link_extension": extension,
    "connection_request": request,
    "connection_response": response,
}
print(json.dumps({k: v.hex() if isinstance(v, bytes) else v for k, v in out.items()}, indent=2))
