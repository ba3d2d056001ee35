"""The one directory walk: the files to check, the way users expect from flake8 and
pre-commit (:func:`discover`), and a repository's files for its index (:func:`project_files`).

Explicit file arguments are always checked. Directories are walked without following
symlinks, skipping version control, virtualenvs, caches, ``node_modules``, build output and
whatever the user excludes (flake8's ``exclude``/``extend-exclude`` semantics: a pattern
matches a file or directory's base name or its absolute path). With ``gitignore=True``
(the codemod's default) paths ignored by the root's ``.gitignore`` files are skipped too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from fnmatch import translate

from .cache import CACHE_NAME
from .repository import seen

if False:  # for type checkers only: pathspec is imported when a .gitignore is read
    import pathspec

DEFAULT_EXCLUDE = (
    ".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg",
    ".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules",
    "build", "dist", "site-packages", "__pypackages__", "*.egg-info",
)  # fmt: skip
MAX_FILES = 20_000  # a root this big is not one project (a home folder): no index


class Skipped:
    """A path that was named or found but cannot be checked, and why."""

    __slots__ = ("path", "reason")

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason


class _Excluder:
    """flake8's exclude test, compiled once: a pattern matches the base name or absolute path."""

    def __init__(self, patterns: Sequence[str], names_only: bool | None = None) -> None:
        # Patterns that are names, or * and a name (the defaults), match an absolute path
        # only where they match its base name: a walk then joins no path per entry, and a
        # name is tested by a set and a suffix, without a regular expression.
        plain = all(map(_name_pattern, patterns))
        self.names_only = plain if names_only is None else names_only
        self._match: Callable[[str], object]
        if plain:
            self._names = frozenset(p for p in patterns if not p.startswith("*"))
            self._suffixes = tuple(p[1:] for p in patterns if p.startswith("*"))
            self._match = self._plain
        else:
            regex = "|".join(translate(p) for p in patterns) or "(?!)"
            self._match = re.compile(regex).match

    def _plain(self, name: str) -> bool:
        return name in self._names or (bool(self._suffixes) and name.endswith(self._suffixes))

    def __call__(self, path: str) -> bool:
        return self.match(os.path.basename(path), os.path.abspath(path))

    def match(self, name: str, absolute: str) -> bool:
        if name not in {".", ".."} and self._match(name):
            return True
        return not self.names_only and bool(self._match(absolute))


def _name_pattern(pattern: str) -> bool:
    """Does ``pattern`` match an absolute path only where it matches its base name? A name
    (``build``: an absolute path is longer), or ``*`` and a name (``*.egg``: the path ends
    with it where its base name does); not ``*cache*``, which matches every path below a
    ``cache`` folder, the root's ancestors included, nor a path."""
    name = pattern[1:] if pattern.startswith("*") else pattern
    return os.sep not in pattern and "/" not in pattern and not any(c in name for c in "*?[")


def _normalize(patterns: Iterable[str], base: str) -> list[str]:
    """flake8's rule: a pattern with a path separator is relative to the config's directory."""
    return [
        os.path.abspath(os.path.join(base, p)).rstrip(os.sep) if os.sep in p else p
        for p in patterns
    ]


VENV_MARKER = "pyvenv.cfg"  # a folder holding it is a virtualenv: never walked


class _Listing:
    """A folder's entries, sorted: (name, is a folder, is a link); and what walks ask of it."""

    __slots__ = ("entries", "names", "venv")

    def __init__(self, entries: list[tuple[str, bool, bool]]) -> None:
        self.entries = entries
        self.names = frozenset(name for name, _, _ in entries)
        self.venv = VENV_MARKER in self.names and any(
            name == VENV_MARKER and not is_dir for name, is_dir, _ in entries
        )


_LISTINGS: dict[str, tuple[int, _Listing]] = {}


def _listing(directory: str, absolute: str) -> _Listing:
    """A folder's listing, once per process while its modification time holds: a run walks
    the same folders twice (the files to check, then the index's), and a warm run is mostly
    these walks."""
    mtime = os.stat(directory).st_mtime_ns
    known = _LISTINGS.get(absolute)
    if known is not None and known[0] == mtime:
        return known[1]
    with os.scandir(directory) as listing:
        entries = sorted((e.name, e.is_dir(follow_symlinks=False), e.is_symlink()) for e in listing)
    found = _Listing(entries)
    _LISTINGS[absolute] = (mtime, found)
    return found


class _GitIgnore:
    """The root's ``.gitignore`` files, read with pathspec (loaded only when asked for)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.specs: dict[str, pathspec.GitIgnoreSpec] = {}

    def add(self, directory: str) -> None:
        path = os.path.join(directory, ".gitignore")
        if os.path.isfile(path):
            import pathspec

            with open(path, encoding="utf-8", errors="replace") as f:
                self.specs[directory] = pathspec.GitIgnoreSpec.from_lines(f)

    def ignored(self, path: str, is_dir: bool) -> bool:
        for directory, spec in self.specs.items():
            if path.startswith(directory + os.sep) or directory == self.root:
                rel = os.path.relpath(path, directory)
                if spec.match_file(rel + ("/" if is_dir else "")):
                    return True
        return False


def discover(
    paths: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    base: str = ".",
    gitignore: bool = False,
    skipped: list[Skipped] | None = None,
) -> Iterator[str]:
    """Yield the files to check; append what cannot be checked to ``skipped``."""
    user = _Excluder(_normalize(exclude, base))
    excluded = _Excluder([*DEFAULT_EXCLUDE, *_normalize(exclude, base)])
    skipped = skipped if skipped is not None else []
    for given in paths:
        if os.path.isdir(given):
            yield from _walk(given, excluded, gitignore, skipped)
        elif os.path.lexists(given):
            if not os.path.exists(given):
                skipped.append(Skipped(given, "dangling symlink"))
            elif not user(given):
                yield given
        else:
            skipped.append(Skipped(given, "no such file or directory"))


def project_files(root: str) -> tuple[list[str], list[str]]:
    """A repository's Python files and worker config files (paths relative to ``root``, with
    ``/``), for its index: the default excludes only, never the user's (a module excluded
    from the check may still define what a checked one calls). More than ``MAX_FILES``
    Python files: the walk stops (the caller sees that many plus one)."""
    python: list[str] = []
    configs: list[str] = []
    start = len(root.rstrip(os.sep)) + 1
    walk = _walk(root, _INDEXED, False, [], keep=_indexed, listed=seen)
    for path in walk:
        rel = path[start:].replace(os.sep, "/")
        if rel.endswith(".py"):
            python.append(rel)
            if len(python) > MAX_FILES:
                break
        else:
            configs.append(rel)
    return python, configs


# Files outside Python that start workers or hold their settings (``pools`` reads them).
_CONFIG_SUFFIXES = (
    ".dockerfile", ".mk", ".yml", ".yaml", ".sh", ".bash", ".ini", ".cfg", ".toml", ".conf",
    ".env", ".service",
)  # fmt: skip
_CONFIG_PREFIXES = ("dockerfile", "procfile", ".env", "entrypoint", "start", "run")
_CONFIG_NAMES = frozenset({"containerfile", "makefile", "gnumakefile", "justfile"})


def is_worker_config(name: str) -> bool:
    """Might a non-Python file of this name start a worker or hold its settings?"""
    lower = name.lower()
    return (
        lower.endswith(_CONFIG_SUFFIXES)
        or lower.startswith(_CONFIG_PREFIXES)
        or lower in _CONFIG_NAMES
    )


def _indexed(name: str) -> bool:
    return name.endswith(".py") or is_worker_config(name)


def _is_python(name: str) -> bool:
    return name.endswith(".py")


def _walk(
    root: str,
    excluded: _Excluder,
    gitignore: bool,
    skipped: list[Skipped],
    keep: Callable[[str], bool] = _is_python,
    listed: Callable[[str, frozenset[str]], None] | None = None,
) -> Iterator[str]:
    """Depth-first, sorted, with ``os.scandir`` (file types come free with the listing).
    ``keep``: which file names to yield; ``listed``: told each folder's (absolute) names."""
    real_root = os.path.realpath(root)
    ignore = _GitIgnore(os.path.abspath(root)) if gitignore else None
    sep = os.sep
    pending = [(root, os.path.abspath(root))]
    while pending:
        directory, absolute = pending.pop()
        try:
            listing = _listing(directory, absolute)
        except OSError as e:
            skipped.append(Skipped(directory, f"cannot list directory: {e.strerror}"))
            continue
        if directory is not root and listing.venv:
            continue  # a virtualenv inside the tree
        if ignore is not None:
            ignore.add(absolute)
        if listed is not None:
            listed(absolute, listing.names)
        # Joined by hand: os.path.join per entry was a tenth of a warm run.
        prefix = directory if directory.endswith(sep) else directory + sep
        full_prefix = absolute if absolute.endswith(sep) else absolute + sep
        names_only = excluded.names_only and ignore is None
        subdirs = []
        for name, is_dir, is_link in listing.entries:
            if is_dir:
                full = full_prefix + name
                if excluded.match(name, full):
                    continue
                if ignore is None or not ignore.ignored(full, True):
                    subdirs.append((prefix + name, full))
                continue
            if not keep(name):
                continue
            full = "" if names_only else full_prefix + name
            if excluded.match(name, full):
                continue
            if ignore is not None and ignore.ignored(full, False):
                continue
            path = prefix + name
            if is_link:
                target = os.path.realpath(path)
                if not os.path.exists(target):
                    skipped.append(Skipped(path, "dangling symlink"))
                    continue
                if os.path.commonpath([target, real_root]) != real_root:
                    continue  # never follow a link out of the tree being walked
                if os.path.isdir(target):
                    continue  # a linked directory named like a module
            yield path
        pending.extend(reversed(subdirs))


_INDEXED = _Excluder([*DEFAULT_EXCLUDE, CACHE_NAME], names_only=True)
