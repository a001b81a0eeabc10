"""The affiliate programme: referral attribution, commission maths, payouts and fraud scoring (pure)."""

from core.domain.affiliates.model import (
    CaseStatus,
    CommissionLine,
    FraudCase,
    FraudSignal,
    LineKind,
    LineStatus,
    Payment,
    PaymentSource,
    PaymentType,
    Payout,
    PayoutStatus,
    Plan,
    Referral,
)

__all__ = [
    "CaseStatus",
    "CommissionLine",
    "FraudCase",
    "FraudSignal",
    "LineKind",
    "LineStatus",
    "Payment",
    "PaymentSource",
    "PaymentType",
    "Payout",
    "PayoutStatus",
    "Plan",
    "Referral",
]
