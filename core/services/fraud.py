"""Fraud scan, cases and holds (issue 11, docs/affiliates.md).

`run_once` (the worker's loop, every FRAUD_SCAN_SECONDS) loads what the checks read, runs the pure scan
(core.domain.affiliates.fraud), records every assessment's wash positions in withheld_positions (the
ledger pays no rebate on them, whatever the score), and turns each assessment at or over the threshold
into a case: one open case per affiliate (a re-scan updates it), opened with its alerts (the admins',
the affiliate's hold) and its audit entry in one unit of work. A case an admin decided (cleared or
confirmed) is not reopened by the same reasons: only by new evidence. An open case holds the
affiliate's unpaid commission (the payout run reads it).

Admins decide (`decide`, checked here): confirm (reverse the held commission, optionally ban the code),
clear (release it), or later (leave it open, at the back of the queue). Only an open case is decided:
the update is conditional, so of two admins pressing at once one wins and the other hears "already
decided".
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.domain.affiliates import CaseStatus, FraudCase
from core.domain.affiliates.fraud import Assessment, FraudConfig, scan
from core.domain.alerts import FraudDecided, FraudFlagged, FraudHold, FraudOutcome
from core.domain.models import Alert, AuditEntry, User
from core.services.errors import NotFound, ServiceError
from core.services.fraud_loading import load_inputs
from core.services.ports import Clock, Doorbell, UnitOfWork, UnitOfWorkFactory
from core.services.ports.fraud import CaseFindings

log = logging.getLogger(__name__)
SCANNER = "system:fraud-scan"
TOP_REASONS = 3
RequireAdmin = Callable[[User, str], Awaitable[None]]


class Decision(StrEnum):
    CONFIRM = "confirm"
    CONFIRM_BAN = "confirm_ban"
    CLEAR = "clear"
    LATER = "later"

    @property
    def status(self) -> CaseStatus:
        if self is Decision.CLEAR:
            return CaseStatus.CLEARED
        return CaseStatus.OPEN if self is Decision.LATER else CaseStatus.CONFIRMED


class AlreadyDecided(ServiceError):
    """The case is no longer open (another admin decided it first): nothing was changed."""

    code = "already_decided"

    def __init__(self, case: FraudCase) -> None:
        super().__init__(f"case {case.id} is already {case.status.value}")
        self.case = case


@dataclass(frozen=True)
class FraudPolicy:
    config: FraudConfig
    admin_chat_ids: tuple[int, ...] = ()
    trades_window: timedelta = timedelta(days=30)  # round trips closed this recently are judged


@dataclass(frozen=True)
class CaseView:
    """One case as an admin reviews it: who the affiliate is, and how many cases wait in all."""

    case: FraudCase
    affiliate_telegram_id: int
    affiliate_name: str
    waiting: int


@dataclass(frozen=True)
class Decided:
    case: FraudCase
    reversed_lines: int = 0
    code_banned: bool = False


class FraudService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        require_admin: RequireAdmin,
        doorbell: Doorbell,
        clock: Clock,
        policy: FraudPolicy,
    ) -> None:
        self.uow = uow
        self.require_admin = require_admin
        self.doorbell = doorbell
        self.clock = clock
        self.policy = policy

    # --- the scan ------------------------------------------------------------------------------------

    async def run_once(self) -> int:
        """One scan; returns how many cases it opened. An outage fails the load: the loop backs off."""
        now = self.clock()
        async with self.uow() as uow:
            inputs = await load_inputs(uow, now - self.policy.trades_window)
        config = self.policy.config
        assessments = scan(inputs, now, config)
        await self.withhold(assessments, now)
        opened = 0
        for assessment in assessments:
            if assessment.over(config.threshold) and await self.record(assessment, now):
                opened += 1
        if opened:
            await self.doorbell.ring()
        return opened

    async def withhold(self, assessments: Iterable[Assessment], now: datetime) -> None:
        """Every assessment's wash positions, over the threshold or not: wash volume earns no rebate either
        way (the ledger reads withheld_positions). Keyed by position: a repeated scan changes nothing."""
        positions = [w for assessment in assessments for w in assessment.withheld]
        if positions:
            async with self.uow() as uow:
                await uow.fraud.withhold(positions, now)
                await uow.commit()

    async def record(self, assessment: Assessment, now: datetime) -> bool:
        """Open a case for the assessment (True), or update the open one, or leave a decided one be."""
        findings = CaseFindings(
            assessment.score, assessment.signals, assessment.reasons, self.policy.config.version
        )
        affiliate = assessment.affiliate_user_id
        async with self.uow() as uow:
            current = await uow.fraud.open_case(affiliate)
            if current is not None:
                await uow.fraud.update_open(current.id, findings, now)
                await uow.commit()
                return False
            if _nothing_new(await uow.fraud.last_decided(affiliate), findings):
                return False
            case = await uow.fraud.open(affiliate, findings, now)
            if case is None:  # another scan opened it meanwhile
                return False
            await self._opened(uow, case, now)
            await uow.commit()
        return True

    async def _opened(self, uow: UnitOfWork, case: FraudCase, now: datetime) -> None:
        telegram_id, _ = await uow.fraud.who(case.affiliate_user_id) or (0, "")
        flagged = FraudFlagged(
            case_id=case.id,
            affiliate_telegram_id=telegram_id,
            score=case.score,
            reasons=case.reasons[:TOP_REASONS],
        )
        for admin in self.policy.admin_chat_ids:
            await uow.outbox.add(Alert(f"fraud:{case.id}:flagged:{admin}", admin, flagged))
        if telegram_id:
            rules = tuple(dict.fromkeys(signal.rule for signal in case.signals))
            hold = FraudHold(case_id=case.id, rules=rules)
            await uow.outbox.add(Alert(f"fraud:{case.id}:hold", telegram_id, hold))
        details = {
            "case": case.id,
            "score": str(case.score),
            "reasons": list(case.reasons),
            "rule_version": case.rule_version,
        }
        entry = AuditEntry(SCANNER, "fraud.opened", f"user:{telegram_id}", details)
        await uow.audit.append(entry, now)

    # --- the admins' review --------------------------------------------------------------------------

    async def next_case(self, actor: User) -> CaseView | None:
        """The first case of the queue (None: nothing waits)."""
        await self.require_admin(actor, "fraud")
        async with self.uow() as uow:
            waiting = await uow.fraud.count_open()
            first = await uow.fraud.queue(1)
            if not first:
                return None
            telegram_id, name = await uow.fraud.who(first[0].affiliate_user_id) or (0, "")
        return CaseView(first[0], telegram_id, name, waiting)

    async def decide(self, actor: User, case_id: int, decision: Decision) -> Decided:
        await self.require_admin(actor, f"fraud {decision.value}")
        now, by = self.clock(), f"admin:{actor.telegram_id}"
        async with self.uow() as uow:
            case = await uow.fraud.get(case_id)
            if case is None:
                raise NotFound(f"fraud case {case_id}")
            changed = await uow.fraud.decide(case_id, decision.status, by, decision.value, now)
            if changed is None:
                raise AlreadyDecided(case)
            done = await self._apply(uow, changed, decision, now)
            await uow.commit()
        if decision is not Decision.LATER:
            await self.doorbell.ring()
        return done

    async def _apply(self, uow: UnitOfWork, case: FraudCase, decision: Decision, now: datetime) -> Decided:
        affiliate = case.affiliate_user_id
        reversed_lines, banned = 0, False
        if decision in (Decision.CONFIRM, Decision.CONFIRM_BAN):
            why = {"fraud_case": case.id, "rule_version": case.rule_version}
            reversed_lines = await uow.ledger.reverse_unpaid(
                affiliate, f"fraud:{case.rule_version}", why, now
            )
        if decision is Decision.CONFIRM_BAN:
            banned = await uow.fraud.ban_code(affiliate, f"fraud case {case.id}", now)
        telegram_id, _ = await uow.fraud.who(affiliate) or (0, "")
        details = {
            "case": case.id,
            "decision": decision.value,
            "rule_version": case.rule_version,
            "reversed_lines": reversed_lines,
            "code_banned": banned,
        }
        entry = AuditEntry(case.decided_by or "", f"fraud.{decision.value}", f"user:{telegram_id}", details)
        await uow.audit.append(entry, now)
        if decision is not Decision.LATER and telegram_id:
            outcome = FraudOutcome.CLEARED if decision is Decision.CLEAR else FraudOutcome.CONFIRMED
            told = FraudDecided(case_id=case.id, outcome=outcome, code_banned=banned)
            await uow.outbox.add(Alert(f"fraud:{case.id}:decided", telegram_id, told))
        return Decided(case, reversed_lines, banned)


def _nothing_new(decided: FraudCase | None, findings: CaseFindings) -> bool:
    """A decided case's reasons (cleared or confirmed) were judged by a person: the same (or fewer) do not
    reopen it, or a confirmed affiliate would be held, alerted and queued again on every scan."""
    return decided is not None and set(findings.reasons) <= set(decided.reasons)
