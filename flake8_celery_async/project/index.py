"""The project index: what every module of the project defines and does, across imports.

The index is built by ``indexer`` (``build_index``, ``index_for``, ``context_for``) for a
repository root (``repository.find_root``).

- :class:`Index` lookups by absolute name (``"pkg.services.enqueue"``), resolved through
  imports and re-exports only, never by bare name: :meth:`Index.blocking` (where a sync
  function reaches Celery I/O, at any depth), :meth:`Index.returns`, :meth:`Index.kind`,
  :meth:`Index.is_tornado`, :meth:`Index.param_kinds`, :meth:`Index.resolve`, and
  :meth:`Index.context` (one module's view, which the analysis takes).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping

from ..scopes.context import Asked, ModuleContext, Via, same_answers
from ..scopes.context import Index as View
from ..scopes.kind import Kind, MaybeKind
from ..syntax.source import content_hash
from ..syntax.words import Words
from .cache import Cache, FindingsCache
from .modules import module_name, module_names

__all__ = [
    "Index", "ModuleContext", "module_name", "module_names",
]  # fmt: skip

if False:  # for type checkers only
    from typing import Any

    from ..analysis.summary import ModuleSummary

TORNADO_HANDLERS = frozenset({"tornado.web.RequestHandler", "tornado.websocket.WebSocketHandler"})
_PARAM_KINDS = (Kind.RESULT, Kind.SIG, Kind.CANVAS, Kind.RESULTS)
_ASYNC_DEF = re.compile(rb"async\s+def")


class Index(View):
    """Every summarized module of one project, and lookups across them."""

    def __init__(
        self,
        root: str,
        modules: Mapping[str, ModuleSummary],
        async_pool: bool,
        derived: tuple[Any, ...] | None = None,
        aliases: dict[str, list[str]] | None = None,
    ) -> None:
        self.root = root
        self.async_pool = async_pool
        self.modules = modules  # module name -> summary (from the cache: a stored.Frozen)
        self._suffixes: dict[str, list[str]] = {}
        self.aliases = aliases or {}  # module -> the shorter names it may be imported by
        for name in self.modules:
            for alias in self.shorter_names(name):
                self._suffixes.setdefault(alias, []).append(name)
        # The first part of every name a module may be imported by: most names asked about
        # (``typing.Any``, ``sqlalchemy.orm.Session``) start with none of them.
        self._heads = {
            n.partition(".")[0] for names in (self.modules, self._suffixes) for n in names
        }
        self._blocking: dict[str, Via | None] = {}
        self._resolved: dict[tuple[str, str], tuple[ModuleSummary, str] | None] = {}
        if derived is not None:  # from the cache: what follows from the same summaries
            params, words, loop_words, paths, fingerprint, found = derived
            self._fingerprint: str | None = str(fingerprint)
            self.params = {n: {p: Kind(k) for p, k in ks.items()} for n, ks in params.items()}
            self.words, self.loop_words, self.paths = set(words), set(loop_words), set(paths)
            self.found: dict[str, set[str]] = {m: set(names) for m, names in found.items()}
        else:
            self.params = self._param_kinds()
            self.words, self.loop_words, self.paths, self.found = self._words()
            self._fingerprint = None
        self._word_bytes = frozenset(w.encode() for w in self.words)
        self._loop_bytes = frozenset(w.encode() for w in self.loop_words)
        self._says: Words | None = None  # both, to find in one pass (once a file is checked)
        self.following: object = None  # follow.Found of this index, once the check asks
        self.trees: dict[str, object] = {}  # path -> ast.Module, while the indexer's are alive
        # path -> (content hash, findings, the answers they depend on): what the build's own
        # analyses of the files found (see analyzed_findings).
        self.analyzed: dict[str, tuple[str, list[tuple[object, ...]], Asked]] = {}
        self.shas: dict[str, str] = {}  # path -> content hash, as indexed
        self.unchanged = False  # read back whole: no file's size or modification time changed
        self.cache: Cache | None = None
        self.nonblocking_producer = False  # tornado-celery's producer: dispatch does not block
        self._stores: dict[str, FindingsCache] = {}
        self._entry_keys: dict[str, str] = {}

    def derived(self) -> tuple[Any, ...]:
        """What :meth:`__init__` computes from the summaries, for the cache."""
        params = {n: {p: int(k) for p, k in ks.items()} for n, ks in self.params.items()}
        return (
            params,
            sorted(self.words),
            sorted(self.loop_words),
            sorted(self.paths),
            (self.fingerprint()),
            {module: sorted(names) for module, names in self.found.items()},
        )

    # -- resolution ----------------------------------------------------------------------------

    def shorter_names(self, name: str) -> list[str]:
        """The shorter names module ``name`` may be imported by (every suffix when unknown)."""
        shorter = self.aliases.get(name)
        if shorter is None:
            parts = name.split(".")
            shorter = [".".join(parts[i:]) for i in range(1, len(parts))]
        return shorter

    def module_for(self, name: str, importer: str = "") -> ModuleSummary | None:
        """The module an import names: exactly, or the one module whose name ends with it
        (an app run from a subfolder, a ``src`` layout); ambiguous names resolve to none."""
        if name in self.modules:
            return self.modules[name]
        found = self._suffixes.get(name, [])
        if len(found) > 1 and importer:  # prefer the importer's own tree (its sys.path entry)
            found = [f for f in found if importer.startswith(f[: -len(name)])]
        return self.modules[found[0]] if len(found) == 1 else None

    def resolve(
        self, target: str, importer: str = "", depth: int = 0
    ) -> tuple[ModuleSummary, str] | None:
        """The module and the qualified name in it that an absolute name refers to,
        following re-exports (``from .x import y`` in a package's ``__init__``)."""
        if depth == 0:  # every lookup of the index starts here: answered once per name
            key = (target, importer)
            if key not in self._resolved:
                self._resolved[key] = self._resolve(target, importer, 0)
            return self._resolved[key]
        return self._resolve(target, importer, depth)

    def _resolve(self, target: str, importer: str, depth: int) -> tuple[ModuleSummary, str] | None:
        if target.partition(".")[0] not in self._heads:
            return None
        parts = target.split(".")
        for i in range(len(parts), 0, -1):
            summary = self.module_for(".".join(parts[:i]), importer)
            if summary is None:
                continue
            rest = parts[i:]
            qual = ".".join(rest)
            if rest and rest[0] in summary["i"] and qual not in summary["f"] and depth < 12:
                origin = summary["i"][rest[0]]
                return self.resolve(".".join([origin, *rest[1:]]), summary["m"], depth + 1)
            instance = summary.get("n", {}).get(rest[0]) if rest else None
            if instance and len(rest) == 2 and depth < 12:  # service.publish: Service.publish
                return self.resolve(f"{instance}.{rest[1]}", summary["m"], depth + 1)
            return summary, qual
        return None

    def blocking(self, target: str, importer: str = "") -> Via | None:
        """Where a call of ``target`` reaches Celery I/O: (path, line, what), or ``None``."""
        key = f"{importer}\0{target}"
        if key in self._blocking:
            return self._blocking[key]
        self._blocking[key] = None  # cycles: not blocking while computing
        via: Via | None = None
        found = self.resolve(target, importer)
        if found is not None:
            summary, qual = found
            info = summary["f"].get(qual)
            if info is not None:
                line, what, calls, skip = info
                if not skip:
                    via = (summary["p"], line, what) if line else None
                    for call in calls if via is None else ():
                        via = self.blocking(call, summary["m"])
                        if via is not None:
                            break
            elif "." in qual:  # a method inherited from a base class
                cls, _, method = qual.rpartition(".")
                for base in summary["c"].get(cls, ()):
                    via = self.blocking(f"{base}.{method}", summary["m"])
                    if via is not None:
                        break
        self._blocking[key] = via
        return via

    def returns(self, target: str, importer: str = "") -> MaybeKind:
        found = self.resolve(target, importer)
        if found is None or found[1] not in found[0]["r"]:
            return None
        return Kind(found[0]["r"][found[1]])

    def made_by(self, target: str, importer: str = "") -> str | None:
        """The absolute name of the class a project factory's return annotation names."""
        found = self.resolve(target, importer)
        if found is None:
            return None
        made: str | None = found[0].get("ra", {}).get(found[1])
        return made

    def kind(self, target: str, importer: str = "") -> MaybeKind:
        found = self.resolve(target, importer)
        if found is None or found[1] not in found[0]["k"]:
            return None
        return Kind(found[0]["k"][found[1]])

    def is_tornado(self, target: str, importer: str = "", depth: int = 0) -> bool:
        if target in TORNADO_HANDLERS:
            return True
        found = self.resolve(target, importer)
        if found is None or depth > 12:
            return False
        summary, qual = found
        return any(self.is_tornado(b, summary["m"], depth + 1) for b in summary["c"].get(qual, ()))

    def canonical(self, target: str, importer: str = "") -> str | None:
        found = self.resolve(target, importer)
        return f"{found[0]['m']}.{found[1]}" if found is not None and found[1] else None

    # -- what the index adds to the text check --------------------------------------------------

    def _param_kinds(self) -> dict[str, dict[str, Kind]]:
        """Parameters that every resolved call site passes the same Celery kind."""
        sites: dict[str, list[tuple[list[int], dict[str, int], bool]]] = {}
        vetoed: set[str] = set()
        for summary in self.modules.values():
            for target, args, keywords, star in summary["cs"]:
                name = self.canonical(target, summary["m"])
                if name is not None:
                    sites.setdefault(name, []).append((args, keywords, star))
            for ref in summary["v"]:
                name = self.canonical(ref, summary["m"])
                if name is not None:
                    vetoed.add(name)
        params: dict[str, dict[str, Kind]] = {}
        for name, calls in sites.items():
            module, _, qual = name.rpartition(".")
            owner = self.modules.get(module)
            if name in vetoed or owner is None or qual not in owner["s"]:
                continue  # a method (module is a class), passed around, or not a function
            if any(star for _, _, star in calls):
                continue
            kinds: dict[str, Kind] = {}
            for i, param in enumerate(owner["s"][qual]):
                seen = {
                    args[i] if i < len(args) else keywords.get(param, 0)
                    for args, keywords, _ in calls
                }
                if len(seen) == 1 and (kind := seen.pop()) in _PARAM_KINDS:
                    kinds[param] = Kind(kind)
            if kinds:
                params[name] = kinds
        return params

    def _words(self) -> tuple[set[str], set[str], set[str], dict[str, set[str]]]:
        """Names whose mention makes a file matter (helpers that block, async defs returning
        results, functions with known parameter kinds), names of Tornado handler classes, the
        files that matter whatever they say (they define parameters with kinds), and by
        module, the names it defines or imports of those (what the later rounds follow)."""
        words: set[str] = set()
        loop_words: set[str] = set()
        paths: set[str] = set()
        classes: set[str] = set()
        found: dict[str, set[str]] = {}
        for summary in self.modules.values():
            module = summary["m"]
            instances = summary.get("n", {})
            for qual in [*summary["f"], *summary["r"]]:
                target = f"{module}.{qual}"
                if qual.partition(".")[0] not in instances:  # what resolve would answer
                    self._resolved.setdefault((target, module), (summary, qual))
                if qual in summary["r"] or self.blocking(target, module) is not None:
                    # A method is called as self.m() in a subclass (which names the class) or
                    # as obj.m() on an instance (named below): method names are too common.
                    cls, dot, name = qual.partition(".")
                    words.add(cls)
                    found.setdefault(module, set()).add(cls)
                    if dot:
                        classes.add(f"{module}.{cls}")
            for cls in summary["c"]:
                if self.is_tornado(f"{module}.{cls}", module):  # its subclasses' modules may
                    loop_words.add(cls)  # say nothing of Celery or Tornado: it grows the index
                    words.add(cls)
                    found.setdefault(module, set()).add(cls)
            for local, target in summary["i"].items():
                if (
                    self.blocking(target, module) is not None
                    or self.returns(target, module) is not None
                    or self.canonical(target, module) in self.params
                ):
                    words.add(local)
                    found.setdefault(module, set()).add(local)
        for summary in self.modules.values():  # instances and aliases of those, anywhere
            for instance, cls in summary.get("n", {}).items():
                if cls in classes or self.canonical(cls, summary["m"]) in classes:
                    words.add(instance)
                    found.setdefault(summary["m"], set()).add(instance)
        for name in self.params:
            module, _, qual = name.rpartition(".")
            words.add(qual)
            owner = self.modules.get(module)
            if owner is not None:
                paths.add(owner["p"])
                found.setdefault(module, set()).add(qual)
        for summary in self.modules.values():  # re-exports of any of those (a package's)
            for local, target in summary["i"].items():
                origin = self.resolve(target, summary["m"])
                if origin is not None and origin[1].partition(".")[0] in found.get(
                    origin[0]["m"], ()
                ):
                    found.setdefault(summary["m"], set()).add(local)
        return words, loop_words, paths, found

    def may_matter(self, data: bytes, path: str) -> bool:
        """The text check with what the index knows (on top of ``Settings.may_have_findings``):
        the file names one of the index's words, and runs code on the loop."""
        if path in self.paths:
            return True
        if not self._word_bytes:
            return False
        if self._says is None:
            self._says = Words(sorted(self._word_bytes | self._loop_bytes))
        said = self._says.named_in(data)
        if self._word_bytes.isdisjoint(said):
            return False
        if b"async" in data and _ASYNC_DEF.search(data) is not None:
            return True
        return not self._loop_bytes.isdisjoint(said)

    def context(self, path: str) -> ModuleContext:
        """The view of module ``path`` (relative to the root)."""
        name, is_package = module_name(path)
        return ModuleContext(self, name, path.replace(os.sep, "/"), is_package)

    def analyzed_findings(
        self, context: ModuleContext, sha: str
    ) -> list[tuple[object, ...]] | None:
        """What the build's analysis of this file found (before ``# noqa`` and selection),
        when the file is as it was then and this index answers every question that analysis
        asked as it was answered then; else ``None``: analyze it."""
        entry = self.analyzed.get(context.path)
        if entry is None or entry[0] != sha or not same_answers(entry[2], context):
            return None
        return entry[1]

    def fingerprint(self) -> str:
        """Changes whenever anything another module's findings depend on changes."""
        if self._fingerprint is None:
            import marshal

            data = [self.async_pool, sorted((k, slim(v)) for k, v in self.modules.items())]
            self._fingerprint = content_hash(marshal.dumps(data))
        return self._fingerprint

    def findings(self, part: str = "findings") -> FindingsCache:
        """Cached findings (``findings``: the CLI's, after ``# noqa``; ``flake8``: the
        plugin's, before it), read when first asked."""
        store = self._stores.get(part)
        if store is None:
            store = self._stores[part] = FindingsCache(self.cache, part)
        return store

    def cached_findings(
        self, path: str, sha: str, key: str, part: str = "findings"
    ) -> list[tuple[object, ...]] | None:
        """Findings of an unchanged file from an earlier run (``key``: settings, selection)."""
        return self.findings(part).get(path, sha, self._entry_key(key))

    def cached_lookup(
        self, key: str, part: str = "findings"
    ) -> Callable[[str, str], list[tuple[object, ...]] | None]:
        """:meth:`cached_findings` for many files with one ``key``: ``lookup(path, sha)`` (a
        warm run asks it for every file of the project)."""
        return self.findings(part).lookup(self._entry_key(key))

    def remember(
        self, path: str, sha: str, key: str, findings: list[tuple[object, ...]],
        part: str = "findings",
    ) -> None:  # fmt: skip
        self.findings(part).put(path, sha, self._entry_key(key), findings)

    def _entry_key(self, key: str) -> str:
        """One string object per key, so that ``marshal`` writes it once, not per file."""
        full = self._entry_keys.get(key)
        if full is None:
            full = self._entry_keys[key] = f"{self.fingerprint()}\0{key}"
        return full

    def save(self) -> None:
        """Write the findings remembered in this run to the cache (with the summaries)."""
        for store in self._stores.values():
            store.save()


def slim(summary: ModuleSummary) -> ModuleSummary:
    """A summary without what only the parameter kinds need (they are computed already)."""
    return {k: v for k, v in summary.items() if k not in ("cs", "v")}
