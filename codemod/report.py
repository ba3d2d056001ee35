"""The run's summary: what changed, and what is left for this repository (text and JSON)."""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from .edits import Unfixable

PROG = "celery-async-codemod"

Note = tuple[str, int, str]
"""(path, line, text)."""

HANDLERS = {
    "fastapi": (
        "FastAPI/Starlette",
        "@app.exception_handler(BrokerUnavailable)\n"
        "async def broker_unavailable(request, exc):\n"
        "    return JSONResponse({'detail': 'task queue unavailable'}, status_code=503,\n"
        "                        headers={'Retry-After': '1'})",
    ),
    "starlette": (
        "Starlette",
        "app.add_exception_handler(BrokerUnavailable, lambda request, exc: JSONResponse(\n"
        "    {'detail': 'task queue unavailable'}, status_code=503))",
    ),
    "django": (
        "Django",
        "class BrokerUnavailableMiddleware:  # add to MIDDLEWARE\n"
        "    def __init__(self, get_response):\n"
        "        self.get_response = get_response\n"
        "    def __call__(self, request):\n"
        "        return self.get_response(request)\n"
        "    def process_exception(self, request, exc):\n"
        "        if isinstance(exc, BrokerUnavailable):\n"
        "            return JsonResponse({'detail': 'task queue unavailable'}, status=503)",
    ),
    "sanic": (
        "Sanic",
        "@app.exception(BrokerUnavailable)\n"
        "async def broker_unavailable(request, exc):\n"
        "    return json({'detail': 'task queue unavailable'}, status=503)",
    ),
    "aiohttp": (
        "aiohttp",
        "@web.middleware\n"
        "async def broker_unavailable(request, handler):\n"
        "    try:\n"
        "        return await handler(request)\n"
        "    except BrokerUnavailable:\n"
        "        raise web.HTTPServiceUnavailable(text='task queue unavailable')",
    ),
    "quart": (
        "Quart",
        "@app.errorhandler(BrokerUnavailable)\n"
        "async def broker_unavailable(exc):\n"
        "    return {'detail': 'task queue unavailable'}, 503",
    ),
}


@dataclass
class Summary:
    scanned: int = 0
    skipped_text: int = 0
    skipped_generated: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)
    unfixable: list[tuple[str, Unfixable]] = field(default_factory=list)
    silenced: list[tuple[str, Unfixable]] = field(default_factory=list)
    """Findings the checker would report but for a ``# noqa`` comment: the user's decision,
    listed, left alone, and no reason for exit status 1."""
    errors: list[tuple[str, str]] = field(default_factory=list)
    internal: list[tuple[str, str]] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)
    runtime_import: str | None = None
    requirement: str | None = None
    """The runtime library's requirement line, when rewritten files import it."""
    requirement_added: str | None = None
    """The dependency file it was added to, or "listed" when one already names it."""
    wired: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    """Check by hand: task bases, calls rewritten to run_blocking on an app not wired here."""
    waits: list[Note] = field(default_factory=list)
    """Result waits without a timeout."""
    in_tasks: list[Note] = field(default_factory=list)
    """Rewritten calls inside Celery tasks (they run in a worker)."""
    frameworks: list[str] = field(default_factory=list)
    instructions: str | None = None
    repository: str | None = None

    def as_json(self, status: int, mode: str) -> dict[str, Any]:
        def notes(items: list[Note]) -> list[dict[str, Any]]:
            return [{"path": p, "line": n, "note": t} for p, n, t in items]

        return {
            "mode": mode,
            "repository": self.repository,
            "files_scanned": self.scanned,
            "skipped_by_text_check": self.skipped_text,
            "skipped_generated": self.skipped_generated,
            "rewritten": self.changed,
            "fixed": dict(sorted(self.fixed.items())),
            "unfixable": [_finding(path, u) for path, u in self.unfixable],
            "silenced": [_finding(path, u) for path, u in self.silenced],
            "errors": [{"path": p, "error": e} for p, e in self.errors],
            "internal_errors": [{"path": p, "error": e} for p, e in self.internal],
            "runtime_module": self.runtime,
            "runtime_import": self.runtime_import,
            "requirement": self.requirement,
            "requirement_added_to": self.requirement_added,
            "wired": self.wired,
            "notes": notes(self.notes),
            "todo": {
                "requirement": self.requirement_step(),
                "error_handler": [
                    {"framework": HANDLERS[f][0], "snippet": self.handler(f)}
                    for f in self.frameworks
                ],
                "result_waits_without_timeout": notes(self.waits),
                "rewritten_in_worker_tasks": notes(self.in_tasks),
                "check_by_hand": notes(self.notes),
            },
            "instructions": self.instructions,
            "exit_status": status,
        }

    def needs_doing(self) -> bool:
        """Files changed (or would), or findings are left for a person."""
        return bool(self.changed or self.runtime or self.unfixable)

    def requirement_step(self) -> str | None:
        if self.requirement is None:
            return None
        if self.requirement_added == "listed":
            return f"the runtime library is among your dependencies; install {self.requirement}"
        if self.requirement_added:
            return f"install {self.requirement} (added to {self.requirement_added})"
        return f"add this line to your dependencies and install it: {self.requirement}"

    def handler(self, framework: str) -> str:
        module = self.runtime_import or "celery_asyncx"
        return f"from {module} import BrokerUnavailable\n\n{HANDLERS[framework][1]}"


def _finding(path: str, u: Unfixable) -> dict[str, Any]:
    f = u.finding
    return {
        "path": path,
        "line": f.line,
        "col": f.col + 1,
        "code": f.code,
        "reason": u.reason,
        "message": f.message,
    }


def print_summary(s: Summary, write: bool, out: TextIO | None = None) -> None:
    out = out or sys.stderr

    def say(text: str = "") -> None:
        print(text, file=out)

    verb = "rewritten" if write else "would be rewritten"
    say(
        f"{PROG}: {s.scanned} files scanned, {s.skipped_text} skipped by the text check, "
        f"{len(s.changed)} {verb}"
    )
    if s.fixed:
        say("calls fixed: " + ", ".join(f"{code} {n}" for code, n in sorted(s.fixed.items())))
    if s.runtime:
        say(f"runtime {'vendored' if write else 'to vendor'} in: {', '.join(s.runtime)}")
    if s.wired:
        say(f"app wired in: {', '.join(s.wired)}")
    if s.skipped_generated:
        say(f"skipped (@generated): {len(s.skipped_generated)}")
    for title, items in (
        ("unfixable findings", s.unfixable),
        ("left alone, silenced in the source (nothing to do)", s.silenced),
    ):
        if not items:
            continue
        say(f"{title}: {len(items)}")
        by_reason: dict[str, list[str]] = {}
        for path, u in items:
            by_reason.setdefault(u.reason, []).append(f"{path}:{u.finding.line} {u.finding.code}")
        for reason, where in sorted(by_reason.items()):
            say(f"  {reason} ({len(where)}):")
            for item in where:
                say(f"    {item}")
    for path, error in s.errors:
        say(f"{path}: error: {error}")
    for path, error in s.internal:
        say(
            f"{path}: internal error: {error} (this is a bug in {PROG}; please report it "
            "with this file)"
        )
    if s.instructions:
        print(s.instructions, file=out, end="")
    step = s.requirement_step()
    if not (s.changed and (step or s.frameworks or s.waits or s.in_tasks or s.notes)):
        return
    say("left to do:")
    if step:
        say(f"  - {step}")
    for framework in s.frameworks:
        name = HANDLERS[framework][0]
        say(f"  - map BrokerUnavailable to HTTP 503 ({name}), e.g.:")
        for line in s.handler(framework).splitlines():
            say(f"        {line}" if line else "")
    if s.waits:
        say("  - result waits without a timeout hold a dispatch thread for the whole outage;")
        say("    pass one, e.g. `await run_blocking(res.get, timeout=10)`:")
        for path, at, text in s.waits:
            say(f"      {path}:{at} {text}")
    if s.in_tasks:
        say("  - rewritten calls inside Celery tasks (they run in a worker, check the pool runs")
        say("    async tasks, e.g. celery_aio_pool):")
        for path, at, text in s.in_tasks:
            say(f"      {path}:{at} {text}")
    if s.notes:
        say("  - check by hand:")
        for path, at, text in s.notes:
            say(f"      {path}:{at} {text}")
