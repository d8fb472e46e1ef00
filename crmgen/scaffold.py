"""New projects (``crmgen init``) and new client files (``crmgen new``).

The files of a new project live in the package under ``crmgen/scaffold/``:
files ending ``.jinja`` are rendered (the example client's dates are relative
to the day of ``init``, so ``crmgen due`` has something to show at once), the
rest are copied as they are. ``gitignore`` becomes ``.gitignore`` (dot files
are easily lost from package data).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import jinja2

from crmgen.edit import EditError, yaml_scalar
from crmgen.format.errors import CrmgenError
from crmgen.format.model import GRADES, STAGES
from crmgen.fsutil import WriteFailed, create_new, remove_created, sweep_dir
from crmgen.load.project import Project
from crmgen.slugs import free_slug, is_slug, slugify

NEW_CLIENT_TEMPLATE = "new-client.md.j2"
DEFAULT_GRADE = "C"
_RENAMES = {"gitignore": ".gitignore", "gitattributes": ".gitattributes"}


def _scaffold_root() -> Traversable:
    return resources.files("crmgen").joinpath("scaffold")


def _package_template(name: str) -> Traversable:
    return resources.files("crmgen").joinpath("templates", name)


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.name in ("__pycache__", "__init__.py") or child.name.endswith(".pyc"):
            continue
        rel = f"{prefix}{child.name}"
        if child.is_dir():
            out.extend(_walk(child, rel + "/"))
        else:
            out.append((rel, child))
    return out


def _scaffold_files(today: dt.date, language: str = "en") -> dict[str, bytes]:
    """Relative path -> content of every file of a new project (its interface in ``language``)."""
    def days(n: int) -> str:
        return (today + dt.timedelta(days=n)).isoformat()

    def month_day(n: int) -> str:
        return (today + dt.timedelta(days=n)).strftime("%m-%d")

    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    files: dict[str, bytes] = {}
    for rel, node in _walk(_scaffold_root()):
        parts = rel.split("/")
        parts[-1] = _RENAMES.get(parts[-1], parts[-1])
        data = node.read_bytes()
        if parts[-1].endswith(".jinja"):
            parts[-1] = parts[-1].removesuffix(".jinja")
            text = env.from_string(data.decode("utf-8")).render(today=today, days=days, month_day=month_day)
            data = text.encode("utf-8")
        if parts == ["mkdocs.yml"]:
            data = data.replace(b"\n  language: en\n", f"\n  language: {language}\n".encode())
        files["/".join(parts)] = data
    files[f"templates/{NEW_CLIENT_TEMPLATE}"] = _package_template(NEW_CLIENT_TEMPLATE).read_bytes()
    return files


@dataclass
class InitResult:
    """What ``init`` made."""

    root: Path
    files: list[str]
    git: str | None  # None when the repository was created, else why not


def init_project(directory: Path, today: dt.date, *, git: bool = True, language: str = "en") -> InitResult:
    """Create a new project in ``directory`` (which must be missing or empty), speaking ``language``."""
    root = Path(directory)
    if root.exists():
        if not root.is_dir():
            raise CrmgenError(f"{root} exists and is not a directory; choose another name")
        if any(root.iterdir()):
            raise CrmgenError(
                f"{root} is not empty; crmgen init only fills a new or empty directory "
                "(choose another name, or empty it first)"
            )
    files = _scaffold_files(today, language)
    made: list[tuple[Path, os.stat_result]] = []
    dirs: list[Path] = []  # the directories init made, removed again when it cannot finish
    path = root
    try:
        _make_dirs(root, dirs)
        for rel, data in files.items():
            path = root / rel
            _make_dirs(path.parent, dirs)
            made.append((path, create_new(path, data)))
    except BaseException as exc:
        remove_created(made)
        for directory in reversed(dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()
        if isinstance(exc, OSError):
            raise WriteFailed.of(exc, path, outcome="nothing was left behind") from None
        raise
    status: str | None = "skipped"
    if git:
        status = _git_init(root)
    return InitResult(root=root, files=sorted(files), git=status)


def _make_dirs(path: Path, made: list[Path]) -> None:
    """``mkdir -p path``, adding each directory it creates to ``made``."""
    for directory in [*reversed(path.parents), path]:
        if not directory.is_dir():
            directory.mkdir()
            made.append(directory)


def _git_init(root: Path) -> str | None:
    if shutil.which("git") is None:
        return "git is not installed"
    inside = subprocess.run(["git", "-C", str(root), "rev-parse", "--show-toplevel"],
                            capture_output=True, text=True, check=False)
    if inside.returncode == 0:  # a nested repository is rarely wanted
        return f"already inside the git repository {inside.stdout.strip()}"
    result = subprocess.run(["git", "init", "--quiet", str(root)], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return f"git init failed: {result.stderr.strip()}"
    return None


# -- new client ----------------------------------------------------------------------

def new_client_template(project: Project) -> tuple[str, str]:
    """(template text, where it came from): the project's templates/ first, then crmgen's own."""
    own = project.templates_dir / NEW_CLIENT_TEMPLATE
    if own.is_file():
        return own.read_text(encoding="utf-8-sig"), own.relative_to(project.root).as_posix()
    return _package_template(NEW_CLIENT_TEMPLATE).read_text(encoding="utf-8"), f"crmgen's built-in {NEW_CLIENT_TEMPLATE}"


def render_new_client(template: str, *, name: str, slug: str, grade: str, stage: str,
                      owner: str | None, today: dt.date, source: str = NEW_CLIENT_TEMPLATE) -> str:
    """The text of a new client file from the template (values go through the ``yaml`` filter)."""
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["yaml"] = yaml_scalar
    try:
        return env.from_string(template).render(
            name=name, slug=slug, grade=grade, stage=stage, owner=owner or "", today=today.isoformat()
        )
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f"{source}:{line}" if line else source
        raise CrmgenError(f"{where}: the new-client template cannot be rendered: {exc}") from exc


@dataclass
class NewClient:
    path: Path
    rel_path: str
    slug: str


def taken_slugs(project: Project) -> set[str]:
    """Slugs of the files already in the clients directory."""
    directory = project.clients_dir
    if not directory.is_dir():
        return set()
    return {p.stem for p in directory.iterdir() if p.suffix == ".md"}


def new_client(project: Project, name: str, today: dt.date, *, slug: str | None = None,
               grade: str | None = None, owner: str | None = None, stage: str | None = None) -> NewClient:
    """Create ``clients/<slug>.md`` from the new-client template; never overwrites a file."""
    from crmgen.load.book import parse_client_text

    name = name.strip()
    if not name:
        raise CrmgenError("the client's name is empty")
    if any(ch in name for ch in "\r\n\x00"):
        raise CrmgenError("the client's name must be one line")
    grade = (grade or DEFAULT_GRADE).upper()
    if grade not in GRADES:
        raise CrmgenError(f"--grade must be one of {' '.join(GRADES)}, not '{grade}'")
    stage = (stage or "prospect").lower()
    if stage not in STAGES:
        raise CrmgenError(f"--stage must be one of {', '.join(STAGES)}, not '{stage}'")
    taken = taken_slugs(project)
    if slug is None:
        slug = slugify(name)
    elif not is_slug(slug):
        raise CrmgenError(
            f"--slug '{slug}' is not a valid slug: use lowercase letters, digits and '-', "
            f"e.g. {slugify(slug)}"
        )
    rel = (project.clients_dir / f"{slug}.md").relative_to(project.root).as_posix()
    if slug in taken:
        raise CrmgenError(
            f"{rel} already exists; crmgen new never overwrites a client. If this is another client, "
            f"give it a free slug: crmgen new {_shell_quote(name)} --slug {free_slug(slug, taken)}"
        )
    template, source = new_client_template(project)
    text = render_new_client(template, name=name, slug=slug, grade=grade, stage=stage,
                             owner=owner.strip() if owner else None, today=today, source=source)
    client, problems = parse_client_text(text, rel)
    errors = [p for p in problems if p.is_error]
    if client is None or errors:
        shown = "\n".join("  " + p.format() for p in errors[:5])
        raise EditError(f"{source} produced an invalid client file, so nothing was written; fix the template:\n{shown}")
    path = project.clients_dir / f"{slug}.md"
    sweep_dir(project.clients_dir)  # temporary files of killed writers
    try:
        project.clients_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed.of(exc, project.clients_dir.relative_to(project.root).as_posix()) from None
    try:
        create_new(path, text.encode("utf-8"))
    except FileExistsError as exc:  # created by someone else since we looked
        raise CrmgenError(f"{rel} was just created by someone else; nothing was written") from exc
    except WriteFailed as exc:
        raise exc.at(rel) from None
    return NewClient(path=path, rel_path=rel, slug=slug)


def _shell_quote(text: str) -> str:
    """``text`` as typed in a shell: bare when safe (Chinese names too), else quoted."""
    import re
    import shlex

    return text if re.fullmatch(r"[\w.,:@%+=/-]+", text) else shlex.quote(text)

