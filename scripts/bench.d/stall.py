#!/usr/bin/env python3
"""A server that accepts TCP connections on 127.0.0.1:--port and never answers: it reads and
discards whatever arrives and keeps each connection open until the client gives up or
--lifetime seconds pass, when it exits by itself. Loopback only."""
import argparse
import asyncio


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--lifetime", type=float, default=1800)
    a = ap.parse_args()

    async def handle(reader, writer):
        try:
            while await reader.read(65536):
                pass
        except (ConnectionError, OSError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", a.port)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), a.lifetime)
        except asyncio.TimeoutError:
            pass


if __name__ == "__main__":
    asyncio.run(main())
