"""Attribution: bot vs manual closed trades, from constructed deals (netting, partial closes, slippage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.attribution import Origin, attribute, attribute_days, closed_trades
from core.domain.signals import BOT_MAGIC, ExpectedTrade
from core.domain.snapshot import Deal, DealEntry, DealReason, DealType, Side

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
D = Decimal


def deal(
    ticket: int,
    position: int,
    kind: DealType,
    entry: DealEntry,
    volume: str,
    price: str,
    *,
    minutes: int = 0,
    profit: str = "0",
    commission: str = "0",
    swap: str = "0",
    magic: int = 0,
    comment: str = "",
    reason: DealReason = DealReason.CLIENT,
) -> Deal:
    return Deal(
        ticket=ticket,
        position=position,
        symbol="EURUSD",
        type=kind,
        entry=entry,
        reason=reason,
        volume=D(volume),
        price=D(price),
        time=T0 + timedelta(minutes=minutes),
        profit=D(profit),
        commission=D(commission),
        swap=D(swap),
        magic=magic,
        comment=comment,
    )


BUY, SELL, IN, OUT = DealType.BUY, DealType.SELL, DealEntry.IN, DealEntry.OUT


@pytest.mark.parametrize(
    ("opening", "bot_tickets", "origin"),
    [
        ({"magic": BOT_MAGIC}, (), Origin.BOT),
        ({"comment": "tg:sig-42"}, (), Origin.BOT),
        ({}, (10,), Origin.BOT),  # the position ticket our command was acknowledged with
        ({}, (1,), Origin.BOT),  # the entry deal's ticket
        ({"magic": 1234, "comment": "my scalper"}, (), Origin.MANUAL),
        ({"comment": "tg:"}, (), Origin.MANUAL),  # a prefix with no signal id names no signal
    ],
)
def test_a_trade_is_the_bots_when_we_opened_it_and_manual_otherwise(
    opening: dict[str, object], bot_tickets: tuple[int, ...], origin: Origin
) -> None:
    deals = [
        deal(1, 10, BUY, IN, "1", "1.1000", **opening),  # type: ignore[arg-type]
        deal(2, 10, SELL, OUT, "1", "1.1010", minutes=5, profit="100", reason=DealReason.CLIENT),
    ]

    (trade,) = closed_trades(deals, bot_tickets=bot_tickets)

    assert trade.origin is origin


def test_a_bot_trade_closed_by_hand_is_still_the_bots() -> None:
    deals = [
        deal(1, 10, BUY, IN, "1", "1.1", magic=BOT_MAGIC, comment="tg:s1"),
        deal(2, 10, SELL, OUT, "1", "1.2", minutes=1, profit="-5", reason=DealReason.MOBILE),
    ]

    (trade,) = closed_trades(deals)

    assert (trade.origin, trade.signal_id, trade.close_reason) == (Origin.BOT, "s1", DealReason.MOBILE)


def test_partial_closes_are_a_trade_each_sharing_the_entry_commission_without_losing_a_cent() -> None:
    deals = [
        deal(1, 10, BUY, IN, "0.03", "1.1000", commission="-1.00"),
        deal(2, 10, SELL, OUT, "0.01", "1.1010", minutes=1, profit="1.00", commission="-0.33"),
        deal(3, 10, SELL, OUT, "0.02", "1.0990", minutes=2, profit="-2.00", commission="-0.67"),
    ]

    first, second = closed_trades(deals)

    assert (first.volume, second.volume) == (D("0.01"), D("0.02"))
    assert first.commission == D("-0.33") + D("-0.33")
    assert second.commission == D("-0.67") + D("-0.67")  # the rest of the entry's -1.00
    assert first.pnl + second.pnl == sum((d.profit + d.commission + d.swap for d in deals), D(0))
    assert (first.won, second.won) == (True, False)


def test_a_netting_position_built_by_two_fills_and_reversed_by_one_deal() -> None:
    deals = [
        deal(1, 10, BUY, IN, "1", "1.1000"),
        deal(2, 10, BUY, IN, "1", "1.1020", minutes=1),
        deal(3, 10, SELL, DealEntry.INOUT, "3", "1.1030", minutes=2, profit="400"),
        deal(4, 10, BUY, OUT, "1", "1.1000", minutes=3, profit="30"),
    ]

    closed_long, closed_short = closed_trades(deals)

    assert (closed_long.side, closed_long.volume, closed_long.open_price) == (Side.BUY, D(2), D("1.1010"))
    assert (closed_short.side, closed_short.volume, closed_short.open_price) == (Side.SELL, D(1), D("1.1030"))


def test_an_exit_whose_entry_came_before_the_history_still_counts() -> None:
    (trade,) = closed_trades([deal(2, 10, SELL, OUT, "1", "1.1", profit="-7", comment="tg:s9")])

    assert (trade.open_price, trade.open_time, trade.origin, trade.pnl) == (None, None, Origin.BOT, D(-7))


def test_the_summary_counts_pnl_win_rate_and_average_slippage_per_class() -> None:
    deals = [
        deal(1, 10, BUY, IN, "1", "1.1003", comment="tg:a"),
        deal(2, 10, SELL, OUT, "1", "1.1010", minutes=1, profit="70", swap="-1"),
        deal(3, 11, SELL, IN, "1", "1.0998", comment="tg:b"),
        deal(4, 11, BUY, OUT, "1", "1.1020", minutes=2, profit="-220"),
        deal(5, 12, BUY, IN, "1", "1.1"),
        deal(6, 12, SELL, OUT, "1", "1.1", minutes=3, profit="0"),
        deal(7, 0, DealType.BALANCE, IN, "0", "0", profit="1000"),
    ]
    expected = [
        ExpectedTrade("a", 1, "c1", "EURUSD", Side.BUY, D(1), T0, entry=D("1.1000"), ticket=10),
        ExpectedTrade("b", 1, "c2", "EURUSD", Side.SELL, D(1), T0, entry=D("1.1000")),
    ]

    report = attribute(deals, expected=expected)

    assert (report.bot.count, report.bot.pnl, report.bot.wins) == (2, D(-151), 1)
    assert report.bot.win_rate_percent == D(50)
    # buy filled 0.0003 above, sell 0.0002 below the expected entry: both worse for the trader
    assert report.bot.average_slippage == D("0.00025")
    assert (report.manual.count, report.manual.pnl, report.manual.wins) == (1, D(0), 1)  # break-even
    assert report.manual.average_slippage is None and report.pnl == D(-151)


def test_days_keep_only_the_trades_closed_within_them() -> None:
    old = [deal(1, 10, BUY, IN, "1", "1"), deal(2, 10, SELL, OUT, "1", "1", minutes=1, profit="5")]
    new = [
        deal(3, 11, BUY, IN, "1", "1", minutes=60 * 24 * 9),
        deal(4, 11, SELL, OUT, "1", "1", minutes=60 * 24 * 9 + 1, profit="-3"),
    ]
    now = T0 + timedelta(days=10)

    assert attribute_days(old + new, now, 7).manual.pnl == D(-3)
    assert attribute_days(old + new, now, 30).manual.count == 2
    with pytest.raises(ValueError, match="days"):
        attribute_days(old, now, 0)


def test_a_deal_listed_twice_counts_once() -> None:
    deals = [deal(1, 10, BUY, IN, "1", "1"), deal(2, 10, SELL, OUT, "1", "1", minutes=1, profit="5")]

    assert attribute(deals + deals).manual.pnl == D(5)


@given(st.permutations(list(range(6))), st.lists(st.integers(-500, 500), min_size=3, max_size=3))
def test_the_split_does_not_depend_on_the_order_deals_are_listed_and_adds_up(
    order: list[int], profits: list[int]
) -> None:
    deals = []
    for n, profit in enumerate(profits):
        deals += [
            deal(2 * n + 1, 10 + n, BUY, IN, "1", "1", minutes=n, magic=BOT_MAGIC if n % 2 else 0),
            deal(2 * n + 2, 10 + n, SELL, OUT, "1", "1", minutes=10 + n, profit=str(profit)),
        ]
    shuffled = [deals[i] for i in order]

    report = attribute(shuffled)

    assert report == attribute(deals)
    assert report.bot.pnl + report.manual.pnl == sum(D(p) for p in profits)
