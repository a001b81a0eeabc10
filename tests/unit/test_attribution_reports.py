"""Attribution of the real reports: its totals are the reports' own summary lines."""

from __future__ import annotations

from decimal import Decimal

from core.domain.attribution import Origin, attribute
from core.statements import parse_statement
from tests.unit.statements.reports import MT4_HTM, MT5_XLSX, mt4_number, mt4_summary, xlsx_summary


def count_and_percent(text: str) -> tuple[int, Decimal]:
    """`1328 (75.41%)` → (1328, 75.41)."""
    count, percent = text.replace("%", "").replace(")", "").split("(")
    return int(count), Decimal(percent)


def test_the_mt5_report_attributes_to_its_own_totals() -> None:
    report = attribute(parse_statement(MT5_XLSX.read_bytes()).deals)
    wins, win_percent = count_and_percent(str(xlsx_summary("Profit Trades (% of total):")))

    assert report.manual.count == xlsx_summary("Total Trades:") == 36
    assert report.manual.pnl == Decimal(str(xlsx_summary("Total Net Profit:")))
    assert (report.manual.wins, round(report.manual.win_rate_percent or 0, 2)) == (wins, win_percent)
    assert report.bot.count == 0 and report.bot.pnl == 0


def test_the_mt4_statement_attributes_to_its_own_totals() -> None:
    report = attribute(parse_statement(MT4_HTM.read_bytes()).deals)
    wins, win_percent = count_and_percent(mt4_summary("Profit Trades (% of total):"))

    assert report.manual.count == int(mt4_summary("Total Trades:")) == 1761
    assert report.manual.pnl == mt4_number("Closed Trade P/L:") == mt4_number("Closed P/L:")
    assert (report.manual.wins, round(report.manual.win_rate_percent or 0, 2)) == (wins, win_percent)
    gross_profit = sum((t.pnl for t in report.trades if t.pnl > 0), Decimal(0))
    assert gross_profit == mt4_number("Gross Profit:")


def test_the_long_and_short_split_matches_the_statement() -> None:
    trades = attribute(parse_statement(MT4_HTM.read_bytes()).deals).trades
    for label, side in (("Short Positions (won %):", "sell"), ("Long Positions (won %):", "buy")):
        count, won_percent = count_and_percent(mt4_summary(label))
        mine = [trade for trade in trades if trade.side == side]
        assert len(mine) == count
        assert round(Decimal(sum(t.won for t in mine)) * 100 / count, 2) == won_percent


def test_tickets_from_our_commands_move_trades_to_the_bot_and_keep_the_total() -> None:
    deals = parse_statement(MT4_HTM.read_bytes()).deals
    everything = attribute(deals)
    ours = {trade.position for trade in everything.trades if trade.symbol == "xauusd."}

    split = attribute(deals, bot_tickets=ours)

    assert split.bot.count == sum(1 for trade in everything.trades if trade.symbol == "xauusd.") > 0
    assert all(t.origin is Origin.BOT for t in split.trades if t.symbol == "xauusd.")
    assert split.bot.pnl + split.manual.pnl == everything.manual.pnl
