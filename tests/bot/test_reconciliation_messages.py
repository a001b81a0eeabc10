"""Every divergence, however it came about, in every language: a sentence in the trader's words that
names the trade and the numbers that matter, as HTML Telegram accepts (the generic alert walk reaches
only some of the kinds)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.i18n import translator
from bot.render import render_alert
from bot.render.reconciliation import render_reconciliation
from core.domain.alerts import DivergenceCritical, DivergenceFound
from core.domain.reconciliation import ClosedHow, DivergenceKind, Evidence, Severity, VolumeCause, divergence
from core.services.ports.reconciliation import StoredDivergence
from core.services.reconciliation import AccountReconciliation
from core.services.users import SUPPORTED_LANGUAGES
from sim.telegram import parse_html

ACCOUNT = {"login": 5012345, "server": "Broker-Live", "currency": "USD"}
SLIP = Evidence(
    symbol="EURUSD", side=None, expected_price=Decimal("1.08550"), actual_price=Decimal("1.08582"),
    points=Decimal("32.0"), tolerance_points=Decimal(20), cost=Decimal("3.20"),
)  # fmt: skip
CASES = (
    [(DivergenceKind.CLOSED_EXTERNALLY, Evidence(symbol="EURUSD", how=how)) for how in ClosedHow]
    + [(DivergenceKind.VOLUME_MISMATCH, Evidence(symbol="EURUSD", cause=cause, how=ClosedHow.HAND))
       for cause in VolumeCause]
    + [(kind, Evidence(symbol="EURUSD")) for kind in DivergenceKind
       if kind not in (DivergenceKind.CLOSED_EXTERNALLY, DivergenceKind.VOLUME_MISMATCH)]
)  # fmt: skip


def found(kind: DivergenceKind, evidence: Evidence, ticket: int | None = 123) -> DivergenceFound:
    one = divergence(kind, 7, "sig_1", ticket, evidence)
    return DivergenceFound(
        **ACCOUNT, divergence_id=one.id, kind=kind, severity=one.severity, evidence=evidence,
        signal_id="sig_1", ticket=ticket,
    )  # fmt: skip


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize(("kind", "evidence"), CASES, ids=lambda v: str(getattr(v, "value", "")))
def test_every_divergence_renders_in_every_language_naming_the_account(
    kind: DivergenceKind, evidence: Evidence, language: str
) -> None:
    for ticket in (123, None):
        text = parse_html(render_alert(translator(language), found(kind, evidence, ticket)), strict=True).text

        assert "5012345" in text and "Broker-Live" in text
        if ticket is not None and kind not in (
            DivergenceKind.NOT_EXECUTED,
            DivergenceKind.DUPLICATE_EXECUTION,
        ):
            assert "#123" in text


def test_slippage_says_the_points_and_the_cost_in_the_account_currency() -> None:
    text = render_alert(translator("en"), found(DivergenceKind.SLIPPAGE, SLIP))

    assert "slippage 32.0 points (allowed 20), cost $3.20" in text
    assert "Your bot trade #123 EURUSD (signal sig_1) was filled at 1.08582 instead of 1.08550" in text


def test_a_bot_trade_closed_by_hand_says_so() -> None:
    text = render_alert(
        translator("en"), found(DivergenceKind.CLOSED_EXTERNALLY, Evidence("EURUSD", how=ClosedHow.HAND))
    )

    assert "Your bot trade #123 EURUSD (signal sig_1) was closed by hand" in text


def test_the_admins_alert_names_the_owner() -> None:
    alert = found(DivergenceKind.DUPLICATE_EXECUTION, Evidence("EURUSD", tickets=(5, 6)))
    critical = DivergenceCritical(**{**alert.__dict__, "severity": Severity.CRITICAL}, owner_telegram_id=4242)

    text = render_alert(translator("en"), critical)

    assert "Critical divergence" in text and "owner 4242" in text and "#5, #6" in text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_reconcile_lists_open_divergences_or_says_nothing_diverges(language: str) -> None:
    t = translator(language)
    at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    one = divergence(DivergenceKind.SLIPPAGE, 7, "sig_1", 123, SLIP)
    open_one = AccountReconciliation(7, 5012345, "<Broker>", at, (StoredDivergence(one, at),))
    clean = AccountReconciliation(7, 5012345, "<Broker>", at, ())
    never = AccountReconciliation(7, 5012345, "<Broker>", None, ())

    shown = [
        parse_html(render_reconciliation(t, view), strict=True).text for view in (open_one, clean, never)
    ]

    assert all("5012345" in text and "<Broker>" in text for text in shown)
    fill = t.price(Decimal("1.08582"))
    assert fill in shown[0] and fill not in shown[1]
    assert len({shown[0], shown[1], shown[2]}) == 3
