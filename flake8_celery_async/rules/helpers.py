"""CEL007: calling, from the loop, a sync function that does Celery I/O (at any depth, in this
module or, through the project index, in another)."""

from __future__ import annotations

from ..scopes.context import Via
from ..scopes.resolver import target_of
from ..syntax.nodes import source
from .base import TASK, Example, Hook, Rule

if False:  # for type checkers only
    from ..scopes.frames import Func
    from ..scopes.walker import Walker

UNFIXABLE_HELPER = "the blocking call is inside another function: make that function async"

CEL007 = Rule(
    code="CEL007",
    name="blocking-helper-on-event-loop",
    summary="calling a sync function (this module or, through imports, another) that does "
    "CEL001-CEL006 I/O",
    message="CEL007 {what}() does synchronous Celery I/O (via {via}) and blocks the "
    "event loop in async def; make it async, or use `{fix}`",
    fix="not rewritten (listed)",
    # The helper's own module has the words of CEL001-CEL006; a caller in another module has
    # the helper's name, which the project index adds to the text check.
    triggers=(),  # the registry adds every I/O rule's words (via_helpers)
    io=False,
    via_helpers=True,
    valid=(
        TASK + "def notify(a):\n    send_email.delay(a)\n"
        "async def view():\n    await asyncio.to_thread(notify, 'a')\n",
    ),
    invalid=(
        Example(
            TASK + "def notify(a):\n    send_email.delay(a)\nasync def view():\n    notify('a')\n",
            None,
        ),
    ),
)

RULES: tuple[Rule, ...] = (CEL007,)


def format_via(via: Via) -> str:
    path, line, what = via
    what = what.removesuffix("()")
    return f"{path}:{line} {what}" if path else f"line {line} {what}"


def blocking_via(a: Walker, target: Func | str) -> Via | None:
    """The first Celery I/O a call of ``target`` reaches, or ``None``."""
    if isinstance(target, str):
        return a.context.blocking(target) if a.context is not None else None
    key = id(target)
    memo = a.helper_memo
    if key in memo:
        return memo[key]
    memo[key] = None  # cycles: assume not blocking while computing
    if not target.scanned:
        a.scan(target)
    via: Via | None = None
    if not target.skip:
        if target.site is not None:
            via = ("", *target.site)
        for _call, callee, where in target.calls:
            if via is not None:
                break
            inner = target_of(a, callee, where)
            if inner is not None:
                via = blocking_via(a, inner)
    memo[key] = via
    return via


def report_helpers(a: Walker) -> None:
    """CEL007 at each call from the loop whose callee blocks."""
    for node, callee, frame in a.candidates:
        target = target_of(a, callee, frame)
        if target is None:
            continue
        via = blocking_via(a, target)
        if via is not None:
            what = source(callee)
            fix_text = f"await {a.settings.helper}({what}, ...)"
            a.report(node, None, "CEL007", what, fix_text, reason=UNFIXABLE_HELPER,
                     via=format_via(via))  # fmt: skip


HOOKS = (Hook("end", report_helpers),)
