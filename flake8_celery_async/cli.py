"""``flake8-celery-async``: the CEL rules without flake8, fast enough for every commit.

Same findings and output format as ``flake8 --select CEL``; reads the same ``[flake8]`` config.

Exit status: 0 nothing found, 1 findings, 2 usage or config error, 3 a file could not be read
or parsed (and nothing worse), 4 an internal error (a bug: the message names the file).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence

from . import __version__
from .check import FileResult, check_file, check_source, selected
from .config import Config, ConfigError, ignores_for, split_list
from .files import Skipped, discover
from .rules import RULES, markdown_table
from .settings import OPTIONS, Settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_FILE_ERROR, EXIT_INTERNAL = 0, 1, 2, 3, 4
# Below this many files that pass the text check, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 48


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flake8-celery-async",
        description="Report synchronous Celery calls (broker and result-backend I/O) inside "
        "async def bodies, where they block the asyncio event loop. Same rules and output as "
        "`flake8 --select CEL`, without running flake8.",
        epilog="Exit status: 0 clean, 1 findings, 2 usage/config error, 3 unreadable or "
        "unparsable file, 4 internal error. Options are also read from the [flake8] section "
        "of setup.cfg, tox.ini or .flake8 (the first found from the current directory up).",
    )
    parser.add_argument(
        "paths", nargs="*", default=["."], help="files and directories (default: .)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", help="read this config file instead of searching for one")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.add_argument("--select", help="comma-separated code prefixes to report (default: CEL)")
    parser.add_argument("--ignore", help="comma-separated code prefixes not to report")
    parser.add_argument("--exclude", help="comma-separated glob patterns to skip when walking")
    parser.add_argument("--extend-exclude", help="more patterns to skip, added to --exclude")
    parser.add_argument(
        "--format",
        choices=("default", "json", "github"),
        default="default",
        help="default: path:line:col: CODE message; json: a list of objects; github: GitHub "
        "Actions workflow annotations",
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="processes to parse with (default: CPUs)"
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings")
    parser.add_argument("--list-rules", action="store_true", help="print the rule table and exit")
    for option in OPTIONS:
        parser.add_argument(option.flag, default=None, help=option.help)
    return parser


class _Job:
    """A picklable per-file check for the process pool."""

    def __init__(self, settings: Settings, select: Sequence[str], ignore: Sequence[str]) -> None:
        self.settings, self.select, self.ignore = settings, select, ignore

    def __call__(self, path: str) -> FileResult:
        return check_file(path, self.settings, self.select, self.ignore)

    def check(self, path: str, data: bytes) -> FileResult:
        try:
            return check_source(data, self.settings, self.select, self.ignore, path)
        except Exception as e:  # a bug in this tool: report it with the file, keep going
            return FileResult(path, internal_error=f"{type(e).__name__}: {e}")


def read_bytes(path: str) -> bytes:
    """A file's bytes with two syscalls less than ``open().read()``: this runs per file."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        data = os.read(fd, size + 1)
        if len(data) <= size:
            return data
        chunks = [data]  # the file grew, or st_size was not its size (procfs, pipes)
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def run_checks(paths: Sequence[str], job: _Job, jobs: int) -> Iterator[FileResult]:
    """Check every file; a pool only when enough files pass the cheap text check."""
    candidates: list[tuple[str, bytes]] = []
    for path in paths:
        try:
            data = read_bytes(path)
        except OSError as e:
            yield FileResult(path, error=f"cannot read: {e.strerror or e}")
            continue
        if job.settings.may_have_findings(data):
            candidates.append((path, data))
    if jobs > 1 and len(candidates) >= PARALLEL_THRESHOLD:
        from concurrent.futures import ProcessPoolExecutor  # only when it pays

        with ProcessPoolExecutor(jobs) as pool:
            yield from pool.map(job, [path for path, _ in candidates], chunksize=8)
    else:
        for path, data in candidates:
            yield job.check(path, data)


def _escape(value: str, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.list_rules:
        sys.stdout.write(markdown_table())
        return EXIT_OK
    try:
        config, settings = Config.from_args(args)
    except ConfigError as e:
        print(f"flake8-celery-async: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    select, ignore = config.select_and_ignore(args)
    exclude = split_list(args.exclude) if args.exclude else config.get_list("exclude")
    exclude += split_list(args.extend_exclude or "") + config.get_list("extend-exclude")
    per_file = tuple((pattern, tuple(codes)) for pattern, codes in config.per_file_ignores())
    jobs = args.jobs if args.jobs is not None else (os.cpu_count() or 1)

    skipped: list[Skipped] = []
    files = list(discover(args.paths, exclude, base=config.base, skipped=skipped))
    results = sorted(run_checks(files, _Job(settings, select, ignore), jobs), key=lambda r: r.path)

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
    _print(rows, args.format)
    if rows and not args.exit_zero:
        status = max(status, EXIT_FINDINGS)
    return status


def _print(rows: list[tuple[str, int, int, str, str]], fmt: str) -> None:
    out = sys.stdout
    if fmt == "json":
        import json

        keys = ("path", "line", "col", "code", "message")
        json.dump([dict(zip(keys, row, strict=True)) for row in rows], out, indent=2)
        out.write("\n")
        return
    for path, line, col, code, message in rows:
        if fmt == "github":
            title = _escape(f"{code} {RULE_NAMES.get(code, '')}".strip(), prop=True)
            out.write(
                f"::error file={_escape(path, True)},line={line},col={col},title={title}::"
                f"{_escape(message)}\n"
            )
        else:
            out.write(f"{path}:{line}:{col}: {message}\n")


RULE_NAMES = {rule.code: rule.name for rule in RULES}
