"""Forking worker processes safely and cheaply (build chunks, calendar prefill).

A forked child shares the parent's memory until it writes to it. Two rules keep
that true: fork only a single-threaded process (a fork copies locks other
threads may hold: serve's watcher and HTTP server), and freeze the parent's
objects first, so the child's garbage collector, which writes to every object
it scans, leaves the shared pages alone.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import threading
from collections.abc import Iterator


def can_fork() -> bool:
    """True when this process may fork: the start method exists and no other thread runs."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def frozen() -> Iterator[None]:
    """Fork inside this block: the parent's objects are out of the children's GC."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
