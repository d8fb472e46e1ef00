"""The MkDocs configuration crmgen builds with, derived from the project's mkdocs.yml.

The user's keys are kept (site name, theme colours, Markdown extensions, extra...),
and crmgen sets what the site needs to be safe, offline and fast. The same file is
built by MkDocs, ProperDocs and Zensical (``crmgen build --engine``): everything a
reader sees is set here or in the docs tree, and crmgen's hooks (which Zensical
ignores) only make the build faster (see :mod:`.hooks`).

- ``docs_dir``/``site_dir``: the generated docs tree and the build's output dir,
  relative to the generated file (Zensical 0.0.73 panics on an absolute ``docs_dir``);
- ``theme.font: false``: Material would otherwise load Google Fonts;
- ``search`` with a separator that includes ``\\u200b``: Material segments Chinese
  with jieba at build time and joins the words with zero-width spaces, so the
  browser-side index must split on them (lunr's own ``zh`` needs jieba in the
  browser and throws there, mkdocs#2509, so the language stays ``en``);
- Material's ``offline`` plugin: directory URLs off and an inlined search index, so
  the site opens from ``file://``. Its polyfill, iframe-worker, is crmgen's local copy,
  listed in ``extra.polyfills``: Material's offline plugin and Zensical both add
  their CDN copy only when no polyfill with ``iframe-worker`` in its path is listed,
  and a remote polyfill of the user's own is dropped;
- an explicit ``nav`` of index pages only: a nav entry per client makes MkDocs'
  build time grow with the square of the number of clients.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

# Material's own separator for Chinese (partials/languages/zh.html), plus '.' and
# '_' so e-mail addresses and slugs split into words too.
SEARCH_SEPARATOR = r"[\s\u200b\u3000\-_、。，．？！；,.:;!?()（）]+"
THEME_OVERRIDES = Path(__file__).resolve().parents[2] / "templates" / "mkdocs"
HOOKS_FILE = Path(__file__).resolve().parent / "hooks.py"
# crmgen's iframe-worker shim (crmgen/assets/iframe-worker.js), as the docs tree holds it.
LOCAL_SHIM = "assets/crmgen/iframe-worker.js"

# Keys crmgen decides; a user value for them is overridden (and that is documented).
def _plugin_name(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and len(entry) == 1:
        return next(iter(entry))
    return None


def _plugins(user: Any) -> list[Any]:
    """The user's plugins with search and offline configured for crmgen."""
    entries = list(user) if isinstance(user, list) else (
        [{k: v} for k, v in user.items()] if isinstance(user, dict) else []
    )
    out: list[Any] = []
    search: dict[str, Any] = {}
    for entry in entries:
        name = _plugin_name(entry)
        if name in ("search", "material/search"):
            if isinstance(entry, dict) and isinstance(entry[name], dict):
                search = dict(entry[name])
            continue
        if name in ("offline", "material/offline", "privacy", "material/privacy"):
            # privacy downloads assets at build time: not possible offline, and
            # offline is added below.
            continue
        out.append(entry)
    # lunr's "zh" needs jieba in the browser and breaks search there (mkdocs#2509);
    # Chinese is segmented at build time instead (see the module docstring).
    lang = search.get("lang") or ["en"]
    lang = [lang] if isinstance(lang, str) else list(lang)
    search["lang"] = [code for code in lang if code != "zh"] or ["en"]
    search["separator"] = SEARCH_SEPARATOR
    # Material takes the pipeline from the UI language; with `language: zh` that is
    # "stemmer", and English words then stop matching (measured in Chromium).
    search.setdefault("pipeline", ["stopWordFilter"])
    return [{"search": search}, "offline", *out]


def polyfills(user: Any) -> list[Any]:
    """The user's ``extra.polyfills`` made local: iframe-worker is crmgen's copy, a remote one is dropped.

    The shim is always listed, so that no engine adds its CDN copy (Material's
    offline plugin and Zensical look for ``iframe-worker`` in the listed paths).
    """
    kept: list[Any] = []
    for entry in user if isinstance(user, list) else []:
        text = str(entry)
        if "iframe-worker" in text:
            kept.append(LOCAL_SHIM)
        elif "://" not in text and not text.startswith("//"):
            kept.append(entry)
    if LOCAL_SHIM not in kept:
        kept.append(LOCAL_SHIM)
    return list(dict.fromkeys(kept))


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` (in POSIX form), or absolute when it cannot be (another drive)."""
    try:
        return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:
        return str(path)


def _theme(user: Any, base: Path, language: str = "en") -> dict[str, Any]:
    theme: dict[str, Any] = {"name": "material"}
    if isinstance(user, dict):
        theme.update(copy.deepcopy(user))
    # crmgen's pages, styles and search settings are made for Material.
    theme["name"] = "material"
    theme["font"] = False
    if theme.get("custom_dir"):
        # The generated config lives in .crmgen/: paths must not be relative to it.
        theme["custom_dir"] = str(base / str(theme["custom_dir"]))
    else:
        theme["custom_dir"] = str(THEME_OVERRIDES)
    # One setting for the whole site: crmgen's language, when the theme names none, is Material's.
    theme.setdefault("language", language)
    features = list(theme.get("features") or [])
    for feature in ("navigation.top", "search.highlight"):
        if feature not in features:
            features.append(feature)
    theme["features"] = features
    return theme


def make_config(
    user: dict[str, Any],
    *,
    user_file: Path | None,
    docs_dir: Path,
    site_dir: Path,
    nav: list[Any],
    extra_css: list[str],
    site_name: str,
    language: str = "en",
    config_dir: Path | None = None,
) -> dict[str, Any]:
    """The generated config as a mapping: it ``INHERIT``s the user's file and overrides.

    Inheriting (rather than copying the user's keys) keeps their ``!ENV`` and
    ``!!python/name:`` tags working. MkDocs merges mappings deeply and replaces
    lists, so the lists set here (plugins, hooks, extra_css, extra.polyfills) include
    the user's. ``docs_dir`` and ``site_dir`` are written relative to ``config_dir``, the
    directory the file is written to (by default the docs tree's parent, as
    :mod:`crmgen.render.build` lays out ``.crmgen/``); the theme's directory and the
    hooks stay absolute, which every engine accepts (they live in crmgen's package).
    """
    config: dict[str, Any] = {}
    if user_file is not None:
        config["INHERIT"] = str(user_file)
    config["site_name"] = site_name
    here = config_dir if config_dir is not None else docs_dir.parent
    config["docs_dir"] = _relative(docs_dir, here)
    config["site_dir"] = _relative(site_dir, here)
    config["use_directory_urls"] = False
    base = user_file.parent if user_file is not None else Path.cwd()
    config["theme"] = _theme(user.get("theme"), base, language)
    config["plugins"] = _plugins(user.get("plugins"))
    hooks = [str(base / h) for h in (user.get("hooks") or []) if isinstance(h, str)]
    config["hooks"] = [*hooks, str(HOOKS_FILE)]
    config["nav"] = nav
    # Pages left out of the nav on purpose: do not report them.
    config["not_in_nav"] = "/clients/*/\n/reminders/*.md\n/reports/*.md\n/plans/*.md\n/format.md\n"
    css = [c for c in (user.get("extra_css") or []) if isinstance(c, str)]
    config["extra_css"] = extra_css + [c for c in css if c not in extra_css]
    # MkDocs (and Zensical) merge this mapping into the user's extra: their crmgen: settings stay.
    user_extra = user.get("extra")
    config["extra"] = {"polyfills": polyfills(user_extra.get("polyfills") if isinstance(user_extra, dict) else None),
                       "crmgen_ui": theme_words()}
    return config


def theme_words() -> dict[str, str]:
    """The words crmgen's theme overrides write (templates/mkdocs: the footer, the description, the 404
    page), in the build's language (crmgen.i18n): set in the configuration, so every engine shows them
    without crmgen's catalogue in its template environment."""
    from crmgen.i18n import _

    return {
        "made_with": _("Made with"),
        "description": _("A private CRM: client records for the sales team."),
        "not_found": _("404 - Not found"),
    }


def dump_config(config: dict[str, Any]) -> str:
    """YAML text of the generated config (stable key order, readable Unicode)."""
    return (
        "# Generated by crmgen build from the project's mkdocs.yml. Do not edit:\n"
        "# it is rewritten on every build.\n"
        # libyaml's emitter when PyYAML has it: the same text, a fifth of the time
        + yaml.dump(config, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                    allow_unicode=True, sort_keys=False, default_flow_style=False)
    )
