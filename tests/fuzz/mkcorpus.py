#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/)
from the known-answer vectors (tests/vectors/link-v1.json, rekey-v2.json)
and from small valid inputs of the protocols.  Run it from anywhere; it replaces the
files it writes.  The formats are described at the top of each
fuzz_<target>.c."""
import base64, hashlib, json, os, struct, sys

here = os.path.dirname(os.path.abspath(__file__))
vec = json.load(open(os.path.join(here, '..', 'vectors', 'link-v1.json')))
out = os.path.join(here, 'corpus')

def put(target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)

def hx(case, prefix):
    """Value of the first member of case whose name starts with prefix."""
    for k, v in case.items():
        if k.startswith(prefix):
            return bytes.fromhex(v)
    raise KeyError(prefix)

# ---- config ----------------------------------------------------------
FP = vec['fingerprint_r']
configs = {
    'sample.conf': open(os.path.join(here, '..', '..', 'etc',
                                     'netcryptd.conf'), 'rb').read(),
    'globals.conf': b'''name "hosta"
listen on 127.0.0.1 port 55555
listen on ::1
cipher chacha20-poly1305, aes-128-gcm
keepalive 20
handshake timeout 5
queue 8M timeout 60
max sessions 100
session queue 512K timeout 30
session socket "/run/nc/s.sock" group "users" mode 0660
control socket "/run/nc/c.sock" mode 0600
user "_netcryptd"
chroot "/var/empty"
unwrap rate 100
private key "/etc/netcryptd/private.pem"
''',
    'peers.conf': ('''dir = "/etc/netcryptd"
peer "hostb" {
\tconnect to "hostb.example.org" port 55556
\tconnect to 192.0.2.7
\tfingerprint "%s"
}
peer hostc { public key $dir "/peers/hostc.pub" }
''' % FP).encode(),
    'proxy.conf': ('''proxy socks5 127.0.0.1 port 9050
peer "hidden" {
\tconnect to "abcdefghijklmnopabcdefghijklmnopabcdefghijklmnopabcd.onion"
\tproxy user "u" password "p"
\tfingerprint "%s"
}
peer "direct" {
\tproxy none
\tfingerprint "%s"
}
''' % (FP, FP)).encode(),
    'include.conf': b'# comment\ninclude "netcryptd.conf"\nname "x"\n',
    'sessions.conf': b'''session default own
session "backup-*" group "backup"
session "alice" accept from "bob@hostb", "*@hostc", "carol"
session "svc" {
	user "root" group "adm"
	accept from "x?y@*"
}
session "bad" {
session default maybe
''',
    'errors.conf': b'listen on 999.1.1.1 port 70000\ncipher rot13\npeer "a b" {\n',
    'spool.conf': b'''spool {
	directory "/var/spool/nc"
	size 2G
	peer size 512M
	lifetime max 7d
}
spool { lifetime max 12h }
mailbox "backup-*" { size 8G count 1000 }
mailbox "anon-*" none
mailbox "svc" {
	size 1M
	count 10 }
mailbox "backup-x" none
mailbox "y" { size 1T count 0 }
''',
}
for n, c in configs.items():
    put('config', n, c)

# ---- handshake -------------------------------------------------------
for i, case in enumerate(vec['cases']):
    recs = [hx(case, 'hello_i_record'), hx(case, 'key_i_record'),
            hx(case, 'finished_i_record'), hx(case, 'ping_i_record'),
            hx(case, 'msg_i_record')]
    put('handshake', 'case%d-full' % i, bytes([i]) + b''.join(recs))
    put('handshake', 'case%d-hello' % i, bytes([i]) + recs[0])

# ---- record ----------------------------------------------------------
def sealed(recs):
    return b''.join(struct.pack('>BH', t, len(b)) + b for t, b in recs)

msg_body = bytes.fromhex(vec['cases'][0]['msg_i_body'])
for i, case in enumerate(vec['cases']):
    # raw: the vector's ping (seq 1) and msg (seq 2), from seq 1
    put('record', 'case%d-raw' % i, bytes([i | (1 << 3)]) +
        hx(case, 'ping_i_record') + hx(case, 'msg_i_record'))
    put('record', 'case%d-sealed' % i, bytes([i | 4]) + sealed([
        (4, b'12345678'), (5, b'abcdefgh'), (6, msg_body),
        (7, struct.pack('>Q', 1)), (8, struct.pack('>QB', 2, 1)),
        (9, b''), (4, b'after-ku'), (6, msg_body.replace(b'\x01\x01', b'\x02\x01', 1)),
        (10, b'\x00\x04done')]))
put('record', 'nak-then-close', bytes([4]) + sealed([
    (8, struct.pack('>QB', 3, 5)), (7, struct.pack('>Q', 3)), (10, b'')]))
# rekey (PROTOCOL 7.8): the input answers one the link started (0x20),
# starts one itself, and sends bad bodies; records after each still open
rk = json.load(open(os.path.join(here, '..', 'vectors', 'rekey-v2.json')))
pub = bytes.fromhex(rk['x25519_public_a'])
put('record', 'rekey-answer', bytes([4 | 0x20]) + sealed([
    (4, b'12345678'), (13, pub), (4, b'newkeys!'), (6, msg_body)]))
put('record', 'rekey-start', bytes([4]) + sealed([
    (12, pub), (4, b'12345678'), (9, b''), (14, b''), (4, b'newkeys!')]))
put('record', 'rekey-bad', bytes([4]) + sealed([
    (12, pub[:31]), (13, pub), (14, b'x'), (12, bytes(32))]))

# MSGS (PROTOCOL 7.9): the announcement first, then batches, good and bad;
# and msgs-v2.json's two records as they are on the wire, from seq 1
mv = json.load(open(os.path.join(here, '..', 'vectors', 'msgs-v2.json')))
for c in mv['cases']:
    put('record', 'msgs-case%d-raw' % c['from_case'],
        bytes([c['from_case'] | (1 << 3)]) +
        bytes.fromhex(c['ping_record (i2r seq 1)']) +
        bytes.fromhex(c['msgs_record (i2r seq 2)']))
msgs_body = bytes.fromhex(mv['cases'][0]['msgs_body'])
put('record', 'msgs-sealed', bytes([4]) + sealed([
    (4, b'NCFT\x00\x00\x00\x01'), (15, msgs_body), (7, struct.pack('>Q', 1)),
    (15, msgs_body[:20]), (15, b'')]))

# Messages with a lifetime (PROTOCOL 7.10): spool-v2.json's i2r records as
# they are on the wire, from seq 1; then, with the spool up before the
# input (0x40: spoolfake.c's entries 1..3 of its incarnation and one
# SFINAL on the wire), SMSGs, SACKs, SFINALs and an SFINAL_ACK that match,
# and each kind of bad one after good ones.
sv = json.load(open(os.path.join(here, '..', 'vectors', 'spool-v2.json')))
for c in sv['cases']:
    put('record', 'spool-case%d-raw' % c['from_case'],
        bytes([c['from_case'] | (1 << 3)]) +
        b''.join(bytes.fromhex(r['record']) for r in c['i2r']))
FAKE_INC, PEER_INC = 0x0102030405060708, 0x1111111111111111  # spoolfake.h
ANNOUNCE = (4, b'NCFT\x00\x00\x00\x03')

def smsg(seq, ttl=60, flags=0, frm=b'alice', to=b'bob', payload=b'\x00hi',
         inc=PEER_INC):
    return (16, struct.pack('>QQIBB', inc, seq, ttl, flags, len(frm)) + frm +
            bytes([len(to)]) + to + payload)

def sack(t, seq, status=0, inc=FAKE_INC):
    if t == 19:
        return (t, struct.pack('>QQ', inc, seq))
    return (t, struct.pack('>QQB', inc, seq, status))

SACK, SFINAL, SFINAL_ACK = 17, 18, 19
put('record', 'spool-announce', bytes([4]) + sealed([
    ANNOUNCE, smsg(1), smsg(2, payload=b''), (4, b'12345678'),
    sack(SACK, 1)]))
put('record', 'spool-sealed', bytes([4 | 0x40]) + sealed([
    smsg(1), sack(SACK, 1), sack(SACK, 2, 13), sack(SFINAL, 1, 12),
    sack(SFINAL, 5, 0, inc=7), sack(SFINAL_ACK, 1, inc=PEER_INC),
    smsg(2), smsg(3), smsg(4), smsg(3), sack(SACK, 3), (4, b'12345678')]))
bad = {
    'smsg-name': smsg(9, to=b'b@b'),
    'smsg-star': smsg(9, to=b'*'),
    'smsg-ttl': smsg(9, ttl=90 * 86400 + 1),
    'smsg-flags': smsg(9, flags=1),
    'smsg-seq0': smsg(0),
    'sack-status': sack(SACK, 1, 5),
    'sack-unsent': sack(SACK, 4),
    'sack-inc': sack(SACK, 1, inc=PEER_INC),
    'sack-short': (SACK, sack(SACK, 1)[1][:16]),
    'sfinal-status': sack(SFINAL, 1, 13),
    'sfinal-ack-extra': sack(SFINAL_ACK, 2, inc=PEER_INC),
}
for name, rec in sorted(bad.items()):
    put('record', 'spool-bad-' + name, bytes([4 | 0x40]) + sealed([
        smsg(1), sack(SACK, 1), sack(SFINAL_ACK, 1, inc=PEER_INC), rec,
        (4, b'12345678')]))
put('record', 'spool-unannounced', bytes([4]) + sealed([
    (4, b'12345678'), smsg(1)]))

# ---- session ---------------------------------------------------------
def sp(t, body):
    return struct.pack('>IB', 1 + len(body), t) + body

def attach(name):
    return sp(1, bytes([len(name)]) + name)

def send(cid, flags, to, payload):
    return sp(3, struct.pack('>QBB', cid, flags, len(to)) + to + payload)

put('session', 'attach-send', attach(b'alice') +
    send(1, 1, b'bob', b'\x00hello bob') + send(2, 0, b'*', b'\x00all') +
    send(3, 1, b'bob@hostb', b'\x00local') + sp(6, b''))
put('session', 'remote', attach(b'') +
    send(1, 1, b'carol@hosta', b'\x00to hosta') +
    send(2, 1, b'*@hosta', b'\x00star') + send(3, 1, b'x@nohost', b'\x00'))
put('session', 'bad', attach(b'anon-7') + attach(b'bob') + attach(b'a') +
    send(9, 0, b'../x', b'') + struct.pack('>IB', 0, 1))

def within(cid, lifetime, to, payload):
    return sp(3, struct.pack('>QBIB', cid, 2, lifetime, len(to)) + to +
              payload)

# Messages with a lifetime (SESSIONS.md 6): ATTACH taking the mailbox,
# SEND within (local, remote, refused), TAKEN, QUERY.
put('session', 'spool', sp(1, b'\x05alice\x01') +
    within(1, 60, b'bob', b'\x00kept') +
    within(2, 3600, b'carol@hosta', b'\x00far') +
    within(3, 0, b'bob', b'') + within(4, 60, b'*', b'') +
    sp(10, struct.pack('>Q', 77)) + sp(12, struct.pack('>Q', 5)) +
    sp(10, struct.pack('>Q', 78)))

# ---- imsg ------------------------------------------------------------
def imsg(t, data=b'', flags=0, peerid=0, pid=1):
    # type, length (the 20-byte header included), flags, pad, peer, pid
    return struct.pack('<IIHHII', t, 20 + len(data), flags, 0, peerid,
                       pid) + data

def chunks(parts):
    return b''.join(struct.pack('>BH', f, len(p)) + p for f, p in parts)

spki = bytes.fromhex(vec['spki_r'])
# Types: 2 CONF_END, 3 KH_KEYFD, 4 KH_SETTINGS, 5 KH_PUBKEY, 6 KH_UNWRAP,
# 7 KH_UNWRAP_DONE, 17 READY, 18 LOG, 19 SECCOMP_TRAP
put('imsg', 'keyholder', chunks([
    (1, imsg(3, flags=1)), (0, imsg(4, struct.pack('<I', 500))),
    (0, imsg(2)), (0, imsg(5, spki)),
    (0, imsg(6, struct.pack('<QB7x', 1, 1) + bytes(32) + bytes(256))),
    (0, imsg(7, struct.pack('<Q', 1) + bytes(32)))]))
put('imsg', 'master', chunks([
    (0, imsg(17)), (0, imsg(18, struct.pack('<i', 3) + b'line'.ljust(1024, b'\0'))),
    (0, imsg(19, struct.pack('<i', 59)))]))
whole = imsg(17) + imsg(19, struct.pack('<i', 1))
put('imsg', 'split', chunks([(0, whole[:5]), (0, whole[5:20]), (0, whole[20:])]))
# 27 CONF_POLICY: policy_encode()'s bytes, default own, two rules, two users
def pstr(b):
    return bytes([len(b)]) + b
rules = (pstr(b'bob') + b'\x01' + struct.pack('>III', 2, 0, 1000) +
         b'\x02' + pstr(b'alice') + pstr(b'*@hosta') +
         pstr(b'x*') + b'\x00' + struct.pack('>I', 0) + b'\x01' + pstr(b'y@z'))
users = struct.pack('>I', 0) + pstr(b'root') + struct.pack('>I', 1000) + pstr(b'alice')
put('imsg', 'policy', chunks([(0, imsg(27, b'\x01\x01' + struct.pack('>HI', 2, 2) +
                                      rules + users))]))

# ---- file ------------------------------------------------------------
data = b'hello file'
sha = hashlib.sha256(data).digest()

def offer(xfer, size, digest, name):
    return (b'\x01' + struct.pack('>QQ', xfer, size) + digest +
            struct.pack('>H', len(name)) + name)

def fdata(xfer, off, d):
    return b'\x02' + struct.pack('>QQ', xfer, off) + d

def fend(xfer):
    return b'\x03' + struct.pack('>Q', xfer)

def payloads(items):
    return b''.join(struct.pack('>BH', w, len(p)) + p for w, p in items)

put('file', 'whole', b'\x00' + payloads([
    (0, offer(7, len(data), sha, b'report.txt')), (0, fdata(7, 0, data[:4])),
    (0, fdata(7, 4, data[4:])), (0, fend(7)), (0, fend(7)),
    (1, b'\x04' + struct.pack('>QB', 9, 0))]))
put('file', 'refused', b'\x00' + payloads([
    (0, offer(1, 1, sha, b'../etc/passwd')), (1, offer(2, 1, sha, b'..')),
    (2, offer(3, 3, sha, b'x')), (2, fdata(3, 0, b'abcd')), (2, fend(3))]))

def deliver(frm, payload):
    return sp(5, bytes([len(frm)]) + frm + payload)

put('file', 'stream', b'\x01' + deliver(b'alice@hosta', b'\x00hi') +
    deliver(b'alice@hosta', offer(5, len(data), sha, b'f.bin')) +
    deliver(b'alice@hosta', fdata(5, 0, data)) +
    deliver(b'alice@hosta', fend(5)) +
    sp(4, struct.pack('>QB', 1, 0)) +
    sp(7, struct.pack('>H', 1) + b'\x05hosta\x01'))

# SOCKS5: u8 setup | chunks of u8 len | bytes, as read from the proxy.
def reads(setup, parts):
    return bytes([setup]) + b''.join(bytes([len(p)]) + p for p in parts)

v4_ok = b'\x05\x00\x00\x01\x7f\x00\x00\x01\xd9\x03'
put('socks5', 'noauth', reads(0, [b'\x05\x00', v4_ok]))
put('socks5', 'auth', reads(1, [b'\x05\x02', b'\x01\x00', v4_ok]))
put('socks5', 'bound-name', reads(2, [b'\x05\x00',
    b'\x05\x00\x00\x03\x09localhost\x00\x50' + b'HELLO']))
put('socks5', 'ipv6', reads(4, [b'\x05\x00',
    b'\x05\x00\x00\x04' + bytes(15) + b'\x01\x01\xbb']))
put('socks5', 'split', reads(6, [b'\x05', b'\x00', b'\x05\x00', b'\x00\x01',
    b'\x7f\x00\x00\x01', b'\xd9', b'\x03']))
put('socks5', 'tor-refused', reads(0, [b'\x05\x00',
    b'\x05\xf0\x00\x01\x00\x00\x00\x00\x00\x00']))
put('socks5', 'auth-refused', reads(1, [b'\x05\x02', b'\x01\x01']))

# Tor's control port: chunks of u8 len | bytes, as read from the port.
def chunks(parts):
    return b''.join(bytes([len(p)]) + p for p in parts)

onion_id = b'aaaqeayeaudaocajbifqydiob4ibceqtcqkrmfyydenbwha5dyp3kead'
put('torctl', 'protocolinfo', chunks([b'250-PROTOCOLINFO 1\r\n',
    b'250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE="/run/tor/c\\"x"\r\n',
    b'250-VERSION Tor="0.4.7.16"\r\n250 OK\r\n']))
put('torctl', 'add-onion', chunks([b'250-ServiceID=' + onion_id + b'\r\n',
    b'250-PrivateKey=ED25519-V3:' + base64.b64encode(bytes(range(64))) +
    b'\r\n250 OK\r\n']))
put('torctl', 'data-and-refusal', chunks([b'250+x=\r\n..a\r\n.\r\n',
    b'250 OK\r\n512 Bad arguments\r\n', b'650 EVENT\r\n']))
