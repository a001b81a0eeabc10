"""Fraud checks (issue 11): pure functions producing signals with evidence, combined into a score with
reasons. `scan(inputs, now, config)` assesses every referrer (see inputs.py for the contract)."""

from core.domain.affiliates.fraud.inputs import (
    Assessment,
    FraudConfig,
    FraudInputs,
    LinkRecord,
    PayerRecord,
    RoundTrip,
    Sighting,
)
from core.domain.affiliates.fraud.scan import scan

__all__ = [
    "Assessment",
    "FraudConfig",
    "FraudInputs",
    "LinkRecord",
    "PayerRecord",
    "RoundTrip",
    "Sighting",
    "scan",
]
