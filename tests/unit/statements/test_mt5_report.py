"""The real MT5 Trade History Report (.xlsx) and the same report as MT5 writes it in HTML."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
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


def netting_report() -> bytes:
    """A small report of a netting account in MT5's layout: two buys make one position, closed in two
    parts; then a reversal by one deal (`in/out`)."""
    header = ["Time", "Deal", "Symbol", "Type", "Direction", "Volume", "Price", "Order"]
    header += ["Commission", "Fee", "Swap", "Profit", "Balance", "Comment"]
    deals = [
        ["2024.03.01 10:00:00", 1, None, "balance", None, None, None, None, 0, 0, 0, 5000, 5000],
        ["2024.03.01 10:01:00", 2, "BOVA11", "buy", "in", "1", 145.84, 101, -0.5, 0, 0, 0, 4999.5],
        ["2024.03.01 10:02:00", 3, "BOVA11", "buy", "in", "2", 145.80, 102, -1, 0, 0, 0, 4998.5],
        ["2024.03.01 11:00:00", 4, "BOVA11", "sell", "out", "1", 146.0, 103, -0.5, 0, 0, 18, 5016],
        ["2024.03.01 12:00:00", 5, "BOVA11", "sell", "in/out", "3", 146.2, 104, -1, -0.1, 0, 80, 5094.9],
        [
            "2024.03.01 13:00:00",
            6,
            "BOVA11",
            "buy",
            "out",
            "1",
            146.0,
            105,
            -0.5,
            0,
            0,
            20,
            5114.4,
            "[tp 146]",
        ],
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in [
        ["Trade History Report"],
        ["Account:", None, None, "7001234 (BRL, XP-PRD, real, Netting)"],
        ["Deals"],
        header,
        *deals,
    ]:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_netting_account_s_deals_join_the_symbol_s_one_position() -> None:
    report = parse_statement(netting_report())
    trades = closed_trades(report.deals)

    assert report.account.netting and report.account.server == "XP-PRD"
    assert {deal.position for deal in report.deals if deal.symbol} == {101}
    assert [(t.side.value, t.volume, t.open_price) for t in trades] == [
        ("buy", Decimal(1), (Decimal("145.84") + 2 * Decimal("145.8")) / 3),
        ("buy", Decimal(2), (Decimal("145.84") + 2 * Decimal("145.8")) / 3),
        ("sell", Decimal(1), Decimal("146.2")),
    ]
    assert report.deals[4].commission == Decimal("-1.1")  # commission and fee together
    assert sum(t.pnl for t in trades) == Decimal("5114.4") - 5000
