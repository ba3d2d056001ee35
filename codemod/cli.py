"""``celery-async-codemod``: the command line. The planner decides every edit
(:mod:`codemod.planner`), the writer carries them out (:mod:`codemod.writer`), and the summary
says what is left (:mod:`codemod.report`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from flake8_celery_async import __version__
from flake8_celery_async.frontends.arguments import Front, add_arguments
from flake8_celery_async.frontends.config import ConfigError
from flake8_celery_async.project.modules import is_dotted

from . import runtime
from .plan import PlanFailed
from .planner import Planner
from .report import PROG, Summary, print_summary
from .writer import carry_out

EXIT_OK, EXIT_CHANGED, EXIT_USAGE, EXIT_FILE_ERROR, EXIT_INTERNAL = 0, 1, 2, 3, 4

EPILOG = """\
rewrites (exactly what flake8-celery-async reports as fixable):
  t.delay(a)            -> await t.delayx(a)          (CEL001; apply_async, send_task alike)
  t.delay(a).id         -> (await t.delayx(a)).id
  chain(...).apply_async(x) / group(...)() / res.get(timeout=1) / app.control.revoke(tid)
                        -> await run_blocking(<the bound call>, <same arguments>)
  res.state             -> await read_result(res, "state")
  everything else reported (CEL007, CEL008, calls in generator expressions) is left alone
  and listed with file:line and its reason.

the runtime: rewritten files import `from celery_asyncx import ...` (the celery-asyncx
library); the summary's first step is its requirement line, added to the repository's one
dependency file (a requirements.txt or [project] dependencies) when it has exactly one; lock
files are never edited. --vendor writes the runtime package into the repository instead,
beside the app, imported by the dotted name the repository's own imports resolve from.

await t.delayx() only for a task of an app that is a CeleryAsync once the run is done: this
run wires the app of every such task (Celery(...) -> CeleryAsync(...), Celery subclasses and
direct celery.Task subclasses rebased); any other receiver, and every call with --no-factory
unless its app already is a CeleryAsync, gets
  await run_blocking(t.delay, ...)   (works on any app; listed under "check by hand")
Code with no app in the repository (a library) gets the run_blocking form.

plan first: every edit is decided before any file is written; a failure while planning
writes nothing.

exit status: 0 nothing to change and no finding left; 1 files changed (or would, with
--check/--diff), or findings left to fix by hand (listed); --exit-zero-even-if-changed makes
changed files alone exit 0; 2 usage or config error (e.g. a --runtime-module that resolves
nowhere: nothing written); 3 a file could not be read, parsed or written (others were still
processed, unless it was needed to wire the app: then nothing is written); 4 internal error
(the message names the file; nothing is written). Findings silenced by # noqa are listed
as left alone and alone exit 0. Options are also read from the [flake8]
section of setup.cfg, tox.ini or .flake8, like flake8-celery-async.
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--check", action="store_true", help="write nothing; list files that would change"
    )
    mode.add_argument("--diff", action="store_true", help="write nothing; print a unified diff")
    parser.add_argument(
        "--exit-zero-even-if-changed", action="store_true", help="exit 0 when files changed"
    )
    add_arguments(parser)  # paths, config, select/ignore, exclude, jobs: as the checker's
    parser.add_argument(
        "--no-factory", action="store_true", help="do not write or wire the runtime module"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--vendor",
        action="store_true",
        help=f"write the runtime package ({runtime.PACKAGE}/) into the repository beside the "
        "app instead of importing the celery-asyncx library",
    )
    source.add_argument(
        "--runtime-module",
        metavar="DOTTED",
        help="import the runtime from this module (yours, or re-exporting celery_asyncx); it "
        "must be a module of the repository or importable",
    )
    parser.add_argument("--report", metavar="FILE.json", help="also write the summary as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        return _usage("--jobs must be at least 1")
    if args.vendor and args.no_factory:
        return _usage("--vendor places the runtime beside the app it wires: not with --no-factory")
    if args.runtime_module and not is_dotted(args.runtime_module):
        return _usage(f"--runtime-module {args.runtime_module!r} is not a dotted module name")
    try:
        front = Front(args)
    except ConfigError as e:
        return _usage(str(e))
    write = not (args.check or args.diff)
    planner = Planner(args, front)
    summary: Summary = planner.summary
    try:
        plan = planner.plan()
        summary = plan.summary
        carry_out(plan.outcomes, plan.runtimes, summary, write=write, diff=args.diff)
        status = _status(summary, args.exit_zero_even_if_changed)
    except PlanFailed as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        summary.changed, summary.runtime, summary.wired = [], [], []
        status = e.status
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug outside any one file's processing
        print(
            f"{PROG}: internal error: {type(e).__name__}: {e} (this is a bug; please report it)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        planner.close()
    if status != EXIT_USAGE:
        print_summary(summary, write)
    if args.report:
        try:
            with open(args.report, "w", encoding="utf-8") as f:
                mode = "check" if args.check else "diff" if args.diff else "write"
                json.dump(summary.as_json(status, mode), f, indent=2)
                f.write("\n")
        except OSError as e:
            print(f"{PROG}: error: cannot write the report: {e}", file=sys.stderr)
            status = max(status, EXIT_FILE_ERROR)
    return status


def _usage(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _status(s: Summary, exit_zero: bool) -> int:
    status = EXIT_OK
    if s.unfixable or ((s.changed or s.runtime) and not exit_zero):
        status = EXIT_CHANGED
    if s.errors:
        status = EXIT_FILE_ERROR
    if s.internal:
        status = EXIT_INTERNAL
    return status
