"""The MetaTrader5 Python package's own output (tests/data/deals.csv, acc_position.csv; see
tests/data/README.md) as the engine's inputs. Numeric codes as MT5 gives them."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from core.domain.snapshot import Deal, DealEntry, DealReason, DealType, Position, Side

DATA = Path(__file__).parents[2] / "data"
DEAL_TYPES = {"0": DealType.BUY, "1": DealType.SELL, "2": DealType.BALANCE, "3": DealType.CREDIT}
DEAL_ENTRIES = {"0": DealEntry.IN, "1": DealEntry.OUT, "2": DealEntry.INOUT, "3": DealEntry.OUT_BY}
DEAL_REASONS = dict(enumerate(("client", "mobile", "web", "expert", "sl", "tp", "so")))
POSITION_SIDES = {"0": Side.BUY, "1": Side.SELL}


def _decimal(text: str) -> Decimal | None:
    value = Decimal(text) if text else Decimal(0)
    return value if value else None


def deals(path: Path = DATA / "deals.csv") -> list[Deal]:
    with path.open(newline="") as rows:
        return [
            Deal(
                ticket=int(row["ticket"]),
                position=int(row["position_id"]),
                symbol=row["symbol"],
                type=DEAL_TYPES.get(row["type"], DealType.OTHER),
                entry=DEAL_ENTRIES[row["entry"]],
                reason=DealReason(DEAL_REASONS.get(int(row["reason"]), "other")),
                volume=Decimal(row["volume"]),
                price=Decimal(row["price"]),
                time=datetime.fromtimestamp(int(row["time_msc"]) / 1000, UTC),
                profit=Decimal(row["profit"]),
                commission=Decimal(row["commission"]),
                swap=Decimal(row["swap"]),
                magic=int(row["magic"]),
                comment=row["comment"],
            )
            for row in csv.DictReader(rows)
        ]


def positions(path: Path = DATA / "acc_position.csv") -> list[Position]:
    """`time` as the package printed it (the broker's clock, taken as UTC)."""
    with path.open(newline="") as rows:
        return [
            Position(
                ticket=int(row["ticket"]),
                symbol=row["symbol"],
                side=POSITION_SIDES[row["type"]],
                volume=Decimal(row["volume"]),
                open_price=Decimal(row["price_open"]),
                open_time=datetime.fromisoformat(row["time"]).replace(tzinfo=UTC),
                price=Decimal(row["price_current"]),
                profit=Decimal(row["profit"]),
                swap=Decimal(row["swap"]),
                sl=_decimal(row["sl"]),
                tp=_decimal(row["tp"]),
                magic=int(row["magic"]),
                comment=row["comment"],
            )
            for row in csv.DictReader(rows)
        ]
