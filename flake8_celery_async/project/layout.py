"""Source roots: the folders on ``sys.path`` when the repository's code runs, by file.

Python finds ``app.tasks`` from whichever ``sys.path`` entry holds ``app/``; which one that is
depends on where the app is started (``uvicorn app.main:app`` from ``backend/``), whether the
package is pip-installed from ``src/``, or whether a folder is a namespace package without
``__init__.py``. Walking up ``__init__.py`` files guesses; the repository's own absolute imports
tell. Every ``import a.b`` / ``from a.b import c`` in a repository file that resolves to a
repository module from exactly one folder is a vote: that folder is a root of the importing
file, and of the imported one. Declared roots add to that: ``src`` beside a ``pyproject.toml``,
``setup.cfg`` or ``setup.py`` (installed with pip), and the folder holding ``manage.py`` (Django).
The ``celery-source-roots`` option names them instead (several at once are normal).

The checker's index names modules under these roots (see ``modules.import_names``); the codemod
asks :meth:`Layout.module_for` to name a module (the runtime) as seen from a file, or says why it
cannot: only names whose every part is an identifier are ever returned.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping

from ..syntax.source import decode
from .modules import is_dotted
from .statements import import_lines

_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import[ \t]+\(?[ \t]*([\w, \t]+)"
    rb"|import[ \t]+([\w.]+(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[\w.]+(?:[ \t]+as[ \t]+\w+)?)*))",
    re.M,
)
_SETTINGS = re.compile(rb"""DJANGO_SETTINGS_MODULE["']?\s*[,=:]\s*["']([\w.]+)["']""")
# Installed distributions a repository often has a same-named module of (config/celery.py).
THIRD_PARTY = frozenset(
    {
        *("aiohttp", "amqp", "billiard", "celery", "django", "fastapi", "flask", "httpx"),
        *("kombu", "pydantic", "quart", "redis", "requests", "sanic", "sqlalchemy"),
        *("starlette", "strawberry", "tornado", "uvicorn", "vine"),
    }
)
_PACKAGE_DIR = re.compile(
    r"""(?:\bwhere\s*=\s*\[?\s*["']([\w./-]+)["']"""  # setuptools find (pyproject, setup.cfg)
    r"""|\bfrom\s*=\s*["']([\w./-]+)["']"""  # poetry packages = [{include=..., from="lib"}]
    r"""|package_dir\s*=\s*\n?\s*=\s*([\w./-]+)"""  # setup.cfg package_dir = =lib
    r"""|package_dir\s*=\s*\{\s*["']["']\s*:\s*["']([\w./-]+)["']"""  # setup.py/pyproject
    r"""|^where\s*=\s*([\w./-]+)[ \t]*$)""",  # setup.cfg [options.packages.find] where = lib
    re.M,
)
PROJECT_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def _external(top: str) -> bool:
    return top in sys.stdlib_module_names or top in THIRD_PARTY


class Layout:
    """The repository's Python files (relative to ``root``) and the roots they import from.
    (A plain class: importing ``dataclasses`` costs the standalone checker's start-up.)"""

    def __init__(self, root: str) -> None:
        self.root = root
        self.files: set[str] = set()
        self.dirs: set[str] = set()
        self.tops: dict[str, set[str]] = {}
        """Top-level name -> folders holding a module or package of that name."""
        self.uses: dict[str, Counter[str]] = {}
        """File -> roots its own absolute imports resolve from (only those that resolve
        uniquely)."""
        self.imported_from: dict[str, set[str]] = {}
        """File -> roots from which other files import it."""
        self.declared: set[str] = set()
        self.configured: tuple[str, ...] = ()
        """The source roots the ``celery-source-roots`` option names: when set, they are
        the roots (the imports are not read)."""
        self._named: dict[str, tuple[str, str] | None] = {}

    @classmethod
    def build(
        cls,
        root: str,
        paths: Iterable[str],
        sources: Mapping[str, bytes | str],
        configured: Iterable[str] = (),
        relative: bool = False,
    ) -> Layout:
        """``paths``: every Python file of the repository; ``sources``: their contents by
        absolute path, to read imports from (a file missing there is read here);
        ``configured``: source roots relative to ``root`` (the option's), if any.
        ``relative``: ``paths`` and the keys of ``sources`` are relative to ``root`` already
        (the index's walk gives them so: a third of the time is ``os.path`` otherwise)."""
        layout = cls.start(root, paths, configured, relative)
        if layout.configured:
            return layout
        for rel in sorted(layout.files):
            key = rel if relative else os.path.join(layout.root, rel)
            data = sources.get(key)
            if data is None:
                data = _read(os.path.join(layout.root, rel))
            data = data.encode() if isinstance(data, str) else data
            layout.cast(rel, layout.resolved(rel, import_votes(data, import_lines(data))))
        return layout

    @classmethod
    def start(
        cls, root: str, paths: Iterable[str], configured: Iterable[str] = (), relative: bool = False
    ) -> Layout:
        """The layout before any import is read: its files, folders and declared roots, all
        that :meth:`resolved` needs (the index reads the imports on both cores, see ``scan``,
        and :meth:`cast` s their votes here)."""
        layout = cls(os.path.abspath(root))
        layout.configured = tuple(
            "" if r in (".", "./") else os.path.normpath(r.strip()).strip(os.sep)
            for r in configured
            if r.strip()
        )
        for path in paths:
            rel = path if relative else layout.rel(path)
            if rel is None:
                continue
            layout.files.add(rel)
            parent = os.path.dirname(rel)
            stem = os.path.basename(rel)[:-3]
            layout.tops.setdefault(stem, set()).add(parent)
            while parent:
                if parent in layout.dirs:
                    break
                layout.dirs.add(parent)
                grand = os.path.dirname(parent)
                layout.tops.setdefault(os.path.basename(parent), set()).add(grand)
                parent = grand
        if not layout.configured:
            layout._declared_roots()
        return layout

    def rel(self, path: str) -> str | None:
        rel = os.path.relpath(os.path.abspath(path), self.root)
        if rel.startswith(os.pardir) or not rel.endswith(".py"):
            return None
        return "" if rel == "." else rel

    # -- evidence --------------------------------------------------------------------------------

    def _declared_roots(self) -> None:
        for rel in self.files:
            directory, name = os.path.split(rel)
            if name == "manage.py":
                self.declared.add(directory)
        for directory in {"", *self.dirs}:
            here = os.path.join(self.root, directory)
            found = [n for n in PROJECT_FILES if os.path.isfile(os.path.join(here, n))]
            if not found:
                continue
            # Where the package lives when it is pip-installed: the project file says (setuptools
            # `where`/`package_dir`, poetry `from`), else `src` by convention, else beside it.
            named = {
                os.path.normpath(os.path.join(directory, m))
                for n in found
                for groups in _PACKAGE_DIR.findall(decode(_read(os.path.join(here, n))))
                for m in groups
                if m
            }
            named = {d if d != "." else "" for d in named}
            src = os.path.join(directory, "src") if directory else "src"
            roots = {d for d in named if d in self.dirs} or {src if src in self.dirs else directory}
            self.declared |= roots

    def resolved(self, rel: str, names: list[str]) -> list[tuple[str, str]]:
        """The votes of file ``rel``'s imported ``names`` (:func:`import_votes`): the (root,
        file) of each that names one repository module other than itself."""
        votes: list[tuple[str, str]] = []
        named = self._named
        for name in names:
            known = named[name] if name in named else named.setdefault(name, self._unique(name))
            if known is not None and known[1] != rel:
                votes.append(known)
        return votes

    def cast(self, rel: str, votes: list[tuple[str, str]]) -> None:
        """Count file ``rel``'s votes (:meth:`resolved`): for its roots, and its targets'."""
        if not votes:
            return
        uses: Counter[str] = Counter()
        for root, target in votes:
            uses[root] += 1
            self.imported_from.setdefault(target, set()).add(root)
        self.uses[rel] = uses

    def _unique(self, name: str) -> tuple[str, str] | None:
        """The one (root, file) an absolute import names, or None (asked once per name)."""
        parts = name.split(".")
        if not parts[0] or _external(parts[0]):
            return None
        found = [(r, t) for r in self.tops.get(parts[0], ()) if (t := self.target(r, parts))]
        return found[0] if len(found) == 1 else None

    def target(self, root: str, parts: list[str]) -> str | None:
        """The file ``parts`` names from ``root`` (a package's ``__init__.py``, or the folder)."""
        path = os.sep.join([root, *parts] if root else parts)  # os.path.join: 4x the time
        if path + ".py" in self.files:
            return path + ".py"
        if path in self.dirs:
            init = os.path.join(path, "__init__.py")
            return init if init in self.files else path
        return None

    # -- answers ---------------------------------------------------------------------------------

    def roots_of(self, path: str) -> list[str]:
        """The roots a file is imported from, best first (most votes); declared or walked up
        when the repository says nothing about it."""
        rel = self.rel(path)
        if rel is None:
            return []
        if self.configured:
            mine = sorted((r for r in self.configured if _under(rel, r)), key=len, reverse=True)
            if mine:
                return mine
        votes: Counter[str] = Counter(self.uses.get(rel, Counter()))
        for root in self.imported_from.get(rel, ()):
            votes[root] += 1
        package = os.path.dirname(rel)
        votes = Counter({r: n for r, n in votes.items() if _under(rel, r)})
        if votes:
            return [r for r, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))]
        declared = [r for r in self.declared if _under(rel, r)]
        if declared:
            return [max(declared, key=len)]
        while os.path.join(package, "__init__.py") in self.files and package:
            package = os.path.dirname(package)
        return [package]

    def search_roots(self, path: str) -> list[str]:
        """Where the file's process finds modules: its own roots, then the roots its imports
        resolve from (a package installed from ``src``, outside the file's own folder)."""
        own = self.roots_of(path)
        if self.configured:  # every one of them is on sys.path
            return own + [r for r in self.configured if r not in own]
        rel = self.rel(path)
        used = self.uses.get(rel, Counter()) if rel is not None else Counter()
        extra = [r for r, _ in sorted(used.items(), key=lambda kv: (-kv[1], kv[0])) if r not in own]
        return own + extra

    def module_for(self, target: str, importer: str, prefer: Iterable[str] = ()) -> str | None:
        """The dotted name ``importer`` imports ``target`` by, or None when no root of the
        importer holds it under a valid name. ``prefer``: roots to choose among several."""
        rel = self.rel(target)
        if rel is None:
            return None
        names: list[tuple[str, str]] = []
        for root in self.search_roots(importer):
            if _under(rel, root):
                sub = os.path.relpath(rel, root) if root else rel
                dotted = sub[:-3].replace(os.sep, ".")
                if dotted.endswith(".__init__"):
                    dotted = dotted[: -len(".__init__")]
                if is_dotted(dotted):
                    names.append((root, dotted))
        if not names:
            return None
        preferred = [n for r, n in names if r in set(prefer)]
        return (preferred or [n for _, n in names])[0]

    def resolve(self, importer: str, module: str, level: int = 0) -> str | None:
        """The repository file ``from <module> import`` names in ``importer`` (None: outside)."""
        rel = self.rel(importer)
        if rel is None:
            return None
        parts = [p for p in module.split(".") if p]
        if level:
            base = os.path.dirname(rel)
            for _ in range(level - 1):
                base = os.path.dirname(base)
            found = self.target(base, parts) if parts else self.target(base, [])
            return None if found is None else os.path.join(self.root, found)
        if not parts:
            return None
        for root in self.search_roots(importer) + sorted(self.tops.get(parts[0], ())):
            found = self.target(root, parts)
            if found is not None:
                return os.path.join(self.root, found)
        return None

    def source_roots(self) -> list[str]:
        """Every folder the repository's code is imported from (``""``: the root itself):
        the configured ones, else those its imports and project files show."""
        if self.configured:
            return sorted(set(self.configured))
        found = set(self.declared)
        for votes in self.uses.values():
            found.update(votes)
        for roots in self.imported_from.values():
            found.update(roots)
        return sorted(found)


def import_votes(data: bytes, starts: list[int]) -> list[str]:
    """The absolute names a source's imports (at its import lines, ``starts``) and Django
    settings name, in order: each a vote when it names one repository module."""
    names: list[str] = []
    for start in starts:
        match = _IMPORT.match(data, start)
        if match is None:
            continue
        module_b, names_b, plain_b = match.groups()
        if module_b is not None:
            module = module_b.decode()
            extra = [n.strip() for n in names_b.decode().replace("(", " ").split(",")]
            names += [module, *(f"{module}.{n}" for n in extra if n.isidentifier())]
        else:
            names += [part.split()[0] for part in plain_b.decode().split(",")]
    names += [match.group(1).decode() for match in _SETTINGS.finditer(data)]
    return names


def _under(rel: str, root: str) -> bool:
    return not root or rel.startswith(root + os.sep)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""
