"""Where a repository starts: its version-control root, else the path the user gave.

A nested ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``tox.ini`` never splits a
repository (a monorepo's ``backend/pyproject.toml``, a route module named ``setup.py``): the
whole repository is one project, with one index and one cache at its root. Where the user
stands changes neither. (flake8's config is still found the way flake8 finds it, from the
current folder up: see ``frontends.config``.)
"""

from __future__ import annotations

import os
from collections.abc import Iterable

VCS_MARKERS = (".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".pijul", ".fslckout", "_FOSSIL_")
"""What marks a version-control root (``.git`` is a folder, or a file in a worktree)."""

_VCS: dict[str, str | None] = {}  # folder -> the nearest version-control root up from it
_HAS: dict[str, bool] = {}  # folder -> holds a marker
_GIVEN: list[str] = []  # the paths the user gave this run (absolute folders), see given()


def given(paths: Iterable[str]) -> None:
    """Tell the model which paths the user named (the front ends do, before anything is
    indexed): outside version control, the folder named that holds a file is its root (a
    file named is no root: its folder is rarely the whole project)."""
    _GIVEN[:] = sorted({os.path.abspath(p) for p in paths if os.path.isdir(p)}, key=len)


def seen(directory: str, names: frozenset[str]) -> None:
    """What a listing of ``directory`` (absolute) held: the index's walk lists every folder of
    a repository, and flake8 then asks for the root of each file."""
    _HAS.setdefault(directory, not names.isdisjoint(VCS_MARKERS))


def vcs_root(directory: str) -> str | None:
    """The nearest folder up from ``directory`` (absolute, itself included) that is a
    version-control root; each folder is asked once. The home folder never is (a dotfiles
    repository there is not every project's below it; flake8 stops below it too)."""
    chain: list[str] = []
    current, found = directory, None
    home = _home()
    while current not in _VCS:
        if current == home:
            break
        has = _HAS.get(current)
        if has is None:
            has = _HAS[current] = any(os.path.exists(os.path.join(current, m)) for m in VCS_MARKERS)
        if has:
            found = current
            break
        chain.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    else:
        found = _VCS[current]
    for folder in chain:
        _VCS[folder] = found
    if found is not None:
        _VCS[found] = found
    return found


def _home() -> str:
    """``~``, as ``expanduser`` finds it (its ``HOME`` lookup first, without the call)."""
    home = os.environ.get("HOME") if os.name == "posix" else None
    return home.rstrip("/") or "/" if home else os.path.expanduser("~")


def find_root(path: str) -> str:
    """The repository root of ``path`` (a file or folder; absolute is returned).

    The version-control root above it; else the outermost folder the user named that holds
    it (see :func:`given`); else the current folder when it holds it (where flake8 is run);
    else the folder above the file's top-level package."""
    return folder_root(_folder(os.path.abspath(path)))


def folder_root(directory: str) -> str:
    """:func:`find_root` of a folder (absolute, known to exist)."""
    found = vcs_root(directory)
    if found is not None:
        return found
    for folder in _GIVEN:  # outermost first
        if _inside(directory, folder):
            return folder
    cwd = os.getcwd()
    if _inside(directory, cwd):
        return cwd
    root = directory
    while os.path.isfile(os.path.join(root, "__init__.py")) and os.path.dirname(root) != root:
        root = os.path.dirname(root)
    return root


def repository_root(paths: Iterable[str]) -> str:
    """The one repository these paths belong to (the codemod's question): the root of the
    first, widened to the folder all of them share when they lie in several."""
    given_paths = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    roots = {find_root(p) for p in given_paths}
    if len(roots) == 1:
        return roots.pop()
    return os.path.commonpath([*roots])


def _folder(path: str) -> str:
    return path if os.path.isdir(path) else os.path.dirname(path)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
