"""Properties of the engine over random accounts: each planted cause is found (and nothing else), the
order of the inputs does not matter, a perfect copy is clean, ids are stable and unique per cause."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from core.domain.reconciliation import DivergenceKind, reconcile
from core.domain.snapshot import DealReason, Side
from tests.unit.reconciliation.builders import ACCOUNT, T0, Book, closing, expect, held, opening

K = DivergenceKind
NOW = T0 + timedelta(hours=3)
SYMBOLS = (
    ("EURUSD", "1.08550", "0.00001"),
    ("USDJPY", "155.000", "0.001"),
    ("XAUUSD", "2650.00", "0.01"),
    ("US30", "44000.00", "0.01"),
)
FATES: dict[str, set[DivergenceKind]] = {
    "perfect": set(),
    "missing": {K.NOT_EXECUTED},
    "slipped": {K.SLIPPAGE},
    "partial": {K.VOLUME_MISMATCH},
    "stopped": {K.CLOSED_EXTERNALLY},
    "moved_sl": {K.SL_TP_CHANGED},
    "twice": {K.DUPLICATE_EXECUTION},
    "with_manual": {K.MANUAL_POSITION},
}


@dataclass
class Planted:
    book: Book
    causes: dict[str, set[DivergenceKind]]  # signal id (or "manual:<ticket>") → the kinds it must give


def _plant(book: Book, fate: str, index: int, draw: st.DrawFn) -> dict[str, set[DivergenceKind]]:
    symbol, entry, point = draw(st.sampled_from(SYMBOLS))
    side = draw(st.sampled_from(list(Side)))
    sl = draw(st.sampled_from([None, "1"]))
    exp = expect(
        signal_id=f"s{index}",
        symbol=symbol,
        side=side,
        volume=draw(st.sampled_from(["0.02", "0.10", "1.00", "2.50"])),
        entry=entry,
        sl=sl,
        tp=None,
        queued_at=T0 + timedelta(seconds=draw(st.integers(0, 7200))),
    )
    ticket = 1000 + 10 * index
    book.expected.append(exp)
    if fate in ("perfect", "with_manual"):
        book.filled(exp, ticket)
    elif fate == "slipped":
        worse = Decimal(entry) + Decimal(point) * 100 * (1 if side is Side.BUY else -1)
        book.positions.append(held(ticket, exp, open_price=str(worse), price=str(worse)))
        book.deals.append(opening(ticket * 10, ticket, exp, price=str(worse)))
    elif fate == "partial":
        half = str(exp.volume / 2)
        book.positions.append(held(ticket, exp, volume=half))
        book.deals.append(opening(ticket * 10, ticket, exp, volume=half))
    elif fate == "stopped":
        book.deals += [
            opening(ticket * 10, ticket, exp),
            closing(ticket * 10 + 1, ticket, exp, DealReason.SL),
        ]
    elif fate == "moved_sl":
        book.positions.append(held(ticket, exp, sl="2"))
        book.deals.append(opening(ticket * 10, ticket, exp))
    elif fate == "twice":
        book.filled(exp, ticket).filled(
            replace(exp, queued_at=exp.queued_at + timedelta(seconds=3)), ticket + 1
        )
    if fate == "with_manual":  # the trader's own, long before any window
        own = held(ticket + 5, exp, comment="", magic=0, at=-timedelta(hours=5))
        book.positions.append(own)
        return {exp.signal_id: set(), f"manual:{own.ticket}": FATES[fate]}
    return {exp.signal_id: FATES[fate]}


@st.composite
def accounts(draw: st.DrawFn, fates: tuple[str, ...] = tuple(FATES)) -> Planted:
    chosen = draw(st.lists(st.sampled_from(fates), min_size=1, max_size=7))
    book = Book()
    causes: dict[str, set[DivergenceKind]] = {}
    for index, fate in enumerate(chosen):
        causes.update(_plant(book, fate, index, draw))
    return Planted(book, causes)


def _found(planted: Planted) -> dict[str, set[DivergenceKind]]:
    found: dict[str, set[DivergenceKind]] = {key: set() for key in planted.causes}
    for d in planted.book.run(now=NOW):
        found[d.signal_id or f"manual:{d.ticket}"].add(d.kind)
    return found


@settings(max_examples=150, deadline=None)
@given(accounts())
def test_every_planted_cause_is_found_and_nothing_else(planted: Planted) -> None:
    assert _found(planted) == planted.causes


@settings(max_examples=100, deadline=None)
@given(accounts(), st.randoms(use_true_random=False))
def test_the_order_of_the_inputs_does_not_matter(planted: Planted, shuffler: random.Random) -> None:
    book = planted.book
    first = reconcile(ACCOUNT, book.expected, book.positions, book.deals, book.closes, NOW)
    for items in (book.expected, book.positions, book.deals, book.closes):
        shuffler.shuffle(items)
    assert reconcile(ACCOUNT, book.expected, book.positions, book.deals, book.closes, NOW) == first


@settings(max_examples=100, deadline=None)
@given(accounts(fates=("perfect",)))
def test_a_perfect_copy_yields_no_divergence(planted: Planted) -> None:
    assert planted.book.run(now=NOW) == ()


@settings(max_examples=100, deadline=None)
@given(accounts(), st.integers(1, 10_000))
def test_ids_are_stable_across_runs_and_unique_per_cause(planted: Planted, hours_later: int) -> None:
    book = planted.book
    found = book.run(now=NOW)
    again = book.run(now=NOW + timedelta(hours=hours_later))
    assert [d.id for d in again] == [d.id for d in found]  # the time of the check is no part of an id
    assert len({d.id for d in found}) == len(found)  # one id per cause
    elsewhere = reconcile(
        ACCOUNT + 1,
        [replace(e, account_id=ACCOUNT + 1) for e in book.expected],
        book.positions,
        book.deals,
        book.closes,
        NOW,
    )
    assert not {d.id for d in elsewhere} & {d.id for d in found}  # the same cause on another account
