"""The referral alert (issue 11): someone opened the referrer's link and is now their referral."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.alerts.base import AlertBody


@dataclass(frozen=True, kw_only=True)
class ReferralSignedUp(AlertBody):
    """Names only the referee's first name (no id, no username): the referrer learns no more than that."""

    referee_first_name: str
