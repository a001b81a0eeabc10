"""An event's fields as alert parameters and audit details: JSON-safe, Decimals as exact strings (the
renderer formats them), times as ISO 8601, enums as their values."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


def event_params(event: Any) -> dict[str, Any]:
    assert is_dataclass(event)
    return {field.name: plain(getattr(event, field.name)) for field in fields(event)}


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    return getattr(value, "value", value)
