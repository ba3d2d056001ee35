"""Where a source's import statements begin: the lines that say ``import``, found once per
file and shared by what reads imports (``layout``'s votes, ``follow``'s statements).

Every import statement's first line says ``import`` (``from a import b`` on one line too), so
matching a line-anchored pattern at these lines only finds what searching the whole text
finds, without the regular expression engine trying every position of the file. What those
lines say they import (:func:`said_imports`) is read there too, without a parse: enough for
the index to pass over a file that imports nothing it found.
"""

from __future__ import annotations

import re

from ..scopes.context import ModuleContext
from .modules import module_name


def import_lines(data: bytes) -> list[int]:
    """The offsets of the starts of the lines that contain ``import``, in order."""
    starts: list[int] = []
    find, rfind = data.find, data.rfind
    pos = find(b"import")
    while pos >= 0:
        starts.append(rfind(b"\n", 0, pos) + 1)
        end = find(b"\n", pos)
        if end < 0:
            break
        pos = find(b"import", end)
    return starts


# Where an import line's module and names start (``_STATEMENT`` of ``follow``, with groups).
_LINE = re.compile(rb"[ \t]*(?:from[ \t]+([\w.]+)[ \t]+import\b([^\n]*)|import[ \t]+(\w[^\n]*))")
Said = tuple[bool, list[tuple[str, "tuple[str, ...] | None"]]]
"""(unsure, the imports a file's text says): ``follow.imports_of``'s answer, or more, read
from the text without parsing; ``unsure``: a statement the text alone does not tell."""


def said_imports(data: bytes, rel: str, starts: list[int]) -> Said:
    """What the file's import lines say they import (relative imports resolved), as
    ``follow.imports_of`` would parse it or with more (a docstring's "import this" too);
    unsure of a statement continued with a backslash, holding a semicolon, a comment
    among parentheses, or a name that is not ASCII (the parser normalizes those)."""
    found: list[tuple[str, tuple[str, ...] | None]] = []
    context: ModuleContext | None = None
    for start in starts:
        match = _LINE.match(data, start)
        if match is None:
            continue
        module_b, names_b, plain_b = match.groups()
        rest = names_b if module_b is not None else plain_b
        if b";" in rest or b"\\" in rest or not rest.isascii():
            return True, found
        if b"#" in rest:
            if b"(" in rest or b")" in rest:
                return True, found
            rest = rest.partition(b"#")[0]
        if b"(" in rest and b")" not in rest:  # the names go on to the closing parenthesis
            close = data.find(b")", match.end())
            more = data[match.end() : close]
            if close < 0 or b"#" in more or b"\\" in more or b";" in more or not more.isascii():
                return True, found
            rest += more
        parts = [p.split() for p in rest.replace(b"(", b" ").replace(b")", b" ").split(b",")]
        firsts = [p[0].decode() for p in parts if p]
        if module_b is None:
            found.extend((name, None) for name in firsts)
            continue
        module = module_b.decode()
        level = len(module) - len(module.lstrip("."))
        if level:
            if context is None:
                name, is_package = module_name(rel)
                context = ModuleContext(None, name, rel, is_package)
            module = context.relative(level, module[level:])
        if module:
            found.append((module, tuple(firsts)))
    return False, found
