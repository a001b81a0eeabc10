"""A real netting account (the MetaTrader5 package's output, tests/data/README.md): the position holds
3.0 lots at 145.8067 while the deals of the same snapshot cover 2 x 1.0 at 145.84 — one fill (1.0 at
145.74, on 6 January) is outside what we were given."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.domain.reconciliation import DivergenceKind, VolumeCause, reconcile
from core.domain.signals import ExpectedTrade
from core.domain.snapshot import Side
from tests.unit.reconciliation.mt5_data import deals, positions

ACCOUNT = 9


def test_the_files_read_as_mt5_wrote_them() -> None:
    (position,) = positions()
    first, second = deals()
    assert (position.ticket, position.side, position.volume, position.magic) == (256632122, Side.BUY, 3, 0)
    assert {first.position, second.position} == {position.ticket}
    assert (first.volume + second.volume, first.price, first.reason.value) == (2, Decimal("145.84"), "expert")


def test_a_position_holding_more_than_its_deals_is_a_volume_mismatch_of_three_against_two() -> None:
    listed, history = positions(), deals()
    now = max(deal.time for deal in history) + timedelta(minutes=1)
    found = reconcile(ACCOUNT, [], listed, history, [], now)
    volume = [d for d in found if d.kind is DivergenceKind.VOLUME_MISMATCH]
    assert len(volume) == 1
    evidence = volume[0].evidence
    assert (volume[0].ticket, evidence.cause) == (256632122, VolumeCause.DEALS_INCOMPLETE)
    assert (evidence.expected_volume, evidence.actual_volume) == (Decimal("2.0"), Decimal("3.0"))
    # no expected trade, no tg: comment (magic 0, "METATRADER5"): the trader's own position too
    assert {d.kind for d in found} == {DivergenceKind.VOLUME_MISMATCH, DivergenceKind.MANUAL_POSITION}


def test_as_a_bot_trade_of_one_lot_the_same_files_say_how_far_the_broker_is_from_the_signal() -> None:
    listed, history = positions(), deals()
    (position,) = listed
    exp = ExpectedTrade(
        signal_id="lfts",
        account_id=ACCOUNT,
        command_id="cmd_lfts",
        symbol="LFTS11",
        side=Side.BUY,
        volume=Decimal("1.0"),
        queued_at=position.open_time,
        entry=Decimal("145.84"),
        ticket=position.ticket,
    )
    now = max(deal.time for deal in history) + timedelta(minutes=1)
    found = {(d.kind, d.evidence.cause): d for d in reconcile(ACCOUNT, [exp], listed, history, [], now)}
    partial = found[DivergenceKind.VOLUME_MISMATCH, VolumeCause.PARTIAL_FILL].evidence
    assert (partial.expected_volume, partial.actual_volume) == (Decimal("1.0"), Decimal("2.0"))
    incomplete = found[DivergenceKind.VOLUME_MISMATCH, VolumeCause.DEALS_INCOMPLETE].evidence
    assert (incomplete.expected_volume, incomplete.actual_volume) == (Decimal("2.0"), Decimal("3.0"))
    assert DivergenceKind.MANUAL_POSITION not in {kind for kind, _ in found}
