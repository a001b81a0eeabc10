"""Every non-2xx answer is `{"error": {"code", "message"}}` (BRIDGE.md, Errors)."""

from __future__ import annotations

import json

from aiohttp import web

# Which error an answer carries, for the one log line per refused request.
ERROR_CODE = web.ResponseKey("error_code", str)


def error_response(status: int, code: str, message: str, retry_after: int | None = None) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    body = json.dumps({"error": {"code": code, "message": message}})
    response = web.Response(status=status, text=body, content_type="application/json", headers=headers)
    response[ERROR_CODE] = code
    return response


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after

    def response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.retry_after)


def json_response(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data, default=str), content_type="application/json")
