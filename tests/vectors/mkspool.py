#!/usr/bin/env python3
"""Writes tests/vectors/spool-v2.json: known answers for the records of
messages with a lifetime, doc/PROTOCOL.md section 7.10 (SMSG, SACK,
SFINAL, SFINAL_ACK, types 16 to 19) and the announcement of section 7.9
with bit 1 set.  Computed independently of the C code under test: the
layouts are written here from the text of the protocol, the AEADs
(AES-GCM, ChaCha20-Poly1305) come from the `cryptography` module.

For each of the three cases of link-v1.json (one per cipher), right after
FINISHED (both directions at seq 1):

  i2r  seq 1  PING, the announcement "NCFT" | 00000003 (MSGS, lifetime)
       seq 2  SMSG (the case's message)
       seq 3  SACK   status 0  (taken)
       seq 4  SACK   status 13 (spool full)
       seq 5  SFINAL status 12 (expired)
       seq 6  SFINAL_ACK
       seq 7  SFINAL status 16 (dropped by an administrator)
  r2i  seq 1  PING, the same announcement
       seq 2  SACK   status 0, answering the SMSG
       seq 3  SFINAL status 0 (delivered)

inc and seq are u64 values and are given as 8-byte hex strings (a JSON
number cannot hold every u64).  Every value is checked by
test_spool_vectors of tests/unit/check_spoolwire.c, which fails if one is
left unchecked.  Run it once; the output is committed and must not change
unless the protocol does:

    python3 tests/vectors/mkspool.py > tests/vectors/spool-v2.json
"""
import json
import os
import struct

from cryptography.hazmat.primitives.ciphers.aead import (
    AESGCM, ChaCha20Poly1305)

here = os.path.dirname(os.path.abspath(__file__))
link = json.load(open(os.path.join(here, 'link-v1.json')))

PING, SMSG, SACK, SFINAL, SFINAL_ACK = 4, 16, 17, 18, 19
NAMES = {PING: 'PING', SMSG: 'SMSG', SACK: 'SACK', SFINAL: 'SFINAL',
         SFINAL_ACK: 'SFINAL_ACK'}
FEATURES = b'NCFT' + struct.pack('>I', 3)     # bit 0 MSGS, bit 1 lifetime

# One message per case: inc, seq, ttl, from, to, payload.  Case 0 is a
# text message (content type 0 first), case 1 an empty payload with the
# shortest names and the shortest lifetime, case 2 the longest names and
# lifetime, the top bits of inc and seq set, and a payload of 300 bytes.
MESSAGES = [
    (0x0123456789abcdef, 1, 7 * 86400, b'alice', b'bob',
     b'\x00hello bob, later'),
    (0xfedcba9876543210, 0x2a, 1, b'a', b'Z', b''),
    (0x8000000000000001, 0xfffffffffffffffe, 90 * 86400,
     b'A-z.0_9' * 9 + b'x', b'to.' + b'b' * 61,
     bytes(range(256)) + bytes(44)),
]


def smsg_body(inc, seq, ttl, frm, to, payload):
    """An SMSG body of section 7.10 (flags 0)."""
    return (struct.pack('>QQIBB', inc, seq, ttl, 0, len(frm)) + frm +
            bytes([len(to)]) + to + payload)


def sack_body(inc, seq, status):
    """SACK and SFINAL: u64 inc | u64 seq | u8 status."""
    return struct.pack('>QQB', inc, seq, status)


def sfinal_ack_body(inc, seq):
    return struct.pack('>QQ', inc, seq)


def seal(cipher, key, iv, seq, rtype, body):
    """A record of section 4.2: len | AEAD(type | body), AAD = len."""
    ln = 1 + len(body) + 16
    hdr = struct.pack('>I', ln)
    nonce = iv[:4] + bytes(a ^ b for a, b in
                           zip(iv[4:], struct.pack('>Q', seq)))
    aead = ChaCha20Poly1305(key) if cipher == 3 else AESGCM(key)
    return hdr + aead.encrypt(nonce, bytes([rtype]) + body, hdr)


def direction(c, d, records):
    """records: (type, status or None, body); sealed from seq 1 on."""
    key = bytes.fromhex(c['expanded']['nc1 key ' + d])
    iv = bytes.fromhex(c['expanded']['nc1 iv ' + d])
    out = []
    for seq, (rtype, status, body) in enumerate(records, start=1):
        r = {'seq': seq, 'type': rtype, 'name': NAMES[rtype]}
        if status is not None:
            r['status'] = status
        r['body'] = body.hex()
        r['record'] = seal(c['cipher'], key, iv, seq, rtype, body).hex()
        out.append(r)
    return out


def case(n):
    c = link['cases'][n]
    inc, seq, ttl, frm, to, payload = MESSAGES[n]
    i2r = [
        (PING, None, FEATURES),
        (SMSG, None, smsg_body(inc, seq, ttl, frm, to, payload)),
        (SACK, 0, sack_body(inc, seq, 0)),
        (SACK, 13, sack_body(inc, seq, 13)),
        (SFINAL, 12, sack_body(inc, seq, 12)),
        (SFINAL_ACK, None, sfinal_ack_body(inc, seq)),
        # Added with status 16: after the rest, so no earlier value moves.
        (SFINAL, 16, sack_body(inc, seq, 16)),
    ]
    r2i = [
        (PING, None, FEATURES),
        (SACK, 0, sack_body(inc, seq, 0)),
        (SFINAL, 0, sack_body(inc, seq, 0)),
    ]
    return {
        'from_case': n,
        'cipher': c['cipher'],
        'message': {
            'inc': struct.pack('>Q', inc).hex(),
            'seq': struct.pack('>Q', seq).hex(),
            'ttl': ttl,
            'flags': 0,
            'from': frm.decode(),
            'to': to.decode(),
            'payload': payload.hex(),
        },
        'i2r': direction(c, 'i2r', i2r),
        'r2i': direction(c, 'r2i', r2i),
    }


print(json.dumps({
    'about': 'netcryptd link protocol v2, messages with a lifetime '
             '(section 7.10): the announcement PING with bits 0 and 1, '
             'SMSG, SACK, SFINAL and SFINAL_ACK, sealed right after '
             'FINISHED with the keys of link-v1.json (i2r and r2i, from '
             'seq 1); inc and seq as 8-byte hex; written by '
             'tests/vectors/mkspool.py',
    'cases': [case(n) for n in range(3)],
}, indent=1))
