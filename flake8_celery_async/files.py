"""Find the Python files to check, the way users expect from flake8 and pre-commit.

Explicit file arguments are always checked. Directories are walked without following
symlinks, skipping version control, virtualenvs, caches, ``node_modules``, build output and
whatever the user excludes (flake8's ``exclude``/``extend-exclude`` semantics: a pattern
matches a file or directory's base name or its absolute path). With ``gitignore=True``
(the codemod's default) paths ignored by the root's ``.gitignore`` files are skipped too.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from typing import Any

DEFAULT_EXCLUDE = (
    ".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".nox", ".eggs", "*.egg",
    ".venv", "venv", ".mypy_cache", ".pytest_cache", ".ruff_cache", "node_modules",
    "build", "dist", "site-packages", "__pypackages__", "*.egg-info",
)  # fmt: skip


@dataclass(frozen=True)
class Skipped:
    """A path that was named or found but cannot be checked, and why."""

    path: str
    reason: str


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    name = os.path.basename(path)
    if name not in {".", ".."} and any(fnmatch(name, p) for p in patterns):
        return True
    absolute = os.path.abspath(path)
    return any(fnmatch(absolute, p) for p in patterns)


def _normalize(patterns: Iterable[str], base: str) -> list[str]:
    """flake8's rule: a pattern with a path separator is relative to the config's directory."""
    return [
        os.path.abspath(os.path.join(base, p)).rstrip(os.sep) if os.sep in p else p
        for p in patterns
    ]


def _is_virtualenv(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "pyvenv.cfg"))


class _GitIgnore:
    """The root's ``.gitignore`` files, read with pathspec (loaded only when asked for)."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.specs: dict[str, Any] = {}

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
    patterns = [*DEFAULT_EXCLUDE, *_normalize(exclude, base)]
    skipped = skipped if skipped is not None else []
    for given in paths:
        if os.path.isdir(given):
            yield from _walk(given, patterns, gitignore, skipped)
        elif os.path.lexists(given):
            if not os.path.exists(given):
                skipped.append(Skipped(given, "dangling symlink"))
            elif not _excluded(given, _normalize(exclude, base)):
                yield given
        else:
            skipped.append(Skipped(given, "no such file or directory"))


def _walk(
    root: str, patterns: Sequence[str], gitignore: bool, skipped: list[Skipped]
) -> Iterator[str]:
    real_root = os.path.realpath(root)
    ignore = _GitIgnore(os.path.abspath(root)) if gitignore else None

    def onerror(error: OSError) -> None:
        skipped.append(Skipped(error.filename or root, f"cannot list directory: {error.strerror}"))

    for directory, dirnames, filenames in os.walk(root, onerror=onerror):
        if ignore is not None:
            ignore.add(os.path.abspath(directory))
        kept = []
        for d in sorted(dirnames):
            path = os.path.join(directory, d)
            if _excluded(path, patterns) or _is_virtualenv(path):
                continue
            if ignore is not None and ignore.ignored(os.path.abspath(path), True):
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            if _excluded(path, patterns):
                continue
            if ignore is not None and ignore.ignored(os.path.abspath(path), False):
                continue
            if os.path.islink(path):
                target = os.path.realpath(path)
                if not os.path.exists(target):
                    skipped.append(Skipped(path, "dangling symlink"))
                    continue
                if os.path.commonpath([target, real_root]) != real_root:
                    continue  # never follow a link out of the tree being walked
            yield path
