#!/usr/bin/env python3
"""Known answers for link protocol version 2's resumption secret and
proof (doc/PROTOCOL.md 5.13), written to resume-v2.json.

Computed here with Python's hashlib/hmac only, from link-v1.json's prk
and HELLO fields, so that the C code under test (src/proto/resume.c) is checked
against a computation that does not share its code.  Run it again only
if the specification changes:  python3 tests/vectors/mkresume.py
"""
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def expand(prk, info, length):
    """HKDF-Expand with SHA-256 (RFC 5869), one block is enough here."""
    assert length <= 32
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()[:length]


def main():
    with open(os.path.join(HERE, "link-v1.json")) as f:
        v1 = json.load(f)
    cases = []
    for n, c in enumerate(v1["cases"]):
        prk = bytes.fromhex(c["prk"])
        hello_i = bytes.fromhex(c["hello_i_record"])
        epoch = hello_i[43:51]
        x25519 = hello_i[51:83]
        rs = expand(prk, b"nc2 resume", 32)
        nonce = bytes(range(16 * n, 16 * n + 16))
        tag = hmac.new(rs, b"nc2 resume proof" + nonce + epoch + x25519,
                       hashlib.sha256).digest()[:16]
        cases.append({
            "from_case": n,
            "prk": prk.hex(),
            "resume_secret": rs.hex(),
            "epoch": epoch.hex(),
            "x25519": x25519.hex(),
            "nonce": nonce.hex(),
            "tag": tag.hex(),
            "random": (nonce + tag).hex(),
        })
    out = {
        "about": "netcryptd link protocol v2: resumption secret "
                 "HKDF-Expand(prk, 'nc2 resume', 32) and proof tag "
                 "HMAC-SHA256(rs, 'nc2 resume proof' || nonce || epoch || "
                 "x25519)[:16], from link-v1.json's prk and HELLO_I "
                 "fields; written by tests/vectors/mkresume.py",
        "cases": cases,
    }
    with open(os.path.join(HERE, "resume-v2.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
