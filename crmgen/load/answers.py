"""What ``check`` and ``due`` need of a book: from the book summary when the book is unchanged,
else from the files (:func:`crmgen.load.book.load_book`), writing a new summary.

Light on purpose: answering ``check`` from the summary imports neither the validator
nor PyYAML.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crmgen.accel import summary
from crmgen.format.errors import problem_rows

if TYPE_CHECKING:
    from crmgen.load.book import Book
    from crmgen.load.project import Project


@dataclass(frozen=True)
class BookCheck:
    """What ``crmgen check`` reports of a book: its problems (:func:`problem_rows`) and counts."""

    problems: list[tuple]
    files: int
    has_errors: bool
    language: str | None = None  # the project's, when answered from the book summary (mkdocs.yml unread)


def summarised_check(root: Path) -> BookCheck | None:
    """The problems of the whole book at ``root``, from the book summary when it still describes
    the book exactly (:mod:`crmgen.accel.summary`), else None. Reads no client file and does
    not parse ``mkdocs.yml``."""
    head = summary.load(str(root))
    if head is None:
        return None
    return BookCheck(head["problems"], head["files"], head["has_errors"], head.get("language", "en"))


def check_book(project: Project, paths: list[Path] | None = None, *, use_cache: bool = True,
               started_ns: int) -> BookCheck:
    """The problems of the book (or of ``paths``), as ``crmgen check`` reports them, read from the
    files (see :func:`summarised_check` first). On the whole book with the cache on, a new book
    summary is written. ``started_ns``: when the command started, before anything was read.
    """
    from crmgen.load.book import load_book

    book = load_book(project, paths, use_cache=use_cache, clients=use_cache)
    problems = problem_rows(book.problems)
    if paths is None and use_cache:
        remember_book(project, book, started_ns, problems)
    return BookCheck(problems, book.files, book.has_errors)


@dataclass(frozen=True)
class DueBook:
    """What ``crmgen due`` needs of a book: its problems and, when it has no errors, its reminder plan."""

    checked: BookCheck
    plan: dict | None
    broken: tuple[str, ...] = ()  # with keep_going: the files left out of the plan


def due_book(project: Project, make_plan: Callable[[Book], tuple[dict, bool]], *, use_cache: bool = True,
             started_ns: int, until: int | None = None, keep_going: bool = False) -> DueBook:
    """The book's problems and reminder plan (:func:`crmgen.rules.reminders.plan`).

    With the cache on, an unchanged book is answered from the book summary and the
    plan kept beside it, without reading a client file (see :mod:`crmgen.accel.summary`).
    Otherwise the book is read and ``make_plan(book)`` gives ``(plan, keep)``: ``keep``
    is false when the plan depends on more than the files (git's history), and then it
    is not kept. ``until`` (an ordinal): the kept plan's rows of ``fixed`` after that day
    may be left out (``due`` shows none of them). ``keep_going``: a book with errors still gets
    a plan, of its valid clients; ``DueBook.broken`` names the files left out.
    """
    root = str(project.root)
    if use_cache:
        head = summary.load(root)
        plan = summary.load_plan(root, head, until) if head is not None and not head["has_errors"] else None
        if head is not None and plan is not None:
            return DueBook(BookCheck(head["problems"], head["files"], head["has_errors"]), plan)
    from crmgen.load.book import load_book  # the validator: only for a changed book

    book = load_book(project, use_cache=use_cache)
    problems = problem_rows(book.problems)
    made, keep = (None, False) if book.has_errors and not keep_going else make_plan(book)
    if use_cache:
        remember_book(project, book, started_ns, problems, plan=made if keep and not book.has_errors else None)
    return DueBook(BookCheck(problems, book.files, book.has_errors), made, tuple(book.broken))


def remember_book(project: Project, book: Book, started_ns: int, problems: list[tuple] | None = None,
                  *, plan: dict | None = None) -> None:
    """Write the book summary after a pass over the whole book with the cache on (see
    :mod:`crmgen.accel.summary`), so that the next ``check`` of the same files reads only it."""
    fps = book.fingerprints
    if fps is None:
        return
    settings = project.settings
    prefix = settings.clients_dir.rstrip("/") + "/"
    entries = []
    for rel, fp in fps.items():
        if not rel.startswith(prefix) or "/" in rel[len(prefix):]:
            return
        entries.append((rel[len(prefix):], tuple(fp)))
    entries.sort()
    try:
        config = summary.fingerprint(os.stat(project.config_path))
    except OSError:
        return
    summary.save(str(project.root), saved_ns=started_ns, config=config, clients_dir=settings.clients_dir,
                 entries=entries, files=book.files, has_errors=book.has_errors,
                 problems=problem_rows(book.problems) if problems is None else problems, plan=plan,
                 language=settings.language)
