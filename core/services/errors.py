"""Errors the services raise; each edge (bot, HTTP) maps them to its own answer."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"


class InvalidInput(ServiceError):
    """Bad input from a caller: nothing was changed."""

    code = "invalid_payload"


class NotFound(ServiceError):
    code = "not_found"


class Forbidden(ServiceError):
    """The caller may not do this; the refusal is already on the audit log when this is raised."""

    code = "forbidden"


class AmbiguousAccount(ServiceError):
    """A login alone names accounts on several servers: the caller must say `<login>@<server>`."""

    code = "ambiguous_account"

    def __init__(self, candidates: list[str]) -> None:
        super().__init__(f"several accounts match: {', '.join(candidates)}; name one as <login>@<server>")
        self.candidates = candidates


class AuthenticationFailed(ServiceError):
    """A bridge request that must be refused with 401; `code` is BRIDGE.md's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ReplayedNonce(ServiceError):
    code = "replayed_nonce"


class UnknownCommand(ServiceError):
    code = "unknown_command"
