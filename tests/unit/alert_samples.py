"""Alerts with hostile values, built from their types' annotations: HTML metacharacters and emoji in
every text, 15-digit and negative Decimals, far-future times, empty and long tuples, every enum member."""

from __future__ import annotations

import types
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from core.domain.alerts import REGISTRY

HOSTILE = "<b>&\"' 😀 Сервер</b>"
LOGIN = 501234567


@dataclass(frozen=True)
class Profile:
    """How hostile values are: the text, numbers, counts, times and how many items a tuple holds."""

    name: str
    text: str
    number: Decimal
    integer: int
    moment: datetime
    items: int
    optional: bool  # whether an optional field is given a value


FAR_FUTURE = datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
PROFILES = [
    Profile("empty", HOSTILE, Decimal("-123456789012345"), 0, FAR_FUTURE, 0, False),
    Profile("one", HOSTILE, Decimal("0.00001"), 1, datetime(2026, 11, 27, 21, tzinfo=UTC), 1, True),
    Profile(
        "long", HOSTILE * 4, Decimal("999999999999999.99"), 22, datetime(2999, 1, 1, tzinfo=UTC), 400, True
    ),
]
VARIANTS = range(4)  # enough to reach every member of the largest enum a type uses


def leaves(base: type) -> list[type]:
    children = base.__subclasses__()
    return [base] if not children else [leaf for child in children for leaf in leaves(child)]


ALERT_TYPES = sorted(REGISTRY, key=lambda alert_type: REGISTRY[alert_type].kind)


def sample(alert_type: type, profile: Profile, variant: int) -> Any:
    """An instance of the dataclass `alert_type` with `profile`'s values; enums take member `variant`."""
    hints = get_type_hints(alert_type)
    values = {f.name: _value(hints[f.name], f.name, profile, variant) for f in fields(alert_type) if f.init}
    return alert_type(**values)


def _value(hint: Any, name: str, profile: Profile, variant: int) -> object:
    if get_origin(hint) in (Union, types.UnionType):
        options = [option for option in get_args(hint) if option is not type(None)]
        if len(options) < len(get_args(hint)) and not profile.optional:
            return None
        return _value(options[variant % len(options)], name, profile, variant)
    if get_origin(hint) is tuple:
        item = get_args(hint)[0]
        return tuple(_value(item, name, profile, variant + n) for n in range(profile.items))
    if isinstance(hint, type) and issubclass(hint, Enum):
        members = list(hint)
        return members[variant % len(members)]
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return sample(hint, profile, variant)
    return _scalar(hint, name, profile, variant)


def _scalar(hint: Any, name: str, profile: Profile, variant: int) -> object:
    if hint is bool:
        return variant % 2 == 0
    if hint is int:
        return LOGIN if name == "login" else profile.integer + variant
    if hint is str:
        return "USD" if name == "currency" else profile.text
    if hint is Decimal:
        return profile.number
    if hint is datetime:
        return profile.moment
    raise TypeError(f"no sample for {hint!r} ({name})")


# issue 11: one stored row of each fraud alert kind, as core.services.fraud writes it (payload version 1);
# tests/unit/test_alert_payloads.py takes these into its V1_ROWS.
FRAUD_V1_ROWS: dict[str, dict[str, Any]] = {
    "admin_fraud_flagged": {
        "case_id": 7, "affiliate_telegram_id": 1001, "score": "85.00",
        "reasons": ["shared_login: 5012345@Broker-Live linked by users 1001 and 1002"],
    },
    "fraud_hold": {"case_id": 7, "rules": ["shared_login", "same_ip"]},
    "fraud_decided": {"case_id": 7, "outcome": "confirmed", "code_banned": True},
}  # fmt: skip
# issue 11: one stored row of the referral alert kind, as core.services.referrals writes it (payload
# version 1); tests/unit/test_alert_payloads.py takes these into its V1_ROWS.
REFERRAL_V1_ROWS: dict[str, dict[str, Any]] = {"referral_signed_up": {"referee_first_name": "Ann"}}
# issue 11: one stored row of the ledger's payout_returned kind (payload version 1).
LEDGER_V1_ROWS: dict[str, dict[str, Any]] = {
    "payout_returned": {"amount": "150", "currency": "XTR", "period": "2026-02"},
}
# issue 13: one stored row of each monitoring alert kind, as core.services.degraded would write it.
MONITORING_V1_ROWS: dict[str, dict[str, Any]] = {
    "admin_system_degraded": {"dependency": "postgres", "since": "2026-03-02T10:00:00Z"},
    "admin_system_recovered": {
        "dependency": "redis", "since": "2026-03-02T10:00:00Z", "until": "2026-03-02T10:05:30Z",
    },
}  # fmt: skip
# issue 13: one stored row of the audit chain's daily anchor (payload version 1), as AuditChain.anchor
# writes it.
AUDIT_V1_ROWS: dict[str, dict[str, Any]] = {
    "admin_audit_anchor": {
        "head_id": 4211, "head_hash": "9f" * 32, "entries": 4211, "at": "2026-12-01T00:05:00Z",
    },
}  # fmt: skip
