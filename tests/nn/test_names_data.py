"""The names data set shipped for lesson 11: ``nn.data.load_names``, its file, its licence."""

from __future__ import annotations

import os
import string

import pytest

import nn


def test_every_name_is_lower_case_letters_and_there_are_5163() -> None:
    names = nn.data.load_names()
    assert len(names) == 5163 == len(set(names))
    assert all(2 <= len(name) <= 11 and set(name) <= set(string.ascii_lowercase) for name in names)
    assert set("".join(names)) == set(string.ascii_lowercase)  # a GPT over them sees all 26 letters
    assert {"mary", "john", "linda", "james"} <= set(names)


def test_the_same_seed_gives_the_same_order_and_n_keeps_the_first() -> None:
    assert nn.data.load_names(seed=4) == nn.data.load_names(seed=4)
    assert nn.data.load_names(seed=4) != nn.data.load_names(seed=5)
    assert nn.data.load_names(10, seed=4) == nn.data.load_names(seed=4)[:10]


def test_a_caller_changing_the_list_changes_nothing_for_the_next() -> None:
    names = nn.data.load_names(seed=0)
    names.clear()
    assert len(nn.data.load_names(seed=0)) == 5163


@pytest.mark.parametrize("n, error, words", [
    (0, ValueError, "from 1 to 5163"), (6000, ValueError, "from 1 to 5163"),
    (True, TypeError, "got bool"), (2.5, TypeError, "got float"), ("3", TypeError, "got str"),
])
def test_a_bad_n_is_refused_saying_what_is_expected(n: object, error: type, words: str) -> None:
    with pytest.raises(error, match="load_names: n must be") as raised:
        nn.data.load_names(n)  # type: ignore[arg-type]
    assert words in str(raised.value)


def test_the_licence_ships_beside_the_data_and_names_its_source() -> None:
    licence = os.path.join(os.path.dirname(nn.data.NAMES), "NAMES-LICENSE.txt")
    text = open(licence, encoding="utf-8").read()
    assert "1990" in text and "Census Bureau" in text and "public domain" in text
