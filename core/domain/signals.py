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
