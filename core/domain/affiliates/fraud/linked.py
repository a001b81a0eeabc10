"""Self-referral and linked-account checks: one referrer against each of their referees. Each check is
`check(referrer, index, config) -> list[Finding]`, reading only the referrer's and the referees' rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from core.domain.affiliates.fraud.identity import IP, STRONG_KINDS, identifier, login_key, normalise_email
from core.domain.affiliates.fraud.index import Index, shortest_paths
from core.domain.affiliates.fraud.inputs import FraudConfig, Sighting
from core.domain.affiliates.fraud.score import Finding, finding
from core.domain.codec import encode_time


def shared_login(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """The same MT5 login on the same server linked by the referrer and a referee."""
    mine: defaultdict[str, list[int]] = defaultdict(list)
    for link in ix.links(referrer):
        mine[login_key(link.login, link.server)].append(link.account_id)
    shared: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for referee in ix.referees_of.get(referrer, ()):
        for link in ix.links(referee):
            key = login_key(link.login, link.server)
            if key in mine:
                seen = {"user": referee, "account": link.account_id, "linked_at": encode_time(link.linked_at)}
                shared[key].append(seen)
    return [
        finding("shared_login", key, {"login": key, "referrer_accounts": sorted(mine[key]), "referees": seen})
        for key, seen in sorted(shared.items())
    ]


def same_ip(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """The same bridge source address for the referrer and a referee, seen within `same_ip_window`. An
    address seen for more than `cluster_max_identifier_users` users (a carrier's NAT, or the proxy every EA
    seems to come from behind a load balancer) is not evidence, as for `cluster`."""
    mine: defaultdict[str, list[Sighting]] = defaultdict(list)
    for sighting in ix.sightings_of.get(referrer, ()):
        if _personal(ix, sighting.ip):
            mine[sighting.ip].append(sighting)
    met: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for referee in ix.referees_of.get(referrer, ()):
        for theirs in ix.sightings_of.get(referee, ()):
            close = [s for s in mine.get(theirs.ip, ()) if _near(s, theirs, config.same_ip_window)]
            if close:
                met[theirs.ip].append(
                    {"user": referee, "account": theirs.account_id, "seen": _window(theirs)}
                )
    return [
        finding("same_ip", ip, {"ip": ip, "referrer_seen": [_window(s) for s in mine[ip]], "referees": seen})
        for ip, seen in sorted(met.items())
    ]


def _personal(ix: Index, ip: str) -> bool:
    """The graph keeps only identifiers shared by 2..cluster_max_identifier_users users; an address the
    referrer shares with a referee is shared by at least two, so it is missing only when too crowded."""
    return identifier(IP, ip) in ix.graph.users_of


def _near(a: Sighting, b: Sighting, window: timedelta) -> bool:
    """Windows that overlap, or whose gap is at most `window`."""
    return b.first_seen - a.last_seen <= window and a.first_seen - b.last_seen <= window


def _window(s: Sighting) -> list[str]:
    return [encode_time(s.first_seen), encode_time(s.last_seen)]


def same_payer(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """The same payer fingerprint, or the same mailbox once normalised, for the referrer and a referee."""
    mine = ix.payers_of.get(referrer, ())
    prints = {p.fingerprint for p in mine if p.fingerprint}
    emails: dict[str, list[str]] = defaultdict(list)
    for payer in mine:
        if (email := normalise_email(payer.email)) is not None:
            emails[email].append(payer.email or "")
    found = []
    for referee in ix.referees_of.get(referrer, ()):
        theirs = ix.payers_of.get(referee, ())
        same_prints = sorted({p.fingerprint for p in theirs if p.fingerprint in prints if p.fingerprint})
        if same_prints:
            found.append(
                finding(
                    "same_payer", f"fingerprint:u{referee}", {"referee": referee, "fingerprints": same_prints}
                )
            )
        given = sorted({(n, p.email or "") for p in theirs if (n := normalise_email(p.email)) in emails})
        if given:
            evidence = {
                "referee": referee,
                "emails": sorted({n for n, _ in given}),
                "as_given": sorted({e for n, _ in given for e in emails[n]} | {raw for _, raw in given}),
            }
            found.append(finding("same_payer", f"email:u{referee}", evidence))
    return found


def link_burst(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """At least `link_burst_count` referees whose first accounts link within `link_burst_window`."""
    firsts = sorted(
        (links[0].linked_at, referee)
        for referee in ix.referees_of.get(referrer, ())
        if (links := ix.links(referee))
    )
    start, size, left = 0, 0, 0
    for right, (moment, _) in enumerate(firsts):
        while moment - firsts[left][0] > config.link_burst_window:
            left += 1
        if right - left + 1 > size:
            start, size = left, right - left + 1
    if size < config.link_burst_count:
        return []
    burst = firsts[start : start + size]
    evidence = {
        "referees": [referee for _, referee in burst],
        "from": encode_time(burst[0][0]),
        "to": encode_time(burst[-1][0]),
        "window_seconds": int(config.link_burst_window.total_seconds()),
    }
    return [finding("link_burst", f"{size}@{_minute(burst[0][0])}", evidence, strength=size)]


def _minute(moment: datetime) -> str:
    return encode_time(moment.replace(second=0, microsecond=0), "seconds")


def cluster(referrer: int, ix: Index, config: FraudConfig) -> list[Finding]:
    """Referees in the referrer's connected component reached only through other users (a direct link
    is its own rule's business), with the path to each. One signal per referrer: full weight when some
    path runs through logins, payers and emails only; half when every path needs a shared address,
    which strangers behind one carrier also have. So a busy affiliate among such strangers never sums
    a cluster signal per referee over the threshold."""
    referees = ix.referees_of.get(referrer, ())
    strong = _chains(shortest_paths(ix.graph, referrer, referees, STRONG_KINDS))
    weak = _chains(shortest_paths(ix.graph, referrer, [r for r in referees if r not in strong]))
    if not strong and not weak:
        return []
    component = ix.graph.component(referrer)
    paths = [{"referee": r, "path": list(p)} for r, p in sorted((strong | weak).items())]
    evidence = {"component": component, "paths": paths, "through_addresses_only": not strong}
    return [finding("cluster", f"c{component}", evidence, strength=1 if strong else Decimal("0.5"))]


def _chains(paths: dict[int, tuple[str, ...]]) -> dict[int, tuple[str, ...]]:
    return {referee: path for referee, path in paths.items() if len(path) > 3}  # u-identifier-u is direct


LINKED_CHECKS = (shared_login, same_ip, same_payer, link_burst, cluster)
