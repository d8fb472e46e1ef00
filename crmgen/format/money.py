"""Money, written one way everywhere: the site, the dashboard, ``due`` and the calendar.

Amounts are read from YAML as ints or floats; each is turned into whole cents by its
decimal spelling, rounded half up (``1.005`` is ``¥1.01``, as a person reads it, not
``1.00499...`` as the float holds it), and written with thousands separators and the
cents only when there are any (``¥1,234,567.89``, ``¥86,000``).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from crmgen.format.schema import NUMBER_MAX


def to_cents(amount: float | int | None) -> int:
    """An amount of money in whole cents, rounded half up from its decimal spelling."""
    if amount is None:
        return 0
    if isinstance(amount, int):
        return amount * 100
    scaled = amount * 100
    cents = round(scaled)
    if abs(scaled - cents) < 0.49:  # clearly not a half cent: the float is close enough
        return int(cents)
    return int((Decimal(str(amount)) * 100).to_integral_value(ROUND_HALF_UP))


def format_cents(cents: int, currency: str = "¥") -> str:
    """``123456789`` cents -> ``¥1,234,567.89``; whole amounts drop the ``.00``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    text = f"{sign}{currency}{whole:,}"
    return f"{text}.{frac:02d}" if frac else text


def money(amount: float | int | None, currency: str = "¥") -> str:
    """An amount as written everywhere (``""`` for none): ``12345.5`` -> ``¥12,345.50``."""
    if amount is None:
        return ""
    return format_cents(to_cents(amount), currency)


# -- amounts as people type them on a command line ------------------------------------

# Units of Chinese numbers: 5万 is 50,000, 1.2亿 is 120,000,000 (千 and 百 for completeness).
_UNITS = {"千": 1_000, "万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}
_CURRENCY_PREFIX = re.compile(r"^(?:[¥￥$€£]|RMB|CNY|USD|EUR)\s*", re.IGNORECASE)
_CURRENCY_SUFFIX = re.compile(r"\s*(?:元|块|RMB|CNY|USD|EUR)$", re.IGNORECASE)
_NUMBER = re.compile(r"^([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.([0-9]+))?\Z")


class AmountError(ValueError):
    """Text that is not an amount; the message says what is accepted."""


def parse_amount(text: str, *, limit: int = NUMBER_MAX) -> int | float:
    """An amount as typed: ``50000``, ``50,000``, ``¥50,000``, ``5万``, ``1.2万``, ``86,000.50元``.

    Thousands separators must group by three (``5,00`` is refused rather than guessed);
    a currency sign or code before it and ``元`` after it are dropped. The value is
    exact to the cent (computed in decimal, so ``1.1万`` is 11000, not 11000.000000000002):
    an int when whole, else a float of at most two decimals. Negative, zero-width,
    fractional-cent and out-of-range amounts raise :class:`AmountError`.
    """
    raw = text
    text = text.strip().replace("\u3000", " ")
    text = _CURRENCY_SUFFIX.sub("", _CURRENCY_PREFIX.sub("", text)).strip()
    unit = 1
    if text and text[-1] in _UNITS:
        unit, text = _UNITS[text[-1]], text[:-1].strip()
    if text.startswith("-"):
        raise AmountError(f"'{raw}' is negative; amounts are positive (record a refund as a note)")
    m = _NUMBER.match(text)
    if m is None:
        raise AmountError(f"'{raw}' is not an amount; write it as 50000, 50,000, ¥50,000 or 5万")
    value = Decimal(m[1].replace(",", "") + (f".{m[2]}" if m[2] else "")) * unit
    if value != value.quantize(Decimal("0.01")):
        raise AmountError(f"'{raw}' has a fraction of a cent; round it to two decimals")
    if value > limit:
        raise AmountError(f"'{raw}' is beyond the amounts crmgen works with (0 to {limit:,})")
    return int(value) if value == value.to_integral_value() else float(value)
