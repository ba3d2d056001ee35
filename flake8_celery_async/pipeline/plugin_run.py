"""What the flake8 plugin does per file, and once per run: the index before flake8 forks,
findings from the cache for unchanged files, and the new ones saved when a process ends.

flake8 has no end-of-run hook for plugins, and its workers are processes that end without
running ``atexit`` (before Python 3.13, ``multiprocessing`` children leave with
``os._exit``); ``multiprocessing.util.Finalize`` runs in the main process at exit and in
every worker that ends normally, which is how flake8 ends them. A worker killed midway
saves nothing: its files are checked again next time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..settings import Settings
from .check import index_of, may_matter, prepare_index, project_context

if False:  # for type checkers only
    import ast

    from ..project.index import Index
    from ..scopes.context import ModuleContext

PART = "flake8"  # the plugin's findings: before noqa comments and selection (flake8 owns them)
_PENDING: dict[int, list[Index]] = {}  # by process: a forked worker inherits its parent's


def prepare(filenames: Sequence[str], settings: Settings) -> None:
    """Build (or read) the index of the projects flake8 is about to check, and their cached
    findings, in flake8's main process: forked workers share them instead of each reading
    their own."""
    paths = [
        name if name.endswith(".py") or not os.path.isdir(name) else os.path.join(name, "x.py")
        for name in filenames
        if name != "-" and os.path.exists(name)  # nothing is written for a missing path
    ]
    for index in prepare_index(paths, settings, filenames):
        index.findings(PART).load()


def findings(
    tree: ast.Module, text: str, path: str, settings: Settings
) -> list[tuple[int, int, str]]:
    """The plugin's findings for one file that passed the fast check: from the cache when
    the file, the settings and what the index knows are unchanged (hashing the text costs
    less than the text checks), else from the analysis."""
    context = project_context(path, settings, save=True)
    data = text.encode("utf-8", "surrogateescape")
    index = index_of(context)
    # A hash is worth it with a cache, or when the index's build analyzed the file already.
    if (
        context is None
        or index is None
        or (index.cache is None and context.path not in index.analyzed)
    ):
        return _analyze(tree, data, settings, context)
    from ..syntax.source import content_hash

    sha = content_hash(data)
    if index.cache is not None:
        cached = index.cached_findings(context.path, sha, settings.key(), PART)
        if cached is not None:
            return cached  # type: ignore[return-value]
    analyzed = index.analyzed_findings(context, sha)  # the index's own analysis of the file
    found: list[tuple[int, int, str]]
    if analyzed is not None:
        found = [(f[0], f[1], f[5]) for f in analyzed]  # type: ignore[misc]
    else:
        found = _analyze(tree, data, settings, context)
    if index.cache is not None:
        index.remember(context.path, sha, settings.key(), found, PART)  # type: ignore[arg-type]
        _save_at_exit(index)
    return found


def _analyze(
    tree: ast.Module, data: bytes, settings: Settings, context: ModuleContext | None
) -> list[tuple[int, int, str]]:
    if not may_matter(data, settings, context):
        return []
    from ..analysis.analyzer import analyze  # imported only once a file passes the text check

    return [(f.line, f.col, f.message) for f in analyze(tree, settings, context)]


def _save_at_exit(index: Index) -> None:
    pending = _PENDING.get(os.getpid())
    if pending is None:
        from multiprocessing import util

        pending = _PENDING[os.getpid()] = []
        util.Finalize(None, _save, args=(pending,), exitpriority=0)
    if not any(i is index for i in pending):
        pending.append(index)


def _save(indexes: list[Index]) -> None:
    for index in indexes:
        index.save()
