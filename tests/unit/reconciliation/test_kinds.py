"""Every divergence kind of issue 10's table, from constructed positions and deals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.domain.reconciliation import (
    ClosedHow,
    DivergenceKind,
    ReconciliationConfig,
    SettledClose,
    Severity,
    VolumeCause,
)
from core.domain.snapshot import DealReason, Side
from tests.unit.reconciliation.builders import (
    LATER,
    T0,
    Book,
    D,
    closing,
    expect,
    held,
    kinds,
    only,
    opening,
)

K = DivergenceKind


def test_a_perfect_copy_of_the_signal_diverges_in_nothing() -> None:
    assert Book().copy_of(expect(), 1001).run() == ()


def test_a_signal_never_filled_is_not_executed_once_its_window_and_grace_have_passed() -> None:
    book = Book(expected=[expect()])
    assert book.run(now=T0 + timedelta(minutes=5)) == ()  # within the fill window + grace
    found = only(book.run(now=T0 + timedelta(minutes=5, seconds=30)), K.NOT_EXECUTED)
    assert (found.signal_id, found.ticket, found.evidence.expected_volume) == ("sig_1", None, D("0.10"))
    assert found.severity is Severity.WARNING and not found.critical


def test_a_position_nobody_expected_is_the_traders_own_once_older_than_the_grace() -> None:
    exp = expect(signal_id="mine", symbol="GBPUSD", entry="1.27000")
    own = held(2002, exp, comment="", magic=0)
    book = Book(positions=[own])
    assert book.run(now=own.open_time + timedelta(seconds=29)) == ()  # merely recent
    found = only(book.run(now=own.open_time + timedelta(seconds=30)), K.MANUAL_POSITION)
    assert (found.ticket, found.signal_id, found.evidence.symbol) == (2002, None, "GBPUSD")
    assert (found.evidence.side, found.evidence.actual_volume) == (Side.BUY, D("0.10"))


def test_a_position_held_before_the_account_was_linked_is_no_manual_trade() -> None:
    own = held(2003, expect(signal_id="mine"), comment="", magic=0)
    book = Book(positions=[own])
    later = own.open_time + timedelta(minutes=5)
    assert book.run(now=later, watched_since=own.open_time + timedelta(seconds=1)) == ()
    found = only(book.run(now=later, watched_since=own.open_time), K.MANUAL_POSITION)
    assert found.ticket == 2003


@pytest.mark.parametrize(
    ("reason", "how", "critical"),
    [
        (DealReason.CLIENT, ClosedHow.HAND, False),
        (DealReason.MOBILE, ClosedHow.HAND, False),
        (DealReason.WEB, ClosedHow.HAND, False),
        (DealReason.SL, ClosedHow.SL, False),
        (DealReason.TP, ClosedHow.TP, False),
        (DealReason.SO, ClosedHow.STOP_OUT, True),
    ],
)
def test_a_bot_position_closed_without_our_command_says_how(
    reason: DealReason, how: ClosedHow, critical: bool
) -> None:
    exp = expect()
    book = Book(expected=[exp], deals=[opening(10, 1001, exp), closing(11, 1001, exp, reason)])
    found = only(book.run(), K.CLOSED_EXTERNALLY)
    assert (found.ticket, found.evidence.how, found.evidence.actual_volume) == (1001, how, D("0.10"))
    assert found.critical is critical


def test_a_position_we_closed_ourselves_is_not_closed_externally() -> None:
    exp = expect()
    book = Book(
        expected=[exp],
        deals=[opening(10, 1001, exp), closing(11, 1001, exp, DealReason.EXPERT)],
        closes=[SettledClose(1001)],
    )
    assert book.run() == ()


def test_another_expert_closing_our_position_is_external() -> None:
    exp = expect()
    book = Book(expected=[exp], deals=[opening(10, 1001, exp), closing(11, 1001, exp, DealReason.EXPERT)])
    assert only(book.run(), K.CLOSED_EXTERNALLY).evidence.how is ClosedHow.EXPERT


def test_an_acked_position_that_vanished_without_a_deal_is_closed_externally_how_unknown() -> None:
    book = Book(expected=[expect(ticket=1001)])
    found = only(book.run(), K.CLOSED_EXTERNALLY)
    assert (found.ticket, found.evidence.how) == (1001, ClosedHow.UNKNOWN)
    assert Book(expected=[expect(ticket=1001)], closes=[SettledClose(1001)]).run() == ()
    # its closing deal arriving later tells how, and is the same divergence (reported once)
    exp = expect(ticket=1001)
    told = Book([exp], deals=[opening(10, 1001, exp), closing(11, 1001, exp, DealReason.SL)]).run()
    assert only(told, K.CLOSED_EXTERNALLY).id == found.id
    assert only(told, K.CLOSED_EXTERNALLY).evidence.how is ClosedHow.SL


def test_a_fill_split_over_several_deals_that_add_up_is_one_clean_position() -> None:
    exp = expect()
    deals = [opening(10, 1001, exp, volume="0.06"), opening(11, 1001, exp, volume="0.04")]
    assert Book(expected=[exp], positions=[held(1001, exp)], deals=deals).run() == ()


def test_a_partial_fill_is_a_volume_mismatch_with_both_volumes() -> None:
    exp = expect()
    deals = [opening(10, 1001, exp, volume="0.04"), opening(11, 1001, exp, volume="0.03")]
    book = Book(expected=[exp], positions=[held(1001, exp, volume="0.07")], deals=deals)
    found = only(book.run(), K.VOLUME_MISMATCH)
    assert found.evidence.cause is VolumeCause.PARTIAL_FILL
    assert (found.evidence.expected_volume, found.evidence.actual_volume) == (D("0.10"), D("0.07"))
    # the pieces of a fill are not judged while more may come
    assert book.run(now=T0 + timedelta(seconds=10)) == ()


def test_a_partial_close_by_hand_is_a_volume_mismatch_but_ours_is_not() -> None:
    exp = expect()
    deals = [opening(10, 1001, exp), closing(11, 1001, exp, DealReason.MOBILE, volume="0.04")]
    book = Book(expected=[exp], positions=[held(1001, exp, volume="0.06")], deals=deals)
    found = only(book.run(), K.VOLUME_MISMATCH)
    assert (found.evidence.cause, found.evidence.how) == (VolumeCause.PARTIAL_CLOSE, ClosedHow.HAND)
    assert (found.evidence.expected_volume, found.evidence.actual_volume) == (D("0.10"), D("0.06"))
    ours = [opening(10, 1001, exp), closing(11, 1001, exp, DealReason.EXPERT, volume="0.04")]
    mine = Book([exp], [held(1001, exp, volume="0.06")], ours, [SettledClose(1001, D("0.04"))])
    assert mine.run() == ()


def test_a_manual_trade_netted_into_the_bot_position_is_a_volume_mismatch() -> None:
    exp = expect()
    manual = opening(12, 1001, exp, volume="0.05", comment="", at=timedelta(minutes=2))
    book = Book([exp], [held(1001, exp, volume="0.15")], [opening(10, 1001, exp), manual])
    found = only(book.run(), K.VOLUME_MISMATCH)
    assert found.evidence.cause is VolumeCause.NETTING
    assert (found.evidence.expected_volume, found.evidence.actual_volume) == (D("0.10"), D("0.15"))


def test_a_position_holding_more_than_its_deals_is_a_volume_mismatch() -> None:
    exp = expect()
    book = Book([exp], [held(1001, exp, volume="0.30")], [opening(10, 1001, exp)])
    found = only(book.run(), K.VOLUME_MISMATCH)
    assert found.evidence.cause is VolumeCause.DEALS_INCOMPLETE
    assert (found.evidence.expected_volume, found.evidence.actual_volume) == (D("0.10"), D("0.30"))


def test_slippage_beyond_tolerance_carries_points_and_cost_in_account_currency() -> None:
    exp = expect()  # buy 0.10 EURUSD at 1.08550, tolerance 20 points
    # filled 30 points worse; the position now earns 2.00 on a 0.00020 move: 100,000 per 1.0 per lot
    position = held(1001, exp, open_price="1.08580", price="1.08600", profit="2.00")
    book = Book([exp], [position], [opening(10, 1001, exp, price="1.08580")])
    found = only(book.run(), K.SLIPPAGE)
    assert (found.evidence.expected_price, found.evidence.actual_price) == (D("1.08550"), D("1.08580"))
    assert (found.evidence.points, found.evidence.tolerance_points) == (D("30.0"), D(20))
    assert found.evidence.cost == D("3.00")  # 0.00030 x 0.10 lot x 100,000


def test_slippage_cost_is_none_until_a_price_move_tells_the_value_of_a_point() -> None:
    exp = expect(side=Side.SELL)
    position = held(1001, exp, open_price="1.08500", price="1.08500")  # sold 50 points lower, no move yet
    found = only(Book([exp], [position], [opening(10, 1001, exp, price="1.08500")]).run(), K.SLIPPAGE)
    assert (found.evidence.points, found.evidence.cost) == (D("50.0"), None)


def test_a_stop_loss_moved_on_the_bot_position_is_sl_tp_changed() -> None:
    exp = expect()
    book = Book([exp], [held(1001, exp, sl="1.07900")], [opening(10, 1001, exp)])
    found = only(book.run(), K.SL_TP_CHANGED)
    assert (found.evidence.expected_sl, found.evidence.actual_sl) == (D("1.08000"), D("1.07900"))
    assert (found.evidence.expected_tp, found.evidence.actual_tp) == (D("1.09500"), D("1.09500"))
    removed = Book([exp], [held(1001, exp, tp="0")], [opening(10, 1001, exp)])  # MT5: 0 is no TP
    assert only(removed.run(), K.SL_TP_CHANGED).evidence.actual_tp is None


def test_one_signal_filled_twice_on_a_hedging_account_is_a_critical_duplicate() -> None:
    exp = expect()
    twice = expect(queued_at=T0 + timedelta(seconds=5))
    book = Book(
        [exp], [held(1001, exp), held(1002, twice)], [opening(10, 1001, exp), opening(20, 1002, twice)]
    )
    found = only(book.run(), K.DUPLICATE_EXECUTION)
    assert (found.evidence.tickets, found.critical) == ((1001, 1002), True)
    assert kinds(book.run()) == [K.DUPLICATE_EXECUTION]  # the second position is not also "manual"


def test_one_signal_filled_twice_on_a_netting_account_is_a_duplicate_not_a_partial_fill() -> None:
    exp = expect()
    deals = [opening(10, 1001, exp), opening(11, 1001, exp, at=timedelta(seconds=4))]
    book = Book([exp], [held(1001, exp, volume="0.20")], deals)
    assert kinds(book.run()) == [K.DUPLICATE_EXECUTION]
    assert only(book.run(), K.DUPLICATE_EXECUTION).evidence.tickets == (10, 11)


def test_a_position_whose_comment_the_broker_dropped_matches_by_symbol_side_and_time() -> None:
    exp = expect()
    bare = held(1001, exp, comment="", magic=0, symbol="EURUSD.m", at=timedelta(seconds=40))
    assert Book([exp], [bare]).run() == ()
    wrong_side = held(1001, expect(side=Side.SELL), comment="", magic=0)
    assert kinds(Book([exp], [wrong_side]).run()) == [K.NOT_EXECUTED, K.MANUAL_POSITION]
    too_late = held(1001, exp, comment="", magic=0, at=timedelta(minutes=6))
    assert kinds(Book([exp], [too_late]).run()) == [K.NOT_EXECUTED, K.MANUAL_POSITION]


def test_the_ticket_from_the_ack_wins_over_the_time_window() -> None:
    first = expect(ticket=1002)
    near = held(1001, first, comment="", magic=0)  # nearer in time, but not the acked ticket
    acked = held(1002, first, comment="", magic=0, at=timedelta(seconds=50))
    assert kinds(Book([first], [near, acked]).run()) == [K.MANUAL_POSITION]
    assert only(Book([first], [near, acked]).run(), K.MANUAL_POSITION).ticket == 1001


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"grace": timedelta(seconds=-1)}, "grace"),
        ({"fill_window": timedelta(0)}, "fill_window"),
        ({"default_slippage_points": Decimal("-1")}, "default_slippage_points"),
        ({"slippage_points": {"XAUUSD": Decimal("NaN")}}, "slippage_points[XAUUSD]"),
        ({"points": {"US30": Decimal(0)}}, "points[US30]"),
    ],
)
def test_a_setting_out_of_range_is_refused_naming_it(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        ReconciliationConfig(**config)  # type: ignore[arg-type]


def test_inputs_that_contradict_themselves_are_refused_naming_the_field() -> None:
    from core.domain.reconciliation import ReconciliationInputError

    with pytest.raises(ReconciliationInputError, match=r"expected\[0\].account_id"):
        Book([expect(account_id=7)]).run()
    with pytest.raises(ReconciliationInputError, match=r"expected\[1\].signal_id"):
        Book([expect(), expect()]).run()
    with pytest.raises(ReconciliationInputError, match=r"positions\[1\].ticket"):
        Book(positions=[held(1, expect()), held(1, expect())]).run()
    with pytest.raises(ReconciliationInputError, match="now"):
        Book().run(now=LATER.replace(tzinfo=None))
