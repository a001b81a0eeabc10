"""Fraud checks (issue 11): pure functions producing signals with evidence, combined into a score with
reasons. `scan(inputs, now, config)` assesses every referrer (see inputs.py for the contract)."""

from core.domain.affiliates.fraud.identity import normalise_email
from core.domain.affiliates.fraud.inputs import (
    Assessment,
    FraudConfig,
    FraudInputs,
    LinkRecord,
    PayerRecord,
    RoundTrip,
    Sighting,
    Withheld,
)
from core.domain.affiliates.fraud.scan import scan
from core.domain.affiliates.fraud.score import WEIGHTS

__all__ = [
    "WEIGHTS",
    "Assessment",
    "FraudConfig",
    "FraudInputs",
    "LinkRecord",
    "PayerRecord",
    "RoundTrip",
    "Sighting",
    "Withheld",
    "normalise_email",
    "scan",
]
