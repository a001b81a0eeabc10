"""An alert as its outbox row stores it: kind, payload version and a JSON payload (core.domain.codec:
Decimals as exact strings, times as ISO 8601, enums as their values, tuples as lists), and back.

Decoding follows each type's field annotations, so a new type needs no code here. A row that does not
decode (an unknown kind or version, a missing or malformed field) is read as an `UndecodableAlert`:
whoever delivers it marks that one row undeliverable and goes on."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields, is_dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, ClassVar, Protocol, TypeVar, Union, get_args, get_origin, get_type_hints

from core.domain.alerts.base import AlertBody
from core.domain.alerts.registry import BY_KIND, REGISTRY, UnknownAlert, spec_of
from core.domain.codec import decode_time, to_json


class DataclassInstance(Protocol):
    """Any dataclass (typeshed's `_typeshed.DataclassInstance`, which exists only for type checkers)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T")
D = TypeVar("D", bound=DataclassInstance)
JsonObject = dict[str, object]


@dataclass(frozen=True)
class StoredAlert:
    kind: str
    version: int
    payload: JsonObject


@dataclass(frozen=True)
class UndecodableAlert:
    """A stored row no registered type reads; `reason` says why (for the log and the row's last error)."""

    kind: str
    version: int
    reason: str


def encode_alert(alert: AlertBody) -> StoredAlert:
    spec = spec_of(alert)
    payload = to_json(alert)
    assert isinstance(payload, dict)
    return StoredAlert(spec.kind, spec.version, payload)


def decode_alert(stored: StoredAlert) -> AlertBody:
    """The typed alert of a stored row; raises UnknownAlert for a kind or version no type has, and
    ValueError for a payload that does not fit its type."""
    alert_type = BY_KIND.get(stored.kind)
    if alert_type is None:
        raise UnknownAlert(f"unknown alert kind {stored.kind!r}")
    if stored.version != REGISTRY[alert_type].version:
        raise UnknownAlert(f"alert kind {stored.kind!r} has no payload version {stored.version}")
    try:
        return from_json(alert_type, stored.payload)
    except (KeyError, TypeError, ValueError, InvalidOperation) as error:
        raise ValueError(f"{stored.kind} v{stored.version} payload: {error!r}") from error


def read_stored(stored: StoredAlert) -> AlertBody | UndecodableAlert:
    try:
        return decode_alert(stored)
    except (UnknownAlert, ValueError) as error:
        return UndecodableAlert(stored.kind, stored.version, str(error))


def from_json(cls: type[D], data: object) -> D:
    """An instance of the dataclass `cls` from its JSON object; keys it does not know are ignored, a
    field it lacks takes the field's default (or raises KeyError when there is none)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} expects an object, not {type(data).__name__}")
    hints = _hints(cls)
    values: dict[str, object] = {}
    for field in fields(cls):
        if not field.init:
            continue
        if field.name in data:
            values[field.name] = _value(hints[field.name], data[field.name])
        elif field.default is MISSING and field.default_factory is MISSING:
            raise KeyError(f"{cls.__name__}.{field.name}")
    make: Callable[..., D] = cls
    return make(**values)


@cache
def _hints(cls: object) -> dict[str, Any]:
    return get_type_hints(cls)


def _value(hint: Any, raw: object) -> object:
    if get_origin(hint) in (Union, types.UnionType):
        return _union(get_args(hint), raw)
    if get_origin(hint) is tuple:
        if not isinstance(raw, list):
            raise TypeError(f"expected a list, not {type(raw).__name__}")
        item = get_args(hint)[0]
        return tuple(_value(item, element) for element in raw)
    if isinstance(hint, type) and is_dataclass(hint):
        return from_json(hint, raw)
    reader = _READERS.get(hint)
    if reader is not None:
        return reader(raw)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(raw)
    raise TypeError(f"no JSON reading for {hint!r}")


def _union(options: tuple[Any, ...], raw: object) -> object:
    """`X | None`, or a union of dataclasses told apart by their tag (a field set by the type)."""
    if raw is None and type(None) in options:
        return None
    present = [option for option in options if option is not type(None)]
    if len(present) == 1:
        return _value(present[0], raw)
    if not isinstance(raw, Mapping):
        raise TypeError(f"expected an object, not {type(raw).__name__}")
    for option in present:
        tags = [f for f in fields(option) if not f.init]
        if tags and all(raw.get(tag.name) == tag.default for tag in tags):
            return from_json(option, raw)
    raise ValueError(f"no type of {present} matches {dict(raw)!r}")


def _exactly(kind: type[T]) -> Callable[[object], T]:
    def read(raw: object) -> T:
        if type(raw) is not kind:  # a bool is no int here, and an int no str
            raise TypeError(f"expected {kind.__name__}, not {type(raw).__name__}")
        return raw

    return read


def _decimal(raw: object) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise TypeError(f"expected a decimal string, not {type(raw).__name__}")
    return Decimal(raw)


def _time(raw: object) -> datetime:
    if not isinstance(raw, str):
        raise TypeError(f"expected an ISO 8601 time, not {type(raw).__name__}")
    return decode_time(raw)


_READERS: dict[object, Callable[[object], object]] = {
    int: _exactly(int),
    str: _exactly(str),
    bool: _exactly(bool),
    Decimal: _decimal,
    datetime: _time,
}
