"""Building a project index: walk the root, keep what can matter, summarize, cache; and the
index of a file's repository, built once per process (:func:`index_for`, :func:`context_for`).

Round one summarizes the files with Celery words (and Tornado handlers; ``celery`` itself
only where it is imported, or a project module holding the app is); each later round
adds the files that import something the index found (a blocking helper, an async def that
returns a result, a function whose parameters get kinds; see ``follow``), until no file is
added. When the index knows kinds through calls, the modules they concern are summarized
once more with the index in hand. Summaries are cached by path and content hash; when no
file's size or modification time changed, the whole index is read back from the cache.
"""

from __future__ import annotations

import ast
import gc
import marshal
import os
import warnings

from ..settings import Settings
from .cache import Cache
from .files import MAX_FILES, project_files
from .follow import Found, Reader, imports_app, index_may_change, module_paths, passed_to
from .fork import both_cores
from .index import Index, ModuleContext, module_name, module_names, slim
from .layout import Layout
from .modules import import_names, is_test_file
from .pools import uses_async_pool
from .repository import find_root
from .scan import Scan
from .stored import Frozen

if False:  # for type checkers only
    from ..analysis.summary import ModuleSummary

KEEP_TREES = 64 << 20  # bytes of source whose trees stay in memory for the check


class Indexer:
    def __init__(self, root: str, settings: Settings) -> None:
        self.root, self.settings = root, settings
        self.cache = Cache(root, settings.key(), settings.cache_dir)
        self.modules: frozenset[str] = frozenset()
        self.trees: dict[str, ast.Module] = {}  # parsed once, for round two and the check
        self.kept = 0
        self.words: tuple[bytes, ...] = ()  # round one's words (the catalogue's)
        self.again: list[str] = []  # the files summarized a second time, with the index

    def _read(self, rel: str) -> bytes:
        try:
            with open(os.path.join(self.root, rel), "rb") as f:
                return f.read()
        except OSError:
            return b""

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
        for rel in python + configs:
            try:
                st = os.stat(os.path.join(self.root, rel))
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
        from ..rules import INDEX_LIBRARIES, INDEX_WORDS  # the catalogue: only when built

        self.words = INDEX_WORDS
        words = (*self.words, *self.settings.extra_dispatch_bytes)
        roots = self.settings.source_roots
        layout = Layout.start(self.root, python, roots, relative=True)
        scan = Scan(self.root, words, INDEX_LIBRARIES, None if layout.configured else layout)
        texts = scan.run(python, {rel: stats.get(rel, (0, 0))[1] for rel in python})
        datas = scan.datas  # those the text pass read here; the others when first asked for
        lines = {rel: text.starts for rel, text in texts.items()}  # import lines: for both
        for rel in sorted(texts):  # the votes of every file's imports (none when configured)
            layout.cast(rel, texts[rel].votes or [])
        aliases = import_names(python, layout.source_roots())
        self.modules = module_names(python, aliases)
        shas = {rel: text.sha for rel, text in texts.items()}
        pool = any(text.pool for text in texts.values()) or any(
            uses_async_pool(self._read(rel)) for rel in configs if not is_test_file(rel)
        )
        # A project that swaps in tornado-celery's non-blocking producer: stored beside the
        # pool (it, too, holds for every module).
        producer = any(text.producer for text in texts.values())
        known: dict[str, ModuleSummary | None] = self.cache.load("full").get("by_hash", {})
        by_hash: dict[str, ModuleSummary | None] = {}
        summaries: dict[str, ModuleSummary] = {}

        def add_all(rels: list[str], index: Index | None = None) -> None:
            """Summarize these files (those not cached, on both cores) and keep the answers."""
            todo = [r for r in rels if index is not None or f"{r}\0{shas[r]}" not in known]
            made = both_cores(
                todo, lambda rel: self._summarize(rel, datas[rel], index), lambda r: len(datas[r])
            )
            for rel in rels:
                key = f"{rel}\0{shas[rel]}"
                summary = made[rel] if rel in made else known.get(key)
                if index is None:
                    by_hash[key] = summary
                if summary is not None:
                    summaries[rel] = summary

        said = {rel: text.said for rel, text in texts.items() if text.said is not None}
        reader = Reader(datas, lines, said)
        pending = [rel for rel, text in texts.items() if text.first]
        # A library's name alone (``celery``: in package names, columns, comments): round
        # one's too, once round one's index tells which project modules hold its app, when
        # the file imports the library or one of those.
        libraries = {rel: text.libraries for rel, text in texts.items() if text.libraries}
        done: set[str] = set()
        index = Index(self.root, {}, pool, aliases=aliases)
        paths = module_paths(python, aliases)
        for _round in range(10):
            add_all(pending)
            done.update(pending)
            index = Index(self.root, by_module(summaries), pool, aliases=aliases)
            # The modules of functions that a summarized call passes a result, a signature or
            # a canvas: their parameters may get kinds (a helper in a module of no Celery word).
            called = {p for r in pending if r in summaries for p in passed_to(summaries[r], paths)}
            apps = {
                r for r, names in libraries.items()
                if any(imports_app(index, reader, r, name) for name in names)
            }  # fmt: skip
            libraries = {}
            found = Found(index)
            pending = sorted(called - done) + [
                r for r in python if r not in done and r not in called
                and (r in apps or found.reached_by(reader, r))
            ]  # fmt: skip
            if not pending:
                break
        if index.params or any(s["r"] for s in summaries.values()):
            # Only the modules whose summary the index can change (see follow.index_may_change).
            again = [
                rel for rel, summary in summaries.items()
                if index.may_matter(datas[rel], rel, reader.names(rel))
                and index_may_change(index, summary)
            ]  # fmt: skip
            add_all(again, index)
            self.again = again
            index = Index(self.root, by_module(summaries), pool, aliases=aliases)
        index.shas, index.cache = shas, self.cache
        index.trees = dict(self.trees)
        index.nonblocking_producer = producer
        if save:
            modules = {s["m"]: marshal.dumps(slim(s)) for s in summaries.values()}
            self.cache.save(
                {"stats": stats, "modules": modules, "pool": pool, "shas": shas,
                 "producer": producer, "derived": index.derived(), "aliases": aliases}
            )  # fmt: skip
            self.cache.save({"by_hash": by_hash}, "full")
        else:
            index.cache = None  # nothing of this run is written
        return index

    def _summarize(self, rel: str, data: bytes, index: Index | None) -> ModuleSummary | None:
        from ..analysis.summary import summarize

        tree = self.trees.get(rel)
        if tree is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tree = ast.parse(data)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return None
            self.kept += len(data)
            if self.kept < KEEP_TREES:
                self.trees[rel] = tree
        name, is_package = module_name(rel)
        if index is None:
            context = ModuleContext(None, name, rel, is_package, self.modules)
        else:
            context = index.context(rel)
        try:
            return summarize(tree, self.settings, context, references=index is not None)
        except RecursionError:  # pragma: no cover - the analysis survives these itself
            return None


def by_module(summaries: dict[str, ModuleSummary]) -> dict[str, ModuleSummary]:
    """Summaries by path -> by module name (what :class:`Index` looks up)."""
    return {summary["m"]: summary for summary in summaries.values()}


def build_index(root: str, settings: Settings | None = None, save: bool = False) -> Index:
    """Build (or read from the cache) the index of the project at ``root``; ``save`` writes
    the cache (the CLI and the flake8 plugin do; the codemod's check mode writes nothing)."""
    return Indexer(root, settings or Settings()).build(save)


_INDEXES: dict[tuple[str, str], Index] = {}


def index_for(path: str, settings: Settings, save: bool = False) -> Index:
    """The index of ``path``'s project, built once per process."""
    root = find_root(path)
    key = (root, settings.key())
    index = _INDEXES.get(key)
    if index is None:
        index = _INDEXES[key] = build_index(root, settings, save)
    return index


_FOLDERS: dict[tuple[str, str], tuple[Index, str]] = {}


def context_for(path: str, settings: Settings, save: bool = False) -> ModuleContext:
    folder, name = os.path.split(path)
    key = (folder, settings.key())
    known = _FOLDERS.get(key)
    if known is None:
        index = index_for(path, settings, save)
        rel = os.path.relpath(os.path.abspath(folder or "."), index.root).replace(os.sep, "/")
        known = _FOLDERS[key] = (index, "" if rel == "." else rel + "/")
    return known[0].context(known[1] + name)


def prepare(paths: list[str], settings: Settings) -> list[Index]:
    """Build the index of every project these files belong to, before the CLI forks its
    workers (so that they share it instead of each building their own)."""
    if not settings.project_index:
        return []
    roots: dict[str, str | None] = {}  # by folder: None for one that does not exist
    indexes: dict[str, Index] = {}
    for path in paths:
        folder = os.path.dirname(path)
        if folder not in roots:
            here = os.path.abspath(folder or ".")
            roots[folder] = find_root(here) if os.path.isdir(here) else None
        root = roots[folder]
        if root is None:
            continue  # nothing is indexed, nor written, for a path that does not exist
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
) -> None:
    """After a CLI run: remember every file's findings (``found``, by path; absent: none)
    under the content hash it was indexed with (not those in ``skip``: failed, or read from
    the cache), and write the caches."""
    for path in paths:
        if path in skip:
            continue
        context = context_for(path, settings)
        index = context.index
        if index is not None and index in indexes:
            sha = index.shas.get(context.path)
            if sha is not None:
                index.remember(context.path, sha, key, found.get(path, []))
    for index in indexes:
        index.save()
