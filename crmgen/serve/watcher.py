"""The watcher's half of ``crmgen serve``: which changed paths matter (see :mod:`crmgen.serve.rebuild`).

watchdog delivers real filesystem events; this keeps those in ``clients/``,
``templates/`` and ``mkdocs.yml``, and drops editor swap, backup and temporary files
and crmgen's own output.
"""


from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crmgen.load.project import CONFIG_FILE, Project

# Editor droppings that are never content: vim swap files and its write probe
# "4913", backups "name~", emacs locks ".#name" and autosaves "#name#", JetBrains'
# safe-write temporaries, Kate swap files, gedit's output streams, any ".tmp".
_IGNORED_SUFFIXES = (".swp", ".swo", ".swx", ".swpx", "~", ".tmp", ".temp", ".bak", ".orig",
                     ".kate-swp", ".crmgen-tmp", "___jb_tmp___", "___jb_old___", ".crdownload", ".part")
_IGNORED_PREFIXES = (".#", ".goutputstream-", ".~lock.")
_IGNORED_NAMES = {"4913", ".DS_Store", "Thumbs.db"}
_IGNORED_DIRS = {".crmgen", ".git", "site", "__pycache__", "node_modules"}


def is_ignored_name(name: str) -> bool:
    """True for editor swap/backup/temporary files, whose changes are not content."""
    if name in _IGNORED_NAMES or name.endswith(_IGNORED_SUFFIXES) or name.startswith(_IGNORED_PREFIXES):
        return True
    if name.startswith("#") and name.endswith("#"):  # emacs autosave
        return True
    # vim's numbered swap files: .name.swp, .name.swo, ... .name.swa
    return name.startswith(".") and len(name) > 4 and name[-4:-1] == ".sw"


def within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


@dataclass
class Watched:
    """What the watcher cares about, as absolute paths (resolved once, per project load)."""

    root: Path
    clients: Path
    templates: Path
    config: Path
    site: Path
    ignored: tuple[Path, ...] = ()

    @classmethod
    def of(cls, project: Project, site: Path) -> Watched:
        root = project.root.resolve()
        return cls(
            root=root,
            clients=(root / project.settings.clients_dir).resolve(),
            templates=(root / project.settings.templates_dir).resolve(),
            config=root / CONFIG_FILE,
            site=site,
            ignored=(root / ".crmgen", root / ".git", site),
        )

    def relevant(self, path: Path) -> bool:
        """Would a change at ``path`` change the site?

        Client files are the ``*.md`` directly in the clients directory (what
        ``load_book`` reads); anything in templates/ that is not an editor's
        temporary file; mkdocs.yml; and the two directories themselves (created,
        deleted or renamed, as by ``git checkout``).
        """
        if any(within(path, d) for d in self.ignored):
            return False
        if path in (self.config, self.clients, self.templates):
            return True
        if is_ignored_name(path.name):
            return False
        if path.parent == self.clients:
            return path.suffix == ".md" and not path.name.startswith(".")
        if within(path, self.templates):
            rel = path.relative_to(self.templates).parts
            return not any(part in _IGNORED_DIRS or is_ignored_name(part) for part in rel)
        return False


def changed_paths(event: Any, watched: Watched) -> list[Path]:
    """The relevant paths a watchdog event touches (both ends of a move).

    Editors that save through a temporary file and a rename (vim, VS Code,
    JetBrains) show up as a move whose *destination* is the client file; vim's
    default ``backupcopy`` moves the file away first (the *source* matters).
    Opening and read-only closing change nothing.
    """
    if event.event_type in ("opened", "closed_no_write"):
        return []
    if event.is_directory and event.event_type == "modified":
        return []  # a directory's mtime: the file events say more
    paths = [event.src_path]
    dest = getattr(event, "dest_path", "")
    if dest:
        paths.append(dest)
    out = []
    for raw in paths:
        p = Path(os.fsdecode(raw))
        if watched.relevant(p):
            out.append(p)
    return out


class EventHandler:
    """A watchdog handler that passes the relevant paths of each event to ``notice``.

    ``watched``: what is watched now (it changes when mkdocs.yml moves the directories).
    """

    def __init__(self, notice: Callable[[list[Path]], None], watched: Callable[[], Watched],
                 out: Callable[[str], None]) -> None:
        self._notice, self._watched, self._out = notice, watched, out

    def dispatch(self, event: Any) -> None:
        try:
            self._notice(changed_paths(event, self._watched()))
        except Exception as exc:  # noqa: BLE001 - the observer thread must not die
            self._out(f"crmgen serve: warning: watcher: {exc}")
