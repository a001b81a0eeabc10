"""The self-referral and linked-account checks, each with cases that fire and look-alikes that do not.
The helpers here build small worlds for every fraud test module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from core.domain.affiliates.fraud import FraudConfig, FraudInputs, LinkRecord, PayerRecord, Sighting
from core.domain.affiliates.fraud.index import Index, build_index, shortest_paths
from core.domain.affiliates.fraud.linked import cluster, link_burst, same_ip, same_payer, shared_login
from core.domain.affiliates.fraud.score import Finding
from core.domain.affiliates.model import Referral

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
CONFIG = FraudConfig()
Check = Callable[[int, Index, FraudConfig], list[Finding]]


def link(user: int, login: int | None = None, at: datetime = T, server: str = "Broker") -> LinkRecord:
    """User N's account is 10*N; its login 5_000_000 + N unless given."""
    return LinkRecord(user, 10 * user, login or 5_000_000 + user, server, at)


def refer(referrer: int, *referees: int) -> tuple[Referral, ...]:
    return tuple(Referral(referee, referrer, "code", T - timedelta(days=1)) for referee in referees)


def seen(user: int, ip: str, start: datetime, hours: float = 1) -> Sighting:
    return Sighting(10 * user, ip, start, start + timedelta(hours=hours))


def world(users: int = 3, **rows: object) -> FraudInputs:
    rows.setdefault("links", tuple(link(u) for u in range(1, users + 1)))
    rows.setdefault("referrals", refer(1, *range(2, users + 1)))
    return FraudInputs(**rows)  # type: ignore[arg-type]


def run(check: Check, inputs: FraudInputs, referrer: int = 1) -> list[Finding]:
    return check(referrer, build_index(inputs, CONFIG), CONFIG)


def reasons(findings: list[Finding]) -> list[str]:
    return [f.reason for f in findings]


def test_a_referee_linking_the_referrers_login_is_a_shared_login() -> None:
    found = run(shared_login, world(links=(link(1, 777), link(2, 777), link(3))))
    assert reasons(found) == ["shared_login:777@Broker"]
    assert found[0].signal.weight == Decimal(60)
    assert found[0].signal.evidence["referees"] == [
        {"user": 2, "account": 20, "linked_at": "2026-11-02T09:00:00Z"}
    ]


@pytest.mark.parametrize(
    "links",
    [
        (link(1, 777), link(2, 777, server="Other"), link(3)),  # same login on another server
        (link(1, 777), link(2), link(4, 777)),  # shared with someone who is not a referee
    ],
)
def test_no_shared_login_without_the_same_login_on_the_same_server_for_a_referee(
    links: tuple[LinkRecord, ...],
) -> None:
    assert run(shared_login, world(links=links)) == []


@pytest.mark.parametrize(
    ("theirs", "fires"),
    [
        (T + timedelta(minutes=30), True),  # overlapping windows
        (T + timedelta(hours=24), True),  # 23 h after the referrer's window closed
        (T + timedelta(hours=26), False),  # 25 h after: a café, not a person
        (T - timedelta(hours=24, minutes=50), True),  # closed 23 h 50 min before the referrer came
        (T - timedelta(hours=27), False),
    ],
)
def test_same_ip_within_the_window(theirs: datetime, fires: bool) -> None:
    sightings = (seen(1, "203.0.113.5", T), seen(2, "203.0.113.5", theirs))
    found = run(same_ip, world(sightings=sightings))
    assert reasons(found) == (["same_ip:203.0.113.5"] if fires else [])


def test_same_ip_with_a_stranger_is_not_a_referral_signal() -> None:
    sightings = (seen(1, "203.0.113.5", T), seen(4, "203.0.113.5", T))
    links = (link(1), link(2), link(4))
    assert run(same_ip, world(links=links, sightings=sightings)) == []


@pytest.mark.parametrize(
    ("mine", "theirs", "expected"),
    [
        (PayerRecord(1, "card-1", None), PayerRecord(2, "card-1", None), ["same_payer:fingerprint:u2"]),
        (
            PayerRecord(1, None, "max.power@gmail.com"),
            PayerRecord(2, None, "MaxPower+ref@googlemail.com"),
            ["same_payer:email:u2"],
        ),
        (PayerRecord(1, "card-1", "a.lee@yahoo.com"), PayerRecord(2, "card-2", "alee@yahoo.com"), []),
        (PayerRecord(1, None, "anna.lee@gmail.com"), PayerRecord(2, None, "annalee1@gmail.com"), []),
        (PayerRecord(1, None, "not an email"), PayerRecord(2, None, "not an email"), []),
        (PayerRecord(1, "", None), PayerRecord(2, "", None), []),  # an empty fingerprint is no fingerprint
    ],
)
def test_same_payer(mine: PayerRecord, theirs: PayerRecord, expected: list[str]) -> None:
    assert reasons(run(same_payer, world(payers=(mine, theirs)))) == expected


def test_same_payer_shows_the_addresses_as_given() -> None:
    payers = (
        PayerRecord(1, None, "max.power@gmail.com"),
        PayerRecord(2, None, "MaxPower+ref@googlemail.com"),
    )
    evidence = run(same_payer, world(payers=payers))[0].signal.evidence
    assert evidence["emails"] == ["maxpower@gmail.com"]
    assert evidence["as_given"] == ["MaxPower+ref@googlemail.com", "max.power@gmail.com"]


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        ((0, 4, 9), ["link_burst:3@2026-11-02T09:00:00Z"]),
        ((0, 4, 11), []),  # the third links 11 minutes after the first
        ((0, 30, 34, 39, 90), ["link_burst:3@2026-11-02T09:30:00Z"]),
    ],
)
def test_link_burst(minutes: tuple[int, ...], expected: list[str]) -> None:
    referees = range(2, 2 + len(minutes))
    links = (link(1), *(link(r, at=T + timedelta(minutes=m)) for r, m in zip(referees, minutes, strict=True)))
    assert reasons(run(link_burst, world(links=links, referrals=refer(1, *referees)))) == expected


def test_a_bigger_burst_weighs_more() -> None:
    links = (link(1), *(link(r, at=T + timedelta(seconds=30 * r)) for r in range(2, 12)))
    found = run(link_burst, world(links=links, referrals=refer(1, *range(2, 12))))
    assert found[0].signal.weight == Decimal(60)
    assert found[0].signal.evidence["referees"] == list(range(2, 12))


def chain(ip_hop: bool = False) -> FraudInputs:
    """1 refers 3; 1 and 2 share a card (or an address); 2 and 3 share an MT5 login; 4 and 5 share a card."""
    links = (link(1), link(2, 777), link(3, 777), link(4), link(5))
    payers = [PayerRecord(4, "card-9", None), PayerRecord(5, "card-9", None)]
    sightings: tuple[Sighting, ...] = ()
    if ip_hop:
        sightings = (seen(1, "198.51.100.7", T), seen(2, "198.51.100.7", T + timedelta(days=9)))
    else:
        payers += [PayerRecord(1, "card-1", None), PayerRecord(2, "card-1", None)]
    return world(links=links, referrals=refer(1, 3), payers=tuple(payers), sightings=sightings)


def test_a_chain_through_different_identifiers_joins_referrer_and_referee_and_shows_the_path() -> None:
    found = run(cluster, chain())
    assert reasons(found) == ["cluster:c1"]
    path = ["u1", "payer:card-1", "u2", "login:777@Broker", "u3"]
    assert found[0].signal.evidence["paths"] == [{"referee": 3, "path": path}]
    assert found[0].signal.weight == Decimal(60)


def test_a_path_through_an_address_weighs_half() -> None:
    found = run(cluster, chain(ip_hop=True))
    path = ["u1", "ip:198.51.100.7", "u2", "login:777@Broker", "u3"]
    assert found[0].signal.evidence["paths"] == [{"referee": 3, "path": path}]
    assert found[0].signal.weight == Decimal(30)


def test_a_strong_path_is_preferred_to_a_shorter_one_through_addresses() -> None:
    inputs = chain()
    ip_shortcut = (seen(1, "198.51.100.7", T), seen(4, "198.51.100.7", T), seen(3, "198.51.100.8", T))
    ip_shortcut += (seen(4, "198.51.100.8", T),)
    found = run(cluster, replace(inputs, sightings=ip_shortcut))
    strong = ["u1", "payer:card-1", "u2", "login:777@Broker", "u3"]
    assert found[0].signal.evidence["paths"][0]["path"] == strong
    assert found[0].signal.weight == Decimal(60)


def test_many_referees_reached_only_through_addresses_stay_one_half_weight_signal() -> None:
    """A busy affiliate among strangers behind one carrier: one signal of 30, not 30 per referee."""
    links = tuple(link(u) for u in range(1, 8))
    hops = [seen(1, "100.64.0.1", T), seen(2, "100.64.0.1", T), seen(2, "100.64.0.2", T)]
    hops += [seen(u, "100.64.0.2", T) for u in range(3, 8)]
    found = run(cluster, world(links=links, referrals=refer(1, *range(3, 8)), sightings=tuple(hops)))
    assert [f.signal.weight for f in found] == [Decimal(30)]
    assert [p["referee"] for p in found[0].signal.evidence["paths"]] == [3, 4, 5, 6, 7]


def test_components_join_only_users_who_share_something() -> None:
    graph = build_index(chain(), CONFIG).graph
    assert graph.members[1] == (1, 2, 3)
    assert graph.members[4] == (4, 5)
    assert graph.component(6) == 6  # a user nobody shares anything with is alone
    assert shortest_paths(graph, 1, [4, 5]) == {}


def test_a_direct_link_is_left_to_the_direct_rules() -> None:
    inputs = world(links=(link(1, 777), link(2, 777)), referrals=refer(1, 2))
    assert run(cluster, inputs) == []


def test_an_identifier_shared_by_too_many_users_joins_nobody() -> None:
    many = CONFIG.cluster_max_identifier_users + 1
    sightings = tuple(seen(u, "100.64.0.1", T) for u in range(1, many + 1))  # a carrier's NAT
    inputs = world(users=many, sightings=sightings)
    assert build_index(inputs, CONFIG).graph.members == {}
    assert run(cluster, inputs) == []


@pytest.mark.parametrize(
    ("users", "fires"),
    [(CONFIG.cluster_max_identifier_users, True), (CONFIG.cluster_max_identifier_users + 1, False)],
)
def test_an_address_seen_for_too_many_users_is_not_same_ip_evidence(users: int, fires: bool) -> None:
    """Behind a load balancer every EA seems to come from the proxy: that address is nobody's evidence."""
    sightings = tuple(seen(u, "10.0.0.2", T) for u in range(1, users + 1))
    found = run(same_ip, world(users=users, sightings=sightings))
    assert reasons(found) == (["same_ip:10.0.0.2"] if fires else [])
