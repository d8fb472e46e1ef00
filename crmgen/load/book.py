"""The whole book of clients: every file read, validated, and checked against the others."""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from crmgen.accel.cache import ParseCache
from crmgen.format.errors import ERROR, WARNING, Problem
from crmgen.format.validation import SLUG_RE, Facts, Located, validate
from crmgen.load.nodes import RawFile, parse_text, read_file
from crmgen.load.project import Project

if TYPE_CHECKING:
    from crmgen.format.model import Client


@dataclass
class Book:
    """What ``load_book`` found: the valid clients and every problem."""

    root: Path
    clients: list[Client]
    problems: list[Problem]
    files: int
    broken: list[str] = field(default_factory=list)
    # rel path -> stat fingerprint each file was read under (see crmgen.accel.cache), for the
    # book summary; None when some file has none (a symlink, unreadable) or with ``paths``
    fingerprints: dict[str, tuple[int, ...]] | None = None
    # slug -> (the client, a digest of what it was parsed from): with load_book(digests=True)
    digests: dict[str, tuple[Client, str]] = field(default_factory=dict, repr=False, compare=False)

    def digest(self, client: Client) -> str | None:
        """A digest of what ``client`` was parsed from (see :meth:`crmgen.accel.cache.ParseCache.digest`);
        None unless ``client`` is the very object this book read (not a copy made from it)."""
        known = self.digests.get(client.slug)
        return known[1] if known is not None and known[0] is client else None

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def by_slug(self) -> dict[str, Client]:
        return {c.slug: c for c in self.clients}


def slug_problem(rel_path: str, slug: str) -> Problem | None:
    """A file name that is not a valid slug, with the slug it should have."""
    if SLUG_RE.match(slug):
        return None
    return Problem(rel_path, 1, 1, ERROR,
        f"file name '{slug}.md' is not a valid client slug (lowercase letters, digits and '-', "
        f"starting with a letter or digit); rename it to '{normalise_slug(slug) or 'client'}.md'",
        "bad-slug")


def normalise_slug(text: str) -> str:
    """Lowercase ASCII, runs of anything else turned into single dashes."""
    import unicodedata  # only for a file name that is not a slug already

    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")  # compiled by re's cache if ever needed


# what normalise_slug leaves as it is (most file names): one regex instead of its four steps
_NORMAL_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*").fullmatch


def parse_client_text(text: str, rel_path: str) -> tuple[Client | None, list[Problem]]:
    """Validate decoded file text on its own (no cross-file checks)."""
    located = _parse(text, rel_path)
    return located.client, located.problems


def _slug_of(rel_path: str) -> str:
    """``Path(rel_path).stem``: by hand for the usual ``dir/name.md`` (pathlib cost 7 us a call,
    and the cross-file checks ask for every file of the book)."""
    name = rel_path.rpartition("/")[2]
    if name in ("", ".") or os.altsep:  # what pathlib would normalise, or Windows separators
        return Path(rel_path).stem
    i = name.rfind(".")
    return name[:i] if 0 < i < len(name) - 1 else name


def _parse(text: str, rel_path: str, bom: bool = False) -> Located:
    return _located(rel_path, *parse_text(text, rel_path, bom))


def read_client_file(path: Path, rel_path: str, root: Path | None = None) -> tuple[Client | None, list[Problem]]:
    """Read, decode and validate one client file on its own."""
    located = _read(path, rel_path, root or path.parent.parent)
    return located.client, located.problems


def _read(path: Path, rel_path: str, root: Path, build: bool = True) -> Located:
    return _located(rel_path, *read_file(path, rel_path, root), build=build)


def _located(rel_path: str, raw: RawFile | None, problems: list[Problem], *, build: bool = True) -> Located:
    """Validate what the loader produced; the slug comes from the file name.

    ``build=False``: the client's :class:`~crmgen.format.validation.Facts` instead of the client.
    """
    slug = _slug_of(rel_path)
    if (p := slug_problem(rel_path, slug)) is not None:
        problems = [p, *problems]
    if raw is None:
        return Located(None, problems, {})
    located = validate(raw, slug, build=build)
    located.problems[:0] = problems
    if located.client is not None and any(p.is_error for p in problems):
        return located._replace(client=None)
    return located


def client_paths(project: Project) -> list[Path]:
    """Every ``*.md`` in the clients directory, sorted (the order is the output order)."""
    directory = project.clients_dir
    return [directory / name for name in _client_names(directory)]


def _client_names(directory: Path) -> list[str]:
    """The names of :func:`client_paths`, in its order: that of Path objects of one directory
    (normcase: Windows paths compare folded), without pathlib's cost (0.3 s for 10,000 files)."""
    if not directory.is_dir():
        return []
    return sorted((e.name for e in os.scandir(directory) if e.name.endswith(".md") and not e.name.startswith(".")),
                  key=os.path.normcase)


def load_book(project: Project, paths: list[Path] | None = None, *, use_cache: bool = True,
              cache: ParseCache | None = None, clients: bool = True, digests: bool = False) -> Book:
    """Read and validate every client file (or just ``paths``, still checked against the whole book).

    With ``paths``, problems are reported only for those files, but cross-file
    checks (referrals, duplicates) still see every client. Unchanged files come
    from the parse cache (see :mod:`crmgen.accel.cache`) unless ``use_cache`` is false;
    a long-running process passes its own ``cache`` to keep it in memory.

    ``clients=False`` (for ``check --no-cache``, which only reports problems) leaves
    ``Book.clients`` empty: files are checked without building clients, and parallel
    workers send back only the problems and the few facts cross-file checks need.
    Without the cache only: cached entries are always whole. ``digests=True`` (the
    site build) fills ``Book.digests``.
    """
    root = project.root
    directory = project.clients_dir
    names = _client_names(directory)
    # clients need not be built when nothing is kept of them
    slim = not clients and not use_cache and cache is None
    if cache is None:
        cache = ParseCache(project.cache_dir if use_cache else None)
    cache.begin()
    located: dict[str, Located] = {}
    todo: list[tuple[str, str, tuple[int, ...] | None]] = []
    keys: dict[str, tuple[int, ...]] | None = {}
    # rel is path.relative_to(root).as_posix() and the cache stats a plain string: pathlib
    # would cost more than the cache's own work on an unchanged book
    prefix = _rel_prefix(directory, root) if names else ""
    base = os.path.join(directory, "")
    for name in names:
        rel = prefix + name
        key, hit = cache.get(rel, base + name)
        if key is None:
            keys = None
        elif keys is not None:
            keys[rel] = key
        if hit is not None:
            located[rel] = hit
        else:
            todo.append((rel, name, key))
    read = _read_many([(directory / name, rel) for rel, name, _ in todo], root, slim)
    for (rel, _name, key), loc in zip(todo, read, strict=True):
        located[rel] = loc
        if not slim:
            cache.put(rel, key, _for_cache(loc))
    cache.save()
    located = dict(sorted(located.items()))
    problems = [p for loc in located.values() for p in loc.problems]
    problems += cross_file_problems(located)
    problems += stage_problems(located, project.settings.opportunity_stages)
    if paths is not None:
        wanted = {_rel(p, root) for p in paths}
        missing = wanted - set(located)
        for rel in sorted(missing):
            problems.append(Problem(rel, 1, 1, ERROR, "not a client file in the clients directory",
                                    "not-a-client"))
        problems = [p for p in problems if p.path in wanted]
    broken = sorted({p.path for p in problems if p.is_error})
    sources = {loc.client.slug: (loc.client, rel) for rel, loc in located.items()
               if loc.client is not None and rel not in broken} if clients else {}
    valid = sorted((client for client, _ in sources.values()), key=lambda c: c.slug)
    known: dict[str, tuple[Client, str]] = {}
    if digests:
        for slug, (client, rel) in sources.items():
            digest = cache.digest(rel)
            if digest is not None:
                known[slug] = (client, digest)
    files = len(names) if paths is None else len({_rel(p, root) for p in paths})
    return Book(root=root, clients=valid, problems=problems, files=files, broken=broken,
                fingerprints=keys if paths is None else None, digests=known)


def _rel_prefix(directory: Path, root: Path) -> str:
    """What ``relative_to(root).as_posix()`` puts before the name of a file in ``directory``."""
    rel = directory.relative_to(root).as_posix()
    return "" if rel == "." else rel + "/"


# the positions cross_file_problems reports at: all the cache keeps
CROSS_FILE_KEYS = ("referred_by", "phone", "email")


def _for_cache(loc: Located) -> Located:
    """``loc`` with only the positions the cross-file checks use: the others, one a key of
    the front matter, were a sixth of the time to unpickle a cached book."""
    positions = {k: v for k, v in loc.positions.items() if k in CROSS_FILE_KEYS or k.startswith("opportunities[")}
    return Located(loc.client, loc.problems, positions)


PARALLEL_MIN = 400


def _read_chunk(args: tuple[list[tuple[Path, str]], Path, bool]) -> list[Located]:
    items, root, slim = args
    return [_read(path, rel, root, not slim) for path, rel in items]


def _read_many(items: list[tuple[Path, str]], root: Path, slim: bool = False) -> list[Located]:
    """Read files, on every core when there are many (parsing is independent per file).

    ``slim``: build no clients, only their :class:`~crmgen.format.validation.Facts` (sending whole
    clients back from workers would also cost more than parsing them).
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < PARALLEL_MIN or workers < 2:
        return [_read(path, rel, root, not slim) for path, rel in items]
    import concurrent.futures
    import multiprocessing

    size = -(-len(items) // (workers * 4))
    chunks = [(items[i:i + size], root, slim) for i in range(0, len(items), size)]
    import threading

    try:
        # fork on Linux when this process has no other thread (the command line): the workers
        # start at once with every module already imported; a fresh process would import (and,
        # without .pyc, compile) them again. With threads (serve), or on macOS, fork is unsafe.
        method = "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else "forkserver"
        ctx = multiprocessing.get_context(method)
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            return [loc for chunk in pool.map(_read_chunk, chunks) for loc in chunk]
    except (OSError, concurrent.futures.process.BrokenProcessPool):
        return [_read(path, rel, root, not slim) for path, rel in items]


def _rel(path: Path, root: Path) -> str:
    """``path`` (absolute, or relative to the working directory) relative to the project root.

    The directory part is resolved, the file name is not: a symlink stays itself.
    """
    path = Path(path)
    parent = Path(os.path.realpath(path.parent))
    try:
        return (parent / path.name).relative_to(Path(os.path.realpath(root))).as_posix()
    except ValueError:
        return path.as_posix()


_SEPARATORS = str.maketrans("", "", " -+()./")


def _norm_phone(phone: str) -> str:
    """The last 11 digits (any decimal digit, as regex ``\\d``), or '' with fewer than 7."""
    digits = phone.translate(_SEPARATORS)  # most phones: digits and these separators only
    if not digits.isdecimal():  # exactly regex \d's digits, so only then are there others to drop
        digits = re.sub(r"\D", "", digits)
    return digits[-11:] if len(digits) >= 7 else ""


def stage_problems(located: dict[str, Located], stages: dict[str, float]) -> list[Problem]:
    """Opportunities whose stage is none of the team's (``opportunity_stages``), won or lost."""
    import difflib

    allowed = [*stages, "won", "lost"]
    problems: list[Problem] = []
    for rel, loc in located.items():
        written = loc.client.stages if isinstance(loc.client, Facts) else (
            tuple(o.stage for o in loc.client.opportunities) if loc.client is not None else ())
        for i, stage in enumerate(written):
            if stage is None or stage in allowed:
                continue
            near = difflib.get_close_matches(stage, allowed, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            line, col = loc.positions.get(f"opportunities[{i}].stage", (1, 1))
            problems.append(Problem(rel, line, col, ERROR,
                f"opportunities[{i}].stage: '{stage}' is not one of the team's stages ({', '.join(allowed)}){hint}; "
                "the stages before won and lost are the team setting opportunity_stages in mkdocs.yml", "bad-stage"))
    return problems


def cross_file_problems(located: dict[str, Located]) -> list[Problem]:
    """Referrals to missing clients, the same client twice, possible duplicates."""
    problems: list[Problem] = []
    slug_of = {rel: _slug_of(rel) for rel in located}
    slugs = set(slug_of.values())
    by_norm: dict[str, list[str]] = defaultdict(list)
    for rel, slug in slug_of.items():
        by_norm[slug if _NORMAL_SLUG(slug) else normalise_slug(slug)].append(rel)
    for norm, rels in by_norm.items():
        if len(rels) > 1:
            for rel in rels:
                others = ", ".join(r for r in rels if r != rel)
                problems.append(Problem(rel, 1, 1, ERROR,
                    f"the same client twice: {rel} and {others} have the same slug '{norm}' once normalised;"
                    " merge them into one file", "duplicate-client"))
    seen: dict[tuple[str, str], list[tuple[str, tuple[int, int]]]] = defaultdict(list)
    for rel, loc in located.items():
        c = loc.client
        if c is None:
            continue
        if c.referred_by and c.referred_by not in slugs:
            line, col = loc.positions.get("referred_by", (1, 1))
            problems.append(Problem(rel, line, col, ERROR,
                f"referred_by: no client '{c.referred_by}' (no file clients/{c.referred_by}.md); "
                "use the slug of an existing client", "missing-referral"))
        if c.referred_by == c.slug:
            line, col = loc.positions.get("referred_by", (1, 1))
            problems.append(Problem(rel, line, col, ERROR, "referred_by: a client cannot refer itself",
                                    "missing-referral"))
        if c.phone and (n := _norm_phone(c.phone)):
            seen["phone", n].append((rel, loc.positions.get("phone", (1, 1))))
        if c.email:
            seen["email", c.email.strip().lower()].append((rel, loc.positions.get("email", (1, 1))))
    for (what, _), places in seen.items():
        if len(places) > 1:
            for rel, (line, col) in places:
                others = ", ".join(r for r, _ in places if r != rel)
                problems.append(Problem(rel, line, col, WARNING,
                    f"possible duplicate: same {what} as {others}; merge the files if they are one client",
                    "possible-duplicate"))
    return problems
