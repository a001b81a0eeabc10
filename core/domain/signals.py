"""Signals and the trades they make us expect (PRODUCT.md, Signals; issue 10).

A signal from the operator API fans out to the accounts that follow signals. When its `open_position`
command is queued for an account, one `ExpectedTrade` is recorded: the reconciliation engine
(core.domain.reconciliation) compares these with what the broker reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from core.domain.snapshot import Side

# BRIDGE.md: a signal id is at most 28 characters, so the comment `tg:<signal_id>` fits MT5's 31.
SIGNAL_ID_MAX_LENGTH = 28
COMMENT_PREFIX = "tg:"
# The magic number the EA gives positions it opens for us (BRIDGE.md, open_position).
BOT_MAGIC = 7300


class SignalMode(StrEnum):
    """How a trader's accounts follow signals (`/settings signals auto|approve|off`)."""

    AUTO = "auto"
    APPROVE = "approve"
    OFF = "off"


@dataclass(frozen=True)
class ExpectedTrade:
    """What one account should come to hold because we queued a signal's `open_position` for it.

    `ticket` is the position ticket once the EA's ack names it (None before). `entry` is the price the
    signal expected (None: the market price at queue time is not known, so no slippage can be judged).
    """

    signal_id: str
    account_id: int
    command_id: str
    symbol: str
    side: Side
    volume: Decimal
    queued_at: datetime
    entry: Decimal | None = None
    sl: Decimal | None = None
    tp: Decimal | None = None
    expires_at: datetime | None = None
    ticket: int | None = None

    @property
    def comment(self) -> str:
        return f"{COMMENT_PREFIX}{self.signal_id}"


def signal_id_from_comment(comment: str) -> str | None:
    """The signal id a position's or deal's comment names (`tg:<id>`), if any."""
    if comment.startswith(COMMENT_PREFIX) and len(comment) > len(COMMENT_PREFIX):
        return comment[len(COMMENT_PREFIX) :]
    return None


# --- The signal itself and its delivery to each account (additive to the shared contract above) -----

# BRIDGE.md allows these characters in a nonce; a signal id uses the same set, so the comment is safe.
SIGNAL_ID_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# risk_percent sizing knows no contract size (it is not on the wire): a lot is taken as 100,000 units
# of the symbol's base and the price distance as counted in the account's currency. True for EURUSD on
# a USD account, wrong by the contract size elsewhere (XAUUSD: 100 oz a lot), so it is a first guess.
ASSUMED_LOT_UNITS = Decimal(100_000)
VOLUME_STEP = Decimal("0.01")


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # auto: open_position queued at once
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"  # approved in time: open_position queued
    SKIPPED = "skipped"  # the trader skipped it, follows no signals, or its volume could not be sized
    EXPIRED = "expired"  # not approved before expires_at
    REFUSED = "refused"  # locked, liquidated or halted: nothing queued


class SkipReason(StrEnum):
    MODE_OFF = "mode_off"
    BY_TRADER = "by_trader"
    NO_SL = "no_sl"
    NO_EQUITY = "no_equity"
    NO_PRICE = "no_price"
    TOO_SMALL = "too_small"
    LOCKED = "locked"
    LIQUIDATED = "liquidated"
    HALTED = "halted"


@dataclass(frozen=True)
class Signal:
    """A signal as the operator API accepted it; exactly one of `volume` and `risk_percent` is set."""

    id: str
    symbol: str
    side: Side
    received_at: datetime
    volume: Decimal | None = None
    risk_percent: Decimal | None = None
    sl: Decimal | None = None
    tp: Decimal | None = None
    entry: Decimal | None = None
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(frozen=True)
class Delivery:
    """One signal on one account: how the account follows signals and what became of it."""

    signal_id: str
    account_id: int
    mode: SignalMode
    status: DeliveryStatus
    reason: SkipReason | None = None
    volume: Decimal | None = None
    command_id: str | None = None


class InvalidSignal(ValueError):
    """The first bad field of a signal, named (`sl: must be below entry for a buy`)."""


def check_signal_id(signal_id: str) -> None:
    if not 1 <= len(signal_id) <= SIGNAL_ID_MAX_LENGTH:
        raise InvalidSignal(f"id: 1 to {SIGNAL_ID_MAX_LENGTH} characters")
    if not set(signal_id) <= SIGNAL_ID_CHARACTERS:
        raise InvalidSignal("id: only A-Z a-z 0-9 _ -")


def check_levels(side: Side, entry: Decimal | None, sl: Decimal | None, tp: Decimal | None) -> None:
    """With an entry, a buy's stop is below it and its target above; a sell the other way round."""
    if entry is None:
        return
    below, above = ("sl", "tp") if side is Side.BUY else ("tp", "sl")
    levels = {"sl": sl, "tp": tp}
    if (low := levels[below]) is not None and low >= entry:
        raise InvalidSignal(f"{below}: must be below entry for a {side.value}")
    if (high := levels[above]) is not None and high <= entry:
        raise InvalidSignal(f"{above}: must be above entry for a {side.value}")


def check_signal(signal: Signal) -> None:
    """Raises InvalidSignal for what the schema alone cannot see."""
    check_signal_id(signal.id)
    if (signal.volume is None) == (signal.risk_percent is None):
        raise InvalidSignal("volume: give exactly one of volume and risk_percent")
    if signal.expired(signal.received_at):
        raise InvalidSignal("expires_at: must be in the future")
    check_levels(signal.side, signal.entry, signal.sl, signal.tp)


def risk_volume(
    risk_percent: Decimal, equity: Decimal | None, price: Decimal | None, sl: Decimal | None
) -> Decimal | SkipReason:
    """The lots that lose `risk_percent` of `equity` if the stop is hit, rounded down to 0.01:

        volume = equity × risk_percent / 100 / (|price − sl| × ASSUMED_LOT_UNITS)

    `price` is the signal's entry, else the account's latest quote. An approximation: see
    ASSUMED_LOT_UNITS. A reason instead of a volume when it cannot be sized."""
    if sl is None:
        return SkipReason.NO_SL
    if equity is None or equity <= 0:
        return SkipReason.NO_EQUITY
    if price is None or price == sl:
        return SkipReason.NO_PRICE
    risk_money = equity * risk_percent / 100
    lots = risk_money / ((price - sl).copy_abs() * ASSUMED_LOT_UNITS)
    volume = (lots / VOLUME_STEP).to_integral_value(rounding="ROUND_DOWN") * VOLUME_STEP
    return volume if volume > 0 else SkipReason.TOO_SMALL


def command_key(signal_id: str, account_id: int) -> str:
    """The dedupe key of a signal's open_position on one account (at most one, ever)."""
    return f"signal:{signal_id}:{account_id}"


def alert_key(signal_id: str, account_id: int) -> str:
    return f"signal:{signal_id}:{account_id}"
