"""The real MT4 Detailed Statement: 1,761 closed trades, partial closes, gap fills, two deposits."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from core.domain.snapshot import DealEntry, DealReason, DealType
from core.statements import Statement, StatementFormat, parse_statement
from tests.unit.statements.reports import MT4_HTM, mt4_number, mt4_summary


@pytest.fixture(scope="module")
def statement() -> Statement:
    return parse_statement(MT4_HTM.read_bytes())


def test_the_statement_names_its_account_currency_and_broker(statement: Statement) -> None:
    assert statement.format is StatementFormat.MT4_HTML
    assert (statement.account.login, statement.account.currency) == (100000001, "JPY")
    assert statement.account.company == "Performance Ronnaru Capital Ltd."
    assert statement.account.server is None


def test_every_closed_trade_becomes_one_exit_and_the_deposits_balance_deals(statement: Statement) -> None:
    exits = [deal for deal in statement.deals if deal.entry is DealEntry.OUT]
    cash = [deal.profit for deal in statement.deals if deal.type is DealType.BALANCE]

    assert len(exits) == int(mt4_summary("Total Trades:"))
    assert cash == [Decimal(200_000), Decimal(300_000)]
    assert sum(cash) == mt4_number("Deposit/Withdrawal:")
    assert len({deal.ticket for deal in statement.deals}) == len(statement.deals)


def test_a_partial_close_is_one_position_with_an_exit_per_part(statement: Statement) -> None:
    # 10884298 (0.05 lots) closed 0.04 "to #10888957"; the 0.01 left, "from #10884298", closed later.
    deals = [deal for deal in statement.deals if deal.position == 10884298]

    assert [(d.entry, d.volume) for d in deals] == [
        (DealEntry.IN, Decimal("0.05")),
        (DealEntry.OUT, Decimal("0.04")),
        (DealEntry.OUT, Decimal("0.01")),
    ]
    assert [d.profit for d in deals[1:]] == [Decimal(716), Decimal(304)]


def test_gap_fills_are_stop_loss_and_take_profit_exits(statement: Statement) -> None:
    reasons = Counter(deal.reason for deal in statement.deals if deal.entry is DealEntry.OUT)
    rest = next(deal for deal in statement.deals if deal.comment == "from #10879500[sl/gap]")

    assert rest.reason is DealReason.SL and rest.position == 10879500
    assert reasons[DealReason.TP] == mt4_text_count('title="[tp]"') + mt4_text_count('title="[tp/gap]"')
    assert reasons[DealReason.SL] == mt4_text_count('title="[sl]"') + mt4_text_count("[sl/gap]")


def test_pending_orders_make_no_deal(statement: Statement) -> None:
    cancelled = 10924331  # a buy limit, cancelled
    assert all(deal.position != cancelled and deal.ticket // 2 != cancelled for deal in statement.deals)


def mt4_text_count(fragment: str) -> int:
    return MT4_HTM.read_text(encoding="utf-8").count(fragment)
