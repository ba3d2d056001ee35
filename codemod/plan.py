"""What planning comes to: the :class:`Plan` (or :class:`PlanFailed`), and the words and
findings the planner writes into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flake8_celery_async.analysis.analyzer import Finding

from . import runtime
from .edits import Unfixable
from .fixer import Outcome
from .report import HANDLERS, PROG, Summary
from .writer import RuntimeWrite

NO_RUNTIME = (
    "--vendor: no Celery app construction or vendored runtime in the repository to put "
    "the runtime beside: left alone (run without --vendor to import the celery-asyncx library)"
)
NOT_IMPORTABLE = (
    "{runtime} cannot be imported from this file's import roots ({roots}): left alone; if its "
    "process can import {name}, rerun with --runtime-module {name}"
)
UNRESOLVED = (
    "--runtime-module {name} is neither a module of this repository nor importable here; "
    "nothing was written"
)
OFFLOADED = (
    "{recv}.{method}() is not a task of an app this run wires ({why}): rewritten to "
    "`await run_blocking({recv}.{method}, ...)`, which works on any app"
)


class PlanFailed(Exception):
    """Planning could not finish: nothing is written. ``status`` is the exit status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Plan:
    outcomes: list[Outcome] = field(default_factory=list)
    """Files that change (``new_data`` set), in path order."""
    runtimes: list[RuntimeWrite] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)


def items_of(items: list[tuple[Finding, str | None]]) -> list[Finding]:
    return [f for f, _ in items]


def moved(item: Unfixable, delta: int) -> Unfixable:
    """The same finding ``delta`` lines further down (imports added at the top moved it)."""
    f = item.finding
    if f.line <= 1:
        return item
    at = Finding(f.line + delta, f.col, f.end_line + delta, *f.as_tuple()[3:])
    return Unfixable(at, item.reason)


def offloaded(finding: Finding) -> Finding:
    """The same finding, fixed with ``await run_blocking(t.delay, ...)``."""
    f = finding
    return Finding(
        f.line, f.col, f.end_line, f.end_col, f.code, f.message, f.method, "", "helper", None
    )


def frameworks(found: set[str]) -> list[str]:
    if "fastapi" in found:
        found = found - {"starlette"}
    return [f for f in HANDLERS if f in found]


def instructions() -> str:
    return (
        "--vendor found no Celery app construction (Celery(...) or a Celery subclass) and no "
        "vendored runtime to import for the files listed with that reason, so they were left "
        f"alone. Run {PROG} without --vendor: the rewritten files then import the "
        f"{runtime.DISTRIBUTION} library ({runtime.REQUIREMENT}).\n"
    )
