"""Invariants of the package's shape, checked by parsing every module of ``crmgen/``.

- No import cycle, counting imports inside functions (``from . import x`` is an edge to
  ``x``, as the import system runs it; a package's ``__init__`` is not implied).
- The core never imports Click: only ``crmgen/cli/`` does.
- Only ``crmgen/render/mkdocs/`` and ``crmgen/accel/`` import MkDocs or Material.
- The speed machinery is behind one seam: outside ``crmgen/accel/`` only the build
  orchestrator, the book loader, ``serve`` and the slugs (jieba's words from the
  dictionary's index) import it.
- No module keeps the state of a run for another module to read: no function sets a
  name of another crmgen module (``incremental.CURRENT = ...``), and ``global`` is used
  only for the per-process handles listed in :data:`PER_PROCESS`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import crmgen

PACKAGE = Path(crmgen.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(crmgen modules, top-level outside packages) that the module at ``path`` imports anywhere."""
    inside: set[str] = set()
    outside: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            subs = [f"{origin}.{alias.name}" for alias in node.names]
            targets = subs if all(s in modules for s in subs) else [origin, *(s for s in subs if s in modules)]
        else:
            continue
        for target in targets:
            if target.split(".")[0] != "crmgen":
                outside.add(target.split(".")[0])
                continue
            while target not in modules:  # crmgen.x.name where name is not a module
                target = target.rpartition(".")[0]
            if target != name:
                inside.add(target)
    return inside, outside


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    modules = _modules()
    inside, outside = defaultdict(set), defaultdict(set)
    for name, path in modules.items():
        inside[name], outside[name] = _imports(name, path, modules)
    return inside, outside


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle() -> None:
    inside, _ = _graph()
    assert _cycles(inside) == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_only_the_command_line_imports_click() -> None:
    _, outside = _graph()
    users = sorted(name for name, names in outside.items() if "click" in names)
    assert users and all(name.startswith("crmgen.cli") for name in users), users


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def test_only_the_mkdocs_package_and_accel_import_mkdocs_or_material() -> None:
    _, outside = _graph()
    users = sorted(name for name, names in outside.items() if names & {"mkdocs", "material"})
    assert users, "nothing imports mkdocs: the graph is wrong"
    assert [u for u in users if not (_in(u, "crmgen.render.mkdocs") or _in(u, "crmgen.accel"))] == []


# Who may import crmgen.accel from outside it, and why.
ACCEL_USERS = {
    "crmgen.render.build": "the build orchestrator: incremental and chunked builds, the row, plan and event memos",
    "crmgen.load.book": "the book loader: the parse cache",
    "crmgen.load.answers": "the book loader's answers to check and due: the book summary and the kept plan",
    "crmgen.serve.rebuild": "serve: the parse cache kept in memory, the one-page live preview",
    "crmgen.slugs": "jieba's words from the dictionary's index (0.05 s, not 0.65 s, for a new Chinese name)",
}


def test_only_the_orchestrator_the_loader_and_serve_import_accel() -> None:
    inside, _ = _graph()
    users = {name for name, names in inside.items() if not _in(name, "crmgen.accel")
             and any(_in(n, "crmgen.accel") for n in names)}
    assert users, "nothing imports accel: the graph is wrong"
    assert users <= set(ACCEL_USERS), sorted(users - set(ACCEL_USERS))


# ``global`` names that hold a per-process resource, not the state of a run.
PER_PROCESS = {
    ("crmgen.accel.segment", "_lazy"): "jieba's dictionary index, opened once per process (an sqlite handle)",
}


def test_no_module_holds_a_runs_state_for_another() -> None:
    modules = _modules()
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = set()  # local names bound to crmgen modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("crmgen"):
                imported |= {a.asname or a.name for a in node.names if f"{node.module}.{a.name}" in modules}
            elif isinstance(node, ast.Import):
                imported |= {a.asname or a.name for a in node.names if a.name.startswith("crmgen")}
        for node in ast.walk(tree):
            if isinstance(node, ast.Global):
                found += [f"{name}: global {g}" for g in node.names if (name, g) not in PER_PROCESS]
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for t in ast.walk(target):
                        if (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                                and t.value.id in imported):
                            found.append(f"{name}:{t.lineno}: sets {t.value.id}.{t.attr}")
    assert found == []
