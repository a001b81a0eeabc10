"""Fraud checks at scale (issue 11): 100,000 users, 1,000,000 round trips, 1% planted fraud.

Pure CPU, no service: the world (`bench/fraud_world.py`, `bench/fraud_plant.py`) is built in memory as
the scan service would load it, then one full `scan` runs (timed, wall and CPU). 1% of the users belong
to planted cases, spread evenly over ten kinds; as many again to innocent look-alikes (a household's
address, similar but different emails, a busy scalper, a small burst of friends, an address a week
apart). A referrer is flagged when its score reaches the threshold; precision and recall are counted
on the planted referrers, and every look-alike flagged is a false positive.

`.venv/bin/python -m bench.fraud [--users N] [--deals N] [--seed N]`
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Sequence

from bench.fraud_plant import LOOKALIKES, PLANTERS
from bench.fraud_world import NOW, World
from bench.harness import Metric, machine_info, print_table
from core.domain.affiliates.fraud import Assessment, FraudConfig, scan

TARGET_SCAN_SECONDS = 60.0
TARGET_PRECISION = 95.0  # %
TARGET_RECALL = 95.0  # %
# Users one case of each kind takes (to size the planted share at 1% of the users).
USERS_PER_ROUND = {"planted": 33, "lookalikes": 13}


def build(users: int, deals: int, seed: int) -> World:
    world = World(random.Random(seed))
    rounds = max(1, users // 100 // USERS_PER_ROUND["planted"])
    for _ in range(rounds):
        for kind, plant in PLANTERS.items():
            world.planted[plant(world)] = kind
    for _ in range(max(1, users // 100 // USERS_PER_ROUND["lookalikes"])):
        for kind, plant in LOOKALIKES.items():
            world.lookalikes[plant(world)] = kind
    first_link, first_user, planted_trips = len(world.links), world.users + 1, len(world.trips)
    while world.users < users:
        world.person()
    for user in range(first_user, world.users - 5, 10):  # one in ten refers the next five
        for referee in range(user + 1, user + 6):
            world.refer(user, referee)
    world.carrier_sightings(world.links[first_link:])
    world.background_trips(max(0, deals - planted_trips), world.links[first_link:])
    return world


def run(users: int, deals: int, seed: int) -> None:
    print(machine_info())
    started = time.perf_counter()
    world = build(users, deals, seed)
    inputs = world.inputs()
    print(
        f"world: {world.users:,} users, {len(inputs.links):,} links, {len(inputs.sightings):,} sightings, "
        f"{len(inputs.payers):,} payers, {len(inputs.referrals):,} referrals, {len(inputs.round_trips):,} "
        f"round trips; {len(world.planted):,} planted cases, {len(world.lookalikes):,} look-alikes "
        f"(built in {time.perf_counter() - started:.1f} s, not timed)"
    )
    config = FraudConfig()
    wall, cpu = time.perf_counter(), time.process_time()
    assessments = scan(inputs, NOW, config)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print_table(metrics(world, assessments, config, wall, cpu))
    print_kinds(world, assessments, config)


def flagged(assessments: Sequence[Assessment], config: FraudConfig) -> set[int]:
    return {a.affiliate_user_id for a in assessments if a.over(config.threshold)}


def metrics(
    world: World, assessments: Sequence[Assessment], config: FraudConfig, wall: float, cpu: float
) -> list[Metric]:
    hits = flagged(assessments, config)
    planted = set(world.planted)
    caught = len(hits & planted)
    precision = 100 * caught / len(hits) if hits else 0.0
    return [
        Metric("one full scan, wall", wall, TARGET_SCAN_SECONDS, "s"),
        Metric("one full scan, CPU", cpu, None, "s"),
        Metric("referrers with a signal", len(assessments)),
        Metric("cases flagged (score >= threshold)", len(hits)),
        Metric("planted cases", len(planted)),
        Metric("precision on planted cases", precision, TARGET_PRECISION, "%", at_least=True),
        Metric("recall on planted cases", 100 * caught / len(planted), TARGET_RECALL, "%", at_least=True),
        Metric("look-alikes flagged", len(hits & set(world.lookalikes)), 0, exact=True),
    ]


def print_kinds(world: World, assessments: Sequence[Assessment], config: FraudConfig) -> None:
    """Per kind: how many of its cases were flagged (planted: all should be; look-alikes: none)."""
    hits = flagged(assessments, config)
    scores = {a.affiliate_user_id: a.score for a in assessments}
    print(f"\n{'':<10} {'kind':<23} {'cases':>5}  flagged  lowest score  highest score")
    for label, cases in (("planted", world.planted), ("look-alike", world.lookalikes)):
        totals, caught = Counter(cases.values()), Counter(k for u, k in cases.items() if u in hits)
        for kind in totals:
            seen = [scores.get(u, 0) for u, k in cases.items() if k == kind]
            low, high = min(seen), max(seen)
            print(f"{label:<10} {kind:<23} {totals[kind]:>5}  {caught[kind]:>7}  {low:>12}  {high:>13}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fraud", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=1_000_000, help="round trips (closed positions)")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    run(args.users, args.deals, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
