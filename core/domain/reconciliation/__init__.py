"""Reconciliation as one room: what the broker holds against what the service expected (issue 10).

`reconcile` runs one pass of one account (engine), `summarize` makes `/reconcile`'s summary; the
matching (matching), the rules (checks), the broker's trades (broker) and the types (model) are the
sibling modules. Points of symbols: core.domain.symbols.
"""

from core.domain.reconciliation.engine import DEFAULT_CONFIG, ReconciliationInputError, reconcile
from core.domain.reconciliation.model import (
    ClosedHow,
    Divergence,
    DivergenceKind,
    Evidence,
    ReconciliationConfig,
    ReconciliationConfigError,
    SettledClose,
    Severity,
    VolumeCause,
    divergence,
)
from core.domain.reconciliation.summary import ReconciliationSummary, summarize

__all__ = [
    "DEFAULT_CONFIG",
    "ClosedHow",
    "Divergence",
    "DivergenceKind",
    "Evidence",
    "ReconciliationConfig",
    "ReconciliationConfigError",
    "ReconciliationInputError",
    "ReconciliationSummary",
    "SettledClose",
    "Severity",
    "VolumeCause",
    "divergence",
    "reconcile",
    "summarize",
]
