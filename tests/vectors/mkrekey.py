#!/usr/bin/env python3
"""Writes tests/vectors/rekey-v2.json: known answers for the in-band X25519
rekey of doc/PROTOCOL.md section 7.8, computed independently of the C code
under test (HKDF with hashlib/hmac, X25519 and AES-256-GCM with the
`cryptography` module).

It starts from case 0 of link-v1.json (AES-256-GCM): the keys, ivs and
traffic secrets of the key schedule, and its key update of i2r.  Every
value in the output is checked by test_rekey_vectors of
tests/unit/check_rekey.c, which fails if one is left unchecked.  Run it
once; the output is committed and must not change unless the protocol
does:

    python3 tests/vectors/mkrekey.py > tests/vectors/rekey-v2.json
"""
import hashlib
import hmac
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey, X25519PublicKey)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding, PublicFormat)

here = os.path.dirname(os.path.abspath(__file__))
base = json.load(open(os.path.join(here, 'link-v1.json')))['cases'][0]
assert base['cipher'] == 1      # AES-256-GCM: 32-byte keys

REKEY, REKEY_ACK, REKEY_DONE = 12, 13, 14
PING, KEYUPDATE = 4, 9


def extract(salt, ikm):
    return hmac.new(salt, ikm, hashlib.sha256).digest()


def expand(prk, info, n):
    # Every expansion here is at most 32 bytes: T(1) is enough.
    assert n <= 32
    return hmac.new(prk, info.encode() + b'\x01', hashlib.sha256).digest()[:n]


class Dir:
    """The sealing state of one direction: key, iv, ts, seq."""

    def __init__(self, key, iv, ts, seq):
        self.key, self.iv, self.ts, self.seq = key, iv, ts, seq

    def seal(self, rtype, body):
        ln = 1 + len(body) + 16
        hdr = struct.pack('>I', ln)
        nonce = self.iv[:4] + bytes(a ^ b for a, b in
                                    zip(self.iv[4:], struct.pack('>Q', self.seq)))
        ct = AESGCM(self.key).encrypt(nonce, bytes([rtype]) + body, hdr)
        self.seq += 1
        return hdr + ct

    def set_ts(self, ts):
        self.ts = ts
        self.key = expand(ts, 'nc1 key', 32)
        self.iv = expand(ts, 'nc1 iv', 12)
        self.seq = 0

    def keyupdate(self):
        self.set_ts(expand(self.ts, 'nc1 upd', 32))

    def rekey(self, dh, label):
        """Section 7.8: returns what the test checks."""
        salt = self.ts
        prk = extract(salt, dh)
        self.set_ts(expand(prk, label, 32))
        return {'salt': salt.hex(), 'prk': prk.hex(), 'ts': self.ts.hex(),
                'key': self.key.hex(), 'iv': self.iv.hex()}


def start_dirs():
    e = base['expanded']
    h = bytes.fromhex
    # FINISHED took seq 0 of each direction: the link starts at seq 1.
    return (Dir(h(e['nc1 key i2r']), h(e['nc1 iv i2r']), h(e['nc1 upd i2r']), 1),
            Dir(h(e['nc1 key r2i']), h(e['nc1 iv r2i']), h(e['nc1 upd r2i']), 1))


def raw_pub(priv):
    return priv.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


# Fixed scalars, drawn once from SHA-256 of a label: A starts, B answers.
priv_a_raw = hashlib.sha256(b'netcryptd rekey-v2 starter').digest()
priv_b_raw = hashlib.sha256(b'netcryptd rekey-v2 answerer').digest()
priv_a = X25519PrivateKey.from_private_bytes(priv_a_raw)
priv_b = X25519PrivateKey.from_private_bytes(priv_b_raw)
pub_a, pub_b = raw_pub(priv_a), raw_pub(priv_b)
dh = priv_a.exchange(X25519PublicKey.from_public_bytes(pub_b))
assert dh == priv_b.exchange(X25519PublicKey.from_public_bytes(pub_a))


def step(d, name, dirname, rtype, body):
    seq = d.seq
    rec = d.seal(rtype, body)
    return {'what': name, 'dir': dirname, 'seq': seq, 'type': rtype,
            'body': body.hex(), 'record': rec.hex()}


def case_initiator_starts():
    """The initiator (A) starts; nothing else happens meanwhile."""
    i2r, r2i = start_dirs()
    steps = [step(i2r, 'REKEY', 'i2r', REKEY, pub_a),
             step(r2i, 'REKEY_ACK', 'r2i', REKEY_ACK, pub_b)]
    sw_r2i = r2i.rekey(dh, 'nc1 rekey r2i')     # B, right after sealing
    steps.append(step(r2i, 'PING', 'r2i', PING, struct.pack('>Q', 7)))
    steps.append(step(i2r, 'REKEY_DONE', 'i2r', REKEY_DONE, b''))
    sw_i2r = i2r.rekey(dh, 'nc1 rekey i2r')     # A, right after sealing
    steps.append(step(i2r, 'PING', 'i2r', PING, struct.pack('>Q', 8)))
    return {'starter': 'initiator', 'steps': steps,
            'i2r': sw_i2r, 'r2i': sw_r2i}


def case_responder_starts_after_keyupdate():
    """The responder (A) starts; the initiator (B) updates i2r before it
    answers, so the i2r switch starts from the updated secret."""
    i2r, r2i = start_dirs()
    steps = [step(r2i, 'REKEY', 'r2i', REKEY, pub_a),
             step(i2r, 'KEYUPDATE', 'i2r', KEYUPDATE, b'')]
    i2r.keyupdate()
    assert i2r.ts.hex() == base['keyupdate_i2r']['ts1']
    steps.append(step(i2r, 'REKEY_ACK', 'i2r', REKEY_ACK, pub_b))
    sw_i2r = i2r.rekey(dh, 'nc1 rekey i2r')
    steps.append(step(r2i, 'REKEY_DONE', 'r2i', REKEY_DONE, b''))
    sw_r2i = r2i.rekey(dh, 'nc1 rekey r2i')
    steps.append(step(i2r, 'PING', 'i2r', PING, struct.pack('>Q', 9)))
    steps.append(step(r2i, 'PING', 'r2i', PING, struct.pack('>Q', 10)))
    return {'starter': 'responder', 'steps': steps,
            'i2r': sw_i2r, 'r2i': sw_r2i}


out = {
    'about': 'Known answers for the rekey of doc/PROTOCOL.md 7.8, on case 0 '
             'of link-v1.json (AES-256-GCM). Written by mkrekey.py with '
             'Python hashlib/hmac and the cryptography module. Hex strings; '
             'seq is the sealing sequence number of the record.',
    'base_case': 0,
    'x25519_private_a': priv_a_raw.hex(),
    'x25519_private_b': priv_b_raw.hex(),
    'x25519_public_a': pub_a.hex(),
    'x25519_public_b': pub_b.hex(),
    'dh': dh.hex(),
    'cases': [case_initiator_starts(), case_responder_starts_after_keyupdate()],
}
json.dump(out, sys.stdout, indent=1)
sys.stdout.write('\n')
