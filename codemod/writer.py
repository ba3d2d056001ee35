"""Carry out a plan: write every changed file atomically (or show it: ``--check``, ``--diff``).

Nothing here decides anything; the planner has checked that every file to write is still
writable and that a runtime module of that name is ours or absent.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass

from flake8_celery_async.syntax.source import split_lines

from .fixer import FileChanged, Outcome, detect_encoding, read_only, write_atomically
from .report import Summary


@dataclass
class RuntimeWrite:
    path: str
    old: bytes | None
    new: bytes


def carry_out(
    outcomes: list[Outcome],
    runtimes: list[RuntimeWrite],
    summary: Summary,
    *,
    write: bool,
    diff: bool,
) -> None:
    for outcome in outcomes:
        assert outcome.new_data is not None
        _announce(outcome.path, outcome.data, outcome.new_data, "rewrite", write, diff)
        if write:
            _write(outcome, summary)
    for runtime in runtimes:
        verb = "write" if runtime.old is None else "rewrite"
        if diff:  # the module's text is ours, not the user's code: one line is enough
            print(f"{verb} runtime module {runtime.path} ({len(runtime.new)} bytes)")
        else:
            _announce(runtime.path, runtime.old or b"", runtime.new, verb, write, diff)
        if write:
            _write_runtime(runtime, summary)


def _announce(path: str, old: bytes, new: bytes, verb: str, write: bool, diff: bool) -> None:
    if diff:
        sys.stdout.write(unified_diff(path, old, new))
    elif not write:
        print(f"Would {verb} {path}", file=sys.stderr)
    else:
        print(f"{verb.capitalize()[:-1]}ing {path}", file=sys.stderr)


def _write(outcome: Outcome, summary: Summary) -> None:
    assert outcome.new_data is not None
    try:
        if read_only(outcome.path):
            summary.errors.append((outcome.path, "read-only: not written"))
            return
        write_atomically(outcome.path, outcome.data, outcome.new_data)
    except FileChanged:
        summary.errors.append((outcome.path, "changed on disk while the codemod ran: not written"))
    except OSError as e:
        summary.errors.append((outcome.path, f"cannot write: {e.strerror or e}"))


def _write_runtime(runtime: RuntimeWrite, summary: Summary) -> None:
    try:
        if runtime.old is None:
            with open(runtime.path, "xb") as f:
                f.write(runtime.new)
        else:
            write_atomically(runtime.path, runtime.old, runtime.new)
    except (OSError, FileChanged) as e:
        summary.errors.append((runtime.path, f"cannot write the runtime module: {e}"))


def unified_diff(path: str, old: bytes, new: bytes) -> str:
    def lines(data: bytes) -> list[str]:
        try:
            text = data.decode(detect_encoding(data))
        except (SyntaxError, LookupError, UnicodeDecodeError):
            text = data.decode("utf-8", errors="replace")
        return split_lines(text)  # Python's line breaks only, not str.splitlines' \x0c etc.

    diff = difflib.unified_diff(lines(old), lines(new), f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff)
