"""Where a source's import statements begin: the lines that say ``import``, found once per
file and shared by what reads imports (``layout``'s votes, ``follow``'s statements).

Every import statement's first line says ``import`` (``from a import b`` on one line too), so
matching a line-anchored pattern at these lines only finds what searching the whole text
finds, without the regular expression engine trying every position of the file.
"""

from __future__ import annotations


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
