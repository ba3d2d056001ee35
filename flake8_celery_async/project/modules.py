"""Module names and the test-file rule, each defined once (the index and the codemod use
them): what a file's module is called, by which shorter names it may be imported, and
whether a file is a test."""

from __future__ import annotations

import keyword
import os
from collections.abc import Iterable

TEST_FOLDERS = frozenset({"test", "tests", "testing", "docs", "examples"})


def module_name(rel: str) -> tuple[str, bool]:
    """``app/services/x.py`` -> ``("app.services.x", False)``; ``app/__init__.py`` -> package."""
    parts = rel.replace(os.sep, "/").removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def is_dotted(name: str) -> bool:
    """Every part an identifier and no keyword: a module path Python can import."""
    return all(p.isidentifier() and not keyword.iskeyword(p) for p in name.split("."))


def is_test_file(rel: str) -> bool:
    """Tests (and docs and examples) say nothing about how the project runs: a test module
    (:func:`is_test_module`), or a file under a folder of those names."""
    parts = rel.replace(os.sep, "/").split("/")
    return is_test_module(parts[-1]) or any(p in TEST_FOLDERS for p in parts[:-1])


def is_test_module(rel: str) -> bool:
    """A module the test runner collects (``test_*.py``, ``*_test.py``) or ``conftest.py``:
    one nothing imports (a test folder's helpers and factories are imported, and are not)."""
    name = rel.replace(os.sep, "/").rpartition("/")[2]
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


def import_names(paths: list[str], roots: Iterable[str] | None = None) -> dict[str, list[str]]:
    """For each module (by its name from the repository root), the shorter names it may be
    imported by. ``roots``: the source roots (folders on ``sys.path``, relative to the
    repository root, ``""`` for the root itself), when known; every module under one is
    importable by its name from there. Without them, or besides inferred ones: ``b.c`` for
    ``a/b/c.py`` when ``a`` could be a ``sys.path`` entry (a ``src`` folder, an app run
    from a subfolder), never when ``a`` is a package (Django's ``proj/celery.py`` is not
    ``celery``)."""
    packages = {module_name(rel)[0] for rel in paths if rel.rpartition("/")[2] == "__init__.py"}
    prefixes = sorted({r.strip("/") for r in roots or () if r.strip("/")})
    names: dict[str, list[str]] = {}
    for rel in paths:
        name = module_name(rel)[0]
        parts = name.split(".")
        shorter = [
            ".".join(parts[i:]) for i in range(1, len(parts)) if ".".join(parts[:i]) not in packages
        ]
        for root in prefixes:
            if rel.startswith(root + "/"):
                alias = module_name(rel[len(root) + 1 :])[0]
                if alias and alias not in shorter and is_dotted(alias):
                    shorter.append(alias)
        names[name] = shorter
    return names


def module_names(paths: list[str], names: dict[str, list[str]] | None = None) -> frozenset[str]:
    """Every name a module of these files may be imported by (see :func:`import_names`,
    whose answer ``names`` is, when the caller has it already)."""
    found: set[str] = set()
    for name, aliases in (import_names(paths) if names is None else names).items():
        found.add(name)
        found.update(aliases)
    return frozenset(found)
