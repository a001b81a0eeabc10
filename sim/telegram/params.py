"""A Bot API request's parameters, typed, whatever the encoding the client posted."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.web import FileField

from sim.telegram.errors import bad_request


class Params:
    """Typed access to a request's parameters whatever the encoding.

    PTB posts ``application/x-www-form-urlencoded`` (``multipart/form-data`` when a file is
    attached) in which every non-string value arrives JSON-encoded as a string; other clients
    post JSON or use a query string.  The accessors accept all of them.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def _get(self, name: str) -> Any:
        value = self._values.get(name)
        return None if value == "" else value

    def string(self, name: str) -> str | None:
        value = self._get(name)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, FileField):
            return None  # an upload, read with upload()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise bad_request(f'field "{name}" must be of type String')

    def integer(self, name: str) -> int | None:
        value = self._get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f'field "{name}" must be of type Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value)
        raise bad_request(f'field "{name}" must be of type Integer')

    def number(self, name: str) -> float | None:
        value = self._get(name)
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{name}" must be of type Number') from None
        if not math.isfinite(number):
            raise bad_request(f'field "{name}" must be of type Number')
        return number

    def flag(self, name: str) -> bool:
        value = self._get(name)
        return value is True or (isinstance(value, str) and value.lower() in ("true", "1"))

    def json(self, name: str, what: str) -> Any:
        """A JSON-typed parameter (reply_markup, entities, scope, ...), decoded if it is a string."""
        value = self._get(name)
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what} JSON object") from None

    def upload(self, name: str) -> FileField | None:
        """A file uploaded in a multipart/form-data part named ``name`` (sendPhoto, sendDocument)."""
        value = self._values.get(name)
        return value if isinstance(value, FileField) else None

    def chat_id(self) -> int:
        value = self._get("chat_id")
        if value is None:
            raise bad_request("chat_id is empty")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise bad_request("chat not found")
        try:
            return int(value)
        except ValueError:
            raise bad_request("chat not found") from None  # "@username" of an unknown chat

    def message_id(self) -> int:
        message_id = self.integer("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        return message_id


async def read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    if request.method != "POST" or not request.body_exists:
        return Params(values)
    try:
        if request.content_type == "application/json":
            body = json.loads(await request.text())
            if not isinstance(body, dict):
                raise ValueError("not an object")
            values.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            values.update((key, value) for key, value in form.items() if isinstance(value, str | FileField))
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        raise bad_request("can't parse request body") from None
    return Params(values)


# A Bot API method: its parameters in, its ``result`` out (or an ApiError raised).
Handler = Callable[[Params], Awaitable[Any]]
