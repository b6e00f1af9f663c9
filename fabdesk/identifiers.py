"""Identifiers with check digits: the Belgian enterprise number (BCE/KBO)."""

from __future__ import annotations

import re

from fabdesk.errors import InvalidValue

_SEPARATORS = re.compile(r"[\s.\-/]")


def parse_enterprise_number(text: str) -> str:
    """The ten digits of a Belgian enterprise number, or InvalidValue saying what is wrong.

    Accepts `0123.456.749`, `0123456749`, `BE0123456749` and `123456749` (nine digits, the old
    form, gets its leading 0). The last two digits are 97 minus the first eight modulo 97.
    """
    digits = _SEPARATORS.sub("", text.strip()).upper().removeprefix("BE")
    if len(digits) == 9 and digits.isdigit():
        digits = "0" + digits
    if len(digits) != 10 or not digits.isdigit():
        raise InvalidValue(
            "Enterprise number {value!r} must have 10 digits, like 0123.456.749.",
            value=text,
            error_code="enterprise_number_format",
        )
    if digits[0] not in "01":
        raise InvalidValue(
            "Enterprise number {value!r} must start with 0 or 1.",
            value=text,
            error_code="enterprise_number_format",
        )
    if 97 - int(digits[:8]) % 97 != int(digits[8:]):
        raise InvalidValue(
            "Enterprise number {value!r} has a wrong check number (last two digits): "
            "check it for a typing error.",
            value=text,
            error_code="enterprise_number_check",
        )
    return digits


def format_enterprise_number(digits: str) -> str:
    """`0123456749` → `0123.456.749`."""
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


_TAG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _luhn36_check(payload: str) -> str:
    """Luhn mod 36 check character: catches every single wrong character and most swaps."""
    factor, total, n = 2, 0, len(_TAG_ALPHABET)
    for char in reversed(payload):
        addend = factor * _TAG_ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return _TAG_ALPHABET[(n - total % n) % n]


def make_asset_tag(prefix: str, number: int) -> str:
    """`make_asset_tag("CF1", 12)` → `CF1-00012-X`, where X checks the rest."""
    body = f"{prefix.upper()}-{number:05d}"
    return f"{body}-{_luhn36_check(body.replace('-', ''))}"


def parse_asset_tag(text: str) -> str:
    """The asset tag in canonical form, or InvalidValue if it is malformed or mistyped."""
    tag = text.strip().upper()
    parts = tag.split("-")
    if (
        len(parts) != 3
        or not parts[0].isalnum()
        or not parts[1].isdigit()
        or len(parts[2]) != 1
        or not all(c in _TAG_ALPHABET for c in "".join(parts))
    ):
        raise InvalidValue(
            "Asset tag {value!r} is not of the form CF1-00012-X.",
            value=text,
            error_code="asset_tag_format",
        )
    if _luhn36_check(parts[0] + parts[1]) != parts[2]:
        raise InvalidValue(
            "Asset tag {value!r} has a wrong check character: it was probably mistyped.",
            value=text,
            error_code="asset_tag_check",
        )
    return tag
