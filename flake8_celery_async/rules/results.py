"""CEL005 (result-backend reads) and CEL006 (control broadcasts) from the loop."""

from __future__ import annotations

import ast

from ..scopes.inference import kind_of
from ..scopes.kinds import RESULT_METHODS, RESULT_PROPERTIES, Kind
from ..syntax.nodes import source
from .base import (
    APP,
    APP_RUNTIME,
    CANVAS_WORDS,
    DISPATCH_WORDS,
    LIBRARY_WORD,
    RESULT_WORD,
    Example,
    Hook,
    Rule,
    Trigger,
)

if False:  # for type checkers only
    from ..scopes.frames import Frame
    from ..scopes.walker import Walker

CEL005 = Rule(
    code="CEL005",
    name="result-backend-io-on-event-loop",
    summary="reading a Celery result (`.get()`, `.ready()`, `.state`, ...) queries the "
    "result backend",
    message="CEL005 result-backend read {what} blocks the event loop in async def; use `{fix}`",
    fix='`await run_blocking(res.get, ...)`; `await read_result(res, "state")`',
    # A result comes from a dispatch, a constructor (AsyncResult, GroupResult.restore...), a
    # canvas call, or (project index) a parameter or an awaited project function.
    triggers=(
        *DISPATCH_WORDS,
        RESULT_WORD,
        LIBRARY_WORD,
        *CANVAS_WORDS,
    ),
    valid=(
        "async def view(cache):\n    return cache.get('k')\n",
        "from celery.result import AsyncResult\nasync def view(tid):\n"
        "    return {'id': AsyncResult(tid).id}\n",
        "from proj.tasks import add\nasync def view():\n"
        "    res = add.delay(1)\n    try:\n        pass\n    except ValueError as res:\n"
        "        return res.args\n",
    ),
    invalid=(
        Example(
            "from celery.result import AsyncResult\nasync def view(tid):\n"
            "    return AsyncResult(tid).get(timeout=1)\n",
            "from celery.result import AsyncResult\n"
            "from celery_asyncx import run_blocking\nasync def view(tid):\n"
            "    return await run_blocking(AsyncResult(tid).get, timeout=1)\n",
        ),
        Example(
            APP + "async def view(tid):\n    res = app.AsyncResult(tid)\n"
            "    return {'state': res.state}\n",
            "from celery import Celery\nfrom celery_asyncx import read_result\n"
            "app = Celery('proj')\nasync def view(tid):\n    res = app.AsyncResult(tid)\n"
            "    return {'state': await read_result(res, \"state\")}\n",
        ),
    ),
)

CEL006 = Rule(
    code="CEL006",
    name="control-on-event-loop",
    summary="`app.control.*()` and `inspect().*()` broadcast over the broker",
    message="CEL006 control call {what} blocks the event loop on broker I/O in async def; "
    "use `{fix}`",
    fix="`await run_blocking(app.control.revoke, ...)`",
    triggers=(Trigger(".control"),),
    valid=(APP + "async def view():\n    insp = app.control.inspect(timeout=1)\n",),
    invalid=(
        Example(
            APP + "async def view(tid):\n    app.control.revoke(tid, terminate=True)\n",
            APP_RUNTIME + "async def view(tid):\n"
            "    await run_blocking(app.control.revoke, tid, terminate=True)\n",
        ),
        Example(
            APP + "async def view():\n    return app.control.inspect().active()\n",
            APP_RUNTIME + "async def view():\n"
            "    return await run_blocking(app.control.inspect().active)\n",
        ),
    ),
)

RULES: tuple[Rule, ...] = (CEL005, CEL006)


def detect_result_call(a: Walker, node: ast.Call, frame: Frame) -> bool:
    """CEL005 for ``res.get()``, ``res.ready()``, ... and CEL006 for ``app.control.x()``."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return False
    attr, recv = func.attr, func.value
    kind = kind_of(a, recv, frame)
    if kind == Kind.RESULT and attr in RESULT_METHODS:
        code = "CEL005"
    elif (kind == Kind.CONTROL and attr != "inspect") or kind == Kind.INSPECT:
        code = "CEL006"
    else:
        return False
    recv_text = source(recv)
    fix = f"await {a.settings.helper}({recv_text}.{attr}, ...)"
    a.report(node, frame, code, f"{recv_text}.{attr}()", fix, method=attr, fix="helper")
    return True


def detect_result_read(a: Walker, node: ast.Attribute, frame: Frame) -> bool:
    """CEL005 for reading a property that does a GET: ``res.state``, ``res.result``, ..."""
    if not (
        node.attr in RESULT_PROPERTIES
        and isinstance(node.ctx, ast.Load)
        and kind_of(a, node.value, frame) == Kind.RESULT
    ):
        return False
    recv = source(node.value)
    fix = f'await {a.settings.read_helper}({recv}, "{node.attr}")'
    a.report(node, frame, "CEL005", f"{recv}.{node.attr}", fix, method=node.attr, fix="read")
    return True


HOOKS = (Hook("call", detect_result_call, order=20), Hook("attribute", detect_result_read))
