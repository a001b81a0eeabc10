"""The global halt: while an admin has halted trading, no new position is opened on any account.

A halt stops only what opens risk (`open_position`); closes, locks and unlocks always go through, so
the guard keeps protecting every account during a halt. Each halt has a number (1, 2 …): the traders'
alerts are keyed by it, so each trader is told once per halt and once when it ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.commands import CommandType

STOPPED_BY_HALT = frozenset({CommandType.OPEN_POSITION})
NOTE_LIMIT = 200


def halt_stops(command_type: CommandType) -> bool:
    """True for the command types a halt refuses to issue (open_position only)."""
    return command_type in STOPPED_BY_HALT


@dataclass(frozen=True)
class Halt:
    """One halt: who started it, when and why; `resumed_at` is None while it lasts."""

    number: int
    since: datetime
    by: str
    note: str = ""
    resumed_at: datetime | None = None
    resumed_by: str | None = None

    @property
    def active(self) -> bool:
        return self.resumed_at is None


class HaltError(Exception):
    """A halt action the current state does not allow; `current` is the halt in force, if any."""

    def __init__(self, current: Halt | None) -> None:
        super().__init__(f"halt {current.number if current else '-'}")
        self.current = current


class AlreadyHalted(HaltError):
    pass


class NotHalted(HaltError):
    pass


class TradingHalted(HaltError):
    """A command a halt stops was refused because trading is halted (nothing was issued)."""


def check_can_halt(current: Halt | None) -> None:
    if current is not None and current.active:
        raise AlreadyHalted(current)


def check_can_resume(current: Halt | None) -> Halt:
    if current is None or not current.active:
        raise NotHalted(current)
    return current


def halt_note(text: str) -> str:
    """The admin's note, one line, at most NOTE_LIMIT characters (it is stored and audited)."""
    return " ".join(text.split())[:NOTE_LIMIT]


def halted_alert_key(halt: Halt, chat_id: int) -> str:
    return f"halt:{halt.number}:started:{chat_id}"


def resumed_alert_key(halt: Halt, chat_id: int) -> str:
    return f"halt:{halt.number}:resumed:{chat_id}"
