"""Port: referral codes and first-touch referrals (issue 11)."""

from __future__ import annotations

from typing import Protocol


class ReferralRepository(Protocol):
    """Filled in by the feature that owns it (docs/affiliates.md)."""
