"""MT4's Detailed Statement (`.htm`): closed transactions and open trades, as MT5-style deals.

MT4 knows orders, not deals: each buy/sell order becomes an `in` deal at its open and, once closed, an
`out` deal at its close, tickets 2n and 2n + 1 for order n (unique, and the same on every import, so a
second import of the same file adds nothing). A balance or credit row is one deal, ticket 2n.

A partial close splits an order: the closed part keeps the ticket with the comment `to #M`, the rest
lives on as order M with the comment `from #N` (and its own close marker, `from #N[sl/gap]`). Both are
one position, named by the first ticket of the chain: one `in` deal for the whole volume, one `out` deal
per closed part, as MT5 would report it. Pending orders (`buy limit` …, cancelled or working) made no
deal and are left out. Taxes are charged with the commission (the statement's "Closed P/L" is
commission + taxes + swap + profit).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from core.domain.snapshot import Deal, DealEntry, DealReason, DealType
from core.statements.html_rows import Row
from core.statements.model import (
    AccountIdentity,
    Refusal,
    Statement,
    StatementError,
    StatementFormat,
    close_reason,
    parse_money,
    parse_ticket,
    parse_time,
)

CLOSED_SECTION = "Closed Transactions:"
OPEN_SECTION = "Open Trades:"
SECTION_ENDS = ("Closed P/L:", "Floating P/L:", "Open Trades:", "Working Orders:", "Summary:")
HEADER = ("Ticket", "Open Time", "Type", "Size", "Item", "Price")
TRADE_TYPES = {"buy": DealType.BUY, "sell": DealType.SELL}
CASH_TYPES = {"balance": DealType.BALANCE, "credit": DealType.CREDIT}
_FROM = re.compile(r"from #(\d+)")
_TITLE = re.compile(r"<title>[^<]*Statement", re.IGNORECASE)
_COMPANY = re.compile(r"<div[^>]*>\s*<b>([^<]+)</b>\s*</div>", re.IGNORECASE)


@dataclass(frozen=True)
class _Order:
    ticket: int
    row: Row
    closed: bool

    def text(self, index: int) -> str | None:
        return self.row[index].text if index < len(self.row) else None

    @property
    def title(self) -> str:
        return self.row[0].title

    @property
    def predecessor(self) -> int | None:
        found = _FROM.search(self.title)
        return int(found.group(1)) if found else None


def is_mt4_statement(text: str) -> bool:
    return CLOSED_SECTION in text and _TITLE.search(text) is not None


def parse_mt4(text: str, rows: Sequence[Row]) -> Statement:
    account = _account(text, rows)
    closed = list(_orders(rows, CLOSED_SECTION, closed=True))
    still_open = list(_orders(rows, OPEN_SECTION, closed=False))
    if not closed and not still_open:
        raise StatementError(Refusal.NOT_A_REPORT, "an MT4 statement without closed or open trades")
    deals = [*_cash_deals(closed), *_trade_deals([o for o in closed + still_open if _is_trade(o)])]
    deals.sort(key=lambda deal: (deal.time, deal.ticket))
    return Statement(StatementFormat.MT4_HTML, account, tuple(deals))


def _account(text: str, rows: Sequence[Row]) -> AccountIdentity:
    login: int | None = None
    currency = ""
    for row in rows[:5]:
        for cell in row:
            value = cell.text or ""
            if value.startswith("Account:"):
                login = parse_ticket(value.removeprefix("Account:"))
            elif value.startswith("Currency:"):
                currency = value.removeprefix("Currency:").strip()
    if login is None:
        raise StatementError(Refusal.NOT_A_REPORT, "an MT4 statement names its account on top; none found")
    company = _COMPANY.search(text)
    return AccountIdentity(login, currency, company=company.group(1).strip() if company else None)


def _orders(rows: Sequence[Row], section: str, *, closed: bool) -> Iterator[_Order]:
    start = next((i for i, row in enumerate(rows) if row[0].text == section), None)
    if start is None:
        return
    header = tuple(cell.text for cell in rows[start + 1][: len(HEADER)]) if start + 1 < len(rows) else ()
    if header != HEADER:
        raise StatementError(Refusal.UNREADABLE, f"the {section} table has unknown columns {header}")
    for row in rows[start + 2 :]:
        if any(cell.text in SECTION_ENDS for cell in row):
            return
        first = row[0].text or ""
        if first.isdigit() and len(row) > 2:
            yield _Order(int(first), row, closed)


def _is_trade(order: _Order) -> bool:
    return (order.text(2) or "") in TRADE_TYPES


def _cash_deals(orders: Iterable[_Order]) -> Iterator[Deal]:
    for order in orders:
        kind = CASH_TYPES.get(order.text(2) or "")
        if kind is None:
            continue
        amount = next((c.text for c in reversed(order.row) if c.text is not None), None)
        yield Deal(
            ticket=order.ticket * 2,
            position=0,
            symbol="",
            type=kind,
            entry=DealEntry.IN,
            reason=DealReason.OTHER,
            volume=Decimal(0),
            price=Decimal(0),
            time=parse_time(order.text(1) or ""),
            profit=parse_money(amount),
            comment=order.title or (order.text(3) or ""),
        )


def _trade_deals(orders: list[_Order]) -> Iterator[Deal]:
    by_ticket = {order.ticket: order for order in orders}
    chains: dict[int, list[_Order]] = {}
    for order in orders:
        chains.setdefault(_root(order, by_ticket), []).append(order)
    for root, chain in chains.items():
        first = by_ticket[root]
        side = TRADE_TYPES[first.text(2) or ""]
        yield Deal(
            ticket=root * 2,
            position=root,
            symbol=first.text(4) or "",
            type=side,
            entry=DealEntry.IN,
            reason=DealReason.OTHER,
            volume=sum((parse_money(o.text(3)) for o in chain), Decimal(0)),
            price=parse_money(first.text(5)),
            time=parse_time(first.text(1) or ""),
            profit=Decimal(0),
            comment=_own_comment(first.title),
        )
        closing = DealType.SELL if side is DealType.BUY else DealType.BUY
        for order in chain:
            if order.closed:
                yield _out_deal(order, root, closing)


def _root(order: _Order, by_ticket: dict[int, _Order]) -> int:
    seen = {order.ticket}
    while order.predecessor in by_ticket and order.predecessor not in seen:
        order = by_ticket[order.predecessor]
        seen.add(order.ticket)
    return order.ticket


def _out_deal(order: _Order, root: int, closing: DealType) -> Deal:
    return Deal(
        ticket=order.ticket * 2 + 1,
        position=root,
        symbol=order.text(4) or "",
        type=closing,
        entry=DealEntry.OUT,
        reason=close_reason(order.title),
        volume=parse_money(order.text(3)),
        price=parse_money(order.text(9)),
        time=parse_time(order.text(8) or ""),
        profit=parse_money(order.text(13)),
        commission=parse_money(order.text(10)) + parse_money(order.text(11)),
        swap=parse_money(order.text(12)),
        comment=order.title,
    )


def _own_comment(title: str) -> str:
    """The order's own comment: MT4 replaces it with `to #` / `from #` markers on a partial close."""
    return "" if title.startswith(("to #", "from #")) else title
