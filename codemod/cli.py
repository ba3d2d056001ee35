"""``celery-async-codemod``: rewrite blocking Celery calls in async code, and wire the app.

Two phases over the files. Phase 1 (every file): the checker's text check and ast analysis,
and an ast scan for Celery app constructions. Then the factory plan: where the runtime module
goes. Phase 2 (only files with something to fix or wire): libcst edits, written atomically.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flake8_celery_async import __version__
from flake8_celery_async.analysis import Finding
from flake8_celery_async.check import check_source, split_lines
from flake8_celery_async.config import Config, ConfigError, ignores_for, split_list
from flake8_celery_async.files import Skipped, discover
from flake8_celery_async.settings import OPTIONS, Settings

from . import factory
from .command import Rename, Unfixable
from .fixer import (
    FileChanged,
    Outcome,
    detect_encoding,
    digest,
    fix_source,
    is_generated,
    read_only,
    write_atomically,
)

PROG = "celery-async-codemod"
EXIT_OK, EXIT_CHANGED, EXIT_USAGE, EXIT_FILE_ERROR, EXIT_INTERNAL = 0, 1, 2, 3, 4
# Below this many files, a process pool costs more than it saves (the ast phase is ~1 ms a
# file; a libcst rewrite is ~20-50 ms).
SCAN_POOL_THRESHOLD = 48
FIX_POOL_THRESHOLD = 6

EPILOG = """\
rewrites (exactly what flake8-celery-async reports as fixable):
  t.delay(a)            -> await t.delayx(a)          (CEL001; apply_async, send_task alike)
  t.delay(a).id         -> (await t.delayx(a)).id
  chain(...).apply_async(x) / group(...)() / res.get(timeout=1) / app.control.revoke(tid)
                        -> await run_blocking(<the bound call>, <same arguments>)
  res.state             -> await read_result(res, "state")
  everything else reported (CEL007, CEL008, calls in generator expressions, # noqa'd lines)
  is left alone and listed as unfixable with its reason.

app factory (unless --no-factory): the module constructing Celery(...) gets the runtime module
(--factory-name) written beside it; Celery(...) becomes CeleryAsync(...), subclasses of Celery
and direct subclasses of celery.Task are rebased onto CeleryAsync / AsyncTask. A file of that
name that is not ours stops the run (exit 2, nothing written). With no construction found,
nothing is written for it and the steps to finish by hand are printed. Task bases that will
not get the async methods (e.g. base=SomeLibraryTask) are listed under "check by hand".

imports: absolute, `from <package>.celery_async import run_blocking`, the dotted name found by
walking up __init__.py files from the runtime module's directory.

exit status: 0 nothing changed; 1 files changed (or would change, with --check/--diff);
2 usage or config error; 3 a file could not be read, parsed or written (others were still
processed); 4 internal error (the message names the file). Options are also read from the
[flake8] section of setup.cfg, tox.ini or .flake8, like flake8-celery-async.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Rewrite synchronous Celery calls in async def bodies (the fixable "
        "flake8-celery-async findings) to awaited async dispatch, and add the patched app "
        "factory module.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], help="files and directories (default: .)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="write nothing; list files that would change"
    )
    mode.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    parser.add_argument(
        "--exit-zero-even-if-changed", action="store_true", help="exit 0 when files changed"
    )
    parser.add_argument(
        "--select",
        metavar="CODES",
        help="fix only these comma-separated code prefixes (default: CEL), e.g. CEL001,CEL002 "
        "to migrate in steps",
    )
    parser.add_argument(
        "--ignore", metavar="CODES", help="comma-separated code prefixes not to fix"
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="processes to use (default: CPU count)"
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip files and directories matching GLOB when walking (repeatable, comma-separated)",
    )
    parser.add_argument(
        "--no-factory", action="store_true", help="do not write or wire the runtime module"
    )
    parser.add_argument(
        "--factory-name",
        default=factory.DEFAULT_NAME,
        metavar="NAME.py",
        help="file name of the runtime module (default: celery_async.py)",
    )
    parser.add_argument(
        "--runtime-module",
        metavar="DOTTED",
        help="import the runtime from this module instead of the one found or written "
        "(nothing is written for it)",
    )
    parser.add_argument("--report", metavar="FILE.json", help="also write the summary as JSON")
    parser.add_argument(
        "--print-runtime", action="store_true", help="print the runtime module and exit"
    )
    parser.add_argument("--config", help="read this config file instead of searching for one")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    for option in OPTIONS:
        parser.add_argument(option.flag, dest=option.dest, default=None, help=option.help)
    return parser


# -- phase 1: scan -------------------------------------------------------------------------------


@dataclass
class Scan:
    path: str
    digest: str = ""
    findings: list[Finding] = field(default_factory=list)
    app: factory.AppScan | None = None
    parsed: bool = False
    ours: bool = False
    generated: bool = False
    error: str | None = None
    internal_error: str | None = None


@dataclass(frozen=True)
class ScanJob:
    settings: Settings
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    per_file: tuple[tuple[str, tuple[str, ...]], ...]
    wire: bool
    runtime_stem: str

    def read(self, path: str) -> tuple[Scan, bytes | None]:
        """Read and classify a file; the bytes are ``None`` when no parse is needed."""
        scan = Scan(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            scan.error = f"cannot read: {e.strerror or e}"
            return scan, None
        if factory.is_ours(data):
            scan.ours = True
            return scan, None
        if is_generated(data):
            scan.generated = True
            return scan, None
        if self.settings.may_have_findings(data) or (self.wire and factory.may_wire(data)):
            return scan, data
        return scan, None  # the cheap text checks: nothing to report, nothing to wire

    def __call__(self, path: str) -> Scan:
        scan, data = self.read(path)
        if data is None:
            return scan
        scan.digest = digest(data)
        try:
            ignore = ignores_for(path, self.ignore, self.per_file)
            result = check_source(data, self.settings, self.select, ignore, path)
            scan.parsed, scan.error = result.parsed, result.error
            scan.findings = result.findings
            if self.wire and not scan.error:
                scan.app = factory.scan_source(data, self.runtime_stem, path)
        except Exception as e:  # a bug in this tool: report it with the file, keep going
            scan.internal_error = f"{type(e).__name__}: {e}"
        return scan


# -- phase 2: fix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixJob:
    settings: Settings
    write: bool
    select: tuple[str, ...] = ("CEL",)
    ignore: tuple[str, ...] = ()
    per_file: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __call__(self, item: tuple[str, str, list[Finding], list[Rename], str]) -> Outcome:
        path, expected, findings, renames, runtime_module = item
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return Outcome(path, error=f"cannot read: {e.strerror or e}")
        if digest(data) != expected:
            return Outcome(path, data, error="changed while the codemod ran; left alone")
        try:
            outcome = fix_source(
                data,
                self.settings,
                path=path,
                runtime_module=runtime_module,
                findings=findings,
                renames=renames,
                select=self.select,
                ignore=ignores_for(path, self.ignore, self.per_file),
            )
        except Exception as e:  # a bug in this tool: report it with the file, keep going
            return Outcome(path, data, internal_error=f"{type(e).__name__}: {e}")
        if self.write and outcome.new_data is not None:
            _write(outcome)
        return outcome


def _write(outcome: Outcome) -> None:
    assert outcome.new_data is not None
    try:
        if read_only(outcome.path):
            outcome.error = "read-only: not written"
            return
        write_atomically(outcome.path, outcome.data, outcome.new_data)
        outcome.written = True
    except FileChanged:
        outcome.error = "changed on disk while the codemod ran: not written"
    except OSError as e:
        outcome.error = f"cannot write: {e.strerror or e}"


T = TypeVar("T")
R = TypeVar("R")


def _map(
    fn: Callable[[T], R], items: Sequence[T], pool: Callable[[], Executor] | None
) -> Iterator[R]:
    if pool is None:
        return map(fn, items)
    return pool().map(fn, items, chunksize=max(1, min(16, len(items) // 32)))


# -- the run -------------------------------------------------------------------------------------


@dataclass
class Summary:
    scanned: int = 0
    skipped_text: int = 0
    skipped_generated: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    fixed: Counter[str] = field(default_factory=Counter)
    unfixable: list[tuple[str, Unfixable]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    internal: list[tuple[str, str]] = field(default_factory=list)
    runtime: list[str] = field(default_factory=list)
    wired: list[str] = field(default_factory=list)
    notes: list[tuple[str, int, str]] = field(default_factory=list)
    instructions: str | None = None

    def as_json(self, status: int, mode: str) -> dict[str, Any]:
        return {
            "mode": mode,
            "files_scanned": self.scanned,
            "skipped_by_text_check": self.skipped_text,
            "skipped_generated": self.skipped_generated,
            "rewritten": self.changed,
            "fixed": dict(sorted(self.fixed.items())),
            "unfixable": [
                {
                    "path": path,
                    "line": u.finding.line,
                    "col": u.finding.col + 1,
                    "code": u.finding.code,
                    "reason": u.reason,
                    "message": u.finding.message,
                }
                for path, u in self.unfixable
            ],
            "errors": [{"path": p, "error": e} for p, e in self.errors],
            "internal_errors": [{"path": p, "error": e} for p, e in self.internal],
            "runtime_module": self.runtime,
            "wired": self.wired,
            "notes": [{"path": p, "line": n, "note": t} for p, n, t in self.notes],
            "instructions": self.instructions,
            "exit_status": status,
        }


class Run:
    def __init__(self, args: argparse.Namespace, config: Config, settings: Settings) -> None:
        self.args = args
        self.settings = settings
        self.write = not (args.check or args.diff)
        self.summary = Summary()
        self.jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self.existing_runtime: str | None = None
        select, ignore = config.select_and_ignore(args)
        per_file = tuple((p, tuple(c)) for p, c in config.per_file_ignores())
        self.exclude = [p for raw in args.exclude for p in split_list(raw)]
        self.exclude += config.get_list("exclude") + config.get_list("extend-exclude")
        self.base = str(config.base)
        self.scan_job = ScanJob(
            settings,
            tuple(select),
            tuple(ignore),
            per_file,
            wire=not args.no_factory,
            runtime_stem=Path(args.factory_name).stem,
        )

    def pool(self) -> Executor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.jobs)
        return self._pool

    def _pool_for(self, count: int, threshold: int) -> Callable[[], Executor] | None:
        return self.pool if self.jobs > 1 and count >= threshold else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def execute(self) -> int:
        s = self.summary
        skipped: list[Skipped] = []
        files = list(
            discover(self.args.paths, self.exclude, base=self.base, gitignore=True, skipped=skipped)
        )
        s.errors += [(skip.path, skip.reason) for skip in skipped]
        scans = sorted(self._scan(files), key=lambda sc: sc.path)
        for sc in scans:
            s.scanned += 1
            if sc.internal_error:
                s.internal.append((sc.path, sc.internal_error))
            elif sc.error:
                s.errors.append((sc.path, sc.error))
            elif sc.generated:
                s.skipped_generated.append(sc.path)
            elif not sc.parsed and not sc.ours and not (sc.app and sc.app.renames):
                s.skipped_text += 1
        valid = [sc for sc in scans if not sc.error and not sc.internal_error]
        for sc in valid:
            if sc.app is not None:
                s.notes += [(sc.path, line, text) for line, text in sc.app.notes]

        plan = self._plan(valid)
        if plan is not None and plan.conflict and not self.args.runtime_module:
            print(f"{PROG}: error: {plan.conflict}", file=sys.stderr)
            return EXIT_USAGE

        work: list[tuple[str, str, list[Finding], list[Rename], str]] = []
        for sc in valid:
            wire = plan is not None and (plan.runtimes or self.args.runtime_module)
            renames = sc.app.renames if sc.app is not None and wire else []
            if any(f.fix for f in sc.findings) or renames:
                runtime = self._runtime_module(plan, sc.path)
                work.append((sc.path, sc.digest, sc.findings, renames, runtime))
            else:
                s.unfixable += [(sc.path, Unfixable(f, f.reason or "")) for f in sc.findings]
        scan = self.scan_job
        fix = FixJob(self.settings, self.write, scan.select, scan.ignore, scan.per_file)
        for outcome in _map(fix, work, self._pool_for(len(work), FIX_POOL_THRESHOLD)):
            self._record(outcome)
        if plan is not None and (s.fixed or s.wired or any(r.exists for r in plan.runtimes)):
            self._runtime(plan)
        elif plan is None and s.fixed and not self.args.runtime_module:
            module = self.existing_runtime or Path(self.args.factory_name).stem
            s.instructions = (
                f"--no-factory: the rewritten files import from `{module}`; make sure it is "
                f"importable (`{PROG} --print-runtime` prints the module) and that your app is a "
                "CeleryAsync (or uses task_cls=AsyncTask).\n"
            )
        return self._status()

    def _scan(self, files: list[str]) -> Iterable[Scan]:
        """Cheap checks here; only files that need a parse go to the job (and maybe a pool)."""
        scans: list[Scan] = []
        candidates: list[str] = []
        for path in files:
            scan, data = self.scan_job.read(path)
            if data is None:
                scans.append(scan)
            else:
                candidates.append(path)
        pool = self._pool_for(len(candidates), SCAN_POOL_THRESHOLD)
        return [*scans, *_map(self.scan_job, candidates, pool)]

    def _plan(self, scans: list[Scan]) -> factory.Plan | None:
        existing = [
            sc.path
            for sc in scans
            if sc.ours and os.path.basename(sc.path) == self.args.factory_name
        ]
        needing = [
            sc.path
            for sc in scans
            if any(f.fix for f in sc.findings) or (sc.app is not None and sc.app.renames)
        ]
        roots = {factory.module_name(p)[1] for p in existing}
        existing += factory.find_existing(needing, self.args.factory_name, roots)
        if existing:
            self.existing_runtime = factory.module_name(min(existing))[0]
        if self.args.no_factory:
            return None
        sites = [sc.path for sc in scans if sc.app is not None and sc.app.app_site]
        first = self.args.paths[0] if self.args.paths else "."
        fallback_dir = first if os.path.isdir(first) else os.path.dirname(first) or "."
        return factory.plan(sites, existing, self.args.factory_name, fallback_dir)

    def _runtime_module(self, plan: factory.Plan | None, path: str) -> str:
        if self.args.runtime_module:
            return str(self.args.runtime_module)
        runtime = plan.runtime_for(path) if plan is not None else None
        if runtime is not None:
            return runtime.module
        return self.existing_runtime or Path(self.args.factory_name).stem

    def _record(self, outcome: Outcome) -> None:
        s = self.summary
        path = outcome.path
        if outcome.internal_error:
            s.internal.append((path, outcome.internal_error))
        written = outcome.error is None or not self.write
        if outcome.changed and not outcome.internal_error and written:
            s.changed.append(path)
            s.fixed.update(f.code for f in outcome.fixed)
            if outcome.renamed:
                s.wired.append(path)
            self._announce(path, outcome.data, outcome.new_data)
        if outcome.error:
            s.errors.append((path, outcome.error))
        s.unfixable += [(path, u) for u in outcome.unfixable]

    def _announce(self, path: str, old: bytes, new: bytes | None, verb: str = "rewrite") -> None:
        if self.args.diff:
            sys.stdout.write(_diff(path, old, new or b""))
        elif self.args.check:
            print(f"Would {verb} {path}", file=sys.stderr)
        else:
            print(f"{verb.capitalize()[:-1]}ing {path}", file=sys.stderr)

    def _runtime(self, plan: factory.Plan) -> None:
        s = self.summary
        if self.args.runtime_module:
            return
        if not plan.runtimes:
            assert plan.fallback is not None
            if s.fixed:
                s.instructions = factory.instructions(plan.fallback, self.args.factory_name)
            return
        new = factory.template()
        for runtime in plan.runtimes:
            try:
                with open(runtime.path, "rb") as f:
                    old: bytes | None = f.read()
            except FileNotFoundError:
                old = None
            except OSError as e:
                s.errors.append((runtime.path, f"cannot read: {e.strerror or e}"))
                continue
            if old == new:
                continue
            if old is not None and not factory.is_ours(old):  # appeared since the plan
                s.errors.append((runtime.path, "exists and is not ours: not written"))
                continue
            s.runtime.append(runtime.path)
            self._announce(runtime.path, old or b"", new, "write" if old is None else "rewrite")
            if self.write:
                self._write_runtime(runtime.path, old, new)

    def _write_runtime(self, path: str, old: bytes | None, new: bytes) -> None:
        try:
            if old is None:
                with open(path, "xb") as f:
                    f.write(new)
            else:
                write_atomically(path, old, new)
        except (OSError, FileChanged) as e:
            self.summary.errors.append((path, f"cannot write the runtime module: {e}"))

    def _status(self) -> int:
        s = self.summary
        status = EXIT_OK
        if (s.changed or s.runtime) and not self.args.exit_zero_even_if_changed:
            status = EXIT_CHANGED
        if s.errors:
            status = EXIT_FILE_ERROR
        if s.internal:
            status = EXIT_INTERNAL
        return status


def _diff(path: str, old: bytes, new: bytes) -> str:
    def lines(data: bytes) -> list[str]:
        try:
            text = data.decode(detect_encoding(data))
        except (SyntaxError, LookupError, UnicodeDecodeError):
            text = data.decode("utf-8", errors="replace")
        return split_lines(text)  # Python's line breaks only, not str.splitlines' \x0c etc.

    diff = difflib.unified_diff(lines(old), lines(new), f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)


def print_summary(s: Summary, write: bool, out: Any = None) -> None:
    out = out or sys.stderr
    verb = "rewritten" if write else "would be rewritten"
    print(
        f"{PROG}: {s.scanned} files scanned, {s.skipped_text} skipped by the text check, "
        f"{len(s.changed)} {verb}",
        file=out,
    )
    if s.fixed:
        counts = ", ".join(f"{code} {n}" for code, n in sorted(s.fixed.items()))
        print(f"calls fixed: {counts}", file=out)
    if s.runtime:
        print(
            f"runtime module {'written' if write else 'to write'}: {', '.join(s.runtime)}", file=out
        )
    if s.wired:
        print(f"app wired in: {', '.join(s.wired)}", file=out)
    if s.skipped_generated:
        print(f"skipped (@generated): {len(s.skipped_generated)}", file=out)
    if s.unfixable:
        print(f"unfixable findings: {len(s.unfixable)}", file=out)
        by_reason: dict[str, list[str]] = {}
        for path, u in s.unfixable:
            by_reason.setdefault(u.reason, []).append(f"{path}:{u.finding.line} {u.finding.code}")
        for reason, where in sorted(by_reason.items()):
            print(f"  {reason} ({len(where)}):", file=out)
            for item in where:
                print(f"    {item}", file=out)
    if s.notes:
        print("check by hand:", file=out)
        for path, line, text in s.notes:
            print(f"  {path}:{line} {text}", file=out)
    for path, error in s.errors:
        print(f"{path}: error: {error}", file=out)
    for path, error in s.internal:
        print(
            f"{path}: internal error: {error} (this is a bug in {PROG}; please report it "
            "with this file)",
            file=out,
        )
    if s.instructions:
        print(s.instructions, file=out, end="")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.print_runtime:
        sys.stdout.buffer.write(factory.template())
        return EXIT_OK
    if args.jobs is not None and args.jobs < 1:
        print(f"{PROG}: error: --jobs must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if not args.factory_name.endswith(".py") or not args.factory_name[:-3].isidentifier():
        print(
            f"{PROG}: error: --factory-name must be NAME.py with NAME an identifier",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        config, settings = Config.from_args(args)
    except ConfigError as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    run = Run(args, config, settings)
    try:
        status = run.execute()
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug outside any one file's processing
        print(
            f"{PROG}: internal error: {type(e).__name__}: {e} (this is a bug; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        run.close()
    if status != EXIT_USAGE:
        print_summary(run.summary, run.write)
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as f:
                mode = "check" if args.check else "diff" if args.diff else "write"
                json.dump(run.summary.as_json(status, mode), f, indent=2)
                f.write("\n")
        except OSError as e:
            print(f"{PROG}: error: cannot write the report: {e}", file=sys.stderr)
            status = max(status, EXIT_FILE_ERROR)
    return status
