"""Planted fraud (each case one referrer, one kind) and innocent look-alikes, for `bench/fraud.py`.
Every function adds its users to the world and returns the referrer whose assessment it tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from bench.fraud_world import T0, World
from core.domain.affiliates.fraud import PayerRecord

DAY = T0 + timedelta(days=70)  # planted trading happens on this UTC day
LOT, TENTH = Decimal(1), Decimal("0.1")


def shared_login(w: World) -> int:
    fraudster = w.person()
    second = w.person(login=w.account_of(fraudster).login)  # a second Telegram user links the same login
    w.refer(fraudster, second)
    return fraudster


def same_ip(w: World) -> int:
    """Three addresses (home, phone, office) at the same hours: one person, not a household."""
    fraudster, second = w.person(), w.person()
    for n in range(3):
        ip, start = w.shared_ip(), T0 + timedelta(days=10 + n)
        w.seen(fraudster, ip, start)
        w.seen(second, ip, start + timedelta(hours=2))
    w.refer(fraudster, second)
    return fraudster


def same_payer_fingerprint(w: World) -> int:
    fraudster, second = w.person(email=f"pay{w.users + 1}@example.com"), w.person()
    card = next(p.fingerprint for p in w.payers if p.user_id == fraudster)
    w.payers.append(PayerRecord(second, card, f"other{second}@example.com"))
    w.refer(fraudster, second)
    return fraudster


def same_payer_email(w: World) -> int:
    n = w.users + 1
    fraudster = w.person(email=f"max.power{n}@gmail.com")
    second = w.person(email=f"MaxPower{n}+ref@googlemail.com")  # the same Gmail mailbox
    w.refer(fraudster, second)
    return fraudster


def link_burst(w: World, referees: int = 10) -> int:
    fraudster, start = w.person(), T0 + timedelta(days=20, hours=w.rng.randrange(24))
    for n in range(referees):
        w.refer(fraudster, w.person(at=start + timedelta(seconds=30 * n)))
    return fraudster


def cluster(w: World) -> int:
    """F pays with the card of H (not referred); G, referred by F, links H's login: F-card-H-login-G."""
    fraudster, middle = w.person(email=f"c{w.users + 1}@example.com"), w.person()
    card = next(p.fingerprint for p in w.payers if p.user_id == fraudster)
    w.payers.append(PayerRecord(middle, card, None))
    second = w.person(login=w.account_of(middle).login)
    w.refer(fraudster, second)
    return fraudster


def wash_churn(w: World) -> int:
    """Forty round trips held under a minute, each gaining or losing less than its commission."""
    fraudster, second = w.person(), w.person()
    for n in range(40):
        opened = DAY + timedelta(minutes=10 * n)
        side = "buy" if n % 2 else "sell"
        w.trip(second, opened, timedelta(seconds=40), LOT, Decimal(w.rng.randrange(-6, 7)), side)
    w.refer(fraudster, second)
    return fraudster


def wash_flat(w: World) -> int:
    """Thirty round trips held for hours that all close about where they opened."""
    fraudster, second = w.person(), w.person()
    for n in range(30):
        opened = DAY - timedelta(days=n)
        w.trip(second, opened, timedelta(hours=3), 2 * LOT, Decimal(w.rng.randrange(-13, 14)))
    w.refer(fraudster, second)
    return fraudster


def _pair(w: World) -> tuple[int, int, int, str]:
    """F refers G; G and an unreferred H trade from one address (one cluster, days apart)."""
    fraudster, second, other = w.person(), w.person(), w.person()
    ip = w.shared_ip()
    w.seen(second, ip, T0 + timedelta(days=5))
    w.seen(other, ip, T0 + timedelta(days=40))
    w.refer(fraudster, second)
    return fraudster, second, other, ip


def wash_mirror(w: World) -> int:
    """Five times G buys and H sells the same volume within seconds, and both close within seconds."""
    fraudster, second, other, _ = _pair(w)
    for n in range(5):
        opened, profit = DAY + timedelta(hours=n), Decimal(w.rng.randrange(20, 200))
        volume, hold = LOT + n * TENTH, timedelta(minutes=30)
        w.trip(second, opened, hold, volume, profit, "buy", "XAUUSD")
        w.trip(
            other,
            opened + timedelta(seconds=8),
            hold - timedelta(seconds=5),
            volume,
            -profit,
            "sell",
            "XAUUSD",
        )
    return fraudster


def wash_net_flat(w: World) -> int:
    """Over one day G buys 4 x 1.5 lots while H and K sell 3 x 1 each, hours apart: no pair mirrors,
    the cluster's net position does not move."""
    fraudster, second, other, ip = _pair(w)
    third = w.person()
    w.seen(third, ip, T0 + timedelta(days=50))
    legs = [(second, 1 + 4 * n, Decimal("1.5"), "buy") for n in range(4)]
    legs += [(who, first + 4 * n, LOT, "sell") for n in range(3) for who, first in ((other, 2), (third, 3))]
    for who, hour, volume, side in legs:
        profit = Decimal(w.rng.randrange(30, 90)) * (1 if hour % 2 else -1)
        w.trip(who, DAY + timedelta(hours=hour), timedelta(minutes=20), volume, profit, side)
    return fraudster


# -- innocent look-alikes --------------------------------------------------------------------------
def family_ip(w: World) -> int:
    """A parent refers a child who trades from the same home address, at the same hours."""
    parent, child = w.person(), w.person()
    home = next(s.ip for s in w.sightings if s.account_id == w.account_of(parent).account_id)
    w.seen(child, home, T0 + timedelta(days=3))
    w.seen(parent, home, T0 + timedelta(days=3, hours=1))
    w.refer(parent, child)
    return parent


def gmail_variant(w: World) -> int:
    """Similar addresses, different mailboxes: dots matter outside Gmail, and a digit differs in Gmail."""
    n = w.users + 1
    if n % 2:
        friend, other = w.person(email=f"anna.lee{n}@yahoo.com"), w.person(email=f"annalee{n}@yahoo.com")
    else:
        friend, other = w.person(email=f"anna.lee{n}@gmail.com"), w.person(email=f"annalee{n}1@gmail.com")
    w.refer(friend, other)
    return friend


def scalper(w: World) -> int:
    """A busy, honest scalper: 300 round trips, 90% under a minute, each winning or losing real money."""
    affiliate, trader = w.person(), w.person()
    for n in range(300):
        hold = timedelta(seconds=45) if n % 10 else timedelta(minutes=30)
        gain = Decimal(w.rng.randrange(5, 80)) * (1 if w.rng.random() < 0.55 else -1)
        w.trip(trader, DAY + timedelta(minutes=3 * n), hold, TENTH, gain, "buy" if n % 3 else "sell")
    w.refer(affiliate, trader)
    return affiliate


def small_burst(w: World) -> int:
    """Four friends sign up within eight minutes after a trading meetup."""
    affiliate, start = w.person(), T0 + timedelta(days=30)
    for n in range(4):
        w.refer(affiliate, w.person(at=start + timedelta(minutes=2 * n)))
    return affiliate


def ip_days_apart(w: World) -> int:
    """The same café address, a week apart."""
    affiliate, friend = w.person(), w.person()
    ip = w.shared_ip()
    w.seen(affiliate, ip, T0 + timedelta(days=2))
    w.seen(friend, ip, T0 + timedelta(days=9))
    w.refer(affiliate, friend)
    return affiliate


PLANTERS: dict[str, Callable[[World], int]] = {
    "shared_login": shared_login,
    "same_ip": same_ip,
    "same_payer_fingerprint": same_payer_fingerprint,
    "same_payer_email": same_payer_email,
    "link_burst": link_burst,
    "cluster": cluster,
    "wash_churn": wash_churn,
    "wash_flat": wash_flat,
    "wash_mirror": wash_mirror,
    "wash_net_flat": wash_net_flat,
}
LOOKALIKES: dict[str, Callable[[World], int]] = {
    "family_ip": family_ip,
    "gmail_variant": gmail_variant,
    "scalper": scalper,
    "small_burst": small_burst,
    "ip_days_apart": ip_days_apart,
}
