#!/usr/bin/env python3
"""A small SOCKS5 server for the tests, on loopback only.  It records
what each client asked for, one line per request in the log file:

  method=2 user=U atyp=3 host=hostb.invalid port=55555

and forwards CONNECTs to loopback only: a name is never resolved, it
must be given with --map NAME=PORT (forwarded to 127.0.0.1:PORT); an
IPv4 literal in 127.0.0.0/8 is forwarded as is; anything else is
answered with "host unreachable".

  socksserver.py PORTFILE LOG [--map NAME=PORT]... [--user U --password P]
                 [--reply CODE] [--stall] [--listen-only] [--lifetime S]

--reply CODE  answer every CONNECT with this reply code (e.g. 0xf0)
--stall       accept and never answer (for the handshake timeout)
--listen-only a plain TCP listener that logs "accepted" per connection
--also-ipv6   listen on ::1 too, same port (for a proxy named localhost)

The port it listens on (chosen by the kernel) is written to PORTFILE.
Every read has a timeout and the server exits after --lifetime seconds."""
import argparse, errno, ipaddress, os, select, socket, struct, sys, threading, time

IO_TIMEOUT = 10

def log_line(path, line):
    with open(path, "a") as f:
        f.write(line + "\n")

def read_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("short read")
        b += c
    return b

def relay(a, b, deadline):
    a.setblocking(False)
    b.setblocking(False)
    while time.time() < deadline:
        r, _, _ = select.select([a, b], [], [], 1.0)
        for s in r:
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            if not data:
                return
            other = b if s is a else a
            other.setblocking(True)
            other.settimeout(IO_TIMEOUT)
            other.sendall(data)
            other.setblocking(False)

def handle(c, args, deadline):
    c.settimeout(IO_TIMEOUT)
    if args.stall:
        while time.time() < deadline and c.recv(4096):
            pass
        return
    ver, n = read_exact(c, 2)
    methods = read_exact(c, n)
    if ver != 5:
        return
    user = "-"
    if args.user is not None and 2 in methods:
        c.sendall(b"\x05\x02")
        if read_exact(c, 1) != b"\x01":
            return
        user = read_exact(c, read_exact(c, 1)[0]).decode()
        password = read_exact(c, read_exact(c, 1)[0]).decode()
        good = user == args.user and password == args.password
        c.sendall(b"\x01" + (b"\x00" if good else b"\x01"))
        if not good:
            log_line(args.log, "auth-refused user=%s" % user)
            return
        method = 2
    elif args.user is None and 2 in methods:
        # As Tor does: prefer credentials when offered, accept any (they
        # only choose a circuit), and record the user.
        c.sendall(b"\x05\x02")
        if read_exact(c, 1) != b"\x01":
            return
        user = read_exact(c, read_exact(c, 1)[0]).decode()
        read_exact(c, read_exact(c, 1)[0])
        c.sendall(b"\x01\x00")
        method = 2
    elif args.user is None and 0 in methods:
        c.sendall(b"\x05\x00")
        method = 0
    else:
        c.sendall(b"\x05\xff")
        return
    ver, cmd, rsv, atyp = read_exact(c, 4)
    if atyp == 1:
        host = str(ipaddress.IPv4Address(read_exact(c, 4)))
    elif atyp == 3:
        host = read_exact(c, read_exact(c, 1)[0]).decode()
    elif atyp == 4:
        host = str(ipaddress.IPv6Address(read_exact(c, 16)))
    else:
        return
    port = struct.unpack(">H", read_exact(c, 2))[0]
    log_line(args.log, "method=%d user=%s atyp=%d host=%s port=%d" %
             (method, user, atyp, host, port))
    target = None
    if args.reply is None and cmd == 1:
        if host in args.maps:
            target = ("127.0.0.1", args.maps[host])
        elif atyp == 1 and ipaddress.IPv4Address(host).is_loopback:
            target = (host, port)
    code = args.reply if args.reply is not None else (0 if target else 4)
    if code != 0:
        c.sendall(bytes([5, code, 0, 1, 0, 0, 0, 0, 0, 0]))
        return
    u = socket.create_connection(target, timeout=IO_TIMEOUT)
    c.sendall(bytes([5, 0, 0, 1, 127, 0, 0, 1]) +
              struct.pack(">H", u.getsockname()[1]))
    relay(c, u, deadline)
    u.close()

def serve(c, args, deadline):
    try:
        handle(c, args, deadline)
    except (OSError, EOFError):
        pass
    finally:
        c.close()

def bind_listeners(also_ipv6):
    """127.0.0.1 on a port the kernel picks, and with also_ipv6 ::1 on
    the same port when this host has ::1 (a few tries if it is taken)."""
    for _ in range(10):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.bind(("127.0.0.1", 0))
        ls.listen(16)
        if not also_ipv6:
            return [ls]
        try:
            l6 = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        except OSError:
            return [ls]
        try:
            l6.bind(("::1", ls.getsockname()[1]))
            l6.listen(16)
            return [ls, l6]
        except OSError as e:
            l6.close()
            if e.errno == errno.EADDRNOTAVAIL:
                return [ls]
            ls.close()
    sys.exit("socksserver: no port free on both 127.0.0.1 and ::1")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("portfile")
    ap.add_argument("log")
    ap.add_argument("--map", action="append", default=[])
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--reply", type=lambda v: int(v, 0))
    ap.add_argument("--stall", action="store_true")
    ap.add_argument("--listen-only", action="store_true")
    ap.add_argument("--also-ipv6", action="store_true")
    ap.add_argument("--lifetime", type=float, default=300)
    args = ap.parse_args()
    args.maps = {}
    for m in args.map:
        name, port = m.rsplit("=", 1)
        args.maps[name] = int(port)
    deadline = time.time() + args.lifetime
    listeners = bind_listeners(args.also_ipv6)
    open(args.log, "a").close()
    with open(args.portfile + ".tmp", "w") as f:
        f.write("%d\n" % listeners[0].getsockname()[1])
    os.rename(args.portfile + ".tmp", args.portfile)
    while time.time() < deadline:
        r, _, _ = select.select(listeners, [], [], 1.0)
        if not r:
            continue
        c, _ = r[0].accept()
        if args.listen_only:
            log_line(args.log, "accepted")
            c.close()
            continue
        threading.Thread(target=serve, args=(c, args, deadline),
                         daemon=True).start()

if __name__ == "__main__":
    main()
