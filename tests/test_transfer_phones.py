"""phone_kind: the vCard TYPE of a number, at the edges of each rule."""

from __future__ import annotations

import pytest

from crmgen.transfer.phones import phone_kind


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        # mobiles: 1, then 3-9, then 9 digits
        ("13812345678", "cell"), ("19912345678", "cell"), ("13012345678", "cell"),
        ("138 1234 5678", "cell"), ("138-1234-5678", "cell"), ("(138) 1234.5678", "cell"),
        ("+86 138 1234 5678", "cell"), ("+8613812345678", "cell"), ("0086 13812345678", "cell"),
        ("8613812345678", "cell"), ("013812345678", "cell"), ("+86-139-0000-2222", "cell"),
        ("12812345678", None),        # 12x is not a mobile prefix
        ("11812345678", None),
        ("1381234567", None),         # 10 digits
        ("138123456789", None),       # 12 digits
        # landlines: trunk 0 and an area code
        ("021-6123 4567", "landline"), ("02161234567", "landline"), ("010-8888 1234", "landline"),
        ("0571-8888 1234", "landline"), ("0571-888 1234", "landline"),  # 7 or 8 digits after 0xxx
        ("0913-123 4567", "landline"), ("+86 21 6123 4567", "landline"), ("+86 (0)21 6123 4567", "landline"),
        ("0086 571 8888 1234", "landline"), ("86 21 6123 4567", "landline"),
        ("021-61234567转801", "landline"), ("021-6123 4567 ext. 12", "landline"), ("0571-88881234#3", "landline"),
        ("021-6123456", None),        # 02x needs 8 digits
        ("021-612345678", None),      # ...not 9
        ("0571-888123", None),        # 0xxx needs 7 or 8
        ("0571-888812345", None),
        ("0612345", None),            # too short for any area code
        ("0612 3456 7890", "landline"),  # 0xxx and 8 digits
        # neither: no cell claim
        ("6123 4567", None),          # a local number without its area code
        ("400-820-8820", None), ("800 820 8820", None),
        ("+44 7700 900123", None), ("+1 555 0100", None), ("0044 7700 900123", None),
        ("+852 9123 4567", None), ("", None), ("call the front desk", None), ("１３８１２３４５６７８", "cell"), ("＋８６ ２１ ６１２３ ４５６７", "landline"),
    ],
)
def test_phone_kind(number: str, kind: str | None) -> None:
    assert phone_kind(number) == kind
