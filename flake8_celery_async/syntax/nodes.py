"""Small helpers over ``ast`` nodes: names, short renderings for messages, the walk's tables.

Standard library only (flake8 imports the checker on every run).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

# Nodes with nothing below them that matters: never pushed on the walk's stack.
LEAVES = frozenset(
    {ast.Name, ast.Constant, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal}
    | {
        cls
        for base in (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
        for cls in base.__subclasses__()
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
_STATEMENT_FIELDS: dict[type, tuple[str, ...]] = {}
_SKIP_FIELDS = frozenset(
    {"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "name", "module", "level",
     "conversion", "arg", "is_async", "lineno", "simple"}
)  # fmt: skip


def child_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that can hold child nodes (not ``ctx``, ``op``, names...)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f not in _SKIP_FIELDS)
    return fields


def statement_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that hold statements (or handlers and match cases)."""
    fields = _STATEMENT_FIELDS.get(cls)
    if fields is None:
        names = ("body", "orelse", "finalbody", "handlers", "cases")
        fields = _STATEMENT_FIELDS[cls] = tuple(f for f in cls._fields if f in names)
    return fields


_NAME, _ATTRIBUTE = ast.Name, ast.Attribute


def dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names, else ``None``. (Called for nearly every name and call
    the walk meets: ``x`` and ``x.y`` without a loop; the parser makes no subclasses.)"""
    cls = node.__class__
    if cls is _NAME:
        return node.id  # type: ignore[attr-defined,no-any-return]
    if cls is not _ATTRIBUTE:
        return None
    value = node.value  # type: ignore[attr-defined]
    if value.__class__ is _NAME:
        return f"{value.id}.{node.attr}"  # type: ignore[attr-defined]
    parts: list[str] = [node.attr]  # type: ignore[attr-defined]
    while value.__class__ is _ATTRIBUTE:
        parts.append(value.attr)
        value = value.value
    if value.__class__ is _NAME:
        parts.append(value.id)
        return ".".join(reversed(parts))
    return None


def last_name(node: ast.expr) -> str:
    """The last part of a dotted name (``c`` of ``a.b.c``), or ``""``."""
    return (dotted(node) or "").rpartition(".")[2]


def source(node: ast.expr, limit: int = 48) -> str:
    """A short, readable rendering of an expression for messages."""
    try:
        text = ast.unparse(node)
    except RecursionError:  # pragma: no cover - absurdly deep expressions
        text = "..."
    if len(text) <= limit:
        return text
    name = dotted(node)
    if name is not None:
        text = name
    elif isinstance(node, ast.Call):
        text = source(node.func, limit) + "(...)"
    elif isinstance(node, ast.Attribute):
        text = source(node.value, limit) + "." + node.attr
    elif isinstance(node, ast.Subscript):
        text = source(node.value, limit) + "[...]"
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def callee_source(node: ast.expr) -> str:
    """``source`` for the callee of a call: operators need their parentheses back."""
    text = source(node)
    return f"({text})" if isinstance(node, ast.BinOp | ast.IfExp | ast.BoolOp | ast.Await) else text


def is_self_attr(node: ast.expr) -> bool:
    """``self.x`` or ``cls.x``."""
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in ("self", "cls")
    )


def target_names(node: ast.expr) -> Iterator[str]:
    """The names an assignment target binds."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for elt in node.elts:
            yield from target_names(elt)
    elif isinstance(node, ast.Starred):
        yield from target_names(node.value)


def parameters(args: ast.arguments) -> Iterator[ast.arg]:
    """Every parameter of a ``def`` or ``lambda``, in order."""
    yield from args.posonlyargs
    yield from args.args
    if args.vararg is not None:
        yield args.vararg
    yield from args.kwonlyargs
    if args.kwarg is not None:
        yield args.kwarg


def defaults(args: ast.arguments) -> list[ast.expr]:
    """The default values (positional and keyword-only): they run where the def runs."""
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def parameter_defaults(args: ast.arguments) -> Iterator[tuple[ast.arg, ast.expr | None]]:
    """Every parameter with its default value (``None`` when it has none)."""
    positional = [*args.posonlyargs, *args.args]
    padded = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    yield from zip(positional, padded, strict=True)
    if args.vararg is not None:
        yield args.vararg, None
    yield from zip(args.kwonlyargs, args.kw_defaults, strict=True)
    if args.kwarg is not None:
        yield args.kwarg, None
