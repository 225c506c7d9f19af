#!/usr/bin/env python3
"""A latency-injecting TCP relay: listens on 127.0.0.1:--port, forwards to --upstream, and
delivers every chunk --delay-ms after it arrived, in each direction (so one round trip through
it costs 2 x delay). Chunks are queued with their due time, so the delay is added once per
flight, not once per chunk, and bandwidth is not limited.

The kernel completes the TCP handshake before the relay sees a connection, so connecting to the
relay costs no injected delay; only data round trips do.

With --stats FILE, one line per closed connection: "conn N flights F up U down D" where a flight
is a run of chunks in one direction (a request/response exchange is 2 flights). Exits by itself
after --lifetime seconds. Loopback only.
"""
import argparse
import asyncio
import itertools
import time


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="127.0.0.1:PORT")
    ap.add_argument("--delay-ms", type=float, default=25.0)
    ap.add_argument("--lifetime", type=float, default=3600)
    ap.add_argument("--stats")
    a = ap.parse_args()
    up_host, up_port = a.upstream.rsplit(":", 1)
    if up_host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("relay: upstream must be a loopback address")
    delay = a.delay_ms / 1000.0
    ids = itertools.count(1)

    async def pump(reader, writer, conn, direction):
        queue = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
            try:
                writer.write_eof()
            except (OSError, RuntimeError):
                pass

        task = asyncio.create_task(deliver())
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                if conn["last"] != direction:
                    conn["last"] = direction
                    conn["flights"] += 1
                conn[direction] += len(data)
                queue.put_nowait((time.monotonic() + delay, data))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((time.monotonic() + delay, None))
        try:
            await task
        except (ConnectionError, OSError):
            pass

    async def handle(creader, cwriter):
        conn = {"id": next(ids), "flights": 0, "last": None, "up": 0, "down": 0}
        try:
            ureader, uwriter = await asyncio.open_connection(up_host, int(up_port))
        except OSError:
            cwriter.close()
            return
        await asyncio.gather(pump(creader, uwriter, conn, "up"), pump(ureader, cwriter, conn, "down"))
        for w in (cwriter, uwriter):
            w.close()
        if a.stats:
            with open(a.stats, "a") as f:
                f.write(f"conn {conn['id']} flights {conn['flights']} up {conn['up']} down {conn['down']}\n")

    server = await asyncio.start_server(handle, "127.0.0.1", a.port)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), a.lifetime)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
