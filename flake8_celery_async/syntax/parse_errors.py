"""Say why a file does not parse when the reason is syntax newer than the running Python.

``ast`` parses with the interpreter the tool runs on: on 3.11 a PEP 695 ``class C[T]:`` is
``expected '('``, which does not tell the user to run the tool on a newer Python. The line
that failed is matched against the syntax each later version added.
"""

from __future__ import annotations

import re
import sys

# (pattern on the failing line, what it is, the first Python that accepts it)
NEWER: tuple[tuple[re.Pattern[str], str, tuple[int, int]], ...] = (
    (re.compile(r"^\s*except\s*\*"), "except* (PEP 654)", (3, 11)),
    (re.compile(r"^\s*(async\s+)?def\s+\w+\s*\["), "a generic function (PEP 695)", (3, 12)),
    (re.compile(r"^\s*class\s+\w+\s*\["), "a generic class (PEP 695)", (3, 12)),
    (re.compile(r"^\s*type\s+\w+\s*(\[.*\])?\s*="), "a type statement (PEP 695)", (3, 12)),
    (re.compile(r"^\s*except\s+[^(:]+,[^:]*:"), "except without parentheses (PEP 758)", (3, 14)),
    (re.compile(r"(?<![\w'\"])[tT][rR]?['\"]"), "a template string (PEP 750)", (3, 14)),
)
FSTRING = "an f-string that reuses its quotes or nests them (PEP 701)", (3, 12)


def running() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def explain(error: SyntaxError, data: bytes) -> str:
    """``cannot parse: <msg> (line N)``, naming newer syntax and the Python it needs."""
    where = f" (line {error.lineno})" if error.lineno else ""
    newer = _newer_syntax(error, data)
    if newer is None:
        return f"cannot parse: {error.msg}{where}"
    what, version = newer
    return (
        f"cannot parse with Python {running()}: {what} needs Python "
        f"{version[0]}.{version[1]} or newer{where}; run the tool on that Python"
    )


def _newer_syntax(error: SyntaxError, data: bytes) -> tuple[str, tuple[int, int]] | None:
    line = error.text
    if line is None and error.lineno:
        from .source import decode, split_lines

        lines = split_lines(decode(data))  # numbered as Python numbers them
        line = lines[error.lineno - 1] if error.lineno <= len(lines) else ""
    line = line or ""
    now = sys.version_info[:2]
    for pattern, what, version in NEWER:
        if now < version and pattern.search(line):
            return what, version
    if now < FSTRING[1] and (error.msg or "").startswith("f-string"):
        return FSTRING
    return None
