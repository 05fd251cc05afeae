#!/usr/bin/env python3
"""Writes tests/vectors/msgs-v2.json: known answers for the extensions of
doc/PROTOCOL.md section 7.9 (the announcement PING and the MSGS record),
computed independently of the C code under test (AES-GCM and
ChaCha20-Poly1305 from the `cryptography` module, the layouts from the
text of the protocol).

For each of the three cases of link-v1.json (one per cipher), right after
FINISHED, the initiator seals in i2r: its announcement PING at seq 1, then
one MSGS at seq 2 carrying three MSGs.  Every value is checked by
test_msgs_vectors of tests/unit/check_batch.c, which fails if one is left
unchecked.  Run it once; the output is committed and must not change
unless the protocol does:

    python3 tests/vectors/mkmsgs.py > tests/vectors/msgs-v2.json
"""
import json
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import (
    AESGCM, ChaCha20Poly1305)

here = os.path.dirname(os.path.abspath(__file__))
link = json.load(open(os.path.join(here, 'link-v1.json')))

PING, MSGS = 4, 15
FEATURES = b'NCFT' + struct.pack('>I', 1)     # bit 0: MSGS

# id, flags, from, to, payload (content type byte first)
MESSAGES = [
    (1, 1, b'alice', b'bob', b'\x00hello bob'),
    (2, 0, b'alice', b'*', b'\x00to everyone'),
    (3, 1, b'alice', b'carol', b''),
]


def msg_body(mid, flags, frm, to, payload):
    """A MSG body of section 7.3."""
    return (struct.pack('>QBB', mid, flags, len(frm)) + frm +
            bytes([len(to)]) + to + payload)


def msgs_body():
    out = b''
    for m in MESSAGES:
        b = msg_body(*m)
        out += struct.pack('>H', len(b)) + b
    return out


def seal(cipher, key, iv, seq, rtype, body):
    ln = 1 + len(body) + 16
    hdr = struct.pack('>I', ln)
    nonce = iv[:4] + bytes(a ^ b for a, b in
                           zip(iv[4:], struct.pack('>Q', seq)))
    aead = ChaCha20Poly1305(key) if cipher == 3 else AESGCM(key)
    return hdr + aead.encrypt(nonce, bytes([rtype]) + body, hdr)


def case(n):
    c = link['cases'][n]
    key = bytes.fromhex(c['expanded']['nc1 key i2r'])
    iv = bytes.fromhex(c['expanded']['nc1 iv i2r'])
    body = msgs_body()
    return {
        'from_case': n,
        'cipher': c['cipher'],
        'ping_body': FEATURES.hex(),
        'ping_record (i2r seq 1)': seal(c['cipher'], key, iv, 1, PING,
                                        FEATURES).hex(),
        'messages': [{'id': m[0], 'flags': m[1], 'from': m[2].decode(),
                      'to': m[3].decode(), 'payload': m[4].hex()}
                     for m in MESSAGES],
        'msgs_body': body.hex(),
        'msgs_record (i2r seq 2)': seal(c['cipher'], key, iv, 2, MSGS,
                                        body).hex(),
    }


print(json.dumps({
    'about': 'netcryptd link protocol v2, extensions of section 7.9: the '
             'announcement PING ("NCFT" | u32 bits) and a MSGS record '
             '(type 15: MSG bodies, each after a u16 length), sealed in '
             'i2r right after FINISHED with the keys of link-v1.json; '
             'written by tests/vectors/mkmsgs.py',
    'cases': [case(n) for n in range(3)],
}, indent=1))
