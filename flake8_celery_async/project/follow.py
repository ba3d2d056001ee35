"""What the project index's later rounds read: the files that import what it found.

Round one reads the modules with Celery's words (``indexer``). Then ``Index.found`` holds,
by module, the names of what the index found there (a helper that blocks, an async def that
returns a result, a function whose parameters get kinds, a class with such a method, a
Tornado handler class, an instance of one of those, an import of any of them). A later
round reads a file whose ``import a.b`` names such a module (or a package above one), or
whose ``from a import b`` takes such a name (through re-exports) or such a module; and the
modules of functions that a summarized call passes a Celery kind (:func:`passed_to`). A file
that only says the same name (its own ``send_email``, a call of some ``main()``) is not read;
a subclass in another module imports its base class, and is.

A file's text is asked first (does it say one of those names, or the last name of such a
module?); only then are its import statements parsed, and only those.
"""

from __future__ import annotations

import ast
import re
import warnings

from ..scopes.context import ModuleContext
from ..scopes.kinds import Kind
from ..syntax.words import Words
from .index import Index
from .modules import module_name
from .statements import Said, import_lines, said_imports

if False:  # for type checkers only
    from ..analysis.summary import ModuleSummary

Imports = list[tuple[str, "tuple[str, ...] | None"]]
"""A file's imports: (absolute module, the names taken from it; ``None``: ``import module``)."""

_STATEMENT = re.compile(rb"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+\w)", re.M)
_PASSED = frozenset(int(k) for k in (Kind.RESULT, Kind.SIG, Kind.CANVAS, Kind.RESULTS))


def import_statements(
    data: bytes, starts: list[int] | None = None
) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of a source, wherever they are (a function's too), parsed
    without the rest: a parenthesized or continued statement is taken whole. ``starts``:
    the source's import lines (``statements.import_lines``), if known already."""
    pieces: list[bytes] = []
    for line in import_lines(data) if starts is None else starts:
        match = _STATEMENT.match(data, line)
        if match is None:
            continue
        start = end = match.end()
        while True:
            newline = data.find(b"\n", end)
            end = len(data) if newline < 0 else newline + 1
            piece = data[start:end]
            opened = piece.count(b"(") > piece.count(b")")
            if end >= len(data) or not (opened or piece.rstrip().endswith(b"\\")):
                break
        pieces.append(data[match.start() : end].lstrip())
    nodes: list[ast.Import | ast.ImportFrom] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for tree in _parse(b"\n".join(pieces), pieces):
            nodes.extend(n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom))
    return nodes


def _parse(joined: bytes, pieces: list[bytes]) -> list[ast.Module]:
    """All the statements in one parse; one by one when some line was no import after all
    (a docstring's "import this ..."): those are left out. A piece that does not parse
    whole (a parenthesis in a comment took more lines) is tried on its first line."""
    try:
        return [ast.parse(joined)]
    except (SyntaxError, ValueError):
        pass
    trees = []
    for piece in pieces:
        for text in (piece, piece.partition(b"\n")[0]):
            try:
                trees.append(ast.parse(text))
            except (SyntaxError, ValueError):
                continue
            break
    return trees


def imports_of(data: bytes, rel: str, starts: list[int] | None = None) -> Imports:
    """What the file at ``rel`` imports, by absolute name (relative imports resolved)."""
    name, is_package = module_name(rel)
    context = ModuleContext(None, name, rel, is_package)
    found: Imports = []
    for node in import_statements(data, starts):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        else:
            module = node.module or ""
            if node.level:
                module = context.relative(node.level, module)
            if module:
                found.append((module, tuple(alias.name for alias in node.names)))
    return found


class Reader:
    """The later rounds' view of the files: their imports, each read once."""

    def __init__(
        self,
        datas: dict[str, bytes],
        lines: dict[str, list[int]] | None = None,
        said: dict[str, Said] | None = None,
    ) -> None:
        self.datas = datas
        self.lines = lines or {}  # their import lines, where the text pass has read them
        self._imports: dict[str, Imports] = {}
        self._said: dict[str, Said] = dict(said or {})  # what those say, where read already

    def said(self, rel: str) -> Said:
        found = self._said.get(rel)
        if found is None:
            data = self.datas[rel]
            starts = self.lines.get(rel)
            starts = import_lines(data) if starts is None else starts
            found = self._said[rel] = said_imports(data, rel, starts)
        return found

    def imports(self, rel: str) -> Imports:
        found = self._imports.get(rel)
        if found is None:
            found = self._imports[rel] = imports_of(self.datas[rel], rel, self.lines.get(rel))
        return found


class Found:
    """What one round's index found, by the names an import reaches it by."""

    def __init__(self, index: Index) -> None:
        self.index = index
        names = {n for m in index.found for n in (m, *index.shorter_names(m))}
        self.names = names  # the modules that hold something found
        # Those and the packages above them (``import app.services``: app.services.email).
        self.within = {n.rsplit(".", i)[0] for n in names for i in range(n.count(".") + 1)}
        self.words = {w for ws in index.found.values() for w in ws}  # what they hold
        # The names a file that reaches them says: the modules' last parts, what they hold.
        self.says = Words(
            sorted({*(n.rpartition(".")[2].encode() for n in names), *map(str.encode, self.words)})
        )

    def reached(self, reader: Reader, importers: Importers, rels: list[str]) -> list[str]:
        """Those of ``rels`` (in order) that :meth:`reached_by` this round's finds."""
        if not self.names:
            return []
        maybe = importers.of(self)
        return [rel for rel in rels if rel in maybe and self.reached_by(reader, rel, said=True)]

    def reached_by(self, reader: Reader, rel: str, said: bool = False) -> bool:
        """Does the file at ``rel`` import a module that holds something found (``import``),
        or a name that resolves to something found (``from ... import``)? ``said``: what its
        import lines say may reach something found (see :class:`Importers`)."""
        if not self.names:
            return False
        if not said:
            unsure, lines = reader.said(rel)
            if not unsure and not any(self._may_reach(m, taken) for m, taken in lines):
                return False  # its import lines name nothing found: no need to read it all
        # It names what was found, and its parsed imports reach it (the cheaper test first).
        return bool(self.says.named_in(reader.datas[rel])) and self._imports_reach(reader, rel)

    def _imports_reach(self, reader: Reader, rel: str) -> bool:
        importer = ""
        for module, taken in reader.imports(rel):
            if taken is None:  # import a.b.c: a, a.b, a.b.c, and the modules below a.b.c
                parts = module.split(".")
                if module in self.within or any(
                    ".".join(parts[:i]) in self.names for i in range(1, len(parts))
                ):
                    return True
                continue
            for name in taken:
                if name == "*":
                    found = module in self.names
                elif f"{module}.{name}" in self.within:  # a module, or a package of them
                    found = True
                elif name in self.words:
                    importer = importer or module_name(rel)[0]
                    found = self._holds(f"{module}.{name}", importer)
                else:
                    found = False
                if found:
                    return True
        return False

    def _may_reach(self, module: str, taken: tuple[str, ...] | None) -> bool:
        """The test below for one import, without the lookups through re-exports (a name
        found anywhere will do): what the text says can only reach more than it imports."""
        if taken is None:
            parts = module.split(".")
            return module in self.within or any(
                ".".join(parts[:i]) in self.names for i in range(1, len(parts))
            )
        return any(
            (name == "*" and module in self.names)
            or f"{module}.{name}" in self.within
            or name in self.words
            for name in taken
        )

    def _holds(self, target: str, importer: str) -> bool:
        """Is ``target`` something found (through re-exports)?"""
        origin = self.index.resolve(target, importer)
        return origin is not None and origin[1].partition(".")[0] in self.index.found.get(
            origin[0]["m"], ()
        )


def reaches_found(index: Index, reader: Reader, rel: str) -> bool:
    """The check's test after the index's words (``Index.may_matter``): does the file at
    ``rel`` (read by ``reader``) hold or import something the index found (the later rounds'
    test)? A file that only says a found name (its own ``upgrade``, an ``upgrade`` column)
    is not analyzed."""
    if not index.found or module_name(rel)[0] in index.found:
        return True
    found = index.following
    if not isinstance(found, Found):
        found = index.following = Found(index)
    return found.reached_by(reader, rel)


class Importers:
    """The files by what their import lines say they import (``Reader.said``), gathered once
    for the later rounds: a round looks up the names it found instead of asking every file
    about each of its imports (:meth:`Found._may_reach`, inverted; the same files pass)."""

    def __init__(self, reader: Reader, rels: list[str]) -> None:
        self.unsure: set[str] = set()  # the text alone does not tell: always read
        self.modules: dict[str, set[str]] = {}  # import a.b.c: "a.b.c"
        self.packages: dict[str, set[str]] = {}  # import a.b.c: "a", "a.b"
        self.taken: dict[str, set[str]] = {}  # from m import x: "m.x"
        self.names: dict[str, set[str]] = {}  # from m import x: "x"
        self.stars: dict[str, set[str]] = {}  # from m import *: "m"
        for rel in rels:
            unsure, said = reader.said(rel)
            if unsure:
                self.unsure.add(rel)
                continue
            for module, taken in said:
                if taken is None:
                    self.modules.setdefault(module, set()).add(rel)
                    parts = module.split(".")
                    for i in range(1, len(parts)):
                        self.packages.setdefault(".".join(parts[:i]), set()).add(rel)
                    continue
                for name in taken:
                    if name == "*":
                        self.stars.setdefault(module, set()).add(rel)
                    else:
                        self.taken.setdefault(f"{module}.{name}", set()).add(rel)
                        self.names.setdefault(name, set()).add(rel)

    def of(self, found: Found) -> set[str]:
        """The files whose import lines may reach what ``found`` holds."""
        hits = set(self.unsure)
        for table, keys in (
            (self.modules, found.within), (self.taken, found.within),
            (self.packages, found.names), (self.stars, found.names),
            (self.names, found.words),
        ):  # fmt: skip
            for key in keys:
                hits.update(table.get(key, ()))
        return hits


def imports_app(index: Index, reader: Reader, rel: str, library: str) -> bool:
    """Does the file import ``library`` (``celery``), or a project module's Celery app?"""
    importer = module_name(rel)[0]
    for module, taken in reader.imports(rel):
        if module.partition(".")[0] == library:
            return True
        for target in [module, *(f"{module}.{n}" for n in taken or () if n != "*")]:
            found = index.resolve(target, importer)
            if found is None:
                continue
            summary, qual = found
            kinds = summary["k"]
            if (not qual and int(Kind.APP) in kinds.values()) or kinds.get(qual) == Kind.APP:
                return True
    return False


def module_paths(python: list[str], aliases: dict[str, list[str]]) -> dict[str, str]:
    """Every name a module may be imported by -> its path (names two modules share: none)."""
    paths: dict[str, str] = {}
    shared: set[str] = set()
    for rel in python:
        name = module_name(rel)[0]
        for alias in (name, *aliases.get(name, ())):
            if alias in paths and paths[alias] != rel:
                shared.add(alias)
            paths[alias] = rel
    return {name: rel for name, rel in paths.items() if name not in shared}


def passed_to(summary: ModuleSummary, paths: dict[str, str]) -> set[str]:
    """The paths of the modules whose functions this module's calls pass a Celery kind."""
    found: set[str] = set()
    for target, positional, keywords, _star in summary["cs"]:
        if _PASSED.isdisjoint(positional) and _PASSED.isdisjoint(keywords.values()):
            continue
        parts = target.split(".")
        for i in range(len(parts) - 1, 0, -1):
            rel = paths.get(".".join(parts[:i]))
            if rel is not None:
                found.add(rel)
                break
    return found


def index_may_change(index: Index, summary: ModuleSummary) -> bool:
    """Can summarizing this module again, with the index in hand, change its summary? Only
    when its functions' parameters get kinds, or its imports, calls or base classes reach
    what the index knows about: a function whose parameters get kinds (a reference to it
    vetoes them), an async def that returns a result, a name of a known kind, a factory of a
    project class, a Tornado handler class."""
    if summary["p"] in index.paths:
        return True
    module = summary["m"]
    targets = [
        *summary["i"].values(),
        *(site[0] for site in summary["cs"]),
        *(call for info in summary["f"].values() for call in info[2]),
        *(base for bases in summary["c"].values() for base in bases),
    ]
    for target in dict.fromkeys(targets):
        found = index.resolve(target, module)
        if found is not None and _knows(index, *found):
            return True
    return False


def _knows(index: Index, summary: ModuleSummary, qual: str) -> bool:
    """Does the index know a kind of ``qual`` in this module (of anything in it, for ``""``)?"""
    module = summary["m"]
    if not qual:
        return bool(
            summary["r"] or summary["k"] or summary.get("ra")
            or summary["p"] in index.paths  # it defines a function whose parameters do
            or any(index.is_tornado(f"{module}.{cls}", module) for cls in summary["c"])
        )  # fmt: skip
    return (
        qual in summary["r"] or qual in summary["k"] or qual in summary.get("ra", {})
        or f"{module}.{qual}" in index.params
        or (qual in summary["c"] and index.is_tornado(f"{module}.{qual}", module))
    )  # fmt: skip
