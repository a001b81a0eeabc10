"""One deal per ticket: what a snapshot's `deals` list really adds (BRIDGE.md: "the server de-duplicates
by `ticket`").

A terminal may list the same deal twice, in one snapshot or in two (it resends deals until a snapshot
carrying them is accepted). A deal is a fact about the account's history, identified by its ticket, so
it counts once however often it is listed: a deposit listed twice is still one deposit.

Two copies of one ticket that differ are a broken terminal, not two deals. The first copy is kept and
the others are reported as conflicts, as across snapshots (the first stored copy stays). Refusing the
whole snapshot instead would refuse every resend too: the account's feed would stop and its guard with
it, for a defect that the first copy already makes harmless.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.domain.snapshot import Deal


@dataclass(frozen=True)
class DistinctDeals:
    new: tuple[Deal, ...]  # the first copy of each ticket not known before, in the order listed
    conflicts: tuple[Deal, ...]  # later copies of a ticket that differ from its first copy

    @property
    def cash_flows(self) -> tuple[Decimal, ...]:
        """The deposits (positive) and withdrawals (negative) among the new deals, once each."""
        return tuple(deal.profit for deal in self.new if deal.is_cash_flow)


def distinct_deals(deals: Iterable[Deal], known_tickets: Collection[int] = ()) -> DistinctDeals:
    """Each ticket once (its first copy), leaving out the tickets in `known_tickets`; identical repeats
    collapse silently, differing ones are returned as `conflicts`."""
    first: dict[int, Deal] = {}
    conflicts: list[Deal] = []
    for deal in deals:
        kept = first.setdefault(deal.ticket, deal)
        if kept is not deal and kept != deal:
            conflicts.append(deal)
    new = tuple(deal for ticket, deal in first.items() if ticket not in known_tickets)
    return DistinctDeals(new, tuple(conflicts))
