"""Money, written one way everywhere: the site, the dashboard, ``due`` and the calendar.

Amounts are read from YAML as ints or floats; each is turned into whole cents by its
decimal spelling, rounded half up (``1.005`` is ``¥1.01``, as a person reads it, not
``1.00499...`` as the float holds it), and written with thousands separators and the
cents only when there are any (``¥1,234,567.89``, ``¥86,000``).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


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
