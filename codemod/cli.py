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

from . import factory
from .planner import PlanFailed, Planner
from .report import PROG, Summary, print_summary
from .roots import is_dotted
from .writer import carry_out

EXIT_OK, EXIT_CHANGED, EXIT_USAGE, EXIT_FILE_ERROR, EXIT_INTERNAL = 0, 1, 2, 3, 4

EPILOG = """\
rewrites (exactly what flake8-celery-async reports as fixable):
  t.delay(a)            -> await t.delayx(a)          (CEL001; apply_async, send_task alike)
  t.delay(a).id         -> (await t.delayx(a)).id
  chain(...).apply_async(x) / group(...)() / res.get(timeout=1) / app.control.revoke(tid)
                        -> await run_blocking(<the bound call>, <same arguments>)
  res.state             -> await read_result(res, "state")
  everything else reported (CEL007, CEL008, calls in generator expressions, # noqa'd lines)
  is left alone and listed as unfixable with its reason.

only what the fixes need: with nothing fixable, nothing is written (exit 0). The whole
repository (git root, else the nearest project file) is scanned cheaply, also when only some
files are given (the pre-commit fix hook), to find the tasks the rewritten calls dispatch, the
module constructing their app, and a runtime module of ours.

await t.delayx() only for a task of an app this run wires (@app.task / @shared_task in the
repository, followed through imports); any other receiver gets
  await run_blocking(t.delay, ...)   (works on every app; listed under "check by hand")

app factory (unless --no-factory): beside the module constructing that app, the runtime module
(--factory-name) is written; Celery(...) becomes CeleryAsync(...), Celery subclasses and direct
celery.Task subclasses are rebased onto CeleryAsync / AsyncTask. A file of that name that is
not ours is never overwritten: those tasks get the run_blocking form and the reason is shown.

imports: absolute, by the dotted name that resolves from the sys.path roots the repository's
own absolute imports show for each file (namespace packages, apps run from a subfolder, src
layouts, manage.py). A file that cannot import the runtime that way is left alone, with the
reason; --runtime-module DOTTED overrides.

plan first: every edit is decided before any file is written; a failure while planning
writes nothing.

exit status: 0 nothing changed; 1 files changed (or would change, with --check/--diff);
2 usage or config error; 3 a file could not be read, parsed or written (others were still
processed, unless it was needed to wire the app: then nothing is written); 4 internal error
(the message names the file; nothing is written). Options are also read from the
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.print_runtime:
        sys.stdout.buffer.write(factory.template())
        return EXIT_OK
    if args.jobs is not None and args.jobs < 1:
        return _usage("--jobs must be at least 1")
    if not args.factory_name.endswith(".py") or not is_dotted(args.factory_name[:-3]):
        return _usage("--factory-name must be NAME.py with NAME an identifier")
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
    if (s.changed or s.runtime) and not exit_zero:
        status = EXIT_CHANGED
    if s.errors:
        status = EXIT_FILE_ERROR
    if s.internal:
        status = EXIT_INTERNAL
    return status
