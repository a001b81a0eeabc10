"""Commands for a terminal (BRIDGE.md, Commands): what they look like on the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.domain.codec import encode_time

# A command expires one hour after it was created (BRIDGE.md, Settled details).
COMMAND_TTL_SECONDS = 3600


class CommandType(StrEnum):
    CLOSE_ALL = "close_all"
    CLOSE_POSITION = "close_position"
    OPEN_POSITION = "open_position"
    LOCK = "lock"
    UNLOCK = "unlock"


class CommandStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"  # withdrawn before it was settled: no answer carries it, an ack changes nothing


@dataclass(frozen=True)
class CommandRequest:
    """A command to issue once: `dedupe_key` makes issuing it again a no-op."""

    dedupe_key: str
    type: CommandType
    reason: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IssuedCommand:
    id: str
    account_id: int
    type: CommandType
    status: CommandStatus
    body: dict[str, Any]
    ack: dict[str, Any] | None
    dedupe_key: str = ""

    @property
    def breach_no(self) -> int | None:
        """close_all commands are keyed `close_all:<account>:<breach>:<attempt>`."""
        parts = self.dedupe_key.split(":")
        return int(parts[2]) if parts[0] == "close_all" and len(parts) == 4 else None


def wire_body(
    command_id: str, request: CommandRequest, created_at: datetime, expires_at: datetime
) -> dict[str, Any]:
    return {
        "id": command_id,
        "type": request.type.value,
        "reason": request.reason,
        **request.fields,
        "created_at": encode_time(created_at, "seconds"),  # BRIDGE.md: whole seconds
        "expires_at": encode_time(expires_at, "seconds"),
    }
