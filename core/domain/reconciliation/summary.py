"""The reconciliation summary `/reconcile` shows: how many divergences of each kind, how many
critical, and the open ones (most severe first)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from core.domain.reconciliation.model import Divergence, DivergenceKind, Severity

_SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class ReconciliationSummary:
    counts: tuple[tuple[DivergenceKind, int], ...]  # every kind, in the table's order, zeros included
    critical: int
    open: tuple[Divergence, ...]

    @property
    def total(self) -> int:
        return len(self.open)

    @property
    def clean(self) -> bool:
        """Nothing diverges: the broker holds what we expected."""
        return not self.open

    def count(self, kind: DivergenceKind) -> int:
        return dict(self.counts)[kind]


def summarize(divergences: Iterable[Divergence]) -> ReconciliationSummary:
    """From the open divergences (the latest pass's, or those stored and not yet resolved); one id
    counts once."""
    distinct = {found.id: found for found in divergences}.values()
    by_kind = Counter(found.kind for found in distinct)
    ordered = sorted(distinct, key=lambda d: (_SEVERITY_ORDER[d.severity], d.kind.value, d.id))
    return ReconciliationSummary(
        counts=tuple((kind, by_kind[kind]) for kind in DivergenceKind),
        critical=sum(1 for found in distinct if found.critical),
        open=tuple(ordered),
    )
