"""What an edit of the codemod is made of: the factory's :class:`Rename`, a finding left
:class:`Unfixable` (and why), and the conversion of ast positions to libcst's (:class:`LineIndex`).
"""

from __future__ import annotations

from dataclasses import dataclass

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.syntax.source import split_lines

DEFAULT_RUNTIME_MODULE = "celery_asyncx"
READ_HELPER = "read_result"
"""The runtime's ``await read_result(res, "state")`` for result property reads (fix ``"read"``)."""

UNLOCATED = "could not locate the call in the source: left alone"
NESTED_QUOTES = "inside f-strings of both quote kinds: no quote left for the name; left alone"
HELPER_TAKEN = "the name {helper!r} is already bound in this module to something else"

Span = tuple[int, int, int, int]
"""(line, column, end line, end column): 1-based lines, 0-based character columns."""


@dataclass(frozen=True)
class Rename:
    """Factory wiring: replace the name or dotted name at ``span`` (ast positions) with
    ``new``, imported from the runtime module (``Celery`` -> ``CeleryAsync``, a task base
    ``Task`` -> ``AsyncTask``). ``old_module``/``old_name`` is the import that may become unused.
    """

    line: int
    col: int
    end_line: int
    end_col: int
    new: str
    old_module: str
    old_name: str | None = None
    old_asname: str | None = None


@dataclass(frozen=True)
class Unfixable:
    finding: Finding
    reason: str


class LineIndex:
    """Converts ast positions (UTF-8 byte columns) to libcst's (character columns)."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)

    def char_col(self, line: int, byte_col: int) -> int:
        if not 1 <= line <= len(self.lines):
            return -1
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def span(self, line: int, col: int, end_line: int, end_col: int) -> Span:
        return (line, self.char_col(line, col), end_line, self.char_col(end_line, end_col))
