"""Tolerances in points of each symbol: the same price difference is a different number of points, and
the same number of points may be within one symbol's tolerance and beyond another's."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain.reconciliation import DivergenceKind, ReconciliationConfig
from core.domain.symbols import point_size
from tests.unit.reconciliation.builders import Book, D, expect, held, kinds, opening


@pytest.mark.parametrize(
    ("symbol", "point"),
    [
        ("EURUSD", "0.00001"),
        ("USDJPY", "0.001"),
        ("XAUUSD", "0.01"),
        ("US30", "0.01"),
        # the rule for symbols not in the table
        ("EURJPY", "0.001"),
        ("EURHUF", "0.001"),
        ("AUDCAD", "0.00001"),
        ("EURUSD.m", "0.00001"),
        ("EURUSDm", "0.00001"),
        ("#US30", "0.01"),
        ("usdjpy", "0.001"),
        ("XAGEUR", "0.001"),
        ("XAUEUR", "0.01"),
        ("GER40", "0.01"),
        ("LFTS11", "0.01"),
        ("", "0.01"),
    ],
)
def test_point_size_of_known_and_unknown_symbols(symbol: str, point: str) -> None:
    assert point_size(symbol) == Decimal(point)


def test_a_brokers_own_point_overrides_the_table() -> None:
    assert point_size("US30.cash", {"US30": D("0.1")}) == D("0.1")
    assert point_size("US30", {"US30.cash": D("0.1")}) == D("0.01")


def _slipped(symbol: str, entry: str, fill: str, config: ReconciliationConfig) -> list[DivergenceKind]:
    exp = expect(symbol=symbol, entry=entry, sl=None, tp=None)
    position = held(1001, exp, open_price=fill, price=fill)
    return kinds(Book([exp], [position], [opening(10, 1001, exp, price=fill)]).run(config=config))


@pytest.mark.parametrize(
    ("symbol", "entry", "fill", "slipped"),
    [
        ("USDJPY", "155.000", "155.030", True),  # 0.030 is 30 points of USDJPY: beyond 20
        ("XAUUSD", "2650.00", "2650.03", False),  # 0.03 is 3 points of gold: within 20
        ("EURUSD", "1.08550", "1.08553", False),  # 3 points
        ("US30", "44000.00", "44000.03", False),  # 3 points
    ],
)
def test_the_same_price_difference_is_judged_in_points_of_its_symbol(
    symbol: str, entry: str, fill: str, slipped: bool
) -> None:
    found = _slipped(symbol, entry, fill, ReconciliationConfig())
    assert (DivergenceKind.SLIPPAGE in found) is slipped


@pytest.mark.parametrize(
    ("symbol", "entry", "fill", "slipped"),
    [
        ("EURUSD", "1.08550", "1.08580", True),  # 30 points against a tolerance of 20
        ("USDJPY", "155.000", "155.030", True),  # 30 points against 20
        ("XAUUSD", "2650.00", "2650.30", False),  # 30 points against gold's 50
        ("US30", "44000.00", "44000.30", False),  # 30 points against the Dow's 300
    ],
)
def test_the_same_30_point_slip_is_slippage_on_one_symbol_and_not_on_another(
    symbol: str, entry: str, fill: str, slipped: bool
) -> None:
    config = ReconciliationConfig(slippage_points={"XAUUSD": D(50), "US30": D(300)})
    assert (DivergenceKind.SLIPPAGE in _slipped(symbol, entry, fill, config)) is slipped


def test_a_broker_quoting_the_dow_in_tenths_sees_thirty_cents_as_three_points() -> None:
    config = ReconciliationConfig(points={"US30": D("0.1")}, default_slippage_points=D(2))
    assert DivergenceKind.SLIPPAGE in _slipped("US30", "44000.0", "44000.3", config)
    strict = ReconciliationConfig(default_slippage_points=D(2))
    assert DivergenceKind.SLIPPAGE in _slipped("US30", "44000.00", "44000.03", strict)
    assert DivergenceKind.SLIPPAGE not in _slipped("US30", "44000.00", "44000.02", strict)
