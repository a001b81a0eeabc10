"""The reference for bench/ingest.py: a bare aiohttp handler, run as its own process like the service.

    .venv/bin/python -m bench.bare PORT

It reads the request body and answers 200 with a small JSON body shaped like a snapshot answer, on the
same asyncio loop and aiohttp server classes as the service (no access log): what aiohttp itself costs
per request on this machine, with no signature check, no Redis and no Postgres.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

ANSWER = b'{"accepted":true,"seq":0,"server_time":"2026-01-01T00:00:00.000Z","commands":[]}'


async def answer(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=ANSWER, content_type="application/json")


async def serve(port: int) -> None:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    try:
        asyncio.run(serve(int(sys.argv[1])))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
