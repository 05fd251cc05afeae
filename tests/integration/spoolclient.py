#!/usr/bin/env python3
"""A raw session client for messages with a lifetime (SESSIONS.md 6),
speaking the records itself so that the tests see exactly what the daemon
does, without libnetcrypt's own handling.

  spoolclient.py SOCKET put NAME TO TTL COUNT PREFIX [WINDOW [BYTES]]
      COUNT messages "PREFIX-1" ... (TEXT, padded with '.' to BYTES if
      given), at most WINDOW (256) unanswered; prints "queued N refused M"
      and, for each refusal, "refused I STATUS"; the ids go to stderr as
      "id I HEX", one line each
  spoolclient.py SOCKET take NAME COUNT IDLE [notake] [ids]
      attach taking spooled messages; print each payload's text, one a
      line (after its hex id with ids), answering TAKEN (not with
      notake); stop after COUNT or IDLE seconds without one, or when the
      daemon goes; then "taken N dup D" to stderr (dup: an id given twice)
  spoolclient.py SOCKET query NAME HEXID...
      print "HEXID STATUS" for each
  spoolclient.py SOCKET putwait NAME TO TTL TEXT IDLE
      one message, then wait up to IDLE seconds for its FINAL; prints
      "HEXID STATUS" (STATUS "none" without one), or "refused STATUS"
  spoolclient.py SOCKET raw NAME HEX
      attach taking, send these bytes, print the types of what came back
      until EOF or 3 s ("eof" at EOF)
Everything is bounded in time; only the given UNIX socket is used."""
import socket, struct, sys, time

ATTACH, SEND, RECEIPT, QUEUED, SDELIVER, TAKEN = 1, 3, 4, 8, 9, 10
FINAL, QUERY, STATE = 11, 12, 13


def rec(t, body):
    return struct.pack(">IB", 1 + len(body), t) + body


class Conn:
    def __init__(self, path, name, takes=True):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.buf = b""
        body = bytes([len(name)]) + name.encode()
        if takes:
            body += b"\x01"
        self.s.sendall(rec(ATTACH, body))
        t, b = self.read(10)
        if t != 2 or b[0] != 0:
            sys.exit("attach %s failed: %r" % (name, b))

    def read(self, timeout):
        """The next record, or None after timeout seconds."""
        deadline = time.time() + timeout
        while True:
            if len(self.buf) >= 5:
                n, t = struct.unpack(">IB", self.buf[:5])
                if len(self.buf) >= 4 + n:
                    b = self.buf[5:4 + n]
                    self.buf = self.buf[4 + n:]
                    return t, b
            left = deadline - time.time()
            if left <= 0:
                return None
            self.s.settimeout(left)
            try:
                c = self.s.recv(1 << 16)
            except socket.timeout:
                return None
            if not c:
                raise EOFError
            self.buf += c


def put(path, name, to, ttl, count, prefix, window=256, size=0):
    c = Conn(path, name, takes=False)
    sent = answered = queued = 0
    refused = []
    deadline = time.time() + 120
    while answered < count and time.time() < deadline:
        out = b""
        while sent < count and sent - answered < window:
            sent += 1
            text = ("%s-%d" % (prefix, sent)).encode()
            text += b"." * max(0, size - len(text))
            out += rec(SEND, struct.pack(">QBIB", sent, 2, ttl, len(to)) +
                       to.encode() + b"\x00" + text)
        if out:
            c.s.sendall(out)
        r = c.read(30)
        if r is None:
            break
        t, b = r
        if t == QUEUED:
            cid, sid = struct.unpack(">QQ", b)
            queued += 1
            answered += 1
            sys.stderr.write("id %d %016x\n" % (cid, sid))
        elif t == RECEIPT:
            cid, st = struct.unpack(">QB", b)
            refused.append((cid, st))
            answered += 1
    print("queued %d refused %d" % (queued, len(refused)))
    for cid, st in refused:
        print("refused %d %d" % (cid, st))


def take(path, name, count, idle, answer=True, ids=False):
    c = Conn(path, name)
    seen = set()
    taken = dups = 0
    while taken < count:
        try:
            r = c.read(idle)
        except (EOFError, ConnectionResetError):
            break
        if r is None:
            break
        t, b = r
        if t != SDELIVER:
            continue
        sid = struct.unpack(">Q", b[:8])[0]
        fl = b[8]
        payload = b[9 + fl:]
        if sid in seen:
            dups += 1
        else:
            seen.add(sid)
            taken += 1
            text = payload[1:].decode(errors="replace")
            if ids:
                text = "%016x %s" % (sid, text)
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        if answer:
            try:
                c.s.sendall(rec(TAKEN, struct.pack(">Q", sid)))
            except OSError:
                break
    # Let the last TAKENs reach the daemon before the socket closes.
    time.sleep(0.2)
    sys.stderr.write("taken %d dup %d\n" % (taken, dups))


def query(path, name, ids):
    c = Conn(path, name, takes=False)
    for h in ids:
        c.s.sendall(rec(QUERY, struct.pack(">Q", int(h, 16))))
        while True:
            r = c.read(10)
            if r is None:
                sys.exit("no answer to the query")
            if r[0] == STATE:
                sid, st = struct.unpack(">QB", r[1])
                print("%016x %d" % (sid, st))
                break


def putwait(path, name, to, ttl, text, idle):
    c = Conn(path, name)
    c.s.sendall(rec(SEND, struct.pack(">QBIB", 1, 2, ttl, len(to)) +
                    to.encode() + b"\x00" + text.encode()))
    sid = None
    deadline = time.time() + idle
    while time.time() < deadline:
        r = c.read(deadline - time.time())
        if r is None:
            break
        t, b = r
        if t == RECEIPT:
            print("refused %d" % b[8])
            return
        if t == QUEUED:
            sid = struct.unpack(">QQ", b)[1]
        elif t == FINAL and sid is not None:
            fid, st = struct.unpack(">QB", b)
            if fid == sid:
                print("%016x %d" % (sid, st))
                return
    print("%016x none" % (sid or 0))


def raw(path, name, hexbytes):
    c = Conn(path, name)
    c.s.sendall(bytes.fromhex(hexbytes))
    deadline = time.time() + 3
    while time.time() < deadline:
        try:
            r = c.read(deadline - time.time())
        except (EOFError, ConnectionResetError):
            print("eof")
            return
        if r is None:
            break
        print("type %d" % r[0])


def main():
    path, cmd, a = sys.argv[1], sys.argv[2], sys.argv[3:]
    if cmd == "put":
        put(path, a[0], a[1], int(a[2]), int(a[3]), a[4],
            int(a[5]) if len(a) > 5 else 256, int(a[6]) if len(a) > 6 else 0)
    elif cmd == "take":
        take(path, a[0], int(a[1]), float(a[2]), "notake" not in a[3:],
             "ids" in a[3:])
    elif cmd == "query":
        query(path, a[0], a[1:])
    elif cmd == "putwait":
        putwait(path, a[0], a[1], int(a[2]), a[3], float(a[4]))
    elif cmd == "raw":
        raw(path, a[0], a[1])
    else:
        sys.exit("unknown command " + cmd)


main()
