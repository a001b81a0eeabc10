"""Referral rules: what a code and a ref_ payload look like, the deep link, and the refusals (self and
cycles, found by walking the referrer chain however long or tangled it is)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.affiliates.referrals import (
    PAYLOAD_PREFIX,
    Refusal,
    code_of,
    deep_link,
    is_code,
    referrer_chain,
    refusal,
)
from core.services.referrals import draw_code


def test_a_drawn_code_is_opaque_url_safe_and_fits_telegrams_start_parameter() -> None:
    codes = {draw_code() for _ in range(500)}

    assert len(codes) == 500
    assert all(is_code(code) and len(PAYLOAD_PREFIX + code) <= 64 for code in codes)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("ref_AbC-12_xyz9", "AbC-12_xyz9"),
        ("ref_" + "a" * 60, "a" * 60),
        ("ref_" + "a" * 61, None),  # `ref_<code>` would pass 64 characters
        ("ref_short", None),
        ("ref_", None),
        ("abc12345678", None),  # no ref_ prefix: some other payload
        ("REF_abcdefgh", None),
        ("ref_abc<def>gh", None),
        ("ref_abc defgh", None),
        ("ref_абвгдежз", None),
    ],
)
def test_code_of_takes_only_a_well_formed_ref_payload(payload: str, code: str | None) -> None:
    assert code_of(payload) == code


def test_the_deep_link_names_the_bot_and_the_code() -> None:
    assert deep_link("TradeGuardBot", "AbC-12_xyz9") == "https://t.me/TradeGuardBot?start=ref_AbC-12_xyz9"


def chain_of(referrer_of: dict[int, int], start: int) -> list[int]:
    return referrer_chain(start, referrer_of.get)


@pytest.mark.parametrize(
    ("referrer_of", "referee", "referrer", "expected"),
    [
        ({}, 1, 1, Refusal.SELF),
        ({}, 2, 1, None),
        ({2: 1}, 1, 2, Refusal.CYCLE),  # A referred B; B may not refer A
        ({2: 1, 3: 2}, 1, 3, Refusal.CYCLE),  # A→B→C, C may not refer A
        ({2: 1, 3: 2}, 4, 3, None),
        ({2: 1, 3: 2}, 2, 3, Refusal.CYCLE),
        ({3: 2}, 1, 3, None),  # unrelated chains
    ],
)
def test_refusal_refuses_self_referral_and_every_cycle(
    referrer_of: dict[int, int], referee: int, referrer: int, expected: Refusal | None
) -> None:
    assert refusal(referee, referrer, chain_of(referrer_of, referrer)) == expected


def test_a_chain_of_a_hundred_thousand_is_walked_to_its_root() -> None:
    referrer_of = {n + 1: n for n in range(1, 100_000)}  # 1 → 2 → … → 100000

    chain = chain_of(referrer_of, 100_000)

    assert len(chain) == 99_999 and chain[-1] == 1
    assert refusal(1, 100_000, chain) is Refusal.CYCLE
    assert refusal(100_001, 100_000, chain) is None


def test_a_stored_chain_that_already_loops_ends_the_walk_instead_of_running_forever() -> None:
    referrer_of = {1: 3, 2: 1, 3: 2, 4: 3}  # 1 → 2 → 3 → 1, and 3 → 4

    assert chain_of(referrer_of, 4) == [3, 2, 1]
    assert chain_of(referrer_of, 1) == [3, 2]


@given(st.dictionaries(st.integers(1, 40), st.integers(1, 40), max_size=60), st.integers(1, 40))
def test_the_walk_lists_each_user_once_and_never_its_start(referrer_of: dict[int, int], start: int) -> None:
    chain = chain_of(referrer_of, start)

    assert len(chain) == len(set(chain)) and start not in chain
    assert all(referrer_of[a] == b for a, b in zip([start, *chain], chain, strict=False))


@given(st.lists(st.integers(1, 10_000), min_size=2, max_size=200, unique=True), st.data())
def test_whoever_is_up_a_chain_can_never_be_referred_by_someone_below(
    users: list[int], data: st.DataObject
) -> None:
    referrer_of = {users[n + 1]: users[n] for n in range(len(users) - 1)}  # users[0] at the root
    upper = data.draw(st.integers(0, len(users) - 2))
    lower = data.draw(st.integers(upper + 1, len(users) - 1))

    assert refusal(users[upper], users[lower], chain_of(referrer_of, users[lower])) is Refusal.CYCLE
