"""Enterprise numbers and asset tags: their check digits catch typing errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fabdesk.errors import InvalidValue
from fabdesk.identifiers import (
    format_enterprise_number,
    make_asset_tag,
    parse_asset_tag,
    parse_enterprise_number,
)


@pytest.mark.parametrize(
    "text", ["0123.456.749", "0123456749", "BE0123456749", "be 0123 456 749", "123456749"]
)
def test_enterprise_number_forms(text: str) -> None:
    assert parse_enterprise_number(text) == "0123456749"
    assert format_enterprise_number("0123456749") == "0123.456.749"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0123.456.748", "enterprise_number_check"),
        ("0123.456.7", "enterprise_number_format"),
        ("2123.456.749", "enterprise_number_format"),
        ("ABCD.EFG.HIJ", "enterprise_number_format"),
    ],
)
def test_bad_enterprise_numbers_say_why(text: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_enterprise_number(text)
    assert caught.value.code == code
    assert text in str(caught.value)


@given(st.integers(min_value=0, max_value=19_999_999))
def test_every_valid_enterprise_number_parses(body: int) -> None:
    number = f"{body:08d}{97 - body % 97:02d}"
    assert parse_enterprise_number(format_enterprise_number(number)) == number


@given(
    st.sampled_from(["CF1", "CF2", "CF3", "IMAL"]),
    st.integers(min_value=0, max_value=99_999),
    st.data(),
)
def test_asset_tag_catches_any_single_wrong_character(
    prefix: str, number: int, data: st.DataObject
) -> None:
    tag = make_asset_tag(prefix, number)
    assert parse_asset_tag(tag.lower()) == tag
    positions = [i for i, c in enumerate(tag) if c != "-"]
    index = data.draw(st.sampled_from(positions))
    alphabet = (
        "0123456789"
        if tag[index].isdigit() and index < len(tag) - 1
        else "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != tag[index]]))
    typo = tag[:index] + replacement + tag[index + 1 :]
    with pytest.raises(InvalidValue):
        parse_asset_tag(typo)


def test_asset_tag_catches_adjacent_swaps_of_digits() -> None:
    tag = make_asset_tag("CF1", 12)
    swapped = tag.replace("12", "21")
    with pytest.raises(InvalidValue, match="check character"):
        parse_asset_tag(swapped)
