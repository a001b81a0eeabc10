"""The inputs indexed once per scan by user, account and identifier, so every check looks up what it
needs instead of walking all users (no O(n²) over the population). Everything is sorted on the way in:
a check's answer never depends on the order the loader happened to return rows in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.domain.affiliates.fraud.identity import (
    EMAIL,
    IP,
    LOGIN,
    PAYER,
    identifier,
    kind_of,
    login_key,
    normalise_email,
)
from core.domain.affiliates.fraud.inputs import (
    FraudConfig,
    FraudInputs,
    LinkRecord,
    PayerRecord,
    RoundTrip,
    Sighting,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Index:
    referees_of: dict[int, tuple[int, ...]]  # referrer -> referees, ascending
    links_of: dict[int, tuple[LinkRecord, ...]]  # user -> links by (linked_at, account_id)
    user_of_account: dict[int, int]
    login_of_account: dict[int, str]  # account -> login@server: two users' links of one MT5 account share it
    sightings_of: dict[int, tuple[Sighting, ...]]  # user -> sightings of all their accounts
    payers_of: dict[int, tuple[PayerRecord, ...]]
    trips_of: dict[int, tuple[RoundTrip, ...]]  # account -> round trips by (opened_at, position_id)
    graph: Graph
    # Per-scan results shared by referrers whose referees sit in one cluster (mirror pairs, flat windows).
    memo: dict[tuple[str, int], Any] = field(default_factory=dict, compare=False)

    def links(self, user: int) -> tuple[LinkRecord, ...]:
        return self.links_of.get(user, ())

    def trips_of_user(self, user: int) -> list[RoundTrip]:
        return [t for link in self.links(user) for t in self.trips_of.get(link.account_id, ())]


@dataclass(frozen=True)
class Graph:
    """Users joined through shared identifiers: the identifiers of each user, the users of each identifier
    (only those shared by 2..cluster_max_identifier_users users), and the connected components."""

    ids_of: dict[int, tuple[str, ...]]
    users_of: dict[str, tuple[int, ...]]
    component_of: dict[int, int]  # user -> the smallest user id of its component
    members: dict[int, tuple[int, ...]]  # component -> its users, ascending

    def component(self, user: int) -> int:
        return self.component_of.get(user, user)


def build_index(inputs: FraudInputs, config: FraudConfig) -> Index:
    referees: defaultdict[int, set[int]] = defaultdict(set)
    for referral in inputs.referrals:
        if referral.referee_user_id != referral.referrer_user_id:
            referees[referral.referrer_user_id].add(referral.referee_user_id)
    links = _group(
        inputs.links, lambda r: r.user_id, lambda r: (r.linked_at, r.account_id, r.login, r.server)
    )
    user_of_account = {link.account_id: link.user_id for link in inputs.links}
    sightings = _group(
        (s for s in inputs.sightings if s.account_id in user_of_account),
        lambda s: user_of_account[s.account_id],
        lambda s: (s.ip, s.first_seen, s.last_seen, s.account_id),
    )
    payers = _group(inputs.payers, lambda p: p.user_id, lambda p: (p.fingerprint or "", p.email or ""))
    trips = _group(inputs.round_trips, lambda t: t.account_id, lambda t: (t.opened_at, t.position_id))
    return Index(
        referees_of={k: tuple(sorted(v)) for k, v in referees.items()},
        links_of=links,
        user_of_account=user_of_account,
        login_of_account={link.account_id: login_key(link.login, link.server) for link in inputs.links},
        sightings_of=sightings,
        payers_of=payers,
        trips_of=trips,
        graph=build_graph(links, sightings, payers, config.cluster_max_identifier_users),
    )


def _group(
    rows: Iterable[T], key_of: Callable[[T], int], sort_key: Callable[[T], Any]
) -> dict[int, tuple[T, ...]]:
    groups: defaultdict[int, list[T]] = defaultdict(list)
    for row in rows:
        groups[key_of(row)].append(row)
    return {k: tuple(sorted(v, key=sort_key)) for k, v in groups.items()}


def user_identifiers(
    links: Iterable[LinkRecord], sightings: Iterable[Sighting], payers: Iterable[PayerRecord]
) -> set[str]:
    ids = {identifier(LOGIN, login_key(link.login, link.server)) for link in links}
    ids.update(identifier(IP, s.ip) for s in sightings)
    for payer in payers:
        if payer.fingerprint:
            ids.add(identifier(PAYER, payer.fingerprint))
        email = normalise_email(payer.email)
        if email is not None:
            ids.add(identifier(EMAIL, email))
    return ids


def build_graph(
    links: dict[int, tuple[LinkRecord, ...]],
    sightings: dict[int, tuple[Sighting, ...]],
    payers: dict[int, tuple[PayerRecord, ...]],
    max_users: int,
) -> Graph:
    users_of: defaultdict[str, list[int]] = defaultdict(list)
    for user in sorted(links.keys() | sightings.keys() | payers.keys()):
        for key in user_identifiers(links.get(user, ()), sightings.get(user, ()), payers.get(user, ())):
            users_of[key].append(user)  # users arrive ascending, so each list is sorted
    shared = {k: tuple(v) for k, v in users_of.items() if 2 <= len(v) <= max_users}
    ids_of: defaultdict[int, list[str]] = defaultdict(list)
    for key in sorted(shared):
        for user in shared[key]:
            ids_of[user].append(key)
    component_of, members = _components(shared.values())
    return Graph({k: tuple(v) for k, v in ids_of.items()}, shared, component_of, members)


def _components(groups: Iterable[tuple[int, ...]]) -> tuple[dict[int, int], dict[int, tuple[int, ...]]]:
    """Union-find (path halving, union by smaller id so a component's name is its smallest user)."""
    parent: dict[int, int] = {}

    def find(user: int) -> int:
        parent.setdefault(user, user)
        while parent[user] != user:
            parent[user] = parent[parent[user]]
            user = parent[user]
        return user

    for users in groups:
        first = find(users[0])
        for other in users[1:]:
            root = find(other)
            if root != first:
                first, root = min(first, root), max(first, root)
                parent[root] = first
    component_of = {user: find(user) for user in parent}
    members: defaultdict[int, list[int]] = defaultdict(list)
    for user in sorted(component_of):
        members[component_of[user]].append(user)
    return component_of, {k: tuple(v) for k, v in members.items()}


def shortest_paths(
    graph: Graph, start: int, targets: Iterable[int], kinds: frozenset[str] | None = None
) -> dict[int, tuple[str, ...]]:
    """Breadth-first from `start` over user -> identifier -> user (only identifiers of `kinds`, if given),
    neighbours in sorted order so the path shown is the same on every run:
    `("u1", "payer:abc", "u7", "login:5012345@Broker", "u9")`."""
    wanted = {t for t in targets if graph.component(t) == graph.component(start) and t != start}
    previous: dict[int, tuple[int, str]] = {}
    seen, frontier = {start}, [start]
    found: dict[int, tuple[str, ...]] = {}
    while frontier and len(found) < len(wanted):
        following = []
        for user in frontier:
            for key in graph.ids_of.get(user, ()):
                if kinds is not None and kind_of(key) not in kinds:
                    continue
                for other in graph.users_of[key]:
                    if other not in seen:
                        seen.add(other)
                        previous[other] = (user, key)
                        following.append(other)
                        if other in wanted:
                            found[other] = _path(previous, start, other)
        frontier = following
    return found


def _path(previous: dict[int, tuple[int, str]], start: int, end: int) -> tuple[str, ...]:
    steps: list[str] = [f"u{end}"]
    while end != start:
        end, key = previous[end]
        steps += [key, f"u{end}"]
    return tuple(reversed(steps))
