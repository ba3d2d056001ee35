"""The codemod's shape, as tests/test_layers.py checks the checker's: imports only go down
the layers (function-local imports count; none goes sideways, so no cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "codemod"
INSTALLED = "celery_async_codemod"  # the folder installs under this name (see pyproject.toml)
# Bottom to top: what a file holds and the edit data, the edits of one file, one file's fix,
# the work in the pool, the whole run's plan, the entry points. A module imports only from
# layers strictly below its own, so there is no import cycle either.
LAYERS = (
    ("runtime", "edits", "bindings", "project"),
    ("requirement", "report", "imports", "factory"),
    ("rewriter",),
    ("command", "fixer"),
    ("writer", "jobs"),
    ("plan", "survey"),
    ("installs",),
    ("planner",),
    ("cli",),
    ("__main__",),
)


def modules() -> dict[str, Path]:
    return {path.stem: path for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__init__"}


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of the package this one imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names = [node.module] if node.module else [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(INSTALLED):
            names = [(node.module or "").partition(".")[2]] + [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.partition(".")[2] for a in node.names if a.name.startswith(INSTALLED)]
        else:
            continue
        found |= {n for n in names if n in known and n != path.stem}
    return found


def layer(name: str) -> int:
    for n, members in enumerate(LAYERS):
        if name in members:
            return n
    raise AssertionError(f"{name}: in no layer; add it to LAYERS")


def test_imports_only_go_down_the_layers() -> None:
    known = modules()
    edges = {name: imports(path, known) for name, path in known.items()}
    assert edges["planner"] >= {"survey", "plan", "installs", "jobs"}  # the walk sees imports
    assert "imports" in edges["command"]
    upward = [
        f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, targets in sorted(edges.items())
        for target in sorted(targets)
        if layer(target) >= layer(name)
    ]
    assert upward == []
