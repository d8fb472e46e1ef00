"""The ``crmgen`` command line: one module per command, loaded when its command runs
(see :data:`crmgen.cli.app.LAZY_COMMANDS`)."""

from __future__ import annotations

from crmgen.cli.app import main

__all__ = ["main"]
