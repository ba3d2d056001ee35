"""What an expression evaluates to, inferred from the bindings in scope, the imports, the
project index and the call's shape (``kinds.Kind``; ``None``: unknown, and a rule fires on
a kind only when it is known)."""

from __future__ import annotations

import ast

from ..syntax.nodes import dotted
from .kinds import (
    APP_LIKE,
    CANVAS_FUNCS,
    LITERALS,
    POOL_CTORS,
    RESULT_CTORS,
    SIG_FUNCS,
    SIG_METHODS,
    SIG_PRESERVING,
    Kind,
    MaybeKind,
)

if False:  # for type checkers only
    from .frames import Frame
    from .walker import Walker


def kind_of(a: Walker, node: ast.expr, frame: Frame) -> MaybeKind:
    """The kind of an expression evaluated in ``frame``."""
    if isinstance(node, ast.Name | ast.Attribute):
        key = dotted(node)
        if key is not None:
            found, kind = frame.lookup(key)
            if found:
                return kind
        if isinstance(node, ast.Name):
            origin = frame.origin(node.id)
            if origin in ("celery.current_app", "celery.app.current_app"):
                return Kind.APP
            return a.imported_kind(origin) if origin else None
        if node.attr == "control" and is_app(a, node.value, frame):
            return Kind.CONTROL
        if node.attr in ("parent", "results") and kind_of(a, node.value, frame) == Kind.RESULT:
            return Kind.RESULT if node.attr == "parent" else Kind.RESULTS
        return None
    if isinstance(node, ast.Call):
        return call_kind(a, node, frame)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        if is_canvas(a, node.left, frame) or is_canvas(a, node.right, frame):
            return Kind.CANVAS
        return None
    if isinstance(node, ast.Await):
        return awaited_kind(a, node.value, frame)
    if isinstance(node, ast.IfExp):
        return kind_of(a, node.body, frame) or kind_of(a, node.orelse, frame)
    if isinstance(node, ast.ListComp | ast.GeneratorExp):  # [t.delay(i) for i in xs]
        return Kind.RESULTS if kind_of(a, node.elt, frame) == Kind.RESULT else Kind.NOT_CELERY
    if (
        isinstance(node, ast.List | ast.Tuple)
        and node.elts
        and all(kind_of(a, e, frame) == Kind.RESULT for e in node.elts)
    ):
        return Kind.RESULTS
    if isinstance(node, LITERALS):
        return Kind.NOT_CELERY
    return None


def call_kind(a: Walker, node: ast.Call, frame: Frame) -> MaybeKind:
    """The kind of what a call returns."""
    func = node.func
    if isinstance(func, ast.Name):
        name = func.id
        origin = frame.origin(name)
        celery_origin = origin.startswith("celery")
        real = origin.rpartition(".")[2] if celery_origin else name
        if real in RESULT_CTORS and not origin.startswith(("multiprocessing", "concurrent")):
            return Kind.RESULT
        if name == "list" and node.args:
            return Kind.RESULTS if kind_of(a, node.args[0], frame) == Kind.RESULTS else None
        if real in SIG_FUNCS and (not origin or celery_origin):
            return Kind.SIG
        if real in CANVAS_FUNCS and celery_origin:
            return Kind.CANVAS
        if "celery" in name.lower():  # Celery(...), make_celery(...), create_celery_app(...)
            return Kind.APP
        if name in POOL_CTORS:
            return Kind.NOT_CELERY
        return None
    if isinstance(func, ast.Attribute):
        attr = func.attr
        if attr in a.dispatch or attr == "send_task":
            plausible = a.plausible_dispatch(node, attr, func.value, frame)
            return Kind.RESULT if plausible else None
        if attr == "chunks":
            return Kind.CANVAS
        if attr in RESULT_CTORS:
            return Kind.RESULT
        if attr == "restore" and dotted(func.value) in ("GroupResult", "result.GroupResult"):
            return Kind.RESULT
        if attr in SIG_METHODS:
            return Kind.SIG
        if attr in CANVAS_FUNCS and dotted(func.value) in ("celery", "canvas", "celery.canvas"):
            return Kind.CANVAS
        if attr in SIG_PRESERVING:
            kind = kind_of(a, func.value, frame)
            if kind in (Kind.SIG, Kind.CANVAS):
                return kind
        if attr == "inspect" and kind_of(a, func.value, frame) == Kind.CONTROL:
            return Kind.INSPECT
        if attr.endswith("Celery"):
            return Kind.APP
        if attr in POOL_CTORS:
            return Kind.NOT_CELERY
        return None
    if isinstance(func, ast.Call | ast.BinOp | ast.Name) and calls_canvas(a, func, frame):
        return Kind.RESULT
    return None


def awaited_kind(a: Walker, node: ast.expr, frame: Frame) -> MaybeKind:
    """``await t.delayx()``, ``await asyncio.to_thread(t.delay, ...)`` and an awaited project
    function that returns a result give results."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in a.settings.async_names:
        return Kind.RESULT
    refs: list[ast.expr] = list(node.args[:2])
    if isinstance(func, ast.Call):  # sync_to_async(t.delay)(...)
        refs += func.args[:1]
    for ref in refs:
        if isinstance(ref, ast.Attribute) and (ref.attr in a.dispatch or ref.attr == "send_task"):
            return Kind.RESULT
    return a.returned_kind(func, frame)


def is_canvas(a: Walker, node: ast.expr, frame: Frame) -> bool:
    """A signature or canvas: ``t.s()``, ``chain(...)``, ``a | b``, or a name bound to one."""
    if kind_of(a, node, frame) in (Kind.SIG, Kind.CANVAS):
        return True
    if isinstance(node, ast.Call):
        name = dotted(node.func) or ""
        return name.rpartition(".")[2] in CANVAS_FUNCS
    return False


def calls_canvas(a: Walker, func: ast.expr, frame: Frame) -> bool:
    """Is ``func(...)`` a call of a chain, group, chord or chunks (which dispatches)?"""
    return kind_of(a, func, frame) == Kind.CANVAS


def is_app(a: Walker, node: ast.expr, frame: Frame) -> bool:
    if kind_of(a, node, frame) == Kind.APP:
        return True
    name = dotted(node)
    return name is not None and APP_LIKE.search(name.rpartition(".")[2]) is not None
