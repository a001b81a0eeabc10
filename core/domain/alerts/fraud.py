"""The fraud checks' alerts (issue 11): a case flagged (to every admin), the hold it puts on an
affiliate's commission and the decision taken on it (to the affiliate, without other users' data)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.domain.alerts.base import AlertBody


class FraudOutcome(StrEnum):
    CONFIRMED = "confirmed"  # the held commission was taken back
    CLEARED = "cleared"  # the hold is released


@dataclass(frozen=True, kw_only=True)
class FraudFlagged(AlertBody):
    """To every admin: a case opened (or reopened by new evidence); `reasons` are the scan's top ones."""

    case_id: int
    affiliate_telegram_id: int
    score: Decimal
    reasons: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FraudHold(AlertBody):
    """To the affiliate: their commission is held while a case is reviewed; `rules` name the checks
    (never the evidence, which names other users)."""

    case_id: int
    rules: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FraudDecided(AlertBody):
    """To the affiliate: the review's outcome; `code_banned` when their referral code was banned too."""

    case_id: int
    outcome: FraudOutcome
    code_banned: bool = False
