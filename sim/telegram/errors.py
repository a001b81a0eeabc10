"""Error answers of the Bot API: raised inside method handlers, rendered by the server."""

from __future__ import annotations

from sim.telegram.constants import JsonDict


class ApiError(Exception):
    """An error answer of the Bot API; raised inside method handlers, rendered by the dispatcher."""

    def __init__(self, code: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JsonDict:
        """The JSON body Telegram sends for this error."""
        body: JsonDict = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")
