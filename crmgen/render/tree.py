"""A rendered tree: page path to its text or bytes, or :data:`KEEP`; and the fingerprint that decides.

A page whose inputs have the fingerprint the last build recorded for it is left as it
is on disk (:data:`KEEP`) rather than rendered again (see :mod:`crmgen.accel.incremental`).
"""

from __future__ import annotations

import hashlib
import io
import pickle
from typing import Any

KEEP = object()  # in a rendered tree: "this page is unchanged, leave the file as it is"


def fingerprint(*parts: Any) -> str:
    """A stable hash of picklable inputs (frozen dataclasses, dates, strings, numbers).

    The pickler's memo is off (``fast``): with it, an object met twice is written
    the second time as a reference, so equal inputs that happen to share objects
    differently (a client just parsed vs. one read back from the cache) would hash
    differently and their pages be rendered again for nothing.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the values only (the inputs hold no cycles)
    pickler.dump(parts)
    return hashlib.blake2b(buffer.getvalue(), digest_size=20).hexdigest()
