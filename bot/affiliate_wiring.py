"""The composition root's part for issue 11's referrals and figures (bot/app.py is at its size limit):
the services BotServices carries, and the operator route."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from core.api.affiliate_routes import add_affiliate_routes
from core.services.affiliate_stats import AffiliateStatsService
from core.services.attribution import RequireAdmin
from core.services.ports import Clock, UnitOfWorkFactory
from core.services.ports.outbox import Doorbell
from core.services.referrals import ReferralService


def affiliate_services(
    uow: UnitOfWorkFactory, require_admin: RequireAdmin, clock: Clock, doorbell: Doorbell
) -> dict[str, Any]:
    """BotServices' fields for /start ref_<code>, /referral and /stats."""
    return {
        "referrals": ReferralService(uow, clock, doorbell),
        "affiliate_stats": AffiliateStatsService(uow, require_admin, clock),
    }


def add_affiliate_http(app: web.Application, bot_services: Any) -> None:
    add_affiliate_routes(app, bot_services.affiliate_stats)
