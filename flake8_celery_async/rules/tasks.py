"""CEL008: a Celery task declared ``async def``, on a worker that cannot run one."""

from __future__ import annotations

import ast

from ..scopes.inference import kind_of
from ..scopes.kinds import APP_LIKE, Kind
from ..syntax.nodes import dotted
from .base import APP, Example, Hook, Rule, Trigger

if False:  # for type checkers only
    from ..scopes.walker import Walker

UNFIXABLE_TASK = "the task must be rewritten as a plain def by hand"

CEL008 = Rule(
    code="CEL008",
    name="async-task",
    summary="a Celery task declared with `async def` (Celery never awaits it), unless the "
    "worker runs an asyncio-capable pool",
    message="CEL008 Celery task {what}() is an async def: the worker never awaits it, "
    "so its body never runs; declare the task with a plain def (or run the worker with an "
    "asyncio pool and set celery-async-task-pool)",
    fix="not rewritten (listed)",
    # @app.task / @app.task(...), not self.task.x, .tasks or .task_id
    triggers=(
        Trigger("shared_task"),
        Trigger(
            ".task", ".task(", ".task\n", ".task\r", ".task ", ".task\t", ".task#", index=False
        ),
    ),
    io=False,
    valid=(
        APP + "@app.task\ndef add(a, b):\n    return a + b\n",
        "from celery import Celery\nfrom celery_aio_pool import build_async_tracer\n"
        "app = Celery('proj')\n@app.task\nasync def add(a, b):\n    return a + b\n",
    ),
    invalid=(
        Example(APP + "@app.task\nasync def add(a, b):\n    return a + b\n", None),
        Example(
            "from celery import shared_task\n@shared_task(bind=True)\n"
            "async def add(self, a, b):\n    return a + b\n",
            None,
        ),
    ),
)

RULES: tuple[Rule, ...] = (CEL008,)


def detect_async_task(a: Walker, node: ast.AsyncFunctionDef) -> bool:
    """CEL008 for ``@app.task``/``@shared_task`` on an ``async def``."""
    explicit = a.settings.async_task_pool
    if explicit or (explicit is None and a.async_pool):
        return False  # the worker runs an asyncio-capable pool: the task is awaited
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = dotted(target)
        if name is None:
            continue
        last = name.rpartition(".")[2]
        if last == "shared_task" or (last == "task" and "." in name and _task_of_app(a, target)):
            a.report(node, None, "CEL008", node.name, "", reason=UNFIXABLE_TASK)
            return True
    return False


def _task_of_app(a: Walker, target: ast.expr) -> bool:
    assert isinstance(target, ast.Attribute)
    recv = target.value
    kind = kind_of(a, recv, a.module)
    if kind == Kind.APP:
        return True
    if kind is not None or a.other_queue:
        return False  # known to be something else, or another task queue is in use
    name = dotted(recv) or ""
    if a.module.lookup(name)[0]:  # bound here to a call we cannot classify
        return APP_LIKE.search(name.rpartition(".")[2]) is not None
    return "broker" not in name.lower()  # TaskIQ's @broker.task


HOOKS = (Hook("async_def", detect_async_task),)
