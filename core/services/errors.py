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
    code = "forbidden"


class AccountLinkedElsewhere(ServiceError):
    code = "account_linked_elsewhere"


class AuthenticationFailed(ServiceError):
    """A bridge request that must be refused with 401; `code` is BRIDGE.md's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ReplayedNonce(ServiceError):
    code = "replayed_nonce"


class UnknownCommand(ServiceError):
    code = "unknown_command"


class Unavailable(ServiceError):
    code = "unavailable"
