#!/usr/bin/env python3
"""The delay fault of tests/netns/faults.sh where the kernel has no netem
(and a steady one where it has): a TCP forwarder that holds every chunk
it reads for a fixed time before writing it on, both ways, in order.

  delayproxy.py LADDR LPORT CADDR CPORT DELAY_MS SECONDS

Listens on LADDR:LPORT; each connection is forwarded to CADDR:CPORT.
When either side closes or fails, both are closed, so a cut or a
restart at one end reaches the other.  Prints "ready" on stdout once
listening and "conn N" on stderr for each connection forwarded; exits
after SECONDS whatever happens.  Each direction holds at most 256
chunks of up to 64 KiB (reading waits when they are all held).
A test tool: only the given addresses are used."""
import asyncio
import sys
import time

CHUNK = 65536
HELD = 256


async def pump(reader, writer, delay):
    """Copy reader to writer, each chunk delay seconds late; returns at
    EOF or an error of either side."""
    held = asyncio.Queue(HELD)

    async def feed():
        try:
            while True:
                b = await reader.read(CHUNK)
                await held.put((time.monotonic() + delay, b))
                if not b:
                    return
        except OSError:
            await held.put((0.0, b""))

    task = asyncio.ensure_future(feed())
    try:
        while True:
            due, b = await held.get()
            if not b:
                return
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(b)
            await writer.drain()
    except OSError:
        pass
    finally:
        task.cancel()


class Proxy:
    def __init__(self, caddr, cport, delay):
        self.caddr, self.cport, self.delay = caddr, cport, delay
        self.count = 0

    async def handle(self, creader, cwriter):
        self.count += 1
        sys.stderr.write("conn %d\n" % self.count)
        sys.stderr.flush()
        try:
            sreader, swriter = await asyncio.wait_for(
                asyncio.open_connection(self.caddr, self.cport), 10)
        except (OSError, asyncio.TimeoutError):
            cwriter.close()
            return
        pumps = [asyncio.ensure_future(pump(creader, swriter, self.delay)),
                 asyncio.ensure_future(pump(sreader, cwriter, self.delay))]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for p in pumps:
            p.cancel()
        for w in (cwriter, swriter):
            w.close()


async def main():
    laddr, lport, caddr, cport = sys.argv[1], int(sys.argv[2]), \
        sys.argv[3], int(sys.argv[4])
    delay, seconds = int(sys.argv[5]) / 1000.0, float(sys.argv[6])
    proxy = Proxy(caddr, cport, delay)
    server = await asyncio.start_server(proxy.handle, laddr, lport,
                                        reuse_address=True)
    print("ready", flush=True)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), seconds)
        except asyncio.TimeoutError:
            pass


asyncio.run(main())
