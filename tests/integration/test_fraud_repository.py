"""Fraud cases and what the checks read, on the real Postgres and Redis (issue 11): sightings upserted
behind an hourly gate, the scan's inputs loaded from real rows, one open case per affiliate even when two
scans race, and a decision taken once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from bot.app import Core
from core.domain.affiliates import CaseStatus, FraudSignal
from core.domain.affiliates.fraud import Assessment, FraudConfig, FraudInputs, Withheld
from core.domain.models import User
from core.services import fraud as fraud_module
from core.services.fraud import Decision, FraudService
from core.services.fraud_loading import load_inputs
from core.services.fraud_sightings import NonceGate, SightingRecorder
from db.redis_store import RedisNonceStore
from tests.conftest import FakeClock

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LOGIN, SERVER = 5012345, "Broker-Live"


async def users(core: Core) -> tuple[User, User]:
    ann = await core.bot_services.users.resolve(1001, "Ann", None, "es")
    bob = await core.bot_services.users.resolve(1002, "Bob", None, "ru")
    return ann, bob


async def refer(core: Core, referrer: User, referee: User) -> None:
    async with core.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO referrals VALUES (:referee, :referrer, 'ann_code', :now)"),
            {"referee": referee.id, "referrer": referrer.id, "now": NOW},
        )
        await connection.execute(
            text("INSERT INTO referral_codes (user_id, code, created_at) VALUES (:u, 'ann_code', :now)"),
            {"u": referrer.id, "now": NOW},
        )


async def rows(core: Core, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with core.engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(text(sql), params)]


async def test_a_sighting_is_upserted_at_most_once_an_hour_per_account_and_address(
    core: Core, clock: FakeClock
) -> None:
    ann, _ = await users(core)
    await core.bot_services.links.link(ann, LOGIN, SERVER)
    [(account,)] = await rows(core, "SELECT id FROM accounts")
    uow = core.bot_services.users.uow
    recorder = SightingRecorder(
        uow, NonceGate(RedisNonceStore(core.redis)), clock, core.health.track("t-sightings")
    )
    first = clock()

    recorder.note(account, "::ffff:203.0.113.7")  # IPv4-mapped: stored as the IPv4 address
    await recorder.drain()
    clock.advance(600)
    recorder.note(account, "203.0.113.7")  # within the hour: gated, Postgres untouched
    recorder.note(account, "not an address")
    await recorder.drain()
    assert await rows(core, "SELECT ip, first_seen, last_seen FROM bridge_sightings") == [
        ("203.0.113.7", first, first)
    ]

    await core.redis.flushdb()  # the hour is over (the gate's key expired)
    recorder.note(account, "203.0.113.7")
    await recorder.drain()
    assert await rows(core, "SELECT ip, first_seen, last_seen FROM bridge_sightings") == [
        ("203.0.113.7", first, clock())
    ]


async def test_the_scan_loads_referrals_links_sightings_payers_and_round_trips_from_real_rows(
    core: Core,
) -> None:
    ann, bob = await users(core)
    await refer(core, ann, bob)
    await core.bot_services.links.link(ann, LOGIN, SERVER)
    await core.bot_services.links.link(bob, LOGIN, SERVER)
    [(mine,), (theirs,)] = await rows(core, "SELECT id FROM accounts ORDER BY id")
    async with core.engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO bridge_sightings VALUES (:a, '203.0.113.7', :now, :now)"),
            {"a": mine, "now": NOW},
        )
        await connection.execute(
            text(
                "INSERT INTO payments (source, external_id, telegram_id, user_id, type, amount, currency,"
                " period_start, period_end, payer_fingerprint, email, received_at) VALUES ('external', 'e1',"
                " 1002, :u, 'paid', 30, 'USD', :now, :now, 'fp_1', 'a.nn+x@gmail.com', :now)"
            ),
            {"u": bob.id, "now": NOW},
        )
        for ticket, entry, minutes, profit in ((1, "in", 0, "0"), (2, "out", 1, "-0.40")):
            await connection.execute(
                text(
                    "INSERT INTO deals (account_id, ticket, position, symbol, type, entry, reason, volume,"
                    " price, time, profit, commission, swap, magic, comment) VALUES (:a, :t, 77, 'EURUSD',"
                    " :type, :entry, 'expert', 1.5, 1.1, :time, :profit, -0.5, 0, 7300, 'tg:sig_1')"
                ),
                {
                    "a": theirs,
                    "t": ticket,
                    "type": "buy" if entry == "in" else "sell",
                    "entry": entry,
                    "time": NOW + timedelta(minutes=minutes),
                    "profit": Decimal(profit),
                },
            )

    async with core.bot_services.users.uow() as uow:
        inputs = await load_inputs(uow, NOW - timedelta(days=30))

    assert [(r.referrer_user_id, r.referee_user_id) for r in inputs.referrals] == [(ann.id, bob.id)]
    assert sorted((link.user_id, link.login) for link in inputs.links) == [(ann.id, LOGIN), (bob.id, LOGIN)]
    assert [(s.account_id, s.ip) for s in inputs.sightings] == [(mine, "203.0.113.7")]
    assert [(p.user_id, p.fingerprint, p.email) for p in inputs.payers] == [
        (bob.id, "fp_1", "a.nn+x@gmail.com")
    ]
    [trip] = inputs.round_trips
    assert (trip.account_id, trip.position_id, trip.volume, trip.bot) == (theirs, 77, Decimal("1.5"), True)
    assert trip.closed_at - trip.opened_at == timedelta(minutes=1)
    assert (trip.profit, trip.commission) == (Decimal("-0.40"), Decimal("-1.0"))


SHARED = FraudSignal("shared_login", Decimal(90), {"login": LOGIN, "server": SERVER})


async def test_two_concurrent_scans_open_one_case_and_alert_once(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bob = await users(core)
    await refer(core, ann, bob)

    def stand_in(inputs: FraudInputs, now: datetime, config: FraudConfig) -> tuple[Assessment, ...]:
        return (Assessment(ann.id, Decimal(90), (SHARED,), ("shared_login",)),)

    monkeypatch.setattr(fraud_module, "scan", stand_in)
    fraud = core.bot_services.fraud
    assert fraud is not None

    opened = await asyncio.gather(fraud.run_once(), fraud.run_once())

    assert sorted(opened) == [0, 1]
    assert await rows(core, "SELECT affiliate_user_id, status FROM fraud_cases") == [(ann.id, "open")]
    assert await rows(core, "SELECT chat_id FROM outbox WHERE kind = 'fraud_hold'") == [(1001,)]


async def opened_case(core: Core, monkeypatch: pytest.MonkeyPatch) -> tuple[FraudService, User, int]:
    """Ann's case, opened by a scan that always finds her login shared, and an admin to decide it."""
    ann, bob = await users(core)
    await refer(core, ann, bob)
    monkeypatch.setattr(
        fraud_module, "scan", lambda *_: (Assessment(ann.id, Decimal(90), (SHARED,), ("shared_login",)),)
    )
    fraud = core.bot_services.fraud
    assert fraud is not None
    await fraud.run_once()
    admin = await core.bot_services.users.resolve(900001, "Olga", None, "en")
    [(case_id,)] = await rows(core, "SELECT id FROM fraud_cases")
    return fraud, admin, case_id


async def test_of_two_decisions_at_once_one_wins_and_the_other_changes_nothing(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    fraud, admin, case_id = await opened_case(core, monkeypatch)

    results = await asyncio.gather(
        fraud.decide(admin, case_id, Decision.CONFIRM_BAN),
        fraud.decide(admin, case_id, Decision.CLEAR),
        return_exceptions=True,
    )

    assert sorted(type(result).__name__ for result in results) == ["AlreadyDecided", "Decided"]
    [(status, _decision)] = await rows(core, "SELECT status, decision FROM fraud_cases")
    banned = await rows(core, "SELECT banned_at IS NOT NULL FROM referral_codes")
    assert (status, banned) in (
        (CaseStatus.CONFIRMED.value, [(True,)]),
        (CaseStatus.CLEARED.value, [(False,)]),
    )
    assert (
        len(
            await rows(
                core, "SELECT 1 FROM audit_log WHERE action LIKE 'fraud.%' AND action != 'fraud.opened'"
            )
        )
        == 1
    )


async def test_the_real_scan_flags_a_login_shared_by_referrer_and_referee(
    core: Core, clock: FakeClock
) -> None:
    ann, bob = await users(core)
    await refer(core, ann, bob)
    await core.bot_services.links.link(ann, LOGIN, SERVER)
    await core.bot_services.links.link(bob, LOGIN, SERVER)
    async with core.bot_services.users.uow() as uow:
        inputs = await load_inputs(uow, clock() - timedelta(days=30))

    assessments = fraud_module.scan(inputs, clock(), FraudConfig())  # the links were made by the clock

    mine = [a for a in assessments if a.affiliate_user_id == ann.id]
    assert mine and "shared_login" in {signal.rule for signal in mine[0].signals}


async def test_a_confirmed_case_stays_decided_on_the_next_scan(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    fraud, admin, case_id = await opened_case(core, monkeypatch)
    await fraud.decide(admin, case_id, Decision.CONFIRM)

    assert await fraud.run_once() == 0
    assert await rows(core, "SELECT id, status FROM fraud_cases") == [(case_id, "confirmed")]


async def test_the_scan_withholds_wash_positions_once_each_whatever_the_score(
    core: Core, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bob = await users(core)
    await refer(core, ann, bob)
    await core.bot_services.links.link(bob, LOGIN, SERVER)
    [(account,)] = await rows(core, "SELECT id FROM accounts")
    many = tuple(Withheld(account, n, "wash_flat_pnl") for n in range(2500))  # more than one INSERT
    found = [Assessment(ann.id, Decimal(10), (), (), withheld=many)]  # far under the threshold
    monkeypatch.setattr(fraud_module, "scan", lambda *_: tuple(found))
    fraud = core.bot_services.fraud
    assert fraud is not None
    first = clock()

    assert await fraud.run_once() == 0
    clock.advance(900)
    again = (Withheld(account, 0, "wash_mirror"), Withheld(account, 9999, "wash_mirror"))
    found[:] = [Assessment(ann.id, Decimal(10), (), (), withheld=again)]  # 0 again, by another rule
    await fraud.run_once()

    assert await rows(core, "SELECT count(*) FROM withheld_positions") == [(2501,)]
    picked = "SELECT position_id, rule, found_at FROM withheld_positions WHERE position_id IN (0, 9999)"
    assert await rows(core, picked + " ORDER BY 1") == [
        (0, "wash_flat_pnl", first),  # kept as first found: a repeated scan changes nothing
        (9999, "wash_mirror", clock()),
    ]
    assert await rows(core, "SELECT 1 FROM fraud_cases") == []
