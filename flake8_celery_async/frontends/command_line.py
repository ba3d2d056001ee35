"""``flake8-celery-async``: the CEL rules without flake8, fast enough for every commit.

Same findings and output format as ``flake8 --select CEL``; reads the same ``[flake8]`` config.

Exit status: 0 nothing found, 1 findings, 2 usage or config error, 3 a file could not be read
or parsed (and nothing worse), 4 an internal error (a bug: the message names the file).
"""

from __future__ import annotations

import argparse
import gc
import marshal
import os
import sys
from collections.abc import Sequence

from .. import __version__
from ..pipeline.check import (
    FileResult,
    cache_key,
    check_source,
    finish_index,
    prepare_index,
    selected,
    unchanged_results,
)  # fmt: skip
from ..project.files import Skipped, discover
from ..project.fork import taken, work_queue
from ..settings import Settings
from ..syntax.source import read_bytes
from .arguments import FORMATS, Front, add_arguments
from .config import ConfigError, ignores_for

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FILE_ERROR, EXIT_INTERNAL = 0, 1, 2, 3, 4
# Below this many files, forking costs more than splitting the reads and text checks saves.
PARALLEL_THRESHOLD = 256


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, with the terminal's width found as ``shutil.get_terminal_size`` finds it,
    without importing ``shutil`` (and ``bz2``, ``lzma``): argparse makes a formatter for every
    option it adds, and that import was 1.5 ms of a warm run that prints no help."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
        width: int | None = None,
    ) -> None:  # fmt: skip
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _columns() -> int:
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):  # no stdout, or not a terminal
        return 80


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flake8-celery-async",
        formatter_class=_HelpFormatter,
        description="Report synchronous Celery calls (broker and result-backend I/O) inside "
        "async def bodies, where they block the asyncio event loop. Same rules and output as "
        "`flake8 --select CEL`, without running flake8.",
        epilog="Exit status: 0 clean, 1 findings, 2 usage/config error, 3 unreadable or "
        "unparsable file, 4 internal error. Options are also read from the [flake8] section "
        "of setup.cfg, tox.ini or .flake8 (the first found from the current directory up).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_arguments(parser, FORMATS)
    parser.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even with findings or files that could not be checked, as flake8 does "
        "(usage errors still exit 2, internal errors 4)",
    )
    parser.add_argument("--list-rules", action="store_true", help="print the rule table and exit")
    return parser


class _Job:
    """The per-file check with the run's settings."""

    def __init__(self, settings: Settings, select: Sequence[str], ignore: Sequence[str]) -> None:
        self.settings, self.select, self.ignore = settings, select, ignore

    def __call__(self, path: str) -> FileResult:
        try:
            data = read_bytes(path)
        except OSError as e:
            return FileResult(path, error=f"cannot read: {e.strerror or e}")
        try:
            return check_source(data, self.settings, self.select, self.ignore, path)
        except Exception as e:  # a bug in this tool: report it with the file, keep going
            return FileResult(path, internal_error=f"{type(e).__name__}: {e}")


def run_checks(paths: Sequence[str], job: _Job, jobs: int) -> list[FileResult]:
    """Check every file; with ``jobs`` > 1 and enough files, in that many processes.

    Most files end at the text check, so the work is reading and scanning bytes, and the
    few files analysed cost most: the processes take files from one queue (``work_queue``,
    a few at a time) until it is empty, each child sending back only what it found (a
    ``ProcessPoolExecutor`` costs more to import and start than the whole check here).
    Where ``fork`` is missing or unsafe (Windows, macOS), or a child fails, files are
    checked here.
    """
    if jobs < 2 or len(paths) < PARALLEL_THRESHOLD or sys.platform != "linux":
        return [job(path) for path in paths]
    # What is alive now is shared with the children: keep the collector off it, or its
    # bookkeeping writes would copy every page of it into each process (the gc module docs).
    gc.freeze()
    queue, batches = work_queue(paths, per=8)
    children = [_fork_child(job, queue, batches) for _ in range(1, jobs)]
    results = {path: job(path) for path in taken(queue, batches)}
    os.close(queue)
    complete = True
    for pid, pipe in children:
        with os.fdopen(pipe, "rb") as reader:
            sent = reader.read()
        if os.waitpid(pid, 0)[1] == 0:  # it wrote everything, then exited
            for item in marshal.loads(sent):
                result = FileResult.from_tuple(item)
                results[result.path] = result
        else:
            complete = False
    if complete:  # a file no process answered for was checked clean by a child
        return list(results.values())
    return [results[path] if path in results else job(path) for path in paths]  # again here


def _fork_child(job: _Job, queue: int, batches: list[Sequence[str]]) -> tuple[int, int]:
    """Fork a child that checks the files it takes from ``queue``; its pid and the pipe it
    answers on (only what it found: a clean file sends nothing)."""
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader
    status = 1
    try:  # the child: never returns, never runs the parent's cleanup
        os.close(reader)
        checked = map(job, taken(queue, batches))
        found = [result.as_tuple() for result in checked if not result.is_empty()]
        with os.fdopen(writer, "wb") as out:
            out.write(marshal.dumps(found))
        status = 0
    finally:
        os._exit(status)


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_rules:
        from ..rules import markdown_table

        sys.stdout.write(markdown_table())
        return EXIT_OK
    try:
        front = Front(args)
    except ConfigError as e:
        print(f"flake8-celery-async: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    select, ignore, per_file = front.select, front.ignore, front.per_file

    skipped: list[Skipped] = []
    files = list(discover(args.paths, front.exclude, base=front.base, skipped=skipped))
    indexes = prepare_index(
        files, front.settings, args.paths
    )  # the project index, shared by the workers
    job = _Job(front.settings, select, ignore)
    # The files of a project where nothing changed: lookups (those that failed last time
    # and the files of other projects are checked).
    key = cache_key(front.settings, select, ignore)
    results, known = unchanged_results(files, front.settings, key) if indexes else ([], set())
    files_left = [path for path in files if path not in known]
    results = sorted(results + run_checks(files_left, job, front.jobs), key=lambda r: r.path)
    finish_index(indexes, files_left, results, front.settings, select, ignore)

    status = EXIT_OK
    rows: list[tuple[str, int, int, str, str]] = []
    for skip in skipped:
        print(f"{skip.path}: error: {skip.reason}", file=sys.stderr)
        status = max(status, EXIT_FILE_ERROR)
    for result in results:
        if result.internal_error:
            print(
                f"{result.path}: internal error: {result.internal_error} (this is a bug in "
                "flake8-celery-async; please report it with this file)",
                file=sys.stderr,
            )
            status = EXIT_INTERNAL
        elif result.error:
            print(f"{result.path}: error: {result.error}; file skipped", file=sys.stderr)
            status = max(status, EXIT_FILE_ERROR)
        file_ignore = ignores_for(result.path, tuple(ignore), per_file) if per_file else ()
        for f in result.findings:
            if file_ignore and not selected(f.code, select, file_ignore):
                continue
            rows.append((result.path, f.line, f.col + 1, f.code, f.message))
    try:
        _print(rows, args.format)
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader left; say nothing more, as grep does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if args.exit_zero:  # flake8's meaning: what the run found, a file it could not check too
        return EXIT_INTERNAL if status == EXIT_INTERNAL else EXIT_OK
    if rows:
        status = max(status, EXIT_FINDINGS)
    return status


def _print(rows: list[tuple[str, int, int, str, str]], fmt: str) -> None:
    out = sys.stdout
    if fmt == "sarif":
        import json

        from .sarif import log

        json.dump(log(rows), out, indent=2)
        out.write("\n")
        return
    if fmt == "json":
        import json

        keys = ("path", "line", "col", "code", "message")
        json.dump([dict(zip(keys, row, strict=True)) for row in rows], out, indent=2)
        out.write("\n")
        return
    if fmt == "github":
        from ..rules import RULES

        names = {rule.code: rule.name for rule in RULES}
    for path, line, col, code, message in rows:
        if fmt == "github":
            title = _escape(f"{code} {names.get(code, '')}".strip(), prop=True)
            out.write(
                f"::error file={_escape(path, True)},line={line},col={col},title={title}::"
                f"{_escape(message)}\n"
            )
        else:
            out.write(f"{path}:{line}:{col}: {message}\n")
