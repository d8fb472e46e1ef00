"""Files a team adds to its repository: the CI gate, merge settings, pre-commit."""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path

from crmgen.format.errors import CrmgenError, UsageError
from crmgen.fsutil import WriteFailed, atomic_write

PLATFORMS = {"github": ".github/workflows/crm.yml", "gitlab": ".gitlab-ci.yml"}
DEFAULT_PIP_SPEC = "crmgen"

# Two salespeople who each append a visit to the same client touch the same place
# (the end of the file): git's built-in union driver keeps both sections instead of
# a conflict. A real conflict in the front matter then shows up as a duplicate key,
# which `crmgen check` in the CI gate rejects.
GITATTRIBUTES_LINE = "clients/*.md merge=union"


def ci_file(platform: str, pip_spec: str = DEFAULT_PIP_SPEC) -> tuple[str, str]:
    """(relative path, text) of the CI configuration for ``platform``."""
    if platform not in PLATFORMS:
        raise UsageError(f"unknown CI platform '{platform}'; choose one of {', '.join(PLATFORMS)}")
    if '"' in pip_spec or "\n" in pip_spec:
        raise UsageError("the pip spec must not contain quotes or newlines")
    text = resources.files("crmgen").joinpath("ci", f"{platform}.yml").read_text(encoding="utf-8")
    return PLATFORMS[platform], text.replace("{{ pip_spec }}", pip_spec)


def write_ci(root: Path, platform: str, pip_spec: str = DEFAULT_PIP_SPEC, *, force: bool = False) -> list[Path]:
    """Write the CI file and the merge settings into the project at ``root``; return what was written.

    The merge line goes first: adding it again finds it there, so when the CI file then
    cannot be written (:class:`~crmgen.fsutil.WriteFailed`), running the command again works.
    """
    rel, text = ci_file(platform, pip_spec)
    target = root / rel
    if target.exists() and not force:
        raise UsageError(f"{rel} exists already; pass --force to replace it")
    attributes = add_gitattributes(root)
    outcome = ".gitattributes gained its merge line; nothing else was changed" if attributes else None
    missing = [d for d in [*reversed(target.parents), target.parent] if not d.is_dir()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text.encode("utf-8"))
    except OSError as exc:
        for directory in reversed(missing):  # the directories made for it: empty, they go again
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise WriteFailed.of(exc, rel, outcome=outcome) from None
    return [target, *([root / ".gitattributes"] if attributes else [])]


def add_gitattributes(root: Path) -> bool:
    """Add the union merge line to ``.gitattributes`` unless it is there; True when written."""
    path = root / ".gitattributes"
    try:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise CrmgenError(f"cannot read .gitattributes: {exc}; fix or remove it and run the command again") from exc
    if GITATTRIBUTES_LINE in current.splitlines():
        return False
    if current and not current.endswith("\n"):
        current += "\n"
    try:
        atomic_write(path, (current + GITATTRIBUTES_LINE + "\n").encode("utf-8"))
    except WriteFailed as exc:
        raise exc.at(".gitattributes") from None
    return True
