"""The summary `/reconcile` shows: counts by kind, the critical ones, the open divergences."""

from __future__ import annotations

from datetime import timedelta

from core.domain.reconciliation import DivergenceKind, summarize
from core.domain.snapshot import DealReason
from tests.unit.reconciliation.builders import Book, closing, expect, held, opening

K = DivergenceKind


def test_the_summary_counts_each_kind_once_and_puts_the_critical_first() -> None:
    stopped, missing = expect("stopped"), expect("missing")
    manual = held(3001, expect("own"), comment="", magic=0, at=-timedelta(hours=2))
    book = Book(
        expected=[stopped, missing],
        positions=[manual],
        deals=[opening(10, 2001, stopped), closing(11, 2001, stopped, DealReason.SO)],
    )
    found = book.run()
    summary = summarize([*found, *found])  # the same divergence stored twice counts once
    assert summary.total == 3 and not summary.clean
    assert summary.count(K.CLOSED_EXTERNALLY) == summary.count(K.NOT_EXECUTED) == 1
    assert summary.count(K.MANUAL_POSITION) == 1 and summary.count(K.SLIPPAGE) == 0
    assert [kind for kind, _ in summary.counts] == list(DivergenceKind)
    assert summary.critical == 1
    assert summary.open[0].kind is K.CLOSED_EXTERNALLY and summary.open[0].critical


def test_a_clean_account_summarises_as_clean() -> None:
    summary = summarize(Book().copy_of(expect(), 1001).run())
    assert summary.clean and summary.critical == 0 and all(n == 0 for _, n in summary.counts)
