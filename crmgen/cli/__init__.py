"""The ``crmgen`` command line: one module per command, registered on :data:`main`."""

from __future__ import annotations

import importlib

from .app import main

# Each module registers its commands on ``main`` when imported.
for _name in ("check", "due", "build", "edit", "serve", "transfer", "scaffold", "teams"):
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as exc:  # a command module not written yet
        if exc.name != f"{__name__}.{_name}":
            raise

__all__ = ["main"]
