"""The cold build of a project index: the rounds of summaries, from the files that name
Celery to the files that import what the index found (``indexer`` reads a warm index back
from the cache and comes here only when some file changed).

Round one summarizes the files with Celery words (and Tornado handlers; ``celery`` itself
only where it is imported, or a project module holding the app is; never a test module,
which is checked but imported by nothing); each later round
adds the files that import something the index found (a blocking helper, an async def that
returns a result, a function whose parameters get kinds; see ``follow``), until no file is
added. When the index knows kinds through calls, the modules they concern are summarized
once more with the index in hand. Summaries are cached by path and content hash.
"""

from __future__ import annotations

import ast
import marshal
import os
import warnings

from ..scopes.context import Recorder
from ..settings import Settings
from ..syntax.source import may_run_on_loop
from .cache import Cache
from .follow import Found, Importers, Reader, imports_app, index_may_change, module_paths, passed_to
from .fork import ROUND_MIN_BYTES, both_cores
from .index import Index, module_name, module_names, slim
from .layout import Layout
from .modules import import_names, is_test_file, is_test_module
from .pools import uses_async_pool
from .scan import Scan

if False:  # for type checkers only
    from ..analysis.summary import ModuleSummary
    from ..scopes.context import Asked

    Summarized = tuple[ModuleSummary, "tuple[list[tuple[object, ...]], Asked] | None"]
    Analyzed = tuple[str, list[tuple[object, ...]], Asked]  # content hash, findings, answers

KEEP_TREES = 64 << 20  # bytes of source whose trees stay in memory for the check


class Builder:
    """One cold build of the index of the project at ``root``."""

    def __init__(self, root: str, settings: Settings, cache: Cache) -> None:
        self.root, self.settings, self.cache = root, settings, cache
        self.modules: frozenset[str] = frozenset()
        self.trees: dict[str, ast.Module] = {}  # parsed once, for round two and the check
        self.kept = 0
        self.again: list[str] = []  # the files summarized a second time, with the index

    def _read(self, rel: str) -> bytes:
        try:
            with open(os.path.join(self.root, rel), "rb") as f:
                return f.read()
        except OSError:
            return b""

    def build(
        self, python: list[str], configs: list[str], stats: dict[str, tuple[int, int]], save: bool
    ) -> Index:
        """``python``, ``configs``: the project's files (``files.project_files``); ``stats``:
        their modification times and sizes (stored, for the next run to compare)."""
        # The analysis is loaded here, before the rounds fork: their child inherits it instead
        # of importing it again (about 4 ms of each child's first round).
        from ..analysis.summary import summarize_and_find  # noqa: F401
        from ..rules import INDEX_LIBRARIES, INDEX_WORDS  # the catalogue: only when built

        words = (*INDEX_WORDS, *self.settings.extra_dispatch_bytes)  # round one's
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
        findings: dict[str, Analyzed] = {}  # what the summaries' analyses found, by path

        def add_all(rels: list[str], index: Index | None = None) -> None:
            """Summarize these files (those not cached, on both cores) and keep the answers."""
            todo = [r for r in rels if index is not None or f"{r}\0{shas[r]}" not in known]
            made = both_cores(
                todo,
                lambda rel: self._summarize(rel, datas[rel], index),
                lambda rel: len(datas[rel]),
                ROUND_MIN_BYTES,
            )
            for rel in rels:
                key = f"{rel}\0{shas[rel]}"
                summary = known.get(key)
                if rel in made:
                    summary, analyzed = made[rel] or (None, None)
                    if analyzed is not None:  # the latest analysis of the file wins
                        findings[rel] = (shas[rel], *analyzed)
                if index is None:
                    by_hash[key] = summary
                if summary is not None:
                    summaries[rel] = summary

        said = {rel: text.said for rel, text in texts.items() if text.said is not None}
        reader = Reader(datas, lines, said)
        # Test modules are checked, never summarized: nothing imports them, and what they
        # pass to the project's functions (mocks) says nothing of how the project runs.
        done = {rel for rel in python if is_test_module(rel)}
        pending = [rel for rel, text in texts.items() if text.first and rel not in done]
        # A library's name alone (``celery``: in package names, columns, comments): round
        # one's too, once round one's index tells which project modules hold its app, when
        # the file imports the library or one of those.
        libraries = {rel: text.libraries for rel, text in texts.items() if text.libraries}
        index = Index(self.root, {}, pool, aliases=aliases)
        paths = module_paths(python, aliases)
        importers: Importers | None = None
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
            if importers is None:  # what the files not read in round one import
                importers = Importers(reader, [r for r in python if r not in done])
            rest = [r for r in python if r not in done and r not in called]
            reached = set(Found(index).reached(reader, importers, rest))
            pending = sorted(called - done) + [r for r in rest if r in apps or r in reached]
            if not pending:
                break
        if index.params or any(s["r"] for s in summaries.values()):
            # Only the modules whose summary the index can change (see follow.index_may_change).
            again = [
                rel for rel, summary in summaries.items()
                if index.may_matter(datas[rel], rel)
                and index_may_change(index, summary)
            ]  # fmt: skip
            add_all(again, index)
            self.again = again
            index = Index(self.root, by_module(summaries), pool, aliases=aliases)
        index.shas, index.cache = shas, self.cache
        index.trees = dict(self.trees)
        index.analyzed = findings
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

    def _summarize(self, rel: str, data: bytes, index: Index | None) -> Summarized | None:
        """The module's summary, and for a module with code that may run on the loop what
        the analysis found with the answers it was given (see ``Recorder``)."""
        from ..analysis.summary import summarize_and_find

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
            context = Recorder(None, name, rel, is_package, self.modules)
        else:
            context = Recorder(index, name, rel, is_package)
        try:
            summary, found = summarize_and_find(
                tree, self.settings, context, references=index is not None
            )
        except RecursionError:  # pragma: no cover - the analysis survives these itself
            return None
        if not may_run_on_loop(data):  # never analyzed by the check: nothing to keep
            return summary, None
        return summary, ([f.as_tuple() for f in found], context.asked)


def by_module(summaries: dict[str, ModuleSummary]) -> dict[str, ModuleSummary]:
    """Summaries by path -> by module name (what :class:`Index` looks up)."""
    return {summary["m"]: summary for summary in summaries.values()}
