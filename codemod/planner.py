"""Decide every edit of a run before anything is written: the :class:`Plan`.

1. The checker's findings on the files given (the same check, project index included), and a
   cheap scan of the whole repository (from its git root, or the nearest project file) for app
   constructions, task definitions and the imports that tell the sys.path roots
   (:mod:`codemod.survey`, :mod:`codemod.project`). A run on one changed file (the pre-commit
   fix hook) therefore sees what a full run sees.
2. Each ``t.delay()`` the checker calls fixable is followed to its task and app. Only tasks of
   an app that is a ``CeleryAsync`` once the run is done (wired by it, or already) keep
   ``await t.delayx()``; any other receiver gets the form that works on every app,
   ``await run_blocking(t.delay, ...)``, and is listed to check by hand.
3. Rewritten files import the runtime library, ``from celery_asyncx import ...``, and the
   summary names the requirement line (added where the repository has one place for it).
   With ``--vendor`` the runtime package goes beside the app construction instead, and each
   file imports it by the name that resolves from that file's own roots; a file with no such
   name is left alone and the step is printed.
4. The libcst edits are computed for every file (nothing written yet). A planning failure —
   a bug, or wiring that could not be done — writes nothing.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.frontends.arguments import Front
from flake8_celery_async.project.files import Skipped, discover
from flake8_celery_async.project.modules import is_dotted

from . import factory, installs, project, runtime
from .edits import Rename, Unfixable
from .fixer import Outcome, digest, read_only
from .jobs import FixJob, Scan, ScanJob
from .plan import (
    NO_RUNTIME,
    NOT_IMPORTABLE,
    OFFLOADED,
    UNRESOLVED,
    Plan,
    PlanFailed,
    frameworks,
    instructions,
    items_of,
    moved,
    offloaded,
)
from .report import Summary
from .survey import Survey, depth

SCAN_POOL_THRESHOLD = 48
FIX_POOL_THRESHOLD = 6
_RELATIVE = re.compile(rb"^from[ \t]+\.", re.M)
_WAITS = frozenset({"get", "wait", "join", "join_native", "collect"})

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
        self.vendor = bool(args.vendor)
        self.stem = str(args.runtime_module or runtime.PACKAGE).rpartition(".")[2]
        self.summary = Summary()
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
        s.silenced = [(sc.path, Unfixable(f, why)) for sc in valid for f, why in sc.silenced]
        fixable = [sc for sc in valid if any(f.fix for f in sc.findings)]
        pending = {
            os.path.abspath(sc.path): [(sc.path, Unfixable(f, f.reason or "")) for f in sc.findings]
            for sc in valid
            if sc not in fixable
        }
        plan = Plan(summary=s)
        if fixable or self.args.runtime_module:
            self._context(files)
            self._check_runtime_module()
        if fixable:  # else nothing to wire, nothing written
            self._decide(fixable, plan)
        for outcome in plan.outcomes:  # the file as rewritten was checked again
            pending.pop(os.path.abspath(outcome.path), None)
        s.unfixable += [item for items in pending.values() for item in items]
        s.unfixable.sort(key=lambda item: (item[0], item[1].finding.line))
        return plan

    def _check_runtime_module(self) -> None:
        """``--runtime-module`` must name a module of the repository or an importable one."""
        name = self.args.runtime_module
        if not name:
            return
        if (
            self.survey.layout.resolve(os.path.join(self.survey.repo, "__main__.py"), name)
            is not None
        ):
            return  # a module of the repository (from any folder that holds its top name)
        try:
            if importlib.util.find_spec(name) is not None:
                return
        except (ImportError, ValueError):
            pass
        raise PlanFailed(2, UNRESOLVED.format(name=name))

    def _context(self, given: list[str]) -> None:
        """The whole repository, cheaply: its layout, tasks, apps and runtimes of ours."""
        self.survey = Survey(self.args.paths, given, self.exclude, self.base)
        self.summary.repository = self.survey.repo

    def _import(self, where: str | None, importer: str, app: str | None) -> str | None:
        """The dotted name ``importer`` imports the runtime by (``where``: the vendored
        runtime's ``__init__.py``; only ``--vendor`` has one)."""
        if self.args.runtime_module:
            return str(self.args.runtime_module)
        if not self.vendor:
            return runtime.PACKAGE
        if where is None:
            return None
        prefer = self.survey.layout.roots_of(app) if app else ()
        return self.survey.layout.module_for(where, importer, prefer)

    def _decide(self, fixable: list[Scan], plan: Plan) -> Plan:
        s = plan.summary
        wired: dict[str, str] = {}  # app file -> runtime path
        blocked: dict[str, str] = {}  # app file -> why it is not wired
        bases: dict[str, str] = {}  # task base file -> runtime path
        decided: dict[str, list[tuple[Finding, str | None]]] = {}  # path -> (finding, app)
        for sc in fixable:
            items: list[tuple[Finding, str | None]] = []
            for finding, facts in zip(sc.findings, sc.facts, strict=True):
                if finding.fix != "method":
                    items.append((finding, None))
                    continue
                app, why = self._app_of(sc.path, finding, facts, wired, blocked, bases)
                if app is None:
                    recv = facts.receiver or facts.text
                    note = OFFLOADED.format(recv=recv, method=finding.method, why=why)
                    s.notes.append((sc.path, finding.line, note))
                    finding = offloaded(finding)
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
            where = wired[app] if app else self._fallback_runtime(path, wired)
            module = self._import(where, path, app)
            if module is None or not is_dotted(module):
                reason = (
                    NO_RUNTIME
                    if where is None
                    else NOT_IMPORTABLE.format(
                        runtime=self.survey.show(where),
                        roots=", ".join(r or "." for r in self.survey.layout.search_roots(path)),
                        name=self.survey.runtime_name(where),
                    )
                )
                s.unfixable += [
                    (path, Unfixable(f, reason if f.fix else f.reason or ""))
                    for f in items_of(items)
                ]
                continue
            accepted[path] = (where, self._relative(path, module))
        # Only the apps (and task bases) of calls that are rewritten get wired.
        needed = {a for p in accepted for _, a in decided[p] if a is not None}
        for app in set(wired) - needed:
            del wired[app]
        for base in list(bases):
            if self._base_app[base] not in needed:
                del bases[base]
        for path, (where, module) in accepted.items():
            findings = items_of(decided[path])
            importers[path] = where or ""
            renames = self._renames(path, wired, bases)
            work.append((path, by_path[path].digest, findings, renames, module))
            self.modules_used.add(module)
            self._todo(path, by_path[path], findings)
        for app, where in {**wired, **bases}.items():
            path = self.survey.show(app)
            if path in importers:
                continue
            module = self._import(where, app, app)
            assert module is not None  # checked when the app was chosen
            module = self._relative(app, module)
            renames = self._renames(path, wired, bases)
            work.append((path, digest(self.survey.data[os.path.abspath(app)]), [], renames, module))
            importers[path] = where
        for app, why in sorted(blocked.items()):
            s.notes.append((self.survey.show(app), 1, f"Celery app not wired: {why}"))
        if any(u.reason == NO_RUNTIME for _, u in s.unfixable):
            s.instructions = instructions()
        if not work:
            return plan
        scan = self.scan_job
        fix = FixJob(self.settings, scan.select, scan.ignore, scan.per_file)
        outcomes = list(self._map(fix, sorted(work), FIX_POOL_THRESHOLD))
        wiring = {self.survey.show(a) for a in {**wired, **bases}}
        for outcome in outcomes:
            self._record(outcome, outcome.path in wiring, plan)
        used = {importers[o.path] for o in plan.outcomes} - {""}
        installs.runtimes(used, plan, self.survey, self.args.runtime_module, self.vendor)
        s.frameworks = frameworks(self.survey.frameworks_near([o.path for o in plan.outcomes]))
        s.wired = sorted(o.path for o in plan.outcomes if o.renamed)
        s.notes.sort()
        return plan

    def _relative(self, path: str, module: str) -> str:
        """``.celery_async`` for a module of the runtime's package (or below it) that already
        imports its package relatively: it is never run as a script, and that is its style."""
        text = self.survey.data.get(os.path.abspath(path), b"")
        if not self.vendor or not _RELATIVE.search(text):
            return module
        own = self.survey.layout.module_for(path, path)
        if own is None:
            return module
        package = own if path.endswith("__init__.py") else own.rpartition(".")[0]
        runtime_package, _, name = module.rpartition(".")
        if not runtime_package or not (package + ".").startswith(runtime_package + "."):
            return module
        up = package.count(".") - runtime_package.count(".")
        return "." * (up + 1) + name

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
        found = self.survey.project.task_app(
            os.path.abspath(path), facts.receiver, send_task=finding.method == "send_task"
        )
        if isinstance(found, str):
            return None, found
        app = found.app_path
        if app not in wired and app not in blocked:
            where, why = self.survey.runtime_for_app(app) if self.vendor else ("", None)
            if why is not None:
                raise PlanFailed(2, f"{why}; nothing was written")
            scan = factory.scan_source(self.survey.data[app], self.stem, self.survey.layout.tops)
            if self._import(where, app, app) is None:
                why = f"no import root of {self.survey.show(app)} holds {where}"
            elif not scan.app_site:
                shown = self.survey.show(app)
                why = f"the app's construction in {shown} is not one this tool rewires"
            elif self.args.no_factory and any(r.new == "CeleryAsync" for r in scan.renames):
                why = f"--no-factory, and the app in {self.survey.show(app)} is a stock Celery"
            if why is None:
                wired[app] = where
            else:
                blocked[app] = why
        if app in blocked:
            return None, f"its app is not wired: {blocked[app]}"
        base = found.base_path
        if base is not None and base != app and self.args.no_factory:
            return None, "--no-factory, and its task base is not rebased onto AsyncTask"
        if base is not None and base != app and base not in bases:
            if self._import(wired[app], base, app) is None:
                return None, "its task base cannot import the runtime"
            bases[base] = wired[app]
            self._base_app[base] = app
        return app, ""

    def _fallback_runtime(self, path: str, wired: dict[str, str]) -> str | None:
        """--vendor: the runtime a file with run_blocking rewrites only imports: the first it
        can import of those being wired, those of ours, and those beside each app construction
        (nearest first); else the nearest one (the caller says it is not importable), or None
        when the repository constructs no app. Every runtime a later run could find is a
        candidate here already, so a later run rewrites nothing this one left alone."""
        sites = self.survey.project.by_nearness(os.path.abspath(path))
        beside = [
            w for w, why in map(self.survey.runtime_for_app, sites) if why is None
        ]  # not a user's
        candidates = [*sorted(set(wired.values())), *sorted(self.survey.ours, key=depth), *beside]
        for where in candidates:
            if self._import(where, path, None):
                return where
        return beside[0] if beside else None

    def _renames(self, path: str, wired: dict[str, str], bases: dict[str, str]) -> list[Rename]:
        absolute = os.path.abspath(path)
        if self.args.no_factory or (absolute not in wired and absolute not in bases):
            return []
        app = factory.scan_source(self.survey.data[absolute], self.stem, self.survey.layout.tops)
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
            s.silenced = [(p, moved(u, delta) if p == path else u) for p, u in s.silenced]
        s.unfixable += [(path, u) for u in outcome.unfixable]
