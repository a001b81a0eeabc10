"""The one codec between domain values and JSON: Decimals as exact strings, times as ISO 8601 UTC with
a `Z`, enums as their values, tuples as lists, frozen dataclasses as objects of their fields.

Every stored or sent representation (snapshots as stored, guard state, commands on the wire, alert
payloads, audit details) goes through here, so a time written by one part is read by every other.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Literal

TimeSpec = Literal["auto", "seconds", "milliseconds", "microseconds"]


def encode_time(moment: datetime, timespec: TimeSpec = "auto") -> str:
    """An aware time as ISO 8601 in UTC with a `Z` (`2015-01-15T09:30:00.125Z`)."""
    if moment.tzinfo is None:
        raise ValueError(f"a naive time cannot be encoded: {moment!r}")
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def decode_time(text: str) -> datetime:
    """The inverse of `encode_time`; also reads `+00:00` and other offsets. A naive time is refused."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"a time without a time zone: {text!r}")
    return moment


def encode_optional_time(moment: datetime | None, timespec: TimeSpec = "auto") -> str | None:
    return None if moment is None else encode_time(moment, timespec)


def decode_optional_time(text: str | None) -> datetime | None:
    return None if text is None else decode_time(text)


def to_json(value: object) -> object:
    """A JSON-safe copy of `value` (see the module's docstring); dicts and lists are walked."""
    if isinstance(value, Enum):  # before str and int: a StrEnum or IntEnum member becomes its plain value
        return value.value
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return encode_time(value)
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_json(getattr(value, field.name)) for field in fields(value)}
    raise TypeError(f"no JSON form for {type(value).__name__}")
