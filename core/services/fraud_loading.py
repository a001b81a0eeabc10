"""What a fraud scan reads, loaded in a few bulk queries (issue 11): the referrals, the links of every
user in them, those accounts' bridge sightings, the payers' fingerprints and emails, and the round trips
of their recently closed positions (built from the deals by core.domain.attribution, which also says
which were the bot's)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from core.domain.affiliates.fraud import FraudInputs, RoundTrip
from core.domain.attribution import ClosedTrade, Origin, closed_trades
from core.domain.snapshot import Deal
from core.services.ports import UnitOfWork

ZERO = Decimal(0)


async def load_inputs(uow: UnitOfWork, trades_since: datetime) -> FraudInputs:
    referrals = await uow.fraud.referrals()
    users = {r.referee_user_id for r in referrals} | {r.referrer_user_id for r in referrals}
    if not users:
        return FraudInputs(referrals=(), links=())
    links = await uow.fraud.links(users)
    accounts = {link.account_id for link in links}
    deals = await uow.fraud.closed_position_deals(accounts, trades_since)
    return FraudInputs(
        referrals=tuple(referrals),
        links=tuple(links),
        sightings=tuple(await uow.fraud.sightings(accounts)),
        payers=tuple(await uow.fraud.payers(users)),
        round_trips=tuple(trip for account in sorted(deals) for trip in round_trips(account, deals[account])),
    )


def round_trips(account_id: int, deals: Iterable[Deal]) -> list[RoundTrip]:
    """One round trip per position whose entry we hold: its exits summed (a position closed in parts is
    one round trip, held from its entry to its last exit)."""
    exits: dict[int, list[ClosedTrade]] = defaultdict(list)
    for trade in closed_trades(deals):
        exits[trade.position].append(trade)
    return [
        _trip(account_id, position, parts)
        for position, parts in sorted(exits.items())
        if all(part.open_time is not None for part in parts)
    ]


def _trip(account_id: int, position: int, parts: list[ClosedTrade]) -> RoundTrip:
    first = parts[0]
    assert first.open_time is not None
    return RoundTrip(
        account_id=account_id,
        position_id=position,
        symbol=first.symbol,
        side=first.side.value,
        volume=sum((part.volume for part in parts), ZERO),
        opened_at=first.open_time,
        closed_at=max(part.close_time for part in parts),
        profit=sum((part.profit for part in parts), ZERO),
        commission=sum((part.commission for part in parts), ZERO),
        swap=sum((part.swap for part in parts), ZERO),
        bot=first.origin is Origin.BOT,
    )
