"""What git remembers about the client files: who changed them, when, and how grades moved.

One ``git log`` process reads the history of the whole ``clients/`` directory
(``-p -U0`` gives only the changed lines, which is all the grade history needs;
``-M`` detects renames so a renamed client keeps its past). Starting one process
per file would cost seconds on a book of a few hundred clients.

Outside a git repository, or without git installed, :func:`read_history` returns
``History(available=False, reason=...)`` and everything that uses it degrades
gracefully (no "first seen" date, no change log on the pages).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crmgen.format.errors import DAMAGED_CACHE, warn_damaged
from crmgen.i18n import _

# Separators git will not put into a commit header line: record separator
# before each commit, unit separator between its fields.
_RS, _US = "\x1e", "\x1f"
_FORMAT = f"{_RS}%H{_US}%aI{_US}%an{_US}%ae{_US}%s"
_GRADE = re.compile(r"""^grade:\s*["']?([A-Za-z])["']?\s*(?:#.*)?$""")
# An owner line as people write it: plain, or quoted, with a comment after it or not
_OWNER = re.compile(r"""^owner:[ \t]*(?:"([^"]+)"|'([^']+)'|([^\s"'#][^#]*?))[ \t]*(?:#.*)?$""")


@dataclass(frozen=True)
class Commit:
    """One commit that touched a client file."""

    sha: str
    date: dt.datetime  # author date, timezone-aware
    author: str
    email: str
    subject: str


@dataclass(frozen=True)
class GradeChange:
    """A commit that changed a client's ``grade`` (old is None when the file was added)."""

    commit: Commit
    old: str | None
    new: str | None


@dataclass
class FileHistory:
    """The commits of one client file, renames followed."""

    commits: list[Commit] = field(default_factory=list)  # newest first
    grades: list[GradeChange] = field(default_factory=list)  # oldest first
    added: dt.date | None = None

    @property
    def last_changed(self) -> Commit | None:
        return self.commits[0] if self.commits else None


@dataclass
class History:
    """The history of every client file, keyed by slug (its current file name)."""

    available: bool
    reason: str | None = None
    files: dict[str, FileHistory] = field(default_factory=dict)
    # owner name -> the earliest commit that wrote it as a client's owner: who came first when
    # two owners' names make the same page name (render.pages.build_views)
    owners_since: dict[str, dt.datetime] = field(default_factory=dict)

    def for_slug(self, slug: str) -> FileHistory:
        """The history of ``clients/<slug>.md``; empty when git knows nothing of it."""
        return self.files.get(slug) or FileHistory()

    def first_seen(self) -> dict[str, dt.date]:
        """Slug -> the day its file was added to git (for files that have been committed)."""
        return {slug: h.added for slug, h in self.files.items() if h.added is not None}


CACHE_FILE = "history.pickle"
_CACHE_FORMAT = 2


def _head(root: Path, env: dict[str, str]) -> str | None:
    """The commit HEAD names, or None (no repository, no commits, no git)."""
    try:
        proc = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root,
                              capture_output=True, env=env, check=False)
    except OSError:
        return None
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def read_history(root: Path, clients_dir: str = "clients", cache_dir: Path | None = None) -> History:
    """Read the git history of ``root/clients_dir`` with one ``git log`` process.

    With ``cache_dir``, the parsed history is kept there keyed by the commit HEAD
    names: committed history cannot change without HEAD changing, so while it
    stays the same, one ``git rev-parse`` replaces the whole ``git log -p`` (which
    grows with the age of the repository).
    """
    clients_dir = PurePosixPath(clients_dir).as_posix()
    if cache_dir is None:
        return _read_history(root, clients_dir)
    import pickle

    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_OPTIONAL_LOCKS": "0"}
    head = _head(root, env)
    if head is None:
        return _read_history(root, clients_dir)
    key = (_CACHE_FORMAT, head, clients_dir, str(root.resolve()))
    path = cache_dir / CACHE_FILE
    try:
        cached_key, history = pickle.loads(Path(path).read_bytes())
        if cached_key == key and isinstance(history, History):
            return history
    except (*DAMAGED_CACHE, pickle.UnpicklingError) as exc:
        warn_damaged(path, exc)
    history = _read_history(root, clients_dir)
    if history.available:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump((key, history), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass
    return history


def _read_history(root: Path, clients_dir: str) -> History:
    cmd = [
        "git",
        "-c",
        "core.quotePath=false",
        "log",
        "--no-merges",  # a merge's diff would repeat its parents' grade changes
        "-M",
        f"--format={_FORMAT}",
        "-p",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        # Fixed prefixes, whatever diff.noprefix / diff.mnemonicPrefix say.
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "--relative",
        "--",
        f"{clients_dir}/",
    ]
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        proc = subprocess.run(cmd, cwd=root, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        return History(available=False, reason=_("git is not installed"))
    except OSError as exc:
        return History(available=False, reason=_("cannot run git: %(why)s") % {"why": exc.strerror})
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip()
        if "does not have any commits yet" in message:
            return History(available=True)
        if "not a git repository" in message:
            return History(available=False, reason=_("not a git repository"))
        first = message.splitlines()[0] if message else f"git log exited with {proc.returncode}"
        return History(available=False, reason=first.removeprefix("fatal: "))
    owners: dict[str, dt.datetime] = {}
    files = parse_log(proc.stdout.decode("utf-8", "replace"), clients_dir, owners)
    return History(available=True, files=files, owners_since=owners)


def parse_log(text: str, clients_dir: str = "clients",
              owners: dict[str, dt.datetime] | None = None) -> dict[str, FileHistory]:
    """Turn the output of the ``git log`` above into per-slug histories; ``owners`` (when given)
    gets each owner name written in a client file and the date of the earliest commit that did."""
    # git lists commits newest first. A rename old -> new seen in a commit means
    # every older mention of `old` belongs to the client now called `new`.
    alias: dict[str, str] = {}
    files: dict[str, FileHistory] = {}
    changes: dict[str, list[GradeChange]] = {}

    for chunk in text.split(_RS)[1:]:
        header, _, rest = chunk.partition("\n")
        fields = header.split(_US)
        if len(fields) < 5:
            continue
        sha, date, author, email, subject = fields[0], fields[1], fields[2], fields[3], _US.join(fields[4:])
        commit = Commit(
            sha=sha, date=dt.datetime.fromisoformat(date), author=author, email=email, subject=subject
        )
        for old_path, new_path, removed, added in _file_diffs(rest):
            path = new_path or old_path
            if path is None:
                continue
            slug = alias.get(path) or _slug(path, clients_dir)
            if slug is None:
                continue
            if old_path and new_path and old_path != new_path:
                alias[old_path] = slug
            hist = files.setdefault(slug, FileHistory())
            if not hist.commits or hist.commits[-1].sha != sha:
                hist.commits.append(commit)
            old_grade = _grade(removed)
            new_grade = _grade(added)
            if (old_grade or new_grade) and old_grade != new_grade:
                changes.setdefault(slug, []).append(GradeChange(commit, old_grade, new_grade))
            if owners is not None:
                owner = _owner(added)
                if owner is not None:  # commits come newest first: the last one seen is the earliest
                    owners[owner] = commit.date

    for slug, hist in files.items():
        hist.grades = list(reversed(changes.get(slug, [])))
        hist.added = hist.commits[-1].date.date() if hist.commits else None
    return files


def _file_diffs(text: str) -> list[tuple[str | None, str | None, list[str], list[str]]]:
    """(old path, new path, removed lines, added lines) for each file in one commit's patch."""
    out: list[tuple[str | None, str | None, list[str], list[str]]] = []
    current: list | None = None
    in_hunk = False
    for line in text.split("\n"):
        if line.startswith("diff --git "):
            old, new = _paths_from_diff_line(line)
            current = [old, new, [], []]
            out.append(current)  # type: ignore[arg-type]
            in_hunk = False
            continue
        if current is None:
            continue
        if in_hunk:
            if line.startswith("+"):
                current[3].append(line[1:].rstrip("\r"))
            elif line.startswith("-"):
                current[2].append(line[1:].rstrip("\r"))
            elif line.startswith("@@"):
                pass
            continue
        # Header lines of one file's diff, up to the first hunk.
        if line.startswith("@@"):
            in_hunk = True
        elif line.startswith("rename from "):
            current[0] = _unquote(line[len("rename from ") :])
        elif line.startswith("rename to "):
            current[1] = _unquote(line[len("rename to ") :])
        elif line.startswith("--- "):
            current[0] = None if line[4:] == "/dev/null" else _strip_prefix(_unquote(line[4:]), "a/")
        elif line.startswith("+++ "):
            current[1] = None if line[4:] == "/dev/null" else _strip_prefix(_unquote(line[4:]), "b/")
    return [tuple(x) for x in out]  # type: ignore[misc]


def _paths_from_diff_line(line: str) -> tuple[str | None, str | None]:
    # "diff --git a/X b/Y": ambiguous when names hold " b/", so the ---/+++ and
    # rename lines that follow override this guess whenever they are present.
    rest = line[len("diff --git ") :]
    if rest.startswith('"'):
        return None, None
    mid = rest.find(" b/")
    if not rest.startswith("a/") or mid < 0:
        return None, None
    return rest[2:mid], rest[mid + 3 :]


def _strip_prefix(path: str, prefix: str) -> str:
    return path[len(prefix) :] if path.startswith(prefix) else path


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual path names."""
    if not (path.startswith('"') and path.endswith('"')):
        return path
    raw = path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def _slug(path: str, clients_dir: str) -> str | None:
    p = PurePosixPath(path)
    if p.suffix != ".md" or p.parent != PurePosixPath(clients_dir):
        return None
    return p.stem


def _owner(lines: list[str]) -> str | None:
    for line in lines:
        if line.startswith(("owner:", "\ufeffowner:")):
            m = _OWNER.match(line.lstrip("\ufeff"))
            if m:
                return next(g for g in m.groups() if g is not None).strip() or None
    return None


def _grade(lines: list[str]) -> str | None:
    for line in lines:
        m = _GRADE.match(line.lstrip("\ufeff"))
        if m:
            return m.group(1).upper()
    return None
