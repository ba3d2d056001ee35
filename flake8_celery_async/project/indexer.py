"""The index of a file's repository, built once per process (:func:`index_for`,
:func:`context_for`): walk the root, and when no file's size or modification time changed
since the cache was written, read the whole index back from it; else build it (``build``,
imported only then: a warm run loads none of the cold build's modules).
"""

from __future__ import annotations

import gc
import os

from ..settings import Settings
from .cache import Cache
from .files import MAX_FILES, project_files
from .index import Index, ModuleContext
from .repository import find_root, folder_root
from .stored import Frozen


class Indexer:
    def __init__(self, root: str, settings: Settings) -> None:
        self.root, self.settings = root, settings
        self.cache = Cache(root, settings.key(), settings.cache_dir)
        self.again: list[str] = []  # the files summarized a second time, with the index

    def build(self, save: bool = False) -> Index:
        # The build makes ~10^5 objects that live on (trees, summaries) and little garbage:
        # the collector would scan them over and over (14 s of a 46 s cold flake8 run over
        # the benchmark's small tier). It runs again once the index is made, with what the
        # build made out of its sight: re-enabled over them, its first young collection
        # would walk every one of them (a tenth of a second on the benchmark's corpus).
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._build(save)
        finally:
            if enabled:
                gc.freeze()
                gc.enable()

    def _build(self, save: bool) -> Index:
        python, configs = project_files(self.root)
        if len(python) > MAX_FILES:
            return Index(self.root, {}, False)
        stats: dict[str, tuple[int, int]] = {}
        prefix, stat = os.path.join(self.root, ""), os.stat  # joined by hand: a warm run
        for rel in python + configs:  # is mostly this loop and the walk
            try:
                st = stat(prefix + rel)
            except OSError:
                continue
            stats[rel] = (st.st_mtime_ns, st.st_size)
        cached = self.cache.load()
        if cached.get("stats") == stats and "modules" in cached:  # nothing changed: read back
            index = Index(
                self.root, Frozen(cached["modules"]), cached["pool"], cached["derived"],
                cached["aliases"],
            )  # fmt: skip
            index.shas, index.cache = cached["shas"], self.cache  # findings: read when asked
            index.unchanged = True  # every file as when cached: its findings need no read
            index.nonblocking_producer = bool(cached.get("producer"))
            return index
        from .build import Builder  # the cold build: only when the cache does not answer

        builder = Builder(self.root, self.settings, self.cache)
        index = builder.build(python, configs, stats, save)
        self.again = builder.again
        return index


def build_index(root: str, settings: Settings | None = None, save: bool = False) -> Index:
    """Build (or read from the cache) the index of the project at ``root``; ``save`` writes
    the cache (the CLI and the flake8 plugin do; the codemod's check mode writes nothing)."""
    return Indexer(root, settings or Settings()).build(save)


_INDEXES: dict[tuple[str, str], Index] = {}


def index_for(path: str, settings: Settings, save: bool = False) -> Index:
    """The index of ``path``'s project, built once per process."""
    return _index_at(find_root(path), settings, save)


def _index_at(root: str, settings: Settings, save: bool) -> Index:
    key = (root, settings.key())
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = build_index(root, settings, save)
    return index


_FOLDERS: dict[tuple[str, str], tuple[Index, str]] = {}


def indexed(path: str, settings: Settings, save: bool = False) -> tuple[Index, str]:
    """The index of ``path``'s project and the file's path in it (relative, with ``/``)."""
    folder, name = os.path.split(path)
    key = (folder, settings.key())
    known = _FOLDERS.get(key)
    if known is None:
        here = os.path.abspath(folder or ".")
        index = _index_at(folder_root(here), settings, save)
        root = index.root.rstrip(os.sep) + os.sep
        rel = here[len(root) :] if here.startswith(root) else os.path.relpath(here, index.root)
        rel = "." if here == index.root else rel.replace(os.sep, "/")
        known = _FOLDERS[key] = (index, "" if rel == "." else rel + "/")
    return known[0], known[1] + name


def context_for(path: str, settings: Settings, save: bool = False) -> ModuleContext:
    index, rel = indexed(path, settings, save)
    return index.context(rel)


def prepare(paths: list[str], settings: Settings) -> list[Index]:
    """Build the index of every project these files belong to, before the CLI forks its
    workers (so that they share it instead of each building their own). ``paths``: files
    that exist (the callers make sure: nothing is indexed, nor written, for a path that does
    not), so their folders are not asked again."""
    if not settings.project_index:
        return []
    roots: dict[str, str] = {}  # by folder
    indexes: dict[str, Index] = {}
    sep = os.sep
    for path in paths:
        cut = path.rfind(sep)  # its folder, without os.path.dirname's work for each file
        folder = path[:cut] if cut > 0 else os.path.dirname(path)
        if folder not in roots:
            roots[folder] = folder_root(os.path.abspath(folder or "."))
        root = roots[folder]
        if root not in indexes:
            indexes[root] = index_for(os.path.join(root, "x.py"), settings, save=True)
    # What the index holds (trees, summaries) lives until the run ends: out of the
    # collector's sight, a full collection no longer walks it (seconds on a large project,
    # in the main process and again in every forked worker).
    gc.freeze()
    return list(indexes.values())


def finish(
    indexes: list[Index],
    paths: list[str],
    found: dict[str, list[tuple[object, ...]]],
    settings: Settings,
    key: str,
    skip: set[str],
    errors: dict[str, str] | None = None,
    error_key: str = "",
) -> None:
    """After a CLI run: remember every file's findings (``found``, by path; absent: none)
    under the content hash it was indexed with (not those in ``skip``: failed, or read from
    the cache), or why it could not be checked (``errors``, under ``error_key``), and write
    the caches."""
    errors = errors or {}
    for path in paths:
        if path in skip:
            continue
        context = context_for(path, settings)
        index = context.index
        if index is not None and index in indexes:
            sha = index.shas.get(context.path)
            if sha is None:
                continue
            if path in errors:
                index.remember(context.path, sha, error_key, [(errors[path],)], "errors")
            else:
                index.remember(context.path, sha, key, found.get(path, []))
    for index in indexes:
        index.save()
