"""Chinese word segmentation (jieba) for search, loaded fast and remembered across builds.

Material's search plugin segments every run of Han characters with jieba so the
browser-side index can find Chinese words. Two costs dominate a small rebuild:

- jieba's dictionary: ``jieba.initialize()`` reads its marshal cache through a
  file object (~0.8-1.4 s); reading the same file in one go and decoding it takes
  a third of that (:func:`load_jieba`);
- segmenting text that has not changed. :class:`Memo` stands in for the ``jieba``
  module inside Material's plugin: ``cut()`` answers from a memo of earlier
  segmentations (kept in ``.crmgen/cache/segments.pickle``) and asks jieba only
  for text it has not seen, so after one edit jieba's dictionary is loaded only
  when the edit brought new Chinese text.

The memo holds exactly what jieba returned for the same input, so a site built
with it is byte for byte the one built without.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

MEMO_FILE = "segments.pickle"
_FORMAT = 1


def load_jieba() -> Any:
    """The jieba module, its default dictionary loaded (quietly, and fast when its cache exists)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.dt
    if not tokenizer.initialized and tokenizer.dictionary == jieba.DEFAULT_DICT and not tokenizer.cache_file:
        # The same file and the same test jieba.initialize() uses for the default dictionary.
        cache = os.path.join(tokenizer.tmp_dir or tempfile.gettempdir(), "jieba.cache")
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):
            with open(cache, "rb") as fh:
                freq, total = marshal.loads(fh.read())
            if isinstance(freq, dict) and freq and isinstance(total, int):
                with tokenizer.lock:
                    if not tokenizer.initialized:
                        tokenizer.FREQ, tokenizer.total = freq, total
                        tokenizer.initialized = True
    tokenizer.check_initialized()  # builds the dictionary (and its cache) the slow way if needed
    return jieba


def _versions() -> tuple[str, ...]:
    from importlib.metadata import version

    out: list[str] = [str(_FORMAT)]
    for dist in ("jieba", "mkdocs-material"):
        try:
            out.append(version(dist))
        except Exception:  # noqa: BLE001 - a missing package just counts as ""
            out.append("")
    return tuple(out)


class Memo:
    """A drop-in for the ``jieba`` module where Material calls ``jieba.cut(text)``."""

    def __init__(self, known: dict[bytes | str, tuple[str, ...]] | None = None) -> None:
        self.known: dict[bytes | str, tuple[str, ...]] = dict(known or {})
        self.used: set[bytes | str] = set()
        self.new: dict[bytes | str, tuple[str, ...]] = {}

    def cut(self, sentence: bytes | str, *args: Any, **kwargs: Any) -> tuple[str, ...]:
        if args or kwargs:  # another mode (cut_all, HMM off): not remembered
            return tuple(load_jieba().cut(sentence, *args, **kwargs))
        words = self.known.get(sentence)
        if words is None:
            words = tuple(load_jieba().cut(sentence))
            self.known[sentence] = words
            self.new[sentence] = words
        self.used.add(sentence)
        return words

    def __getattr__(self, name: str) -> Any:  # set_dictionary, load_userdict, ...: the real module
        if name.startswith("__"):  # copy, pickle and finalisers probing dunders: not jieba's
            raise AttributeError(name)
        return getattr(load_jieba(), name)

    def __bool__(self) -> bool:
        return True

    @classmethod
    def load(cls, path: Path) -> Memo:
        try:
            with open(path, "rb") as fh:
                versions, known = pickle.load(fh)
            if versions == _versions() and isinstance(known, dict):
                return cls(known)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            pass
        return cls()

    def save(self, path: Path, *, prune: bool) -> None:
        """Write the memo; ``prune`` keeps only what this build used (after a full build)."""
        known = {k: v for k, v in self.known.items() if k in self.used} if prune else self.known
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with open(tmp, "wb") as fh:
                pickle.dump((_versions(), known), fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)


CURRENT: Memo | None = None  # set by the build around its MkDocs runs


def install(search_config: Any) -> Memo | None:
    """Put :data:`CURRENT` (or a fresh memo) in place of jieba in Material's search plugin.

    Not when the project sets its own jieba dictionaries (``jieba_dict``,
    ``jieba_dict_user``): the memo is keyed by text alone.
    """
    global CURRENT
    try:
        from material.plugins.search import plugin as search
    except ImportError:  # pragma: no cover - Material is a dependency
        return None
    if getattr(search, "jieba", None) is None:
        return None
    if search_config is not None and (search_config.get("jieba_dict") or search_config.get("jieba_dict_user")):
        return None
    if CURRENT is None:
        CURRENT = Memo()
    search.jieba = CURRENT
    return CURRENT


def uninstall() -> None:
    """Give Material's search plugin the real jieba back."""
    with contextlib.suppress(ImportError):
        from material.plugins.search import plugin as search

        if isinstance(getattr(search, "jieba", None), Memo):
            import jieba

            search.jieba = jieba
