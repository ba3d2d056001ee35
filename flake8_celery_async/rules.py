"""The rule catalogue: every CEL rule, once.

Each rule holds its code, a short name, the message template (code first, then what blocks,
then the fix), how the codemod fixes it, and its examples. The tests are generated from the
examples and the README's rule table is checked against :func:`markdown_table`.

Message templates are ``str.format`` strings; the analysis fills in ``{what}`` (the blocking
expression, shortened), ``{fix}`` (the replacement, with the configured names) and ``{line}``.
"""

from __future__ import annotations


class Example:
    """A source snippet; ``fixed`` is what the codemod must turn it into (``None``: untouched)."""

    __slots__ = ("fixed", "source")

    def __init__(self, source: str, fixed: str | None = None) -> None:
        self.source, self.fixed = source, fixed


class Rule:
    """One rule. A plain class, as the checker's others (see ``analysis.Finding``)."""

    __slots__ = ("code", "fix", "invalid", "message", "name", "summary", "valid")

    def __init__(
        self,
        *,
        code: str,
        name: str,
        summary: str,
        message: str,
        fix: str,
        valid: tuple[str, ...],
        invalid: tuple[Example, ...],
    ) -> None:
        self.code, self.name, self.summary, self.message = code, name, summary, message
        self.fix = fix
        """How the codemod fixes it, in words (the README's table shows this)."""
        self.valid, self.invalid = valid, invalid


_APP = "from celery import Celery\napp = Celery('proj')\n"
_TASK = "from proj.tasks import send_email\n"
# What the codemod makes of _APP when it adds the runtime import (libcst's AddImportsVisitor
# puts it after the leading import block, followed by a blank line).
_APP_RUNTIME = (
    "from celery import Celery\nfrom celery_async import run_blocking\n\napp = Celery('proj')\n"
)

RULES: tuple[Rule, ...] = (
    Rule(
        code="CEL001",
        name="delay-on-event-loop",
        summary="`.delay()` publishes to the broker with blocking sockets",
        message="CEL001 {what} blocks the event loop on broker I/O in async def; use `{fix}`",
        fix="`await t.delayx(...)`",
        valid=(
            _TASK + "def sync_view():\n    send_email.delay('a@b.c')\n",
            _TASK + "async def view():\n    await asyncio.to_thread(send_email.delay, 'a@b.c')\n",
            _TASK + "async def view():\n    return await send_email.delayx('a@b.c')\n",
            "async def view(row):\n    return row.delay\n",
            _TASK + "async def view():\n    return lambda: send_email.delay('a@b.c')\n",
        ),
        invalid=(
            Example(
                _TASK + "async def view():\n    send_email.delay('a@b.c')\n",
                _TASK + "async def view():\n    await send_email.delayx('a@b.c')\n",
            ),
            Example(
                "import proj.tasks\nasync def view():\n"
                "    return {'id': proj.tasks.send_email.delay(1).id}\n",
                "import proj.tasks\nasync def view():\n"
                "    return {'id': (await proj.tasks.send_email.delayx(1)).id}\n",
            ),
        ),
    ),
    Rule(
        code="CEL002",
        name="apply-async-on-event-loop",
        summary="`.apply_async()` publishes to the broker with blocking sockets",
        message="CEL002 {what} blocks the event loop on broker I/O in async def; use `{fix}`",
        fix="`await t.apply_asyncx(...)`",
        valid=(
            _TASK + "async def view():\n"
            "    await loop.run_in_executor(None, send_email.apply_async, ('a',))\n",
            "from multiprocessing import Pool\nasync def view():\n"
            "    with Pool(2) as pool:\n        pool.apply_async(print, ('x',))\n",
        ),
        invalid=(
            Example(
                _TASK + "async def view():\n"
                "    send_email.apply_async(('a',), countdown=3, queue='mail')\n",
                _TASK + "async def view():\n"
                "    await send_email.apply_asyncx(('a',), countdown=3, queue='mail')\n",
            ),
        ),
    ),
    Rule(
        code="CEL003",
        name="send-task-on-event-loop",
        summary="`app.send_task()` publishes to the broker with blocking sockets",
        message="CEL003 {what} blocks the event loop on broker I/O in async def; use `{fix}`",
        fix="`await app.send_taskx(...)`",
        valid=(_APP + "def job():\n    app.send_task('proj.add', args=(1, 2))\n",),
        invalid=(
            Example(
                _APP + "async def view():\n    app.send_task('proj.add', args=(1, 2))\n",
                _APP + "async def view():\n    await app.send_taskx('proj.add', args=(1, 2))\n",
            ),
        ),
    ),
    Rule(
        code="CEL004",
        name="canvas-dispatch-on-event-loop",
        summary="dispatching a signature or canvas (chain, group, chord, chunks, `a | b`)",
        message="CEL004 canvas dispatch {what} blocks the event loop on broker I/O in async def; "
        "use `{fix}`",
        fix="`await run_blocking(canvas.apply_async, ...)`",
        valid=(
            "from proj.tasks import add\nasync def view():\n    return add.s(1, 2)()\n",
            "from itertools import chain\nasync def view(a, b):\n    return list(chain(a, b))\n",
        ),
        invalid=(
            Example(
                "from celery import chain\nfrom proj.tasks import add\nasync def view():\n"
                "    chain(add.s(1, 2), add.s(3)).apply_async()\n",
                "from celery import chain\nfrom proj.tasks import add\n"
                "from celery_async import run_blocking\n\nasync def view():\n"
                "    await run_blocking(chain(add.s(1, 2), add.s(3)).apply_async)\n",
            ),
            Example(
                "from celery import group\nfrom proj.tasks import add\nasync def view():\n"
                "    group(add.s(i, i) for i in range(3))()\n",
                "from celery import group\nfrom proj.tasks import add\n"
                "from celery_async import run_blocking\n\nasync def view():\n"
                "    await run_blocking(group(add.s(i, i) for i in range(3)))\n",
            ),
        ),
    ),
    Rule(
        code="CEL005",
        name="result-backend-io-on-event-loop",
        summary="reading a Celery result (`.get()`, `.ready()`, `.state`, ...) queries the "
        "result backend",
        message="CEL005 result-backend read {what} blocks the event loop in async def; use `{fix}`",
        fix='`await run_blocking(res.get, ...)`; `await read_result(res, "state")`',
        valid=(
            "async def view(cache):\n    return cache.get('k')\n",
            "from celery.result import AsyncResult\nasync def view(tid):\n"
            "    return {'id': AsyncResult(tid).id}\n",
        ),
        invalid=(
            Example(
                "from celery.result import AsyncResult\nasync def view(tid):\n"
                "    return AsyncResult(tid).get(timeout=1)\n",
                "from celery.result import AsyncResult\n"
                "from celery_async import run_blocking\n\nasync def view(tid):\n"
                "    return await run_blocking(AsyncResult(tid).get, timeout=1)\n",
            ),
            Example(
                _APP + "async def view(tid):\n    res = app.AsyncResult(tid)\n"
                "    return {'state': res.state}\n",
                "from celery import Celery\nfrom celery_async import read_result\n\n"
                "app = Celery('proj')\nasync def view(tid):\n    res = app.AsyncResult(tid)\n"
                "    return {'state': await read_result(res, \"state\")}\n",
            ),
        ),
    ),
    Rule(
        code="CEL006",
        name="control-on-event-loop",
        summary="`app.control.*()` and `inspect().*()` broadcast over the broker",
        message="CEL006 control call {what} blocks the event loop on broker I/O in async def; "
        "use `{fix}`",
        fix="`await run_blocking(app.control.revoke, ...)`",
        valid=(_APP + "async def view():\n    insp = app.control.inspect(timeout=1)\n",),
        invalid=(
            Example(
                _APP + "async def view(tid):\n    app.control.revoke(tid, terminate=True)\n",
                _APP_RUNTIME + "async def view(tid):\n"
                "    await run_blocking(app.control.revoke, tid, terminate=True)\n",
            ),
            Example(
                _APP + "async def view():\n    return app.control.inspect().active()\n",
                _APP_RUNTIME + "async def view():\n"
                "    return await run_blocking(app.control.inspect().active)\n",
            ),
        ),
    ),
    Rule(
        code="CEL007",
        name="blocking-helper-on-event-loop",
        summary="calling a same-module sync function that does CEL001-CEL006 I/O",
        message="CEL007 {what}() does synchronous Celery I/O (line {line}) and blocks the "
        "event loop in async def; make it async, or use `{fix}`",
        fix="not rewritten (listed)",
        valid=(
            _TASK + "def notify(a):\n    send_email.delay(a)\n"
            "async def view():\n    await asyncio.to_thread(notify, 'a')\n",
        ),
        invalid=(
            Example(
                _TASK + "def notify(a):\n    send_email.delay(a)\n"
                "async def view():\n    notify('a')\n",
                None,
            ),
        ),
    ),
    Rule(
        code="CEL008",
        name="async-task",
        summary="a Celery task declared with `async def` (Celery never awaits it)",
        message="CEL008 Celery task {what}() is an async def: the worker never awaits it, "
        "so its body never runs; declare the task with a plain def",
        fix="not rewritten (listed)",
        valid=(_APP + "@app.task\ndef add(a, b):\n    return a + b\n",),
        invalid=(
            Example(_APP + "@app.task\nasync def add(a, b):\n    return a + b\n", None),
            Example(
                "from celery import shared_task\n@shared_task(bind=True)\n"
                "async def add(self, a, b):\n    return a + b\n",
                None,
            ),
        ),
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}


def markdown_table() -> str:
    """The README's rule table, generated from the catalogue."""
    rows = ["| code | what it reports | codemod fix |", "|---|---|---|"]
    rows += [f"| `{r.code}` | {_cell(r.summary)} | {_cell(r.fix)} |" for r in RULES]
    return "\n".join(rows) + "\n"


def _cell(text: str) -> str:
    """A table cell: GitHub splits cells at every ``|``, even inside backticks."""
    return text.replace("|", "\\|")
