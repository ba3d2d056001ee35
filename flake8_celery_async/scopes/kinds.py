"""What an expression is known to be: a Celery result, a signature, an app, ... or unknown.

``Kind`` values are what scopes bind names to (``inference.kind_of`` infers one for an
expression from the bindings in scope, the imports and the call's shape); the tables here
are Celery's names. Unknown (``None``) stays
unknown: a rule fires on a kind only when it is known (precision first).
"""

from __future__ import annotations

import ast
import re

from ..syntax.nodes import dotted
from .kind import Kind, MaybeKind

__all__ = ["Kind", "MaybeKind"]  # and the tables below


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
LITERALS = (
    ast.Constant, ast.JoinedStr, ast.List, ast.Dict, ast.Set, ast.Tuple, ast.ListComp,
    ast.DictComp, ast.SetComp,
)  # fmt: skip


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


def is_offloading(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = dotted(target) or ""
    return name.rpartition(".")[2] in OFFLOADING_DECORATORS
