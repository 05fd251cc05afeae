#!/usr/bin/env python3
"""A raw session client for the tests: it speaks the session protocol
without libnetcrypt's own checks, to play a hostile or broken program.

  rawsession.py SOCKET offer NAME TO NAME...   offer files with these names
  rawsession.py SOCKET sink NAME SECONDS        attach and never read
  rawsession.py SOCKET send NAME TO BYTES       one SEND of BYTES payload bytes,
                                                prints the receipt status
  rawsession.py SOCKET raw HEX                  send these bytes, print how
                                                the daemon answered (eof)
  rawsession.py SOCKET lie NAME                 SEND with a `to` length past
                                                the end of the record
  rawsession.py SOCKET attaches NAME COUNT      COUNT ATTACHes for a name in
                                                use, then one that works,
                                                then one more (refused)
  rawsession.py SOCKET spoof NAME TO TEXT       a SEND whose payload looks
                                                like a DELIVER from someone
  rawsession.py SOCKET stream NAME TO SECONDS PREFIX
                                                numbered messages PREFIX-1,
                                                PREFIX-2, ... every 50 ms for
                                                SECONDS (64 at most without a
                                                receipt), then wait for the
                                                receipts; prints "delivered
                                                N" or "failed N STATUS" or
                                                "unanswered N" for each
  rawsession.py SOCKET burst NAME TO COUNT BYTES [WINDOW]
                                                COUNT numbered messages of
                                                BYTES, at most WINDOW (32)
                                                without a receipt, each window
                                                in one write; prints "ok N
                                                busy M other K"
  rawsession.py SOCKET pauser NAME COUNT MS     read COUNT DELIVERs, stopping
                                                MS milliseconds after every
                                                16, until 3 s pass without
                                                one; prints "got N", then "in
                                                order" if the numbers of
                                                burst's messages increased
  rawsession.py SOCKET anonsink SECONDS         attach anonymously, print the
                                                name given, read for SECONDS;
                                                prints "got N" DELIVERs
  rawsession.py SOCKET tryattach NAME COUNT     COUNT ATTACHes for NAME on one
                                                connection; prints "status S
                                                N" for each status seen
  rawsession.py SOCKET partial NAME TO FILE SECONDS
                                                offer FILE (1 MiB), send its
                                                first 64000 bytes, then wait
                                                SECONDS without ending it
Everything is bounded in time; only the given UNIX socket is used."""
import hashlib, os, socket, struct, sys, time

def rec(t, body):
    return struct.pack(">IB", 1 + len(body), t) + body

def read_rec(s):
    s.settimeout(10)
    h = b""
    while len(h) < 5:
        c = s.recv(5 - len(h))
        if not c:
            raise EOFError
        h += c
    n, t = struct.unpack(">IB", h)
    b = b""
    while len(b) < n - 1:
        c = s.recv(n - 1 - len(b))
        if not c:
            raise EOFError
        b += c
    return t, b

def attach(path, name):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(rec(1, bytes([len(name)]) + name.encode()))
    t, b = read_rec(s)
    if t != 2 or b[0] != 0:
        sys.exit("attach %s failed: %r" % (name, b))
    return s

def send(s, cid, to, payload, flags=1):
    s.sendall(rec(3, struct.pack(">QBB", cid, flags, len(to)) + to.encode() + payload))

delivered = []   # DELIVER records seen while waiting for receipts

def receipt(s, cid):
    deadline = time.time() + 20
    while time.time() < deadline:
        t, b = read_rec(s)
        if t == 4 and struct.unpack(">Q", b[:8])[0] == cid:
            return b[8]
        if t == 5:
            delivered.append(b)
    sys.exit("no receipt")

def next_deliver(s):
    if delivered:
        return delivered.pop(0)
    while True:
        t, b = read_rec(s)
        if t == 5:
            return b

def offer(path, name, to, names):
    s = attach(path, name)
    data = b"evil"
    digest = hashlib.sha256(data).digest()
    for i, n in enumerate(names):
        nb = n.encode("utf-8", "surrogateescape")
        xfer = 1000 + i
        send(s, 3 * i + 1, to, bytes([1]) + struct.pack(">QQ", xfer, len(data)) + digest +
             struct.pack(">H", len(nb)) + nb)
        send(s, 3 * i + 2, to, bytes([2]) + struct.pack(">QQ", xfer, 0) + data)
        send(s, 3 * i + 3, to, bytes([3]) + struct.pack(">Q", xfer))
        for c in (3 * i + 1, 3 * i + 2, 3 * i + 3):
            st = receipt(s, c)
            if st != 0:
                print("receipt %d: status %d" % (c, st))
    # Let the receiver answer (FILE_RESULT comes back as a message).
    results = 0
    deadline = time.time() + 10
    while results < len(names) and time.time() < deadline:
        try:
            b = next_deliver(s)
        except (socket.timeout, EOFError):
            break
        fl = b[0]
        payload = b[1 + fl:]
        if payload[:1] == bytes([4]):
            results += 1
            print("result xfer %d status %d" % struct.unpack(">QB", payload[1:10]))
    print("results %d" % results)

def main():
    path, cmd = sys.argv[1], sys.argv[2]
    if cmd == "offer":
        offer(path, sys.argv[3], sys.argv[4], sys.argv[5:])
    elif cmd == "sink":
        s = attach(path, sys.argv[3])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        time.sleep(float(sys.argv[4]))
        # Were we cut off?  A read that hits EOF says so.
        s.settimeout(0.5)
        try:
            while s.recv(65536):
                pass
            print("cut off")
        except ConnectionResetError:
            print("cut off")
        except socket.timeout:
            print("still attached")
    elif cmd == "send":
        s = attach(path, sys.argv[3])
        send(s, 1, sys.argv[4], bytes([0]) + b"x" * (int(sys.argv[5]) - 1))
        print(receipt(s, 1))
    elif cmd == "raw":
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        s.sendall(bytes.fromhex(sys.argv[3]))
        print(until_eof(s))
    elif cmd == "lie":
        s = attach(path, sys.argv[3])
        # tolen 200, but only 3 bytes of `to` follow
        s.sendall(rec(3, struct.pack(">QBB", 1, 1, 200) + b"bob"))
        print(until_eof(s))
    elif cmd == "attaches":
        attaches(path, sys.argv[3], int(sys.argv[4]))
    elif cmd == "stream":
        stream(path, sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6])
    elif cmd == "burst":
        burst(path, sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]),
              int(sys.argv[7]) if len(sys.argv) > 7 else 32)
    elif cmd == "pauser":
        pauser(path, sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif cmd == "anonsink":
        anonsink(path, float(sys.argv[3]))
    elif cmd == "tryattach":
        tryattach(path, sys.argv[3], int(sys.argv[4]))
    elif cmd == "partial":
        partial(path, sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6]))
    elif cmd == "spoof":
        s = attach(path, sys.argv[3])
        fake = sys.argv[5].encode()
        send(s, 1, sys.argv[4], bytes([0]) + fake)
        print(receipt(s, 1))
    else:
        sys.exit("unknown command")

def until_eof(s):
    """Read until the daemon closes; bounded."""
    s.settimeout(5)
    try:
        while s.recv(65536):
            pass
        return "eof"
    except socket.timeout:
        return "still open"
    except ConnectionResetError:
        return "eof"

def stream(path, name, to, seconds, prefix):
    import select
    s = attach(path, name)
    outstanding = set()
    n = 0
    end = time.time() + seconds
    drain_end = end + 90
    buf = b""
    next_send = 0

    def report(line):
        print(line)
        sys.stdout.flush()
    try:
        while time.time() < drain_end and (time.time() < end or outstanding):
            if (time.time() < end and len(outstanding) < 64 and
                    time.time() >= next_send):
                next_send = time.time() + 0.05
                n += 1
                send(s, n, to, bytes([0]) + ("%s-%d" % (prefix, n)).encode())
                outstanding.add(n)
            r, _, _ = select.select([s], [], [], 0.05)
            if not r:
                continue
            c = s.recv(65536)
            if not c:
                break
            buf += c
            while len(buf) >= 5:
                ln = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + ln:
                    break
                t, b = buf[4], buf[5:4 + ln]
                buf = buf[4 + ln:]
                if t == 4:
                    cid, st = struct.unpack(">QB", b[:9])
                    outstanding.discard(cid)
                    report("delivered %d" % cid if st == 0 else
                           "failed %d %d" % (cid, st))
    except (OSError, EOFError):
        pass
    for cid in sorted(outstanding):
        report("unanswered %d" % cid)
    report("sent %d" % n)

def numbered(n, size):
    """A text payload that starts with its number, for order checks."""
    head = bytes([0]) + b"%08d" % n
    return head + b"b" * max(0, size - len(head))

def burst(path, name, to, count, size, window=32):
    s = attach(path, name)
    sent = answered = 0
    status = {}
    deadline = time.time() + 60
    s.settimeout(10)
    while answered < count and time.time() < deadline:
        # One write for all that the window allows: the daemon gets
        # them together, as a program using nc_send_more() sends them.
        batch = []
        while sent < count and sent - answered < window:
            sent += 1
            p = numbered(sent, size)
            batch.append(rec(3, struct.pack(">QBB", sent, 1, len(to)) +
                             to.encode() + p))
        if batch:
            s.sendall(b"".join(batch))
        t, b = read_rec(s)
        if t == 4:
            st = b[8]
            status[st] = status.get(st, 0) + 1
            answered += 1
    ok = status.pop(0, 0)
    busy = status.pop(9, 0)
    print("ok %d busy %d other %d" % (ok, busy, sum(status.values())))

def pauser(path, name, count, ms):
    s = attach(path, name)
    got = 0
    last = 0
    inorder = True
    deadline = time.time() + 60
    s.settimeout(3)     # 3 s without a DELIVER: all have come
    try:
        while got < count and time.time() < deadline:
            t, b = read_rec(s)
            if t == 5:
                got += 1
                # DELIVER: u8 n, from[n], payload (numbered by burst)
                p = b[1 + b[0]:]
                num = int(p[1:9]) if p[1:9].isdigit() else -1
                if num <= last:
                    inorder = False
                last = num
                if got % 16 == 0:
                    time.sleep(ms / 1000.0)
    except (OSError, EOFError):
        pass
    print("got %d" % got)
    print("in order" if inorder else "out of order")

def attaches(path, taken, count):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    one = rec(1, bytes([len(taken)]) + taken.encode())
    refused = 0
    sent = 0
    # In batches, reading the answers as we go (the daemon's output to a
    # session that does not read is bounded by cutting it off).
    while sent < count:
        n = min(500, count - sent)
        s.sendall(one * n)
        sent += n
        for _ in range(n):
            t, b = read_rec(s)
            if t == 2 and b[0] == 6:
                refused += 1
    print("refused %d" % refused)
    name = b"fresh%d" % os.getpid()
    s.sendall(rec(1, bytes([len(name)]) + name))
    t, b = read_rec(s)
    print("attached" if t == 2 and b[0] == 0 else "not attached")
    s.sendall(rec(1, bytes([len(name)]) + name))
    print(until_eof(s))


def anonsink(path, seconds):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall(rec(1, bytes([0])))
    t, b = read_rec(s)
    dl = b[1]
    name = b[3 + dl:3 + dl + b[2 + dl]].decode()
    print(name)
    sys.stdout.flush()
    got = 0
    end = time.time() + seconds
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            t, b = read_rec(s)
        except (socket.timeout, OSError, EOFError):
            break
        if t == 5:
            got += 1
    print("got %d" % got)

def tryattach(path, name, count):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    seen = {}
    for _ in range(count):
        s.sendall(rec(1, bytes([len(name)]) + name.encode()))
        t, b = read_rec(s)
        seen[b[0]] = seen.get(b[0], 0) + 1
        if b[0] == 0:
            break
    for st in sorted(seen):
        print("status %d %d" % (st, seen[st]))

def partial(path, name, to, fname, seconds):
    s = attach(path, name)
    data = b"p" * (1024 * 1024)
    digest = hashlib.sha256(data).digest()
    nb = fname.encode()
    send(s, 1, to, bytes([1]) + struct.pack(">QQ", 77, len(data)) + digest +
         struct.pack(">H", len(nb)) + nb)
    send(s, 2, to, bytes([2]) + struct.pack(">QQ", 77, 0) + data[:64000])
    print("offer %d data %d" % (receipt(s, 1), receipt(s, 2)))
    sys.stdout.flush()
    time.sleep(seconds)

main()
