"""The checker's shape: imports only go down the layers, no import cycle (type-only and
function-local imports count)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "flake8_celery_async"
NAME = PACKAGE.name
# Bottom to top: what every layer shares, then the folders, then the public entry points.
LAYERS = (
    ("", "settings", "findings"),
    ("syntax",),
    ("scopes",),
    ("rules",),
    ("analysis",),
    ("project",),
    ("pipeline",),
    ("frontends",),
    ("plugin", "cli", "__main__"),
)


def modules() -> dict[str, Path]:
    """Module name (``syntax.nodes``; ``rules`` for a package's ``__init__``) -> file."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module of the package this one imports, anywhere in it (``if False:`` and
    ``TYPE_CHECKING`` blocks, function bodies)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                module = ".".join([*base, *([node.module] if node.module else [])])
                module = f"{NAME}.{module}" if module else NAME
            else:
                module = node.module or ""
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        for target in targets:
            if target == NAME or target.startswith(NAME + "."):
                inner = target[len(NAME) + 1 :]
                if inner in known and inner != name:
                    found.add(inner)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name: str) -> int:
    top = name.partition(".")[0]
    for n, members in enumerate(LAYERS):
        if top in members or name in members:
            return n
    raise AssertionError(f"{name}: in no layer; add it to LAYERS")


def test_imports_only_go_down_the_layers() -> None:
    upward = [
        f"{name} (layer {layer(name)}) imports {target} (layer {layer(target)})"
        for name, targets in sorted(graph().items())
        for target in sorted(targets)
        if layer(target) > layer(name)
    ]
    assert upward == []


def test_no_import_cycles() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert [" -> ".join(c) for c in cycles] == []


def test_the_graph_sees_type_only_and_local_imports() -> None:
    """The check above would pass vacuously if the walk missed imports."""
    edges = graph()
    assert "pipeline.check" in edges["frontends.command_line"]
    assert "analysis.analyzer" in edges["pipeline.check"]  # imported inside a function
    assert "rules" in edges["analysis.analyzer"]
