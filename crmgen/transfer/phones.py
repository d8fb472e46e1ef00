"""What kind of line a phone number is, read from the number alone (for vCard ``TEL;TYPE=``).

The rule, for numbers as salespeople in China write them:

- full-width digits count as digits; separators (spaces, ``-``, ``.``, ``/``, brackets) and an extension (``转 801``,
  ``ext. 801``, ``x801``, ``#801``, ``分机 801``) are ignored;
- a country code ``+86``, ``0086`` or a bare ``86`` in front of 11 or more digits
  is taken off, then a trunk ``0`` (``+86 (0)21 ...``);
- **cell**: a Chinese mobile, ``1`` then ``3``-``9`` then 9 more digits (11 digits,
  13812345678), also written with a trunk zero (013812345678) or a country code;
- **landline**: a trunk ``0`` (or the country code) and an area code: ``10`` or
  ``2x`` followed by 8 digits (021-6123 4567, 010-8888 1234), or a three-digit code
  ``3xx``-``9xx`` followed by 7 or 8 digits (0571-8888 1234, 0913-123 4567);
- anything else (other countries, 400/800 service numbers, a local number without
  its area code, letters) is **None**: crmgen claims neither mobile nor landline.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

PhoneKind = Literal["cell", "landline"]

_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#).*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-./()\u3000（）]+")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:10|2\d)\d{8}|[3-9]\d{2}\d{7,8}")


def phone_kind(number: str) -> PhoneKind | None:
    """``"cell"``, ``"landline"`` or None for a phone number as written (see the module's rule)."""
    # NFKC: a Chinese input method may type full-width digits and ＋.
    text = _EXTENSION.sub("", unicodedata.normalize("NFKC", number).strip())
    text = _SEPARATORS.sub("", text)
    if text.startswith("+"):
        if not text.startswith("+86"):
            return None
        national = text[3:]
        international = True
    elif text.startswith("0086"):
        national, international = text[4:], True
    elif text.startswith("86") and len(text) >= 12:
        # 86 then a mobile or an area code and number (12 digits or more); no Chinese number of its
        # own starts with 86 and is that long.
        national, international = text[2:], True
    else:
        national, international = text, False
    if not national.isdigit() or not national.isascii():
        return None
    if national.startswith("0"):
        national, trunk = national[1:], True
    else:
        trunk = False
    if _MOBILE.fullmatch(national):
        return "cell"
    if (trunk or international) and _LANDLINE.fullmatch(national):
        return "landline"
    return None
