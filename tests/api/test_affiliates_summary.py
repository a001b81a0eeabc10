"""GET /v1/affiliates/summary through the real aiohttp app and Postgres: the last twelve ISO weeks by the
service's clock, counted from the stored users, referrals, payments, commission lines and fraud cases;
refused without an operator token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bot.app import Core
from tests.api.conftest import Bridge
from tests.api.test_operator_api import bearer, operator_get, operator_token
from tests.api.wire import accepted, refusal

PATH = "/v1/affiliates/summary"
NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)  # Wednesday of 2026-W49


def at(day: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, 10, tzinfo=UTC)


async def execute(core: Core, sql: str, **params: Any) -> Any:
    async with core.engine.begin() as connection:
        result = await connection.execute(text(sql), params)
        return result.all() if result.returns_rows else []


PAYMENT = (
    "INSERT INTO payments (source, external_id, telegram_id, type, amount, currency, period_start,"
    " period_end, received_at)"
    " VALUES (:source, :id, :telegram_id, :type, :amount, :currency, :start, :end, :received)"
)
LINE = (
    "INSERT INTO commission_lines (dedupe_key, affiliate_user_id, kind, amount, currency, rule_version,"
    " details, earned_at, payable_at, payout_id) VALUES (:key, :affiliate, 'tier_1', :amount, 'XTR', 'v1',"
    " '{}', :earned, :payable, :payout)"
)


async def seed(core: Core) -> None:
    """Ann (4242, the bridge's user) joined in W47 and refers Boris; Boris and Carla joined in W49."""
    for telegram_id, name in ((5001, "Boris"), (5002, "Carla")):
        await core.bot_services.users.resolve(telegram_id, name, None, "en")
    ids = dict(await execute(core, "SELECT telegram_id, id FROM users"))
    for telegram_id, joined in ((4242, at(20, 11)), (5001, at(1)), (5002, at(1))):
        await execute(
            core, "UPDATE users SET created_at = :c WHERE telegram_id = :t", c=joined, t=telegram_id
        )
    await execute(core, "INSERT INTO referrals VALUES (:b, :a, 'AnnCode1234', :c)", b=ids[5001], a=ids[4242],
                  c=at(1))  # fmt: skip
    month = {"start": at(1), "end": at(31)}
    payments = [
        ("stars", "s1", 5001, "paid", "500", "XTR", at(1)),
        ("external", "e1", 5002, "paid", "20.00", "USD", at(1)),
        ("external", "e2", 5002, "refunded", "20.00", "USD", at(2, 12)),  # Carla's, taken back in full
        ("external", "e3", 4242, "renewed", "9.99", "EUR", at(25, 11)),
        ("external", "e4", 4242, "paid", "1000", "EUR", at(1, 1)),  # too old for the twelve weeks
    ]
    for source, external_id, telegram_id, kind, amount, currency, received in payments:
        await execute(core, PAYMENT, source=source, id=external_id, telegram_id=telegram_id, type=kind,
                      amount=amount, currency=currency, received=received, **month)  # fmt: skip
    [(payout,)] = await execute(
        core,
        "INSERT INTO payouts (affiliate_user_id, period, amount, currency, status, created_by, created_at)"
        " VALUES (:a, '2026-11', 5, 'XTR', 'sent', 'test', :c) RETURNING id",
        a=ids[4242], c=at(16, 11),
    )  # fmt: skip
    lines = [
        ("l1", "150", at(1), at(31), None),  # W49, pending until the 31st
        ("l2", "10", at(1, 11), at(15, 11), None),  # W44, payable
        ("l3", "5", at(5, 11), at(6, 11), payout),  # W45, paid
        ("l4", "70", at(5, 12), at(31), None),  # earned after now: not yet
    ]
    for key, amount, earned, payable, paid_by in lines:
        await execute(core, LINE, key=key, affiliate=ids[4242], amount=amount, earned=earned, payable=payable,
                      payout=paid_by)  # fmt: skip
    for status, opened in (("open", at(26, 11)), ("cleared", at(27, 11))):
        await execute(
            core,
            "INSERT INTO fraud_cases (affiliate_user_id, status, score, signals, rule_version, opened_at,"
            " updated_at) VALUES (:a, :s, 70, '{}', 'v1', :o, :o)",
            a=ids[5001 if status == "open" else 5002], s=status, o=opened,
        )  # fmt: skip


def by_week(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {week["week"]: week for week in body["weeks"]}


async def test_the_summary_counts_the_last_twelve_iso_weeks(bridge: Bridge, core: Core) -> None:
    bridge.clock.now = NOW
    await seed(core)

    body = await accepted(await operator_get(bridge, PATH, bearer(operator_token(core))))

    weeks = by_week(body)
    assert [week["week"] for week in body["weeks"]] == [f"2026-W{n}" for n in range(38, 50)]
    assert body["generated_at"] == "2026-12-02T12:00:00Z"
    assert weeks["2026-W49"] | {"commission": None} == {
        "week": "2026-W49", "week_start": "2026-11-30", "signups": 2, "referred_signups": 1, "paying": 1,
        "stars_revenue": "500", "external_revenue": {"USD": "0"}, "commission": None, "open_fraud_cases": 0,
    }  # fmt: skip
    assert weeks["2026-W49"]["commission"] == {"pending": {"XTR": "150"}, "payable": {}, "paid": {}}
    assert (weeks["2026-W48"]["paying"], weeks["2026-W48"]["external_revenue"]) == (1, {"EUR": "9.99"})
    assert weeks["2026-W48"]["open_fraud_cases"] == 1  # the cleared case is not counted
    assert weeks["2026-W47"]["signups"] == 1 and weeks["2026-W47"]["referred_signups"] == 0
    assert weeks["2026-W44"]["commission"]["payable"] == {"XTR": "10"}
    assert weeks["2026-W45"]["commission"]["paid"] == {"XTR": "5"}
    quiet = weeks["2026-W40"]
    assert (quiet["signups"], quiet["paying"], quiet["stars_revenue"], quiet["external_revenue"]) == (
        0,
        0,
        "0",
        {},
    )


async def test_the_weeks_follow_the_services_clock(bridge: Bridge, core: Core) -> None:
    bridge.clock.now = NOW
    await seed(core)
    bridge.clock.now = datetime(2027, 1, 1, 12, tzinfo=UTC)  # Friday of 2026-W53

    body = await accepted(await operator_get(bridge, PATH, bearer(operator_token(core))))

    weeks = by_week(body)
    assert body["weeks"][-1]["week"] == "2026-W53" and body["weeks"][0]["week"] == "2026-W42"
    # both W49 lines matured on the 31st, and the one earned on the 5th is in the past now
    assert weeks["2026-W49"]["commission"] == {"pending": {}, "payable": {"XTR": "220"}, "paid": {}}


async def test_the_summary_without_a_token_is_401_and_with_a_bad_one_too(bridge: Bridge) -> None:
    await refusal(await bridge.client.get(PATH), 401, "unauthorized")
    await refusal(await bridge.client.get(PATH, headers=bearer("not.a.token")), 401, "unauthorized")


async def test_the_summary_answers_only_get(bridge: Bridge, core: Core) -> None:
    response = await bridge.client.post(PATH, headers=bearer(operator_token(core)), json={})

    assert response.status == 405
