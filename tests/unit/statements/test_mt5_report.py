"""The real MT5 Trade History Report (.xlsx) and the same report as MT5 writes it in HTML."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from core.domain.attribution import closed_trades
from core.domain.snapshot import DealEntry, DealReason, DealType
from core.statements import AccountIdentity, Statement, StatementFormat, parse_statement
from tests.unit.statements.reports import MT5_XLSX, mt5_html_report, xlsx_section


@pytest.fixture(scope="module")
def report() -> Statement:
    return parse_statement(MT5_XLSX.read_bytes())


def test_the_report_names_its_account_server_and_currency(report: Statement) -> None:
    assert report.format is StatementFormat.MT5_XLSX
    assert report.account == AccountIdentity(
        login=5006391922,
        currency="USD",
        server="MetaQuotes-Demo",
        company="MetaQuotes Software Corp.",
        netting=False,
    )


def test_every_deal_of_the_report_is_read_with_its_money_as_decimals(report: Statement) -> None:
    listed = xlsx_section("Deals")
    assert len(report.deals) == len(listed) == 74
    assert [deal.ticket for deal in report.deals] == [row[1] for row in listed]
    for deal, row in zip(report.deals, listed, strict=True):
        assert deal.profit == Decimal(str(row[11])) and isinstance(deal.profit, Decimal)
        assert deal.swap == Decimal(str(row[10]))
    deposits = [deal for deal in report.deals if deal.type is DealType.BALANCE]
    assert [(d.profit, d.position, d.time) for d in deposits] == [
        (Decimal(100000), 0, datetime(2022, 9, 14, 7, 52, 6, tzinfo=UTC))
    ]


def test_each_exit_closes_the_position_the_report_lists_with_its_entry_and_exit(report: Statement) -> None:
    listed = {row[1]: row for row in xlsx_section("Positions")}
    trades = closed_trades(report.deals)

    assert len(trades) == len(listed) == 36
    for trade in trades:
        row = listed[trade.position]
        assert (trade.symbol, trade.side.value, trade.volume) == (row[2], row[3], Decimal(row[4]))
        assert trade.open_price == Decimal(repr(row[5])) and trade.close_price == Decimal(repr(row[9]))
        assert trade.close_time == datetime.strptime(row[8], "%Y.%m.%d %H:%M:%S").replace(tzinfo=UTC)
        assert trade.profit == Decimal(repr(row[12]))


def test_stop_loss_and_take_profit_exits_are_told_from_the_terminal_comment(report: Statement) -> None:
    by_ticket = {deal.ticket: deal for deal in report.deals}

    assert by_ticket[50217453692].reason is DealReason.SL  # [sl 143.874]
    assert by_ticket[50217454317].reason is DealReason.TP  # [tp 0.96090]
    assert by_ticket[50217566660].reason is DealReason.OTHER  # closed with no marker
    assert by_ticket[50217453690].entry is DealEntry.IN


def test_the_html_report_gives_the_same_account_and_deals_as_the_workbook(report: Statement) -> None:
    html = parse_statement(mt5_html_report())

    assert html.format is StatementFormat.MT5_HTML
    assert (html.account, html.deals) == (report.account, report.deals)
