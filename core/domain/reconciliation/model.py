"""What reconciliation takes and gives: the divergence kinds (issue 10's table), their evidence and
deterministic ids, the settled closes we issued, and the engine's settings."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from core.domain.snapshot import DealReason, Side


class DivergenceKind(StrEnum):
    NOT_EXECUTED = "not_executed"
    MANUAL_POSITION = "manual_position"
    CLOSED_EXTERNALLY = "closed_externally"
    VOLUME_MISMATCH = "volume_mismatch"
    SLIPPAGE = "slippage"
    SL_TP_CHANGED = "sl_tp_changed"
    DUPLICATE_EXECUTION = "duplicate_execution"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class ClosedHow(StrEnum):
    """How a bot position was closed without our command, from its closing deal's `reason`."""

    HAND = "hand"  # client, mobile or web: the trader
    SL = "sl"
    TP = "tp"
    STOP_OUT = "so"
    EXPERT = "expert"  # another program on the terminal (our own closes are ours, not external)
    OTHER = "other"
    UNKNOWN = "unknown"  # the position is gone and no closing deal was seen


CLOSED_HOW_BY_REASON: Mapping[DealReason, ClosedHow] = {
    DealReason.CLIENT: ClosedHow.HAND,
    DealReason.MOBILE: ClosedHow.HAND,
    DealReason.WEB: ClosedHow.HAND,
    DealReason.SL: ClosedHow.SL,
    DealReason.TP: ClosedHow.TP,
    DealReason.SO: ClosedHow.STOP_OUT,
    DealReason.EXPERT: ClosedHow.EXPERT,
    DealReason.OTHER: ClosedHow.OTHER,
}


class VolumeCause(StrEnum):
    PARTIAL_FILL = "partial_fill"  # the fill's deals add up to less (or more) than the signal's volume
    PARTIAL_CLOSE = "partial_close"  # part of a bot position closed without our command
    NETTING = "netting"  # another trade on the symbol merged into the bot position (netting account)
    DEALS_INCOMPLETE = "deals_incomplete"  # the position holds more or less than its known deals make


@dataclass(frozen=True)
class SettledClose:
    """One result of an acknowledged close command of ours (BRIDGE.md, the ack's `results`): the position
    `ticket` and the `closed_volume` (None: the whole position)."""

    ticket: int
    volume: Decimal | None = None


@dataclass(frozen=True)
class Evidence:
    """Expected against actual; only the fields of the divergence's kind are set."""

    symbol: str = ""
    side: Side | None = None
    how: ClosedHow | None = None
    cause: VolumeCause | None = None
    expected_volume: Decimal | None = None
    actual_volume: Decimal | None = None
    expected_price: Decimal | None = None
    actual_price: Decimal | None = None
    points: Decimal | None = None  # slippage in points of the symbol, positive = against the trader
    tolerance_points: Decimal | None = None
    cost: Decimal | None = None  # account currency, positive = the trader lost; None: not derivable
    expected_sl: Decimal | None = None
    actual_sl: Decimal | None = None
    expected_tp: Decimal | None = None
    actual_tp: Decimal | None = None
    tickets: tuple[int, ...] = ()  # duplicate execution: every position the signal filled


SEVERITY: Mapping[DivergenceKind, Severity] = {
    DivergenceKind.NOT_EXECUTED: Severity.WARNING,
    DivergenceKind.MANUAL_POSITION: Severity.INFO,
    DivergenceKind.CLOSED_EXTERNALLY: Severity.WARNING,
    DivergenceKind.VOLUME_MISMATCH: Severity.WARNING,
    DivergenceKind.SLIPPAGE: Severity.WARNING,
    DivergenceKind.SL_TP_CHANGED: Severity.INFO,
    DivergenceKind.DUPLICATE_EXECUTION: Severity.CRITICAL,
}

# What identifies the cause, beside kind, account, signal and ticket: never the check's time, never a
# floating value (a position's profit, hence the cost of a slip, moves with the market).
_STABLE: Mapping[DivergenceKind, tuple[str, ...]] = {
    DivergenceKind.NOT_EXECUTED: (),
    DivergenceKind.MANUAL_POSITION: (),
    DivergenceKind.CLOSED_EXTERNALLY: (),  # a ticket closes once: seen first without its deal, then with it
    DivergenceKind.VOLUME_MISMATCH: ("cause", "expected_volume", "actual_volume"),
    DivergenceKind.SLIPPAGE: ("expected_price", "actual_price"),
    DivergenceKind.SL_TP_CHANGED: ("expected_sl", "actual_sl", "expected_tp", "actual_tp"),
    DivergenceKind.DUPLICATE_EXECUTION: ("tickets",),
}


@dataclass(frozen=True)
class Divergence:
    id: str
    kind: DivergenceKind
    account_id: int
    signal_id: str | None
    ticket: int | None
    evidence: Evidence

    @property
    def severity(self) -> Severity:
        if self.kind is DivergenceKind.CLOSED_EXTERNALLY and self.evidence.how is ClosedHow.STOP_OUT:
            return Severity.CRITICAL
        return SEVERITY[self.kind]

    @property
    def critical(self) -> bool:
        """Admins are told too (PRODUCT.md, Alerts: critical divergences)."""
        return self.severity is Severity.CRITICAL


def divergence(
    kind: DivergenceKind, account_id: int, signal_id: str | None, ticket: int | None, evidence: Evidence
) -> Divergence:
    """A divergence with its id: a hash of the kind, the account, the signal and ticket, and the stable
    part of the evidence; the same cause found again gives the same id, so it is reported once."""
    parts = [kind.value, str(account_id), signal_id or "", "" if ticket is None else str(ticket)]
    parts += [_stable(getattr(evidence, name)) for name in _STABLE[kind]]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]
    return Divergence(f"div_{digest}", kind, account_id, signal_id, ticket, evidence)


def _stable(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 1.0 and 1.00 are one volume
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value)
    return "" if value is None else str(value)


class ReconciliationConfigError(ValueError):
    """A reconciliation setting is out of range; the message names it."""


@dataclass(frozen=True)
class ReconciliationConfig:
    """`grace`: a position younger than this is not called manual, a fill is not judged (more deals may
    follow), a trade is not called missing until its fill window plus this has passed (a fill can arrive
    after the snapshot was taken). `fill_window`: how long after the command was queued a fill still
    counts as the signal's (the fallback match by symbol, side and time uses it too). Tolerances are in
    points of the symbol (core.domain.symbols), per symbol with a default; `points` overrides the
    symbol table with a broker's own points."""

    grace: timedelta = timedelta(seconds=30)
    fill_window: timedelta = timedelta(minutes=5)
    slippage_points: Mapping[str, Decimal] = field(default_factory=dict)
    default_slippage_points: Decimal = Decimal(20)
    sl_tp_points: Mapping[str, Decimal] = field(default_factory=dict)
    default_sl_tp_points: Decimal = Decimal(0)
    points: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.grace < timedelta(0):
            raise ReconciliationConfigError(f"grace must not be negative, not {self.grace}")
        if self.fill_window <= timedelta(0):
            raise ReconciliationConfigError(f"fill_window must be positive, not {self.fill_window}")
        tolerances = {
            "default_slippage_points": self.default_slippage_points,
            "default_sl_tp_points": self.default_sl_tp_points,
            **{f"slippage_points[{s}]": v for s, v in self.slippage_points.items()},
            **{f"sl_tp_points[{s}]": v for s, v in self.sl_tp_points.items()},
        }
        for name, value in tolerances.items():
            if not value.is_finite() or value < 0:
                raise ReconciliationConfigError(f"{name} must be a finite number of points ≥ 0, not {value}")
        for symbol, point in self.points.items():
            if not point.is_finite() or point <= 0:
                raise ReconciliationConfigError(f"points[{symbol}] must be positive, not {point}")

    def slippage_tolerance(self, symbol: str) -> Decimal:
        return self.slippage_points.get(symbol, self.default_slippage_points)

    def sl_tp_tolerance(self, symbol: str) -> Decimal:
        return self.sl_tp_points.get(symbol, self.default_sl_tp_points)
