"""Project roots and module names: where a project starts and what its modules are called."""

from __future__ import annotations

import os

ROOT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg", "tox.ini", ".flake8")

_ROOTS: dict[str, str] = {}


def find_root(path: str) -> str:
    """The project root of ``path`` (a file or folder): the nearest folder up from it that
    holds a marker of a project or repository. When none does: the current folder if
    ``path`` is inside it (where flake8 is run is the project, as for its config), else the
    folder its top-level package is imported from (the nearest without ``__init__.py``)."""
    start = os.path.abspath(path)
    directory = start if os.path.isdir(start) else os.path.dirname(start)
    known = _ROOTS.get(directory)
    if known is None:
        known = _ROOTS[directory] = _find_root(directory)
    return known


_MARKED: dict[str, bool] = {}


def _marked(directory: str) -> bool:
    found = _MARKED.get(directory)
    if found is None:
        found = _MARKED[directory] = any(
            os.path.exists(os.path.join(directory, m)) for m in ROOT_MARKERS
        )
    return found


def seen(directory: str, names: set[str]) -> None:
    """Tell :func:`find_root` what a listing of ``directory`` (absolute) held: the index's
    walk lists every folder of a project, and flake8 then asks for the root of each."""
    _MARKED.setdefault(directory, not names.isdisjoint(ROOT_MARKERS))


_NEAREST: dict[str, str | None] = {}


def _nearest_marked(directory: str) -> str | None:
    """The nearest folder up from ``directory`` (itself included) with a marker: asked once
    per folder, so a tree of many folders checks each folder's markers once."""
    chain: list[str] = []
    current, found = directory, None
    while current not in _NEAREST:
        if _marked(current):
            found = current
            break
        chain.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    else:
        found = _NEAREST[current]
    for folder in chain:
        _NEAREST[folder] = found
    if found is not None:
        _NEAREST[found] = found
    return found


def _find_root(directory: str) -> str:
    marked = _nearest_marked(directory)
    if marked is not None:
        return marked
    cwd = os.getcwd()
    if directory == cwd or directory.startswith(cwd.rstrip(os.sep) + os.sep):
        return cwd
    root = directory
    while os.path.isfile(os.path.join(root, "__init__.py")) and os.path.dirname(root) != root:
        root = os.path.dirname(root)
    return root


def import_names(paths: list[str]) -> dict[str, list[str]]:
    """For each module, the shorter names it may be imported by: ``b.c`` for ``a/b/c.py``
    when ``a`` could be a ``sys.path`` entry (a ``src`` folder, an app run from a subfolder),
    never when ``a`` is a package (Django's ``proj/celery.py`` is not ``celery``)."""
    packages = {module_name(rel)[0] for rel in paths if rel.rpartition("/")[2] == "__init__.py"}
    names: dict[str, list[str]] = {}
    for rel in paths:
        name = module_name(rel)[0]
        parts = name.split(".")
        names[name] = [
            ".".join(parts[i:]) for i in range(1, len(parts)) if ".".join(parts[:i]) not in packages
        ]
    return names


def module_names(paths: list[str], names: dict[str, list[str]] | None = None) -> frozenset[str]:
    """Every name a module of these files may be imported by (see :func:`import_names`,
    whose answer ``names`` is, when the caller has it already)."""
    found: set[str] = set()
    for name, aliases in (import_names(paths) if names is None else names).items():
        found.add(name)
        found.update(aliases)
    return frozenset(found)


def module_name(rel: str) -> tuple[str, bool]:
    """``app/services/x.py`` -> ``("app.services.x", False)``; ``app/__init__.py`` -> package."""
    parts = rel.replace(os.sep, "/").removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False
