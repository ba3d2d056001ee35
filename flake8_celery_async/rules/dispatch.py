"""CEL001-CEL004: publishing to the broker from the loop (``delay``, ``apply_async``,
``send_task``, and canvas dispatch), with their detection."""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase

from ..scopes.inference import calls_canvas, is_app, is_canvas, kind_of
from ..scopes.kinds import NOT_CELERY_MODULES, SIG_LIKE, TASK_BASE, Kind
from ..scopes.resolver import project_method
from ..syntax.nodes import callee_source, dotted, source
from .base import (
    APP,
    CANVAS_WORDS,
    DELAY,
    DISPATCH_WORDS,
    LIBRARY_WORD,
    TASK,
    Example,
    Hook,
    Rule,
    Trigger,
)

RQ_MODULES = frozenset({"rq", "django_rq", "rq_scheduler", "flask_rq2"})  # jobs with .delay()

if False:  # for type checkers only
    from ..scopes.frames import Frame
    from ..scopes.walker import Walker

CEL001 = Rule(
    code="CEL001",
    name="delay-on-event-loop",
    summary="`.delay()` publishes to the broker with blocking sockets",
    message="CEL001 {what} blocks the event loop on broker I/O in async def; use `{fix}`",
    fix="`await t.delayx(...)`",
    triggers=(DELAY,),  # and the user's --celery-extra-dispatch names
    valid=(
        TASK + "def sync_view():\n    send_email.delay('a@b.c')\n",
        TASK + "async def view():\n    await asyncio.to_thread(send_email.delay, 'a@b.c')\n",
        TASK + "async def view():\n    return await send_email.delayx('a@b.c')\n",
        "async def view(row):\n    return row.delay\n",
        TASK + "async def view():\n    return lambda: send_email.delay('a@b.c')\n",
    ),
    invalid=(
        Example(
            TASK + "async def view():\n    send_email.delay('a@b.c')\n",
            TASK + "async def view():\n    await send_email.delayx('a@b.c')\n",
        ),
        Example(
            "import proj.tasks\nasync def view():\n"
            "    return {'id': proj.tasks.send_email.delay(1).id}\n",
            "import proj.tasks\nasync def view():\n"
            "    return {'id': (await proj.tasks.send_email.delayx(1)).id}\n",
        ),
    ),
)

CEL002 = Rule(
    code="CEL002",
    name="apply-async-on-event-loop",
    summary="`.apply_async()` publishes to the broker with blocking sockets",
    message="CEL002 {what} blocks the event loop on broker I/O in async def; use `{fix}`",
    fix="`await t.apply_asyncx(...)`",
    triggers=(Trigger("apply_async"),),
    valid=(
        TASK + "async def view():\n"
        "    await loop.run_in_executor(None, send_email.apply_async, ('a',))\n",
        "from multiprocessing import Pool\nasync def view():\n"
        "    with Pool(2) as pool:\n        pool.apply_async(print, ('x',))\n",
    ),
    invalid=(
        Example(
            TASK + "async def view():\n"
            "    send_email.apply_async(('a',), countdown=3, queue='mail')\n",
            TASK + "async def view():\n"
            "    await send_email.apply_asyncx(('a',), countdown=3, queue='mail')\n",
        ),
    ),
)

CEL003 = Rule(
    code="CEL003",
    name="send-task-on-event-loop",
    summary="`app.send_task()` publishes to the broker with blocking sockets",
    message="CEL003 {what} blocks the event loop on broker I/O in async def; use `{fix}`",
    fix="`await app.send_taskx(...)`",
    triggers=(Trigger("send_task"),),
    valid=(APP + "def job():\n    app.send_task('proj.add', args=(1, 2))\n",),
    invalid=(
        Example(
            APP + "async def view():\n    app.send_task('proj.add', args=(1, 2))\n",
            APP + "async def view():\n    await app.send_taskx('proj.add', args=(1, 2))\n",
        ),
    ),
)

CEL004 = Rule(
    code="CEL004",
    name="canvas-dispatch-on-event-loop",
    summary="dispatching a signature or canvas (chain, group, chord, chunks, `a | b`)",
    message="CEL004 canvas dispatch {what} blocks the event loop on broker I/O in async def; "
    "use `{fix}`",
    fix="`await run_blocking(canvas.apply_async, ...)`",
    # Canvas functions are imported from celery; signatures are built with .s/.si/.signature,
    # chunks with .chunks; a bare call of one of them dispatches.
    triggers=(
        *DISPATCH_WORDS,
        LIBRARY_WORD,
        *CANVAS_WORDS,
        Trigger(".subtask(", index=False),
        Trigger(".map(", index=False),
        Trigger(".starmap(", index=False),
    ),
    valid=(
        "from proj.tasks import add\nasync def view():\n    return add.s(1, 2)()\n",
        "from itertools import chain\nasync def view(a, b):\n    return list(chain(a, b))\n",
    ),
    invalid=(
        Example(
            "from celery import chain\nfrom proj.tasks import add\nasync def view():\n"
            "    chain(add.s(1, 2), add.s(3)).apply_async()\n",
            "from celery import chain\nfrom celery_asyncx import run_blocking\n"
            "from proj.tasks import add\nasync def view():\n"
            "    await run_blocking(chain(add.s(1, 2), add.s(3)).apply_async)\n",
        ),
        Example(
            "from celery import group\nfrom proj.tasks import add\nasync def view():\n"
            "    group(add.s(i, i) for i in range(3))()\n",
            "from celery import group\nfrom celery_asyncx import run_blocking\n"
            "from proj.tasks import add\nasync def view():\n"
            "    await run_blocking(group(add.s(i, i) for i in range(3)))\n",
        ),
        Example(
            "from proj.tasks import add, mul\nasync def view():\n    (add.s(1) | mul.s(2))()\n",
            "from celery_asyncx import run_blocking\n\nfrom proj.tasks import add, mul\n"
            "async def view():\n    await run_blocking((add.s(1) | mul.s(2)))\n",
        ),
        Example(
            "from proj.tasks import add\nasync def view(items):\n    add.chunks(items, 10)()\n",
            "from celery_asyncx import run_blocking\n\nfrom proj.tasks import add\n"
            "async def view(items):\n    await run_blocking(add.chunks(items, 10))\n",
        ),
    ),
)

RULES: tuple[Rule, ...] = (CEL001, CEL002, CEL003, CEL004)


def detect_dispatch(a: Walker, node: ast.Call, frame: Frame) -> bool:
    """CEL001-CEL004 for ``recv.delay()``, ``recv.apply_async()``, ``recv.send_task()``."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    attr, recv = func.attr, func.value
    if not (attr in a.dispatch or attr == "send_task"):
        return False
    if a.nonblocking_producer:
        return True  # tornado-celery publishes without blocking (and calls back)
    if a.project_function(func, frame) or project_method(a, func, frame):
        return False  # dispatcher.send_task(): a function of a project module (CEL007's)
    if not plausible_dispatch(a, node, attr, recv, frame):
        return True  # a look-alike: nothing else applies to it either
    helper, recv_text = a.settings.helper, source(recv)
    what = f"{recv_text}.{attr}()"
    if is_canvas(a, recv, frame) or sig_like(recv, frame):
        fix = f"await {helper}({recv_text}.{attr}, ...)"
        a.report(node, frame, "CEL004", what, fix, method=attr, fix="helper")
        return True
    if attr == "send_task":
        code, new = "CEL003", a.settings.send_task_name
    elif attr == "apply_async":
        code, new = "CEL002", a.settings.apply_async_name
    elif attr == "delay":
        code, new = "CEL001", a.settings.delay_name
    else:  # a user's extra dispatch name: no async method, offload it
        fix = f"await {helper}({recv_text}.{attr}, ...)"
        a.report(node, frame, "CEL001", what, fix, method=attr, fix="helper")
        return True
    a.report(node, frame, code, what, f"await {recv_text}.{new}(...)", method=attr, new=new,
             fix="method")  # fmt: skip
    return True


def detect_canvas_call(a: Walker, node: ast.Call, frame: Frame) -> bool:
    """CEL004 for calling a chain, group, chord or chunks object (which dispatches)."""
    func = node.func
    if not calls_canvas(a, func, frame):
        return False
    fix = f"await {a.settings.helper}({source(func)}, ...)"
    a.report(node, frame, "CEL004", f"{callee_source(func)}()", fix, method="__call__",
             fix="helper")  # fmt: skip
    return True


def plausible_dispatch(a: Walker, node: ast.Call, attr: str, recv: ast.expr, frame: Frame) -> bool:
    """Is ``recv.attr(...)`` plausibly Celery's dispatch (and not a look-alike)?"""
    kind = kind_of(a, recv, frame)
    if kind in (Kind.NOT_CELERY, Kind.RESULT, Kind.RESULTS, Kind.CONTROL, Kind.INSPECT):
        return False
    recv_name = dotted(recv)
    if attr == "send_task" and kind is None and not _celery_in_scope(a, recv, frame):
        return False  # client.send_task(): an unknown object, and nothing here is Celery's
    if kind is None and _imports_rq(frame) and not _names_celery(frame):
        return False  # an RQ job's .delay() (rq's @job gives one), where nothing is Celery's
    text = recv_name if recv_name is not None else source(recv, 200)
    if any(fnmatchcase(text, pattern) for pattern in a.settings.ignore_receivers):
        return False
    if recv_name is not None:
        root = recv_name.partition(".")[0]
        if frame.origin(root).partition(".")[0] in NOT_CELERY_MODULES:
            return False
        if recv_name in ("self", "cls"):
            cls = frame.cls
            return (
                cls is not None
                and attr not in cls.defs
                and any(TASK_BASE.search(b) for b in cls.bases)
            )
    if attr == "apply_async":
        last = (recv_name or "").rpartition(".")[2].lower()
        if "pool" in last or "executor" in last:
            return False
        first = node.args[0] if node.args else None
        if isinstance(first, ast.Lambda):
            return False
        if isinstance(first, ast.Name) and _defined_function(first.id, frame):
            return False  # multiprocessing's pool.apply_async(func, args)
    return True


def _celery_in_scope(a: Walker, recv: ast.expr, frame: Frame) -> bool:
    """Is the receiver imported (``from worker import worker``) or named like an app
    (``celery_app``, ``self.capp``), or does anything imported in scope name Celery?"""
    name = dotted(recv)
    if is_app(a, recv, frame) or (name is not None and frame.origin(name.partition(".")[0])):
        return True
    return _names_celery(frame)


def _imports_rq(frame: Frame) -> bool:
    return any(
        origin.partition(".")[0] in RQ_MODULES
        for scope in frame.visible()
        for origin in scope.imports.values()
    )


def _names_celery(frame: Frame) -> bool:
    """Does anything imported in scope name Celery (``from app.worker import celery``)?"""
    return any(
        "celery" in f"{local} {origin}".lower()
        for scope in frame.visible()
        for local, origin in scope.imports.items()
    )


def _defined_function(name: str, frame: Frame | None) -> bool:
    while frame is not None:
        if name in frame.defs:
            return True
        frame = frame.parent
    return False


def sig_like(recv: ast.expr, frame: Frame) -> bool:
    """An unknown local whose name says it is a signature (``sig``, ``workflow``...). An
    import or a function defined in scope is not one: the index and the scope say what those
    are (``from .tasks import execute_workflow`` is a task, whatever its name)."""
    if not isinstance(recv, ast.Name):
        return False
    if frame.origin(recv.id) or frame.function(recv.id) is not None:
        return False
    found, kind = frame.lookup(recv.id)
    return (not found or kind is None) and SIG_LIKE.search(recv.id) is not None


HOOKS = (Hook("call", detect_dispatch, order=10), Hook("call", detect_canvas_call, order=30))
