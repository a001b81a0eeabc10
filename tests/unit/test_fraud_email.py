"""normalise_email: one mailbox, one key; anything that is not an email is None, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.affiliates.fraud.identity import normalise_email


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("Alice@Example.com", "alice@example.com"),
        ("  alice@example.com \n", "alice@example.com"),
        ("a.l.i.c.e@gmail.com", "alice@gmail.com"),
        ("A.Lice@GoogleMail.com", "alice@gmail.com"),
        ("alice+affiliates@gmail.com", "alice@gmail.com"),
        ("alice+x+y@example.com", "alice@example.com"),
        ("a.lice@example.com", "a.lice@example.com"),  # dots matter outside Gmail
        ("alice@gmail.com.", "alice@gmail.com"),
        ("ａｌｉｃｅ@gmail.com", "alice@gmail.com"),  # full-width look-alikes meet their plain form
        ("ÄLICE@bücher.de", "älice@bücher.de"),
        ("alice＠gmail.com", "alice@gmail.com"),  # a full-width at sign is an at sign after NFKC
    ],
)
def test_one_mailbox_gives_one_key(raw: str, key: str) -> None:
    assert normalise_email(raw) == key


@pytest.mark.parametrize(
    "raw",
    [
        None,
        42,
        "",
        "   ",
        "alice",
        "alice@",
        "@example.com",
        "a@b@example.com",
        "+tag@example.com",  # nothing left of the local part
        "...@gmail.com",
        '"alice"@example.com',
        '"a@b"@example.com',
        "alice smith@example.com",
        "alice@localhost",
        "alice@example..com",
        "alice\x00@example.com",
        "alice@exa\u200bmple.com",  # a zero-width space hides in the domain
        "<alice@example.com>",
    ],
)
def test_anything_that_is_not_an_email_is_none(raw: object) -> None:
    assert normalise_email(raw) is None


@given(st.text())
def test_any_text_gives_a_key_or_none_and_the_key_is_stable(raw: str) -> None:
    key = normalise_email(raw)
    assert key is None or normalise_email(key) == key
