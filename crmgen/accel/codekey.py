"""The one code key: what every cache of crmgen is keyed by.

A cache made by other code must never be trusted: the version number stays the same
while crmgen is worked on (an editable install, a checkout, a patched install), so the
key is made of the *content* of every file of the package (modules, templates, assets),
the installed versions of the packages crmgen depends on, and the Python that runs.
Worked out once per process (the code that runs is the code this process loaded).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # crmgen/
# The distributions whose code decides what crmgen reads, checks or writes.
DEPENDENCIES = ("pyyaml", "jinja2", "markupsafe", "click", "mkdocs", "mkdocs-material", "markdown",
                "pymdown-extensions", "jieba", "pypinyin", "icalendar", "vobject", "charset-normalizer")


def key_of(package: Path, versions: Iterable[tuple[str, str]], python: str) -> str:
    """The key of the package files under ``package`` with these dependency versions and Python."""
    digest = hashlib.sha256()
    digest.update(python.encode())
    for name, version in versions:
        digest.update(f"\0{name}={version}".encode())
    for dirpath, dirnames, filenames in os.walk(package):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__" and not d.startswith("."))
        for filename in sorted(filenames):
            if filename.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(dirpath, filename)
            digest.update(b"\0" + os.path.relpath(path, package).replace(os.sep, "/").encode() + b"\0")
            with open(path, "rb") as fh:
                digest.update(fh.read())
    return digest.hexdigest()[:32]


def installed_versions(paths: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(distribution, version) of each of :data:`DEPENDENCIES` as installed on ``paths``
    (``sys.path``); ``""`` for one not found.

    Read from the names of the ``*.dist-info`` directories (``PyYAML-6.0.2.dist-info``): one
    directory listing per path entry, where ``importlib.metadata.version`` would scan every
    entry once per distribution (25 ms for these thirteen).
    """
    wanted = {_normal(name): name for name in DEPENDENCIES}
    found: dict[str, str] = {}
    for entry in sys.path if paths is None else paths:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if not name.endswith(".dist-info"):
                continue
            dist, _, version = name[: -len(".dist-info")].partition("-")
            key = _normal(dist)
            if key in wanted and key not in found:  # the first on the path is the one imported
                found[key] = version
    return [(name, found.get(_normal(name), "")) for name in DEPENDENCIES]


def _normal(name: str) -> str:
    # PEP 503 normalisation: "PyYAML", "pyyaml", "mkdocs_material" and "mkdocs-material" are one name
    return name.lower().replace("_", "-").replace(".", "-")


@functools.cache
def code_key() -> str:
    """The key of the running crmgen, its dependencies and Python."""
    return key_of(PACKAGE, installed_versions(), f"{sys.implementation.name} {sys.version}")
