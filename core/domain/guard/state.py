"""What the account guard sees (`Observation`) and remembers (`GuardState`, persisted as JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from core.domain.codec import decode_optional_time, decode_time, encode_optional_time, encode_time
from core.domain.drawdown import exact_percent_below, percent_below
from core.domain.guard.events import BreachReason, CloseAckStatus

STATE_VERSION = 1


class GuardStatus(StrEnum):
    NORMAL = "normal"
    WARNING = "warning"
    LIQUIDATION_PENDING = "liquidation_pending"
    LIQUIDATING = "liquidating"
    LIQUIDATED = "liquidated"


BREACH_IN_PROGRESS = frozenset({GuardStatus.LIQUIDATION_PENDING, GuardStatus.LIQUIDATING})
WATCHING = frozenset({GuardStatus.NORMAL, GuardStatus.WARNING})


def require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {moment!r}")


@dataclass(frozen=True)
class BalanceDeal:
    """A new deal as the guard needs it: when it was done (UTC), how it moved the balance (a trade's
    profit + commission + swap, a deposit's or withdrawal's amount; 0 for a credit, which moves equity
    only) and the cash it brought in or took out (`cash_flow`: a balance or credit deal's amount, 0 for
    a trade)."""

    time: datetime
    balance_change: Decimal
    cash_flow: Decimal = Decimal(0)


@dataclass(frozen=True)
class Observation:
    """One accepted snapshot, as the guard needs it.

    `time` should be the server's receipt time (the clock `tick` runs on), not the
    terminal's. `cash_flows` are the snapshot's new balance/credit deals: positive deposits,
    negative withdrawals; `equity` and `balance` already include them. `deals` are all the
    snapshot's new deals (each ticket once) as they moved the balance: with them the balance at a
    trading day's boundary is rebuilt when the first snapshot of a day comes late.
    """

    time: datetime
    equity: Decimal
    balance: Decimal
    open_tickets: tuple[int, ...]
    cash_flows: tuple[Decimal, ...] = ()
    deals: tuple[BalanceDeal, ...] = ()
    # the held symbols on which a market guard fired in this snapshot (cuts a grace short)
    market_alarm: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        require_aware(self.time, "Observation.time")
        for deal in self.deals:
            require_aware(deal.time, "Observation.deals[].time")
            for amount in (deal.balance_change, deal.cash_flow):
                if not isinstance(amount, Decimal) or not amount.is_finite():
                    raise ValueError(f"Observation.deals[] amounts must be finite Decimals, got {amount!r}")
        for name, amount in (("equity", self.equity), ("balance", self.balance), *_named(self.cash_flows)):
            if not isinstance(amount, Decimal) or not amount.is_finite():
                raise ValueError(f"Observation.{name} must be a finite Decimal, got {amount!r}")

    @property
    def net_cash_flow(self) -> Decimal:
        return sum(self.cash_flows, Decimal(0))


@dataclass(frozen=True)
class GuardState:
    """One account's guard. `breach_no` counts breaches since linking and is never reset."""

    status: GuardStatus
    peak_equity: Decimal
    last_equity: Decimal
    last_balance: Decimal
    last_open_tickets: tuple[int, ...]
    last_snapshot_at: datetime
    day_key: str
    day_open_balance: Decimal
    stale: bool = False
    warned_levels: tuple[Decimal, ...] = ()
    breach_no: int = 0
    breach_reason: BreachReason | None = None
    breach_note: str = ""
    breach_at: datetime | None = None
    grace_until: datetime | None = None
    close_issued_at: datetime | None = None
    close_ack: CloseAckStatus | None = None
    close_attempts: int = 0
    next_retry_at: datetime | None = None
    overdue_reported: bool = False
    locked: bool = False
    locked_at: datetime | None = None
    lock_exempt_tickets: tuple[int, ...] = ()
    close_requested_tickets: tuple[int, ...] = ()
    # issue 7 (fast markets, liquidation): see fast.py and liquidation.py
    breach_drawdown_percent: Decimal | None = None
    last_close_at: datetime | None = None
    drawdown_history: tuple[tuple[datetime, Decimal], ...] = ()
    fast_market_at: datetime | None = None
    fast_market_episode: int = 0
    close_position_round: int = 0
    close_position_at: datetime | None = None
    min_equity_armed: bool = True

    # The equity rules are armed once the account is funded (equity above 0 and at MIN_EQUITY or more),
    # and disarmed by a withdrawal that takes it below: an empty account is not a breach.
    funded: bool = True
    # Warned levels the drawdown has stayed a full point below, and since when (re-armed after a while).
    warning_rearm_since: tuple[tuple[Decimal, datetime], ...] = ()

    @property
    def drawdown_percent(self) -> Decimal:
        return percent_below(self.peak_equity, self.last_equity)

    @property
    def daily_loss_percent(self) -> Decimal:
        return percent_below(self.day_open_balance, self.last_equity)

    @property
    def rearming(self) -> tuple[tuple[Decimal, datetime], ...]:
        return self.warning_rearm_since

    @property
    def exact_drawdown(self) -> Fraction:
        return exact_percent_below(self.peak_equity, self.last_equity)

    @property
    def exact_daily_loss(self) -> Fraction:
        return exact_percent_below(self.day_open_balance, self.last_equity)

    @property
    def warning_level(self) -> Decimal | None:
        """The highest level warned in this episode (the `warning(level)` of the state machine)."""
        return max(self.warned_levels, default=None)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict: Decimals as strings, times as the codec writes them (ISO 8601 UTC with a `Z`;
        states stored before it, with `+00:00`, read the same), enums as their values."""
        return {
            "version": STATE_VERSION,
            "status": self.status.value,
            "peak_equity": str(self.peak_equity),
            "last_equity": str(self.last_equity),
            "last_balance": str(self.last_balance),
            "last_open_tickets": list(self.last_open_tickets),
            "last_snapshot_at": encode_time(self.last_snapshot_at),
            "day_key": self.day_key,
            "day_open_balance": str(self.day_open_balance),
            "stale": self.stale,
            "warned_levels": [str(level) for level in self.warned_levels],
            "breach_no": self.breach_no,
            "breach_reason": None if self.breach_reason is None else self.breach_reason.value,
            "breach_note": self.breach_note,
            "breach_at": encode_optional_time(self.breach_at),
            "grace_until": encode_optional_time(self.grace_until),
            "close_issued_at": encode_optional_time(self.close_issued_at),
            "close_ack": None if self.close_ack is None else self.close_ack.value,
            "close_attempts": self.close_attempts,
            "next_retry_at": encode_optional_time(self.next_retry_at),
            "overdue_reported": self.overdue_reported,
            "locked": self.locked,
            "locked_at": encode_optional_time(self.locked_at),
            "lock_exempt_tickets": list(self.lock_exempt_tickets),
            "close_requested_tickets": list(self.close_requested_tickets),
            **_issue7_to_dict(self),
            "funded": self.funded,
            "warning_rearm_since": [[str(level), encode_time(moment)] for level, moment in self.rearming],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GuardState:
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"unknown guard state version {data.get('version')!r}")
        reason, ack = data["breach_reason"], data["close_ack"]
        return cls(
            status=GuardStatus(data["status"]),
            peak_equity=Decimal(data["peak_equity"]),
            last_equity=Decimal(data["last_equity"]),
            last_balance=Decimal(data["last_balance"]),
            last_open_tickets=_tickets(data["last_open_tickets"]),
            last_snapshot_at=decode_time(data["last_snapshot_at"]),
            day_key=str(data["day_key"]),
            day_open_balance=Decimal(data["day_open_balance"]),
            stale=bool(data["stale"]),
            warned_levels=tuple(Decimal(level) for level in data["warned_levels"]),
            breach_no=int(data["breach_no"]),
            breach_reason=None if reason is None else BreachReason(reason),
            breach_note=str(data["breach_note"]),
            breach_at=decode_optional_time(data["breach_at"]),
            grace_until=decode_optional_time(data["grace_until"]),
            close_issued_at=decode_optional_time(data["close_issued_at"]),
            close_ack=None if ack is None else CloseAckStatus(ack),
            close_attempts=int(data["close_attempts"]),
            next_retry_at=decode_optional_time(data["next_retry_at"]),
            overdue_reported=bool(data["overdue_reported"]),
            locked=bool(data["locked"]),
            locked_at=decode_optional_time(data["locked_at"]),
            lock_exempt_tickets=_tickets(data["lock_exempt_tickets"]),
            close_requested_tickets=_tickets(data["close_requested_tickets"]),
            **_issue7_from_dict(data),
            funded=bool(data.get("funded", True)),  # states stored before issue 7 were judged as funded
            warning_rearm_since=tuple(
                (Decimal(level), decode_time(since)) for level, since in data.get("warning_rearm_since", [])
            ),
        )


def _issue7_to_dict(state: GuardState) -> dict[str, Any]:
    breach, history = state.breach_drawdown_percent, state.drawdown_history
    return {
        "breach_drawdown_percent": None if breach is None else str(breach),
        "last_close_at": encode_optional_time(state.last_close_at),
        "drawdown_history": [[encode_time(moment), str(percent)] for moment, percent in history],
        "fast_market_at": encode_optional_time(state.fast_market_at),
        "fast_market_episode": state.fast_market_episode,
        "close_position_round": state.close_position_round,
        "close_position_at": encode_optional_time(state.close_position_at),
        "min_equity_armed": state.min_equity_armed,
    }


def _issue7_from_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fields added in issue 7; a state stored before them reads with their defaults."""
    breach = data.get("breach_drawdown_percent")
    return {
        "breach_drawdown_percent": None if breach is None else Decimal(breach),
        "last_close_at": decode_optional_time(data.get("last_close_at")),
        "drawdown_history": tuple(
            (decode_time(moment), Decimal(percent)) for moment, percent in data.get("drawdown_history", ())
        ),
        "fast_market_at": decode_optional_time(data.get("fast_market_at")),
        "fast_market_episode": int(data.get("fast_market_episode", 0)),
        "close_position_round": int(data.get("close_position_round", 0)),
        "close_position_at": decode_optional_time(data.get("close_position_at")),
        "min_equity_armed": bool(data.get("min_equity_armed", True)),
    }


def _named(cash_flows: tuple[Decimal, ...]) -> list[tuple[str, Decimal]]:
    return [(f"cash_flows[{index}]", flow) for index, flow in enumerate(cash_flows)]


def _tickets(values: list[int]) -> tuple[int, ...]:
    return tuple(int(ticket) for ticket in values)
