"""What an expression is known to be: a Celery result, a signature, an app, ... or unknown.

``Kind`` values are what scopes bind names to; :func:`kind_of` infers one for an expression
from the bindings in scope, the imports and the call's shape. Unknown (``None``) stays
unknown: a rule fires on a kind only when it is known (precision first).
"""

from __future__ import annotations

import ast
import re
from enum import IntEnum

from ..syntax.nodes import dotted

if False:  # for type checkers only (the analysis imports this module)
    from .bindings import Bindings as Analysis
    from .frames import Frame


class Kind(IntEnum):
    RESULT = 1  # AsyncResult, GroupResult, ResultSet: reads go to the result backend
    SIG = 2  # a signature: t.s(), signature(...)
    CANVAS = 3  # chain, group, chord, chunks, a | b: calling one dispatches
    APP = 4  # a Celery app
    CONTROL = 5  # app.control
    INSPECT = 6  # app.control.inspect()
    NOT_CELERY = 7  # known to be something else (a literal, a pool, a list...)
    RESULTS = 8  # a list of results
    TASK = 9  # a task (from the project index)


MaybeKind = Kind | None

DISPATCH = frozenset({"delay", "apply_async"})
RESULT_METHODS = frozenset(
    {"abort", "get", "wait", "ready", "successful", "failed", "collect", "forget", "revoke", "join",
     "join_native", "completed_count", "waiting", "save", "delete"}
)  # fmt: skip
RESULT_PROPERTIES = frozenset(
    {"state", "status", "result", "info", "traceback", "children", "date_done", "name", "args",
     "kwargs", "worker", "retries", "queue"}
)  # fmt: skip
SIG_METHODS = frozenset({"s", "si", "signature", "subtask", "map", "starmap"})
SIG_FUNCS = frozenset({"signature", "subtask", "maybe_signature"})
CANVAS_FUNCS = frozenset({"chain", "group", "chord", "chunks"})
SIG_PRESERVING = frozenset({"clone", "set", "replace", "on_error", "set_immutable"})
RESULT_CTORS = frozenset({"AsyncResult", "GroupResult", "ResultSet", "AbortableAsyncResult"})
POOL_CTORS = frozenset(
    {"Pool", "ThreadPool", "ProcessPoolExecutor", "ThreadPoolExecutor", "get_context"}
)
# Calls whose direct arguments are awaitables: a dispatch-named call passed to one of these is
# a coroutine of some async library, not Celery's synchronous method.
CORO_CONSUMERS = frozenset(
    {"gather", "create_task", "ensure_future", "wait_for", "shield", "run_coroutine_threadsafe",
     "run_until_complete"}
)  # fmt: skip
# Decorators that make a sync function run off the loop when called (it returns an awaitable).
OFFLOADING_DECORATORS = frozenset(
    {"sync_to_async", "database_sync_to_async", "run_in_threadpool", "to_thread", "asyncify"}
)
NOT_CELERY_MODULES = frozenset(
    {"asyncio", "trio", "anyio", "time", "pygame", "multiprocessing", "concurrent", "threading",
     "reactivex", "rx", "aiostream", "billiard"}  # ReactiveX: ops.delay(0.5) is an operator
)  # fmt: skip
OTHER_TASK_QUEUES = frozenset(
    {"taskiq", "flask_apscheduler", "arq", "dramatiq", "huey", "apscheduler", "rq", "saq",
     "django_rq", "rq_scheduler", "flask_rq2", "django_q", "remoulade",
     "procrastinate", "faststream", "prefect", "dagster", "streaq", "rocketry", "aiocron"}
)  # fmt: skip
# Worker pools that run ``async def`` tasks on an event loop (so CEL008 does not apply).
ASYNC_POOLS = frozenset({"celery_aio_pool", "celery_pool_asyncio"})
# ``capp``: Flower's and Celery's own short name for a Celery app.
APP_LIKE = re.compile(r"(^|_)(c?app|application)($|_)|celery", re.IGNORECASE)
SIG_LIKE = re.compile(
    r"^(sigs?|signatures?|canvas|workflow|chain|group|chord|header|callback)$"
    r"|_(sigs?|signatures?|canvas|workflow|chain|group|chord)$|^(sig|signature|canvas)_",
    re.IGNORECASE,
)
TASK_BASE = re.compile(r"Task$")
_LITERALS = (
    ast.Constant, ast.JoinedStr, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.ListComp,
    ast.DictComp, ast.SetComp,
)  # fmt: skip


def kind_of(a: Analysis, node: ast.expr, frame: Frame) -> MaybeKind:
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
    if isinstance(node, _LITERALS):
        return Kind.NOT_CELERY
    return None


def call_kind(a: Analysis, node: ast.Call, frame: Frame) -> MaybeKind:
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


def awaited_kind(a: Analysis, node: ast.expr, frame: Frame) -> MaybeKind:
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


def annotation_kind(node: ast.expr | None) -> MaybeKind:
    """The kind an annotation names: ``AsyncResult``, ``Optional[Signature]``, ``"Celery"``."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:  # a string annotation: "AsyncResult | None"
            return annotation_kind(ast.parse(node.value, mode="eval").body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    text = dotted(node) or ""
    if not text:
        for sub in ast.walk(node):  # Optional[AsyncResult], AsyncResult | None
            if isinstance(sub, ast.Name | ast.Attribute) and (kind := annotation_kind(sub)):
                return kind
        return None
    last = text.rpartition(".")[2]
    if last in RESULT_CTORS:
        return Kind.RESULT
    if last == "EagerResult":
        return Kind.NOT_CELERY
    if last == "Signature":
        return Kind.SIG
    if last in ("chain", "group", "chord", "chunks", "_chain"):
        return Kind.CANVAS
    if last.endswith("Celery"):
        return Kind.APP
    return None


def is_canvas(a: Analysis, node: ast.expr, frame: Frame) -> bool:
    """A signature or canvas: ``t.s()``, ``chain(...)``, ``a | b``, or a name bound to one."""
    if kind_of(a, node, frame) in (Kind.SIG, Kind.CANVAS):
        return True
    if isinstance(node, ast.Call):
        name = dotted(node.func) or ""
        return name.rpartition(".")[2] in CANVAS_FUNCS
    return False


def calls_canvas(a: Analysis, func: ast.expr, frame: Frame) -> bool:
    """Is ``func(...)`` a call of a chain, group, chord or chunks (which dispatches)?"""
    return kind_of(a, func, frame) == Kind.CANVAS


def is_app(a: Analysis, node: ast.expr, frame: Frame) -> bool:
    if kind_of(a, node, frame) == Kind.APP:
        return True
    name = dotted(node)
    return name is not None and APP_LIKE.search(name.rpartition(".")[2]) is not None


def is_offloading(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = dotted(target) or ""
    return name.rpartition(".")[2] in OFFLOADING_DECORATORS
