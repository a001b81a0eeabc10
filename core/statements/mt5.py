"""MT5's Trade History Report, from its rows (the same layout in `.xlsx` and `.html`).

The report lists Positions, Orders and Deals. Its deal table names each deal's order, not its position,
so the position is found the way the terminal made it: an `in` deal opens the position its order names
(a hedging account's position id is its opening order; on a netting account an `in` deal adds to the
symbol's open position); an `out` deal closes the position the Positions table shows closing at that
time and price on that symbol, or else the oldest open position on the symbol on the other side
(partial closes, netting). A report whose deal table has a Position column is taken at its word.
Commission and fee are charged together (`Deal.commission`). The close reason comes from the
terminal's comment (`[sl 1.13000]`, `[tp …]`, `[so …]`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.domain.snapshot import Deal, DealEntry, DealReason, DealType
from core.statements.model import (
    AccountIdentity,
    Refusal,
    Statement,
    StatementError,
    StatementFormat,
    close_reason,
    is_report_time,
    parse_money,
    parse_ticket,
    parse_time,
)

TITLE = "Trade History Report"
Cells = tuple[str | None, ...]
DEAL_COLUMNS = ("Time", "Deal", "Symbol", "Type", "Direction", "Volume", "Price", "Order", "Profit")
_ACCOUNT = re.compile(r"^(\d+)\s*\(([^)]*)\)")
_ENTRIES = {"in": DealEntry.IN, "out": DealEntry.OUT, "in/out": DealEntry.INOUT, "out by": DealEntry.OUT_BY}
_TYPES = {"buy": DealType.BUY, "sell": DealType.SELL, "balance": DealType.BALANCE, "credit": DealType.CREDIT}


def parse_mt5(rows: Sequence[Cells], fmt: StatementFormat) -> Statement:
    if not any(row and row[0] == TITLE for row in rows[:10]):
        raise StatementError(Refusal.NOT_A_REPORT, f"no {TITLE!r} heading")
    account = _account(rows)
    deals_at = _section(rows, "Deals")
    if deals_at is None:
        raise StatementError(Refusal.NOT_A_REPORT, "a Trade History Report without a Deals table")
    closes = _position_closes(rows)
    book = _Book(account.netting, closes)
    header = rows[deals_at + 1] if deals_at + 1 < len(rows) else ()
    columns = _columns(header, DEAL_COLUMNS)
    deals = [book.deal(_Fields(row, columns)) for row in _data_rows(rows, deals_at + 2)]
    return Statement(fmt, account, tuple(deals))


def _account(rows: Sequence[Cells]) -> AccountIdentity:
    found = {row[0]: _value(row) for row in rows[:10] if row and row[0] in ("Account:", "Company:")}
    matched = _ACCOUNT.match(found.get("Account:") or "")
    if matched is None:
        raise StatementError(Refusal.NOT_A_REPORT, "the report names no account (`Account: <login> (…)`)")
    parts = [part.strip() for part in matched.group(2).split(",")]
    return AccountIdentity(
        login=int(matched.group(1)),
        currency=parts[0],
        server=parts[1] if len(parts) > 1 else None,
        company=found.get("Company:"),
        netting=any(part.lower() == "netting" for part in parts),
    )


def _value(row: Cells) -> str | None:
    return next((cell for cell in row[1:] if cell), None)


def _section(rows: Sequence[Cells], name: str) -> int | None:
    return next((i for i, row in enumerate(rows) if row and row[0] == name and not any(row[1:])), None)


def _columns(header: Cells, needed: Sequence[str]) -> dict[str, list[int]]:
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        if name:
            columns.setdefault(name, []).append(index)
    missing = [name for name in needed if name not in columns]
    if missing:
        raise StatementError(Refusal.UNREADABLE, f"the table lacks the columns {missing}")
    return columns


def _data_rows(rows: Sequence[Cells], start: int) -> list[Cells]:
    found: list[Cells] = []
    for row in rows[start:]:
        if not row or not is_report_time(row[0]):
            break
        found.append(row)
    return found


@dataclass(frozen=True)
class _Fields:
    row: Cells
    columns: dict[str, list[int]]

    def get(self, name: str, nth: int = 0) -> str | None:
        indexes = self.columns.get(name, [])
        if nth >= len(indexes) or indexes[nth] >= len(self.row):
            return None
        value = self.row[indexes[nth]]
        return value.strip() if value else None


CloseKey = tuple[str, str, Decimal]


def _position_closes(rows: Sequence[Cells]) -> dict[CloseKey, list[int]]:
    """(symbol, close time, close price) → the positions the Positions table shows closing so."""
    at = _section(rows, "Positions")
    if at is None or at + 1 >= len(rows):
        return {}
    columns = _columns(rows[at + 1], ("Time", "Position", "Symbol", "Price"))
    closes: dict[CloseKey, list[int]] = {}
    for row in _data_rows(rows, at + 2):
        fields = _Fields(row, columns)
        close_time, close_price = fields.get("Time", 1), fields.get("Price", 1)
        if close_time and close_price:
            key = (fields.get("Symbol") or "", close_time, parse_money(close_price))
            closes.setdefault(key, []).append(parse_ticket(fields.get("Position")))
    return closes


@dataclass
class _Book:
    """The positions open so far, to tell which one each deal opens, adds to or closes."""

    netting: bool
    closes: dict[CloseKey, list[int]]
    open: dict[int, tuple[str, DealType, Decimal]] = field(default_factory=dict)

    def deal(self, fields: _Fields) -> Deal:
        kind = _TYPES.get((fields.get("Type") or "").lower(), _other_type(fields.get("Type")))
        entry = _ENTRIES.get((fields.get("Direction") or "").lower(), DealEntry.IN)
        symbol, volume = fields.get("Symbol") or "", parse_money(fields.get("Volume"))
        price, order = parse_money(fields.get("Price")), fields.get("Order")
        ticket = parse_ticket(fields.get("Deal"))
        comment = fields.get("Comment") or ""
        position = 0
        if kind in (DealType.BUY, DealType.SELL):
            position = self._position(symbol, kind, entry, volume, fields.get("Time") or "", price, order)
            named = fields.get("Position")  # some terminals' reports name it: then it is not inferred
            position = int(named) if named and named.isdigit() else position
        return Deal(
            ticket=ticket,
            position=position,
            symbol=symbol,
            type=kind,
            entry=entry,
            reason=close_reason(comment) if entry is not DealEntry.IN else DealReason.OTHER,
            volume=volume,
            price=price,
            time=parse_time(fields.get("Time") or ""),
            profit=parse_money(fields.get("Profit")),
            commission=parse_money(fields.get("Commission")) + parse_money(fields.get("Fee")),
            swap=parse_money(fields.get("Swap")),
            comment=comment,
        )

    def _position(
        self,
        symbol: str,
        kind: DealType,
        entry: DealEntry,
        volume: Decimal,
        time: str,
        price: Decimal,
        order: str | None,
    ) -> int:
        own = parse_ticket(order) if order and order.isdigit() else 0
        netted = self._netted(symbol) if self.netting else None
        if entry is DealEntry.IN:
            opened = netted if netted is not None else own
            _, side, held = self.open.get(opened, (symbol, kind, Decimal(0)))
            self.open[opened] = (symbol, side, held + volume)
            return opened
        closed = self._closed_by(symbol, kind, time, price)
        if closed is None:
            return own  # closes a position opened before the report's period
        _, side, held = self.open[closed]
        left = held - volume
        if left > 0:
            self.open[closed] = (symbol, side, left)
        else:
            del self.open[closed]
            if left < 0 and entry is DealEntry.INOUT:  # a netting reversal opens the other side
                self.open[closed] = (symbol, kind, -left)
        return closed

    def _netted(self, symbol: str) -> int | None:
        return next((p for p, (s, _, _) in self.open.items() if s == symbol), None)

    def _closed_by(self, symbol: str, kind: DealType, time: str, price: Decimal) -> int | None:
        def closable(position: int) -> bool:
            held = self.open.get(position)
            return held is not None and held[0] == symbol and held[1] is not kind

        named = [p for p in self.closes.get((symbol, time, price), []) if closable(p)]
        if named:
            return named[0]
        return next((p for p in self.open if closable(p)), None)


def _other_type(text: str | None) -> DealType:
    lowered = (text or "").lower()
    return DealType.COMMISSION if lowered.startswith("commission") else DealType.OTHER
