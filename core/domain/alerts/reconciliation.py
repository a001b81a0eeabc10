"""Reconciliation's alerts: a divergence found on an account (to its trader), and a critical one (also to
the admins: a signal filled twice, a bot position stopped out). The evidence stays typed (Decimals stay
Decimals) until it is rendered; `kind` and `evidence.how`/`evidence.cause` choose the sentence."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.alerts.base import AccountAlert
from core.domain.reconciliation.model import DivergenceKind, Evidence, Severity


@dataclass(frozen=True, kw_only=True)
class DivergenceAlert(AccountAlert):
    """What every divergence alert says; `divergence_id` is the engine's deterministic id."""

    divergence_id: str
    kind: DivergenceKind
    severity: Severity
    evidence: Evidence
    signal_id: str | None = None
    ticket: int | None = None


@dataclass(frozen=True, kw_only=True)
class DivergenceFound(DivergenceAlert):
    """To the account's trader, once per divergence id."""


@dataclass(frozen=True, kw_only=True)
class DivergenceCritical(DivergenceAlert):
    """To every admin, once per critical divergence id; names the account's owner."""

    owner_telegram_id: int
