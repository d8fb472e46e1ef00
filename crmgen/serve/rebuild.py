"""``crmgen serve``: build, serve over HTTP, watch the files, rebuild, reload the browser.

Three parts, each in its own thread:

- the **HTTP server** (stdlib ``ThreadingHTTPServer``) serves whatever the site
  directory holds at each request: ``build_site`` swaps a new site in by renaming,
  so nothing is cached. Into every HTML response (never into the files on disk) it
  injects a small inline script that long-polls ``/__crmgen__/events`` and reloads
  the page when the build number changes, and, while a client file has errors, a
  banner listing them;
- the **watcher** (watchdog, real filesystem events) records relevant paths in
  ``clients/``, ``templates/`` and ``mkdocs.yml`` into a ``changed`` set, ignoring
  editor swap/backup files and crmgen's own output;
- the **rebuild loop** (the calling thread) waits for changes, lets a burst settle
  (:data:`DEBOUNCE` seconds of quiet), re-validates with ``load_book`` (the parse
  cache makes unchanged files cheap) and calls ``build_site`` again. When the save
  changed a few clients and nothing else, their pages are first re-rendered alone
  from a loaded MkDocs session (:mod:`crmgen.accel.live`: the same bytes the build
  makes, in a fraction of a second) and put into the served site; the whole build,
  which every index page needs, runs once the saves pause for :data:`DEFER` seconds.

A file saved mid-edit with errors does not take its page away: the last valid
version of that client is kept in the build (so edits to other files still show),
and when nothing that the site is made of changed no build runs at all; the errors
go to the terminal and into the banner. No exception in a rebuild stops serving.

No Click here: the command in :mod:`crmgen.cli.serve` passes an ``out`` callable.

The HTTP server is :mod:`crmgen.serve.server`, what the watcher keeps :mod:`crmgen.serve.watcher`;
this module is the rebuild loop (:class:`LiveServer`) and :func:`serve`.
"""

from __future__ import annotations

import datetime as dt
import io
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crmgen.accel.cache import ParseCache
from crmgen.format.errors import CrmgenError, Problem, sort_problems, summary_line
from crmgen.format.model import Client
from crmgen.load.project import CONFIG_FILE, Project, load_project
from crmgen.serve.server import LiveHTTPServer, LiveState, bind, url_of
from crmgen.serve.watcher import EventHandler, Watched, within

# Seconds of quiet after the last event before rebuilding: editors write a file in
# several steps (temp file, rename, chmod), and `git checkout` touches many at once.
DEBOUNCE = 0.15
# A stream of events that never goes quiet still rebuilds this often.
DEBOUNCE_MAX = 2.0
# A save that changes at most this many clients shows their pages at once
# (crmgen.accel.live); more (a `git pull`) just rebuilds.
LIVE_MAX = 5
# After such a quick update, the whole site (reminders, lists, dashboard: every index
# page changes with any client, seconds of work at 1,000 clients) is rebuilt once the
# saves pause this long, so an editor's autosave never queues one rebuild per save.
DEFER = 3.0
# How often the loop wakes up to notice that the day changed (reminders move with it).
TICK = 60.0


Out = Callable[[str], None]


@dataclass
class _Built:
    """What the site being served was built from, to skip builds that change nothing."""

    clients: list[Client] | None = None
    left_out: list[str] = field(default_factory=list)
    today: dt.date | None = None
    ok: bool = False


class LiveServer:
    """Build, serve, watch and rebuild one project. See the module docstring.

    Use ``start()`` then ``run()`` (blocks until ``stop()``); ``close()`` always.
    :func:`serve` does all of it with signal handling for the command line.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        site_dir: Path | None = None,
        today: Callable[[], dt.date] = dt.date.today,
        out: Out = print,
        debounce: float = DEBOUNCE,
        defer: float = DEFER,
    ) -> None:
        from crmgen.render.build import default_site_dir
        from crmgen.render.publish import check_site_dir

        self.root = Path(root).resolve()
        self.project: Project | None = load_project(self.root)
        site = site_dir if site_dir is not None else default_site_dir(self.project)
        if not site.is_absolute():
            site = Path.cwd() / site
        self.site = check_site_dir(site, self.project.root, [
            self.project.clients_dir, self.project.templates_dir, self.project.work_dir,
            self.project.root / ".git"])
        self.host = host
        self.port = port
        self.today = today
        self.out = out
        self.debounce = debounce
        self.defer = defer
        self._deferred: set[Path] = set()  # changes shown by a quick update, not yet built
        self.state = LiveState()
        self.server: LiveHTTPServer | None = None
        self.watched = Watched.of(self.project, self.site)
        self.changed: set[Path] = set()  # relevant paths since the last rebuild started
        self._changed_lock = threading.Lock()
        # The wake-up channel. SimpleQueue.put is safe to call from a signal handler.
        self._wake: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._first_event: float | None = None
        self._observer: Any = None
        self._watches: dict[Path, tuple[Any, int]] = {}
        self._http_thread: threading.Thread | None = None
        self._last_good: dict[str, Client] = {}
        self._parse_cache: ParseCache | None = None
        self._built = _Built()
        self._live: Any = None  # crmgen.accel.live.LiveSession of the last build, for previews
        self.building = False  # read by the signal handler
        self.stopping = False

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None
        return url_of(self.server)

    def start(self) -> None:
        """Bind the port (UsageError when taken), serve, and start watching."""
        self.server = bind(self.host, self.port, self.site, self.state)
        self._http_thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, name="crmgen-http", daemon=True)
        self._http_thread.start()
        self._start_observer()

    def _start_observer(self) -> None:
        from watchdog.observers import Observer

        self._observer = Observer()
        self._observer.daemon = True
        self._observer.start()
        self._sync_watches()

    def close(self) -> None:
        """Stop watching and serving; idempotent."""
        self.state.close()
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout=5)
            except Exception:  # noqa: BLE001 - closing must not fail
                pass
            self._observer = None
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        if self._http_thread is not None:
            self._http_thread.join(timeout=5)
            self._http_thread = None

    def stop(self) -> None:
        """Ask :meth:`run` to return (thread- and signal-safe)."""
        self.stopping = True
        self._wake.put("stop")

    # -- watching ------------------------------------------------------------

    def _sync_watches(self) -> None:
        """Watch the root (for mkdocs.yml and the two directories appearing), clients/ and
        templates/; re-watch a directory that was replaced (inode changed)."""
        if self._observer is None:
            return
        handler = EventHandler(self.notice, lambda: self.watched, self.out)
        wanted = {self.watched.root: False, self.watched.clients: False, self.watched.templates: True}
        for path in list(self._watches):
            if path not in wanted:
                self._unschedule(path)
        for path, recursive in wanted.items():
            try:
                inode = path.stat().st_ino if path.is_dir() else None
            except OSError:
                inode = None
            current = self._watches.get(path)
            if current is not None and (inode is None or current[1] != inode):
                self._unschedule(path)
                current = None
            if current is None and inode is not None:
                try:
                    watch = self._observer.schedule(handler, str(path), recursive=recursive)
                except OSError as exc:
                    self.out(f"crmgen serve: warning: cannot watch {path}: {exc}")
                    continue
                self._watches[path] = (watch, inode)

    def _unschedule(self, path: Path) -> None:
        watch, _ = self._watches.pop(path)
        try:
            self._observer.unschedule(watch)
        except (KeyError, OSError, Exception):  # noqa: BLE001 - the watch may be gone already
            pass

    def notice(self, paths: Iterable[Path]) -> None:
        """Record changed paths and wake the rebuild loop (called from the watcher thread)."""
        paths = list(paths)
        if not paths:
            return
        with self._changed_lock:
            if not self.changed:
                self._first_event = time.monotonic()
            self.changed.update(paths)
        self._wake.put("change")

    # -- the loop ------------------------------------------------------------

    def run(self) -> None:
        """Build once, then rebuild on every change until :meth:`stop`."""
        if self.stopping:
            return
        self.rebuild(set(), first=True)
        while not self.stopping:
            try:
                message = self._wake.get(timeout=self.defer if self._deferred else TICK)
            except queue.Empty:
                if self._deferred:
                    self.rebuild(set(self._deferred), preview=False)  # the saves paused
                    continue
                if self.project is not None and self._built.ok and self._built.today != self.today():
                    self.rebuild(set(), reason="the date changed")  # reminders move with the day
                continue
            if message == "stop":
                break
            if not self._settle():
                break
            with self._changed_lock:
                changed, self.changed = self.changed, set()
                first, self._first_event = self._first_event, None
            if changed:
                self.rebuild(changed, since=first)

    def _settle(self) -> bool:
        """Wait until no event came for ``debounce`` seconds; False when asked to stop."""
        start = time.monotonic()
        while True:
            left = min(self.debounce, start + DEBOUNCE_MAX - time.monotonic())
            if left <= 0:
                return True
            try:
                message = self._wake.get(timeout=left)
            except queue.Empty:
                return True
            if message == "stop":
                return False

    def _say(self, text: str) -> None:
        self.out(f"[{time.strftime('%H:%M:%S')}] {text}")

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.watched.root).as_posix()
        except ValueError:
            return str(path)

    def rebuild(self, changed: set[Path], *, first: bool = False, since: float | None = None,
                reason: str | None = None, preview: bool = True) -> None:
        """Re-validate and rebuild after ``changed``; never raises (except KeyboardInterrupt).

        ``changed`` holds the relevant absolute paths (client files, templates,
        mkdocs.yml) that changed since the last rebuild: what an incremental
        ``build_site`` will need.
        """
        started = since if since is not None else time.monotonic()
        if changed:
            names = sorted(self._rel(p) for p in changed)
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            self._say(f"changed: {shown}")
        elif reason:
            self._say(f"rebuilding: {reason}")
        # The whole rebuild may be interrupted by Ctrl-C: reading is side-effect
        # free, the parse cache is replaced atomically, and build_site builds into
        # a temporary directory that it discards on any exception.
        self.building = True
        try:
            self._rebuild(changed, first=first, started=started, preview=preview)
        except KeyboardInterrupt:
            raise
        except CrmgenError as exc:
            self._failed(str(exc))
        except Exception as exc:  # noqa: BLE001 - serving must survive any bug in a build
            detail = traceback.format_exc(limit=-8)
            self.out(detail.rstrip())
            self._failed(f"the build failed: {type(exc).__name__}: {exc}")
        finally:
            self.building = False

    def _failed(self, message: str) -> None:
        self._say(f"error: {message}")
        self._say("still serving the last good site; save a file to try again")
        self._built.ok = False
        self.state.update(bump=True, building=False, errors=[f"crmgen: error: {message}"], message=message)

    def _rebuild(self, changed: set[Path], *, first: bool, started: float, preview: bool = True) -> None:
        from crmgen.load.book import load_book
        from crmgen.render.build import build_site

        config_changed = first or self.project is None or self.watched.config in changed
        if config_changed and not first:
            try:
                self.project = load_project(self.root)
            except CrmgenError as exc:
                self.project = None
                raise CrmgenError(f"{exc} (fix {CONFIG_FILE}; the site is not rebuilt until then)") from exc
            self.watched = Watched.of(self.project, self.site)
        self._sync_watches()
        project = self.project
        assert project is not None

        if self._parse_cache is None:
            # kept in memory: re-reading an unchanged book costs a stat per file
            self._parse_cache = ParseCache(project.cache_dir)
        book = load_book(project, cache=self._parse_cache, digests=True)
        # After the first pass the cache lives in memory only: writing it back on every save
        # would cost more than it saves (a later `crmgen check` re-reads what changed).
        self._parse_cache.path = None
        self._report(book.problems, book.files, changed, first=first)
        errors = sort_problems([p for p in book.problems if p.is_error])

        # The last valid version of each client stands in for a file with errors.
        present = {Path(rel).stem for rel in book.broken} | {c.slug for c in book.clients}
        self._last_good = {slug: c for slug, c in self._last_good.items() if slug in present}
        self._last_good.update({c.slug: c for c in book.clients})
        valid = {c.slug for c in book.clients}
        clients = list(book.clients)
        left_out: list[str] = []
        kept: list[str] = []
        for rel in book.broken:
            slug = Path(rel).stem
            if slug in valid:
                continue
            if slug in self._last_good:
                clients.append(self._last_good[slug])
                kept.append(rel)
            else:
                left_out.append(rel)  # never valid while serving: the dashboard lists it
        clients.sort(key=lambda c: c.slug)

        banner = [p.format() for p in errors]
        today = self.today()
        templates_changed = any(within(p, self.watched.templates) for p in changed)
        needed = (
            not self._built.ok
            or config_changed
            or templates_changed
            or today != self._built.today
            or clients != self._built.clients
            or left_out != self._built.left_out
            or bool(self._deferred)  # quick updates are in the served site: the build makes it whole
        )
        notes = []
        if kept:
            notes.append(f"last good version kept for {_files(kept)}")
        if left_out:
            notes.append(f"{_files(left_out)} left out")
        note = f" ({'; '.join(notes)})" if notes else ""
        if not needed:
            self._say(f"the site is unchanged{note}")
            before = self.state.snapshot().errors
            self.state.update(bump=banner != before, errors=banner, message="")
            return

        if self.stopping:
            return
        if preview and not first and not config_changed and not templates_changed:
            if self._preview(project, clients, left_out, today, banner):
                self._deferred |= changed
                return
        self._deferred.clear()  # this build covers them
        self.state.update(bump=False, building=True)
        if first:
            self._say(f"building the site ({len(clients)} client{'s' if len(clients) != 1 else ''})…")
        # `changed` is what an incremental build_site will take (the client files,
        # templates and mkdocs.yml changed since the last build); today it rebuilds all.
        result = build_site(project, clients, today=today, site_dir=self.site, broken=left_out, digest=book.digest,
                            on_wait=self._say)
        self._built = _Built(clients=clients, left_out=left_out, today=today, ok=True)
        seconds = time.monotonic() - started
        for message in result.warnings:
            self._say(f"mkdocs: warning: {message}")
        self.state.update(bump=True, building=False, errors=banner, message="", seconds=round(seconds, 3))
        self._say(
            f"built {result.clients} client page{'s' if result.clients != 1 else ''} in {result.seconds:.1f} s"
            f"{note}"
            + (f"; {seconds:.2f} s from save to served" if changed else "")
        )
        self._refresh_live(project, today)

    def _preview(self, project: Project, clients: list[Client], left_out: list[str], today: dt.date,
                 banner: list[str]) -> bool:
        """Show the edited clients' new pages at once (crmgen.accel.live); True when done.

        The pages are compared with the last full build, so a client edited twice
        before the rebuild is shown again with its latest text.
        """
        from crmgen.accel import live
        from crmgen.render.build import build_lock

        built = self._built
        if self._live is None or built.clients is None or today != built.today or left_out != built.left_out:
            return False
        before = {c.slug: c for c in built.clients}
        if set(before) != {c.slug for c in clients}:
            return False  # a page comes or goes: the nav and links change, only a build shows that
        edited = [c for c in clients if before[c.slug] != c]
        if not edited or len(edited) > LIVE_MAX:
            return False
        started = time.monotonic()
        try:
            with build_lock(project, on_wait=self._say):  # a build of the project (--public?) may be running
                shown = live.preview(project, clients, edited, today=today, broken=left_out,
                                     session=self._live, site=self.site)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - the full build below still runs
            self._live = None
            self._say(f"(no quick update: {type(exc).__name__}: {exc})")
            return False
        self.state.update(bump=True, errors=banner, message="")
        names = ", ".join(c.slug for c in edited)
        self._say(f"page of {names} updated in {time.monotonic() - started:.2f} s ({len(shown)} page"
                  f"{'s' if len(shown) != 1 else ''}); the other pages follow when the saves pause")
        return True

    def _refresh_live(self, project: Project, today: dt.date) -> None:
        """Keep a loaded MkDocs session that matches the site just built (for the next preview)."""
        from crmgen.render.build import build_lock

        with build_lock(project, on_wait=self._say):  # the docs tree of this build, not of another's
            self._load_live(project, today)

    def _load_live(self, project: Project, today: dt.date) -> None:
        from crmgen.accel import live

        config_file = project.work_dir / "mkdocs.yml"
        docs = project.work_dir / "docs"
        pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md")}
        if self._live is not None and self._live.matches(config_file, pages, today):
            return
        self._live = None
        try:
            self._live = live.LiveSession(config_file, project.work_dir / "live", today)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - previews are an extra; builds go on without them
            self._say(f"(quick page previews are off: {type(exc).__name__}: {exc})")

    def _report(self, problems: list[Problem], files: int, changed: set[Path], *, first: bool) -> None:
        """Errors always (they block the pages), warnings for the files just changed."""
        rels = {self._rel(p) for p in changed}
        shown = [p for p in sort_problems(problems) if first or p.is_error or p.path in rels]
        for p in shown:
            self.out(p.format())
        had = bool(self.state.snapshot().errors)
        if problems and (shown or first):
            self.out(summary_line(problems, files))
        elif had and not any(p.is_error for p in problems):
            self._say("no more errors in the client files")


def _files(rels: list[str]) -> str:
    return ", ".join(rels) if len(rels) <= 3 else f"{len(rels)} files with errors"


def serve(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    site_dir: Path | None = None,
    today: Callable[[], dt.date] = dt.date.today,
    out: Out = print,
    handle_signals: bool = True,
    ready: Callable[[LiveServer], None] | None = None,
) -> None:
    """Serve the project at ``root`` until SIGINT/SIGTERM (or ``stop()`` from ``ready``'s server).

    Binds first (a port in use fails before any build), prints the URL, builds,
    then rebuilds on changes. Ctrl-C while a build runs interrupts it (the old site
    stays: builds go to a temporary directory); either way it returns normally.
    """
    live = LiveServer(root, host=host, port=port, site_dir=site_dir, today=today, out=out)
    saved: dict[signal.Signals, Any] = {}
    if handle_signals and hasattr(signal, "SIGUSR1"):
        import faulthandler

        # `kill -USR1 <pid>` prints where every thread of a stuck server is.
        try:
            # sys.__stderr__ may be None: faulthandler then takes sys.stderr (typeshed forbids None).
            faulthandler.register(signal.SIGUSR1, file=sys.__stderr__,  # type: ignore[arg-type]
                                  all_threads=True)
        except (AttributeError, ValueError, OSError, RuntimeError, io.UnsupportedOperation):
            pass  # no real standard error (embedded, tests): nothing to print to

    closing = False

    def on_signal(signum: int, frame: Any) -> None:
        if closing:
            return  # already shutting down: let it finish cleanly
        first = not live.stopping
        live.stop()
        if live.building or not first:
            raise KeyboardInterrupt  # abandon the build; build_site discards its temp dir

    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            saved[sig] = signal.signal(sig, on_signal)
    try:
        live.start()
        out(f"Serving {live.project.root if live.project else root} at {live.url}  (Ctrl-C to stop)")
        if ready is not None:
            ready(live)
        live.run()
    except KeyboardInterrupt:
        out("crmgen serve: build interrupted")
    finally:
        closing = True
        try:
            live.close()
        finally:
            for sig, handler in saved.items():
                signal.signal(sig, handler)
    out("crmgen serve: stopped")
