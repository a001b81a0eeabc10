"""ReferralService and AffiliateStatsService over fakes: one code per trader, attribution only of a first
contact (alert and audit with it, nothing at all on a refusal), and the figures only for who may see them."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates import LineStatus
from core.domain.affiliates.referrals import ReferralCode, Refusal
from core.domain.guard import GuardConfig
from core.domain.models import AuditEntry, User
from core.services.admin import AdminService
from core.services.affiliate_stats import WEEKS, AffiliateStatsService, iso_week, week_start
from core.services.errors import Forbidden
from core.services.guard import GuardPolicy, GuardService
from core.services.ports.affiliate_stats import AffiliateStanding, WeekFigures
from core.services.referrals import ReferralService
from core.services.users import UserService
from tests.conftest import FakeClock
from tests.service.fakes import FakeUnitOfWork, NullCache, Recorder, Store

ADMIN = 900
NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # a Wednesday of ISO week 2026-W49


@dataclass
class World:
    store: list[Store]
    clock: FakeClock
    users: UserService
    referrals: ReferralService
    stats: AffiliateStatsService
    doorbell: Recorder

    async def newcomer(self, telegram_id: int, name: str = "Ann") -> User:
        """A user the bot has never seen, resolved as the gate does for their first update."""
        user = await self.users.resolve(telegram_id, name, None, "en")
        assert self.users.first_contact(telegram_id)
        return user

    async def link_of(self, user: User) -> str:
        return "ref_" + await self.referrals.code_for(user)

    def referrer_of(self, user: User) -> int | None:
        found = self.store[0].affiliates.get("referrals", {}).get(user.id)
        return None if found is None else found.referrer_user_id

    def alerts(self) -> dict[str, dict[str, object]]:
        return {key: row for key, row in self.store[0].outbox.items() if row["kind"] == "referral_signed_up"}

    def audit(self, action: str) -> list[AuditEntry]:
        return [entry for _, entry in self.store[0].audit if entry.action == action]


@pytest.fixture
def world() -> World:
    store = [Store()]
    clock = FakeClock(NOW)

    def uow() -> FakeUnitOfWork:
        return FakeUnitOfWork(store)

    doorbell = Recorder()
    guard = GuardService(GuardPolicy(GuardConfig(), (ADMIN,)))
    admin = AdminService(uow, guard, NullCache(), doorbell, (ADMIN,), clock)
    users = UserService(uow)
    stats = AffiliateStatsService(uow, admin.require_admin, clock)
    return World(store, clock, users, ReferralService(uow, clock, doorbell), stats, doorbell)


async def test_a_trader_gets_one_opaque_code_however_often_they_ask(world: World) -> None:
    ann = await world.newcomer(1001)

    codes = {await world.referrals.code_for(ann) for _ in range(3)}

    assert len(codes) == 1
    assert "1001" not in codes.pop()


async def test_a_drawn_code_another_trader_has_is_drawn_again() -> None:
    store = [Store()]
    draws = iter(["Taken-code-1", "Taken-code-1", "Fresh-code-2"])
    service = ReferralService(lambda: FakeUnitOfWork(store), FakeClock(NOW), draw=lambda: next(draws))
    users = UserService(lambda: FakeUnitOfWork(store))
    ann, boris = await users.resolve(1, "Ann", None, "en"), await users.resolve(2, "Boris", None, "en")

    assert await service.code_for(ann) == "Taken-code-1"
    assert await service.code_for(boris) == "Fresh-code-2"


async def test_a_newcomer_with_a_link_is_attributed_and_the_referrer_alerted_and_audited(
    world: World,
) -> None:
    ann = await world.newcomer(1001)
    link = await world.link_of(ann)
    boris = await world.newcomer(1002, "<b>Boris</b>")

    refused = await world.referrals.attribute(boris, link, first_contact=True)

    assert refused is None and world.referrer_of(boris) == ann.id
    [alert] = world.alerts().values()
    assert alert["chat_id"] == 1001 and alert["params"] == {"referee_first_name": "<b>Boris</b>"}
    [entry] = world.audit("referral.attributed")
    assert (entry.actor, entry.subject) == ("user:1002", "user:1001")
    assert world.doorbell.rings == 1


async def test_a_known_user_opening_a_link_changes_nothing_and_is_logged(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="core.services.referrals")
    ann = await world.newcomer(1001)
    link = await world.link_of(ann)
    boris = await world.newcomer(1002)
    boris = await world.users.resolve(1002, "Boris", None, "en")  # his second update

    refused = await world.referrals.attribute(boris, link, first_contact=world.users.first_contact(1002))

    assert refused is Refusal.KNOWN_USER
    assert world.referrer_of(boris) is None and world.alerts() == {}
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.INFO] == [
        f"referral not attributed: user 1002, code {link.removeprefix('ref_')}: known_user"
    ]


async def test_the_first_touch_wins_and_a_later_link_changes_nothing(world: World) -> None:
    ann, carla = await world.newcomer(1001), await world.newcomer(1003, "Carla")
    first, second = await world.link_of(ann), await world.link_of(carla)
    boris = await world.newcomer(1002)

    assert await world.referrals.attribute(boris, first, first_contact=True) is None
    again = await world.referrals.attribute(boris, second, first_contact=True)

    assert again is Refusal.ALREADY_REFERRED and world.referrer_of(boris) == ann.id
    assert len(world.alerts()) == 1


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("ref_Nobody-has-this", Refusal.UNKNOWN_CODE),
        ("ref_<script>", Refusal.NOT_A_REFERRAL),
        ("campaign_autumn", Refusal.NOT_A_REFERRAL),
    ],
)
async def test_a_bad_or_unknown_code_attributes_nobody(world: World, payload: str, expected: Refusal) -> None:
    boris = await world.newcomer(1002)

    assert await world.referrals.attribute(boris, payload, first_contact=True) is expected
    assert world.referrer_of(boris) is None and world.alerts() == {}
    assert world.audit("referral.attributed") == []


async def test_a_banned_code_attributes_nobody(world: World) -> None:
    ann = await world.newcomer(1001)
    link = await world.link_of(ann)
    codes = world.store[0].affiliates["referral_codes"]
    codes[ann.id] = ReferralCode(ann.id, 1001, codes[ann.id].code, banned=True)
    boris = await world.newcomer(1002)

    assert await world.referrals.attribute(boris, link, first_contact=True) is Refusal.BANNED_CODE
    assert world.referrer_of(boris) is None


async def test_self_referral_is_refused(world: World) -> None:
    ann = await world.newcomer(1001)

    assert await world.referrals.attribute(ann, await world.link_of(ann), first_contact=True) is Refusal.SELF
    assert world.referrer_of(ann) is None


async def test_cycles_are_refused_however_long_the_chain(world: World) -> None:
    people = [await world.newcomer(2000 + n, f"P{n}") for n in range(30)]
    for upper, lower in itertools.pairwise(people):  # P0 → P1 → … → P29
        assert await world.referrals.attribute(lower, await world.link_of(upper), first_contact=True) is None

    back = await world.referrals.attribute(people[0], await world.link_of(people[-1]), first_contact=True)
    two = await world.referrals.attribute(people[5], await world.link_of(people[6]), first_contact=True)

    assert back is Refusal.CYCLE and world.referrer_of(people[0]) is None
    assert two is Refusal.CYCLE  # P5 referred P6: P6 may not refer P5


async def test_overview_gives_the_code_and_the_standing(world: World) -> None:
    ann = await world.newcomer(1001)
    standing = AffiliateStanding(3, 1, {(LineStatus.PAYABLE, "USD"): Decimal("12.50")}, None, ("same_ip",))
    world.store[0].affiliates["standing"] = {ann.id: standing}

    overview = await world.referrals.overview(ann)

    assert overview.code == await world.referrals.code_for(ann) and overview.standing == standing


async def test_stats_are_for_admins_and_an_operator_token_and_refusals_are_audited(world: World) -> None:
    olga, ann = await world.newcomer(ADMIN, "Olga"), await world.newcomer(1001)

    with pytest.raises(Forbidden):
        await world.stats.for_admin(ann)
    with pytest.raises(Forbidden):
        await world.stats.for_operator("signal-engine")

    assert len((await world.stats.for_admin(olga)).weeks) == WEEKS
    assert len((await world.stats.for_operator("operator")).weeks) == WEEKS
    refused = [(entry.actor, entry.details) for entry in world.audit("admin.refused")]
    assert refused == [("user:1001", {"command": "stats"})]


async def test_the_summary_is_the_last_twelve_iso_weeks_by_the_services_clock(world: World) -> None:
    olga = await world.newcomer(ADMIN, "Olga")
    this_week = week_start(NOW)
    world.store[0].affiliates["weeks"] = [
        WeekFigures(this_week, signups=4, referred_signups=1),
        WeekFigures(this_week - timedelta(weeks=11), paying=2),
        WeekFigures(this_week - timedelta(weeks=12), signups=99),  # too old
    ]

    summary = await world.stats.for_admin(olga)
    world.clock.advance(7 * 86400)
    later = await world.stats.for_admin(olga)

    assert this_week == date(2026, 11, 30) and iso_week(this_week) == "2026-W49"
    assert [iso_week(f.week) for f in summary.weeks][-1] == "2026-W49"
    assert summary.weeks[0].week == date(2026, 9, 14)
    latest = summary.weeks[-1]
    assert (latest.signups, latest.referred_signups, summary.weeks[0].paying) == (4, 1, 2)
    assert sum(f.signups for f in summary.weeks) == 4
    assert iso_week(later.weeks[-1].week) == "2026-W50" and later.weeks[0].paying == 0
