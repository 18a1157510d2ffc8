#!/usr/bin/env python3
"""Computes the franking known answers in franking_kat.json, independently of the Rust code.

Only the Python standard library (hmac, hashlib) and `cryptography` (Ed25519) are used; the TLS
and CBOR bytes are written out by hand from PROTO -06 §5.4.1 / §5.9, RFC 9420 §2.1.2 / §5.1.2 and
CONTENT §3. Not part of any build: run it by hand (`python3 franking_kat.py > franking_kat.json`)
and commit the output when the vectors must change.
"""
import hashlib
import hmac
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def varint(n):  # RFC 9420 §2.1.2 variable-size vector length
    if n < 0x40:
        return bytes([n])
    if n < 0x4000:
        return (0x4000 | n).to_bytes(2, "big")
    return (0x80000000 | n).to_bytes(4, "big")


def opaque(b):  # opaque x<V>
    return varint(len(b)) + b


def cbor_head(major, n):  # shortest form, RFC 8949 §4.2.1
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + n.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + n.to_bytes(4, "big")


def cbor_bytes(b):
    return cbor_head(2, len(b)) + b


def cbor_text(s):
    b = s.encode()
    return cbor_head(3, len(b)) + b


NULL = b"\xf6"

salt = bytes(range(0x00, 0x10))
hub_key = bytes(range(0x20, 0x40))
seed = bytes(range(0x40, 0x60))
sender = "mimi://b.example/u/alice"
room = "mimi://hub.example/r/Rl33FWLCYWOwxHrYnpWDQg"
timestamp = 1_700_000_000_123
ciphersuite = 0x0001
text = "hello, hub"

# CONTENT §3: [salt, replaces, topicId, expires, inReplyTo, {1: sender, 2: room},
#              [disposition render(1), language "", cardinality single(1), type, content]]
application_data = (
    cbor_head(4, 7)
    + cbor_bytes(salt)
    + NULL
    + cbor_bytes(b"")
    + NULL
    + NULL
    + cbor_head(5, 2)
    + cbor_head(0, 1)
    + cbor_text(sender)
    + cbor_head(0, 2)
    + cbor_text(room)
    + cbor_head(4, 5)
    + cbor_head(0, 1)
    + cbor_text("")
    + cbor_head(0, 1)
    + cbor_text("text/plain;charset=utf-8")
    + cbor_bytes(text.encode())
)

franking_tag = hmac.new(salt, application_data, hashlib.sha256).digest()
frank_aad = franking_tag  # struct { uint8 franking_tag[32]; } FrankAAD

# struct { IdentifierUri sender_uri; IdentifierUri room_uri; uint64 accepted_timestamp; }
context = opaque(sender.encode()) + opaque(room.encode()) + timestamp.to_bytes(8, "big")
server_frank = hmac.new(hub_key, franking_tag + context, hashlib.sha256).digest()

# struct { opaque server_frank[32]; CipherSuite franking_signature_ciphersuite;
#          ServerFrankingContext context; } FrankingIntegrityTBS
tbs = server_frank + ciphersuite.to_bytes(2, "big") + context
# RFC 9420 §5.1.2 SignContent { opaque label<V> = "MLS 1.0 " + Label; opaque content<V>; }
sign_content = opaque(b"MLS 1.0 FrankingIntegrityTBS") + opaque(tbs)
sk = Ed25519PrivateKey.from_private_bytes(seed)
public_key = sk.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
signature = sk.sign(sign_content)

# struct { uint8 server_frank[32]; CipherSuite ...; opaque franking_integrity_signature<V>; }
frank = server_frank + ciphersuite.to_bytes(2, "big") + opaque(signature)

# struct { SignaturePublicKey franking_signature_key; Credential credential; }
# with a basic credential (type 1, opaque identity<V>).
agent_identity = b"mimi://hub.example"
franking_agent_data = opaque(public_key) + (1).to_bytes(2, "big") + opaque(agent_identity)

# PROTO §5.9
abusive_message = opaque(application_data) + frank + timestamp.to_bytes(8, "big")
reporter = "mimi://c.example/u/carol"
note = "spam, again"
extension = (0x8001).to_bytes(2, "big") + opaque(b"x")  # ComponentData
abuse_report = (
    opaque(reporter.encode())
    + opaque(sender.encode())
    + bytes([0])
    + opaque(note.encode())
    + opaque(abusive_message)
    + opaque(extension)
)

print(
    json.dumps(
        {
            "comment": "computed by franking_kat.py (Python hmac/hashlib + cryptography Ed25519)",
            "salt": salt.hex(),
            "hub_key": hub_key.hex(),
            "signing_key_seed": seed.hex(),
            "franking_public_key": public_key.hex(),
            "sender_uri": sender,
            "room_uri": room,
            "accepted_timestamp": timestamp,
            "ciphersuite": ciphersuite,
            "text": text,
            "application_data": application_data.hex(),
            "franking_tag": franking_tag.hex(),
            "frank_aad": frank_aad.hex(),
            "context": context.hex(),
            "server_frank": server_frank.hex(),
            "tbs": tbs.hex(),
            "sign_content": sign_content.hex(),
            "signature": signature.hex(),
            "frank": frank.hex(),
            "agent_identity": agent_identity.decode(),
            "franking_agent_data": franking_agent_data.hex(),
            "abusive_message": abusive_message.hex(),
            "reporting_user": reporter,
            "note": note,
            "abuse_report": abuse_report.hex(),
        },
        indent=2,
    )
)
