"""Decide every edit of a run before anything is written: the :class:`Plan`.

1. The checker's text check and ast analysis on the files given (findings), and a cheap scan
   of the whole repository (from its git root, or the nearest project file) for app
   constructions, task definitions, runtime modules of ours and the imports that tell the
   sys.path roots (:mod:`codemod.roots`, :mod:`codemod.project`). A run on one changed file
   (the pre-commit fix hook) therefore sees what a full run sees.
2. Each ``t.delay()`` the checker calls fixable is followed to its task and app. Only tasks of
   an app this run wires keep ``await t.delayx()``; any other receiver gets the form that works
   on every app, ``await run_blocking(t.delay, ...)``, and is listed to check by hand.
3. The runtime module goes beside the app construction those tasks belong to, and each file
   imports it by the name that resolves from that file's own roots. When no root of a file holds
   it under a valid dotted name, that file is left alone and the step is printed.
4. The libcst edits are computed for every file (nothing written yet). A planning failure —
   a bug, or wiring that could not be done — writes nothing.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.frontends.arguments import Front
from flake8_celery_async.project.files import Skipped, discover

from . import factory, project
from .command import Rename, Unfixable
from .fixer import Outcome, digest, read_only
from .jobs import FixJob, Scan, ScanJob, find_root
from .report import HANDLERS, PROG, Summary
from .roots import Layout, is_dotted
from .writer import RuntimeWrite

SCAN_POOL_THRESHOLD = 48
FIX_POOL_THRESHOLD = 6
# What makes a file worth an ast scan for tasks and apps (or a package that re-exports them).
_CONTEXT = re.compile(
    rb"@\s*[\w.]*task\b|\bCelery\s*\(|CeleryAsync|create_celery_app|class\s+\w+\s*\([^)]*Task"
)
_FRAMEWORK = re.compile(
    r"^[ \t]*(?:from|import)[ \t]+(fastapi|starlette|django|sanic|aiohttp|quart)\b", re.M
)
_RELATIVE = re.compile(rb"^from[ \t]+\.", re.M)
_WAITS = frozenset({"get", "wait", "join", "join_native", "collect"})

NO_RUNTIME = (
    "no Celery app construction or runtime module of ours in the repository to import "
    "run_blocking from: left alone (see the steps below, or pass --runtime-module)"
)
NOT_IMPORTABLE = (
    "{runtime} cannot be imported from this file's import roots ({roots}): left alone; if its "
    "process can import {name}, rerun with --runtime-module {name}"
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


T = TypeVar("T")
R = TypeVar("R")


class Planner:
    def __init__(self, args: argparse.Namespace, front: Front) -> None:
        self.args = args
        self.settings = settings = front.settings
        self.jobs = front.jobs
        self._pool: ProcessPoolExecutor | None = None
        self.exclude = front.exclude  # --exclude replaces the config's, as in flake8
        self.base = str(front.base)
        self.scan_job = ScanJob(settings, tuple(front.select), tuple(front.ignore), front.per_file)
        self.stem = Path(args.factory_name).stem
        self.summary = Summary()
        self.data: dict[str, bytes] = {}
        self.modules_used: set[str] = set()
        self._base_app: dict[str, str] = {}  # task base file -> the app it was needed for

    # -- pools -----------------------------------------------------------------------------------

    def _map(self, fn: Callable[[T], R], items: Sequence[T], threshold: int) -> Iterator[R]:
        if self.jobs <= 1 or len(items) < threshold:
            return map(fn, items)
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.jobs)
        return self._pool.map(fn, items, chunksize=max(1, min(16, len(items) // 32)))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    # -- the plan --------------------------------------------------------------------------------

    def plan(self) -> Plan:
        s = self.summary
        skipped: list[Skipped] = []
        files = list(
            discover(self.args.paths, self.exclude, base=self.base, gitignore=True, skipped=skipped)
        )
        s.errors += [(skip.path, skip.reason) for skip in skipped]
        scans = sorted(self._map(self.scan_job, files, SCAN_POOL_THRESHOLD), key=lambda x: x.path)
        for sc in scans:
            s.scanned += 1
            if sc.internal_error:
                s.internal.append((sc.path, sc.internal_error))
            elif sc.error:
                s.errors.append((sc.path, sc.error))
            elif sc.generated:
                s.skipped_generated.append(sc.path)
            elif not sc.parsed:
                s.skipped_text += 1
        if s.internal:
            raise PlanFailed(4, "an internal error while reading the files: nothing written")
        valid = [sc for sc in scans if not sc.error]
        fixable = [sc for sc in valid if any(f.fix for f in sc.findings)]
        pending = {
            os.path.abspath(sc.path): [(sc.path, Unfixable(f, f.reason or "")) for f in sc.findings]
            for sc in valid
            if sc not in fixable
        }
        plan = Plan(summary=s)
        if fixable:  # else nothing to wire, nothing written
            self._context(files)
            self._decide(fixable, plan)
        for outcome in plan.outcomes:  # the file as rewritten was checked again
            pending.pop(os.path.abspath(outcome.path), None)
        s.unfixable += [item for items in pending.values() for item in items]
        s.unfixable.sort(key=lambda item: (item[0], item[1].finding.line))
        return plan

    def _context(self, given: list[str]) -> None:
        """The whole repository, cheaply: its layout, tasks, apps and runtimes of ours."""
        self.repo = find_root(self.args.paths)
        self.summary.repository = self.repo
        given_abs = {os.path.abspath(p): p for p in given}
        walked = list(discover([self.repo], self.exclude, base=self.base, gitignore=True))
        seen = {os.path.abspath(p) for p in walked}
        walked += [p for p in given if os.path.abspath(p) not in seen]  # given, though excluded
        texts: dict[str, str] = {}
        modules: dict[str, project.Module] = {}
        self.ours: list[str] = []
        self.frameworks: dict[str, set[str]] = {}  # file -> web frameworks it imports
        self.names: dict[str, str] = {}  # absolute path -> the path as the user gave it
        for path in walked:
            absolute = os.path.abspath(path)
            shown = given_abs.get(absolute) or _shown(absolute, self.args.paths)
            self.names[absolute] = shown
            try:
                with open(absolute, "rb") as f:
                    data = f.read()
            except OSError:
                continue
            self.data[absolute] = data
            if factory.is_ours(data):
                if os.path.basename(absolute) == self.args.factory_name:
                    self.ours.append(absolute)
                continue
            text = data.decode("utf-8", errors="replace")
            texts[absolute] = text
            found = set(_FRAMEWORK.findall(text))
            if found:
                self.frameworks[absolute] = found
            if _CONTEXT.search(data) or (absolute.endswith("__init__.py") and b"import" in data):
                module = project.scan(absolute, data)
                if module is not None:
                    modules[absolute] = module
        self.layout = Layout.build(self.repo, list(self.names), texts)
        self.project = project.Project(self.layout, modules, self.data)

    def show(self, path: str) -> str:
        return self.names.get(path) or _shown(path, self.args.paths)

    def _runtime_for_app(self, app: str) -> tuple[str, str | None]:
        """(runtime path, why it cannot be used) for the app constructed in ``app``."""
        beside = os.path.join(os.path.dirname(app), self.args.factory_name)
        if beside in self.ours:
            return beside, None
        reachable = [r for r in self.ours if self.layout.module_for(r, app)]
        if reachable:
            return min(reachable, key=_depth), None
        if os.path.lexists(beside) and not (self.args.runtime_module or self.args.no_factory):
            return beside, (
                f"{self.show(beside)} exists and is not the runtime module this tool "
                f"writes (its first line is not {factory.MARKER.decode()!r}); rename that file, "
                "or pass --factory-name NAME.py"
            )
        return beside, None

    def _import(self, runtime: str | None, importer: str, app: str | None) -> str | None:
        if self.args.runtime_module:
            return str(self.args.runtime_module)
        if self.args.no_factory:  # the user wires the app and saves the runtime
            ours = [m for r in self.ours if (m := self.layout.module_for(r, importer))]
            return ours[0] if ours else self.stem
        if runtime is None:
            return None
        prefer = self.layout.roots_of(app) if app else ()
        return self.layout.module_for(runtime, importer, prefer)

    def _decide(self, fixable: list[Scan], plan: Plan) -> Plan:
        s = plan.summary
        wired: dict[str, str] = {}  # app file -> runtime path
        blocked: dict[str, str] = {}  # app file -> why it is not wired
        bases: dict[str, str] = {}  # task base file -> runtime path
        decided: dict[str, list[tuple[Finding, str | None]]] = {}  # path -> (finding, app)
        for sc in fixable:
            items: list[tuple[Finding, str | None]] = []
            for finding, facts in zip(sc.findings, sc.facts, strict=True):
                if finding.fix != "method" or self.args.no_factory:
                    items.append((finding, None))
                    continue
                app, why = self._app_of(sc.path, finding, facts, wired, blocked, bases)
                if app is None:
                    recv = facts.receiver or facts.text
                    note = OFFLOADED.format(recv=recv, method=finding.method, why=why)
                    s.notes.append((sc.path, finding.line, note))
                    finding = _offloaded(finding)
                items.append((finding, app))
            decided[sc.path] = items
        work: list[tuple[str, str, list[Finding], list[Rename], str]] = []
        importers: dict[str, str] = {}  # file -> runtime path it imports ("": none of ours)
        by_path = {sc.path: sc for sc in fixable}
        accepted: dict[str, tuple[str | None, str]] = {}  # path -> (runtime, import name)
        for path, items in decided.items():
            apps = [a for _, a in items if a is not None]
            own = os.path.abspath(path)
            app = own if own in wired else apps[0] if apps else None
            runtime = wired[app] if app else self._fallback_runtime(path, wired)
            module = self._import(runtime, path, app)
            if module is None or not is_dotted(module):
                reason = (
                    NO_RUNTIME
                    if runtime is None
                    else NOT_IMPORTABLE.format(
                        runtime=self.show(runtime),
                        roots=", ".join(r or "." for r in self.layout.search_roots(path)),
                        name=self._runtime_name(runtime),
                    )
                )
                s.unfixable += [
                    (path, Unfixable(f, reason if f.fix else f.reason or ""))
                    for f in items_of(items)
                ]
                continue
            accepted[path] = (runtime, self._relative(path, module))
        # Only the apps (and task bases) of calls that are rewritten get wired.
        needed = {a for p in accepted for _, a in decided[p] if a is not None}
        for app in set(wired) - needed:
            del wired[app]
        for base in list(bases):
            if self._base_app[base] not in needed:
                del bases[base]
        for path, (runtime, module) in accepted.items():
            findings = items_of(decided[path])
            importers[path] = runtime or ""
            renames = self._renames(path, wired, bases)
            work.append((path, by_path[path].digest, findings, renames, module))
            self.modules_used.add(module)
            self._todo(path, by_path[path], findings)
        for app, runtime in {**wired, **bases}.items():
            path = self.show(app)
            if path in importers:
                continue
            module = self._import(runtime, app, app)
            assert module is not None  # checked when the app was chosen
            module = self._relative(app, module)
            renames = self._renames(path, wired, bases)
            work.append((path, digest(self.data[os.path.abspath(app)]), [], renames, module))
            importers[path] = runtime
        for app, why in sorted(blocked.items()):
            s.notes.append((self.show(app), 1, f"Celery app not wired: {why}"))
        if any(u.reason == NO_RUNTIME for _, u in s.unfixable):
            s.instructions = _instructions(self.args.factory_name)
        if not work:
            return plan
        scan = self.scan_job
        fix = FixJob(self.settings, scan.select, scan.ignore, scan.per_file)
        outcomes = list(self._map(fix, sorted(work), FIX_POOL_THRESHOLD))
        wiring = {self.show(a) for a in {**wired, **bases}}
        for outcome in outcomes:
            self._record(outcome, outcome.path in wiring, plan)
        used = {importers[o.path] for o in plan.outcomes} - {""}
        self._runtimes(used, plan)
        s.frameworks = _frameworks(self._frameworks_near([o.path for o in plan.outcomes]))
        s.wired = sorted(o.path for o in plan.outcomes if o.renamed)
        s.notes.sort()
        return plan

    def _runtime_name(self, runtime: str) -> str:
        """The runtime's dotted name as the modules beside it (its app's) import it."""
        here = os.path.dirname(runtime)
        for path in sorted(p for p in self.data if os.path.dirname(p) == here):
            name = self.layout.module_for(runtime, path)
            if name:
                return name
        return Path(runtime).stem

    def _relative(self, path: str, module: str) -> str:
        """``.celery_async`` for a module of the runtime's package (or below it) that already
        imports its package relatively: it is never run as a script, and that is its style."""
        text = self.data.get(os.path.abspath(path), b"")
        if self.args.runtime_module or not _RELATIVE.search(text):
            return module
        own = self.layout.module_for(path, path)
        if own is None:
            return module
        package = own if path.endswith("__init__.py") else own.rpartition(".")[0]
        runtime_package, _, name = module.rpartition(".")
        if not runtime_package or not (package + ".").startswith(runtime_package + "."):
            return module
        up = package.count(".") - runtime_package.count(".")
        return "." * (up + 1) + name

    def _frameworks_near(self, changed: list[str]) -> set[str]:
        """The web frameworks of the rewritten files, else of their top folders, else of the
        repository (a vendored library's framework is not the app's)."""
        paths = [os.path.abspath(p) for p in changed]

        def top(path: str) -> str:
            return os.path.relpath(path, self.repo).split(os.sep)[0]

        tops = {top(p) for p in paths}

        for near in (
            [v for f, v in self.frameworks.items() if f in paths],
            [v for f, v in self.frameworks.items() if top(f) in tops],
            list(self.frameworks.values()),
        ):
            if near:
                return set().union(*near)
        return set()

    def _app_of(
        self,
        path: str,
        finding: Finding,
        facts: project.CallFacts,
        wired: dict[str, str],
        blocked: dict[str, str],
        bases: dict[str, str],
    ) -> tuple[str | None, str]:
        """The app file whose task ``finding`` dispatches, if this run can wire it."""
        if facts.receiver is None:
            return None, "not a plain name"
        found = self.project.task_app(
            os.path.abspath(path), facts.receiver, send_task=finding.method == "send_task"
        )
        if isinstance(found, str):
            return None, found
        app = found.app_path
        if app not in wired and app not in blocked:
            runtime, why = self._runtime_for_app(app)
            if why is not None:
                raise PlanFailed(2, f"{why}; nothing was written")
            if self._import(runtime, app, app) is None:
                why = f"no import root of {self.show(app)} holds {runtime}"
            elif not factory.scan_source(self.data[app], self.stem, app).app_site:
                why = f"the app's construction in {self.show(app)} is not one this tool rewires"
            if why is None:
                wired[app] = runtime
            else:
                blocked[app] = why
        if app in blocked:
            return None, f"its app is not wired: {blocked[app]}"
        base = found.base_path
        if base is not None and base != app and base not in bases:
            if self._import(wired[app], base, app) is None:
                return None, "its task base cannot import the runtime"
            bases[base] = wired[app]
            self._base_app[base] = app
        return app, ""

    def _fallback_runtime(self, path: str, wired: dict[str, str]) -> str | None:
        """The runtime a file with run_blocking rewrites only imports: one being wired or one
        of ours that the file can import, else the one beside the nearest app construction
        (not wired); None when there is none or two are equally near."""
        for runtime in [*sorted(set(wired.values())), *sorted(self.ours, key=_depth)]:
            if self._import(runtime, path, None):
                return runtime
        here = os.path.dirname(os.path.abspath(path))
        sites = [p for p in self.project.app_sites() if not project._is_test(p)]
        near = sorted(
            ((len(os.path.commonpath([here, os.path.dirname(p)])), p) for p in sites),
            reverse=True,
        )
        if not near or (len(near) > 1 and near[0][0] == near[1][0]):
            return None
        runtime, why = self._runtime_for_app(near[0][1])
        if why is not None:
            raise PlanFailed(2, f"{why}; nothing was written")
        return runtime  # importable or not: the caller says which

    def _renames(self, path: str, wired: dict[str, str], bases: dict[str, str]) -> list[Rename]:
        absolute = os.path.abspath(path)
        if self.args.no_factory or (absolute not in wired and absolute not in bases):
            return []
        app = factory.scan_source(self.data[absolute], self.stem, absolute)
        if absolute in wired:
            self.summary.notes += [(path, line, text) for line, text in app.notes]
            return app.renames
        return [r for r in app.renames if r.new == "AsyncTask"]

    def _todo(self, path: str, scan: Scan, findings: list[Finding]) -> None:
        s = self.summary
        for finding, facts in zip(findings, scan.facts, strict=True):
            if finding.fix is None:
                continue
            if finding.method in _WAITS and finding.fix == "helper" and not facts.timeout:
                s.waits.append((path, finding.line, f"{facts.text}.{finding.method}()"))
            if facts.in_task:
                s.in_tasks.append((path, finding.line, f"in task {facts.in_task}"))

    def _record(self, outcome: Outcome, wiring: bool, plan: Plan) -> None:
        s = plan.summary
        path = outcome.path
        if outcome.internal_error:
            s.internal.append((path, outcome.internal_error))
            raise PlanFailed(4, f"{path}: internal error while planning: nothing written")
        if outcome.error and wiring:
            raise PlanFailed(
                3, f"{path}: cannot wire the app here ({outcome.error}): nothing written"
            )
        if outcome.error:
            s.errors.append((path, outcome.error))
        elif outcome.changed and read_only(path):
            if wiring:
                raise PlanFailed(3, f"{path}: read-only, the app cannot be wired: nothing written")
            s.errors.append((path, "read-only: not written"))
        elif outcome.changed:
            plan.outcomes.append(outcome)
            s.changed.append(path)
            s.fixed.update(f.code for f in outcome.fixed)
            assert outcome.new_data is not None
            # Imports added or removed at the top move every later line: say where it is now.
            delta = outcome.new_data.count(b"\n") - outcome.data.count(b"\n")
            for notes in (s.notes, s.waits, s.in_tasks):
                notes[:] = [(p, n + delta if p == path and n > 1 else n, t) for p, n, t in notes]
        s.unfixable += [(path, u) for u in outcome.unfixable]

    def _runtimes(self, used: set[str], plan: Plan) -> None:
        if self.args.runtime_module:
            plan.summary.runtime_import = str(self.args.runtime_module)
            return
        if self.args.no_factory:
            if plan.outcomes:
                names = sorted({m for m in self.modules_used})
                plan.summary.instructions = (
                    f"--no-factory: the rewritten files import from {', '.join(names)}; save "
                    f"it there (`{PROG} --print-runtime`) and make your app a CeleryAsync (or "
                    "use task_cls=AsyncTask).\n"
                )
            return
        new = factory.template()
        for runtime in sorted(used):
            old = self.data.get(runtime)
            if old is None and os.path.lexists(runtime):
                raise PlanFailed(2, f"{runtime} appeared while planning: nothing written")
            if old == new:
                continue
            path = self.show(runtime)
            plan.runtimes.append(RuntimeWrite(path, old, new))
            plan.summary.runtime.append(path)
        if used:
            plan.summary.runtime_import = self._runtime_name(sorted(used)[0])


def items_of(items: list[tuple[Finding, str | None]]) -> list[Finding]:
    return [f for f, _ in items]


def _depth(path: str) -> tuple[int, str]:
    return path.count(os.sep), path


def _shown(path: str, given: Sequence[str]) -> str:
    """A path as the user would write it: relative when they gave relative paths."""
    if any(os.path.isabs(p) for p in given):
        return path
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir) else rel


def _offloaded(finding: Finding) -> Finding:
    """The same finding, fixed with ``await run_blocking(t.delay, ...)``."""
    f = finding
    return Finding(
        f.line, f.col, f.end_line, f.end_col, f.code, f.message, f.method, "", "helper", None
    )


def _frameworks(found: set[str]) -> list[str]:
    if "fastapi" in found:
        found = found - {"starlette"}
    return [f for f in HANDLERS if f in found]


def _instructions(factory_name: str) -> str:
    return (
        "No Celery app construction (Celery(...) or a Celery subclass) and no runtime module of "
        "ours was found in the repository, so the files above were left alone. To finish:\n"
        f"  1. Save the runtime module beside the module that creates your Celery app:\n"
        f"       {PROG} --print-runtime > path/to/{factory_name}\n"
        "  2. Make that app a CeleryAsync (same arguments) so its tasks get delayx.\n"
        f"  3. Run again, or with --runtime-module <its dotted name> if this run cannot see "
        "the app.\n"
    )
