"""The Bot API's HTTP face on loopback: ``/bot<token>/<method>`` routed to a method table."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping

from aiohttp import web

from sim.telegram.errors import ApiError
from sim.telegram.params import Handler, read_params

logger = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # sendDocument's limit; aiohttp's default is 1 MB


class ApiServer:
    """Checks the token, finds the method (names are case-insensitive, as on Telegram), runs it
    and answers ``{"ok": true, "result": ...}`` or the method's error."""

    def __init__(
        self,
        token: str | None,
        methods: Mapping[str, Handler],
        download: Callable[[str], bytes | None] | None = None,
    ) -> None:
        self.token = token
        self._download = download
        self._methods = {name.lower(): handler for name, handler in methods.items()}
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self, host: str, port: int) -> str:
        """Listen on ``host:port`` (0 picks a free port); returns the base URL."""
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # access_log=None: a stand-in must not flood test output; shutdown_timeout: the stand-in
        # has already released long polls when it stops, so in-flight handlers finish at once.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        return f"http://{f'[{bound_host}]' if ':' in bound_host else bound_host}:{bound_port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
            handler = self._methods.get(request.match_info["method"].lower())
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result = await handler(await read_params(request))
        except ApiError as exc:
            return web.json_response(exc.payload(), status=exc.code)
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(ApiError(413, "Request Entity Too Large").payload(), status=413)
        except Exception:
            logger.exception("stand-in failed on %s", request.path)
            body = ApiError(500, "Internal Server Error: stand-in bug, see log").payload()
            return web.json_response(body, status=500)
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        """A file's content at the download URL getFile's ``file_path`` names."""
        try:
            self._check_token(request.match_info["token"])
        except ApiError as exc:
            return web.json_response(exc.payload(), status=exc.code)
        data = self._download(request.match_info["path"]) if self._download else None
        if data is None:
            return await self._not_found(request)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    def _check_token(self, token: str) -> None:
        if not _TOKEN_RE.match(token):
            raise ApiError(404, "Not Found")  # Telegram: malformed token -> 404
        if self.token is not None and token != self.token:
            raise ApiError(401, "Unauthorized")
