"""The floor: read every client file and parse its front matter with libyaml, nothing else.

    python benchmarks/floor.py DIR

No validation, no model, no cache: what any tool reading a book of YAML front
matter must at least pay. ``crmgen check`` is measured against it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main(root: str) -> int:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    count = 0
    for path in sorted((Path(root) / "clients").glob("*.md")):
        text = path.read_bytes().decode("utf-8-sig")
        if not text.startswith("---"):
            continue
        end = text.find("\n---", 3)
        if end < 0:
            continue
        yaml.load(text[3:end], Loader=loader)  # noqa: S506 - CSafeLoader is the safe loader
        count += 1
    print(count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
