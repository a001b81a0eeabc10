"""What the simulated EA does with a command from the server: close, open, lock or unlock, and
the ack that says how it went. How it fills (slippage, a partial fill) and whether the trader later
closes a bot position by hand is the simulator's `Execution` option (sim/ea/execution.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sim.ea.client import JSONObject
from sim.ea.execution import RETCODE_DONE_PARTIAL, Execution, close_by_hand, open_slipped
from sim.ea.wire import closure_wire
from sim.scenarios import TG_MAGIC, Closure, SimAccount

MT5_COMMENT_LENGTH = 31


@dataclass(frozen=True)
class Outcome:
    """What acting on a command did: the ack to send, and a line for the operator."""

    status: str
    summary: str
    results: tuple[JSONObject, ...] = ()
    message: str = ""
    traded: bool = False


class CommandExecutor:
    """The terminal's trading hand: obeys commands on its account and, while the account is
    locked, closes any position that was not open when the lock came."""

    def __init__(
        self,
        account: SimAccount,
        now: Callable[[], datetime],
        say: Callable[[str], None],
        execution: Execution | None = None,
    ) -> None:
        self.account = account
        self.execution = execution or Execution()
        self._now = now
        self._say = say
        self._tickets_at_lock: frozenset[int] | None = None
        self._hand_close_in: dict[int, int] = {}  # ticket: market steps left before the trader closes it

    @property
    def locked(self) -> bool:
        return self._tickets_at_lock is not None

    def execute(self, command: JSONObject) -> Outcome:
        handlers: dict[str, Callable[[JSONObject], Outcome]] = {
            "close_all": self._close_all,
            "close_position": self._close_position,
            "open_position": self._open_position,
            "lock": self._lock,
            "unlock": self._unlock,
        }
        handler = handlers.get(str(command.get("type")))
        if handler is None:
            return Outcome(
                "failed", "not understood", message=f"unknown command type {command.get('type')!r}"
            )
        try:
            return handler(command)
        except (KeyError, TypeError, ValueError, ArithmeticError) as error:
            return Outcome("failed", "not executed", message=f"invalid command: {error}")

    def _close_all(self, command: JSONObject) -> Outcome:
        closures = self.account.close_all(self._now(), reason="expert")
        results = tuple(closure_wire(closure) for closure in closures)
        return Outcome("done", f"closed {len(closures)} position(s)", results, traded=bool(closures))

    def _close_position(self, command: JSONObject) -> Outcome:
        ticket = int(command["ticket"])
        volume = _optional_decimal(command.get("volume"))
        closure = self.account.close(ticket, self._now(), reason="expert", volume=volume)
        summary = f"closed {closure.closed_volume} of #{ticket} at {closure.price}"
        return Outcome("done", summary, (closure_wire(closure),), traded=True)

    def _open_position(self, command: JSONObject) -> Outcome:
        if self.locked:
            return Outcome("failed", "refused", message="account is locked")
        signal_id = str(command.get("signal_id") or "")
        comment = (f"tg:{signal_id}" if signal_id else "tg")[:MT5_COMMENT_LENGTH]
        asked = _decimal(command["volume"])
        position = open_slipped(
            self.account,
            str(command["symbol"]),
            str(command["side"]),
            self.execution.filled(asked),
            self._now(),
            self.execution.slippage_points,
            magic=TG_MAGIC,
            comment=comment,
            sl=_optional_decimal(command.get("sl")),
            tp=_optional_decimal(command.get("tp")),
        )
        if self.execution.close_by_hand_after is not None:
            self._hand_close_in[position.ticket] = self.execution.close_by_hand_after
        result = {"ticket": position.ticket, "volume": position.volume, "price": position.open_price}
        summary = f"opened #{position.ticket} {position.symbol} {position.side} {position.volume}"
        summary += f" at {position.open_price}"
        message = ""
        if position.volume < asked:
            message = f"partial fill: {position.volume} of {asked} lots (retcode {RETCODE_DONE_PARTIAL})"
        return Outcome("done", summary, (result,), message=message, traded=True)

    def market_step(self) -> list[Closure]:
        """A market step went by: the positions the trader was to close by hand now are closed."""
        closed = []
        for ticket in list(self._hand_close_in):
            self._hand_close_in[ticket] -= 1
            if self._hand_close_in[ticket] > 0:
                continue
            del self._hand_close_in[ticket]
            if ticket in self.account.positions:
                closed.append(close_by_hand(self.account, ticket, self._now(), self.execution))
        return closed

    def _lock(self, command: JSONObject) -> Outcome:
        if self._tickets_at_lock is None:
            self._tickets_at_lock = frozenset(self.account.positions)
        return Outcome("done", "locked")

    def _unlock(self, command: JSONObject) -> Outcome:
        self._tickets_at_lock = None
        return Outcome("done", "unlocked")

    def enforce_lock(self) -> None:
        """While locked, a position that appears (opened by hand) is closed at once."""
        if self._tickets_at_lock is None:
            return
        for ticket in [t for t in self.account.positions if t not in self._tickets_at_lock]:
            closure = self.account.close(ticket, self._now(), reason="expert")
            self._say(f"locked: closed #{ticket} at {closure.price}, profit {closure.profit}")


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"not a decimal: {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _optional_decimal(value: Any) -> Decimal | None:
    return None if value is None else _decimal(value)
