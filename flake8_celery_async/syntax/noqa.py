"""``# noqa`` the way flake8 reads it, for the standalone CLI.

The regular expressions are flake8's own (``flake8.defaults``), copied so that the standalone
CLI does not pay for importing flake8 (and its logging) on every run; a test keeps them equal.
A ``# noqa`` anywhere in a multi-line logical line applies to every line of it, as in flake8.
"""

from __future__ import annotations

import re

NOQA_INLINE_REGEXP = re.compile(
    r"# noqa(?::[\s]?(?P<codes>([A-Z]+[0-9]+(?:[,\s]+)?)+))?",
    re.IGNORECASE,
)
NOQA_FILE = re.compile(r"\s*# flake8[:=]\s*noqa", re.I)


def file_is_ignored(lines: list[str]) -> bool:
    return any(NOQA_FILE.match(line) for line in lines)


def may_silence(text: str, codes: set[str]) -> bool:
    """Might a ``# noqa`` comment of this text silence one of ``codes``? ``False`` when every
    such comment names other codes only (``# noqa: E501``): then no line needs mapping to
    its logical line (which tokenizes the whole file). A comment whose codes run onto the
    next line is read as one that may."""
    for match in NOQA_INLINE_REGEXP.finditer(text):
        listed = match.group("codes")
        if listed is None or "\n" in listed.rstrip() or "\r" in listed.rstrip():
            return True
        named = tuple(c for c in re.split(r"[,\s]+", listed) if c)
        if any(code.startswith(named) for code in codes):
            return True
    return False


def logical_line_map(text: str, lines: list[str]) -> dict[int, str]:
    """Line number -> the text searched for ``# noqa`` (flake8's ``_noqa_line_mapping``)."""
    import io
    import tokenize  # only for files with findings

    mapping: dict[int, str] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return mapping
    low, high = len(lines) + 2, -1
    for tok in tokens:
        if tok.type in (tokenize.ENDMARKER, tokenize.DEDENT):
            continue
        low, high = min(low, tok.start[0]), max(high, tok.end[0])
        if tok.type in (tokenize.NL, tokenize.NEWLINE):
            joined = "".join(lines[low - 1 : high])
            for number in range(low, high + 1):
                mapping[number] = joined
            low, high = len(lines) + 2, -1
    return mapping


def is_ignored(code: str, line: str) -> bool:
    """Does this (logical) line's ``# noqa`` silence ``code``?"""
    match = NOQA_INLINE_REGEXP.search(line)
    if match is None:
        return False
    codes_str = match.group("codes")
    if codes_str is None:
        return True
    codes = {c for c in re.split(r"[,\s]+", codes_str) if c}
    return code in codes or code.startswith(tuple(codes))
