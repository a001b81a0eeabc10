"""One full scan: index the inputs once, run every check for every referrer, score what they found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from core.domain.affiliates.fraud.index import Index, build_index
from core.domain.affiliates.fraud.inputs import Assessment, FraudConfig, FraudInputs
from core.domain.affiliates.fraud.linked import LINKED_CHECKS
from core.domain.affiliates.fraud.score import Finding, assess
from core.domain.affiliates.fraud.wash import WASH_CHECKS

Check = Callable[[int, Index, FraudConfig], list[Finding]]
CHECKS: tuple[Check, ...] = LINKED_CHECKS + WASH_CHECKS


def scan(inputs: FraudInputs, now: datetime, config: FraudConfig) -> tuple[Assessment, ...]:
    """An assessment for every referrer with at least one signal, by affiliate id. `now` bounds what
    counts: rows stamped after it (a clock skew, a replay) are not evidence yet."""
    ix = build_index(_until(inputs, now), config)
    assessments = []
    for referrer in sorted(ix.referees_of):
        findings = [f for check in CHECKS for f in check(referrer, ix, config)]
        if findings:
            assessments.append(assess(referrer, findings, config))
    return tuple(assessments)


def _until(inputs: FraudInputs, now: datetime) -> FraudInputs:
    return FraudInputs(
        referrals=tuple(r for r in inputs.referrals if r.created_at <= now),
        links=tuple(link for link in inputs.links if link.linked_at <= now),
        sightings=tuple(s for s in inputs.sightings if s.first_seen <= now),
        payers=inputs.payers,
        round_trips=tuple(t for t in inputs.round_trips if t.closed_at <= now),
    )
