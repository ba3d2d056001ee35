"""Both cores: half of the files in a forked child, half here (the index's text pass, and
each round's summaries).

The summaries are plain data (``marshal``), so the child sends its half back through a pipe
and ends with ``os._exit`` (nothing of the parent's runs twice: no ``atexit``, no flush).
Where ``fork`` is missing, there is one core, or the work is small, everything runs here.
The text pass splits from 2 MB of source (below that, reading and hashing half the files
costs less than the fork). A round of summaries splits from 64 KB: summarizing is most of
a cold run, and the few files the child parsed that are checked later are parsed again
(measured on four real services: 3 % to 15 % less wall time, up to 4 % more CPU). When the
child fails, this process does its half too. Either way the answer is the same.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
MIN_BYTES = 2 << 20  # of source in the text pass
ROUND_MIN_BYTES = 64 << 10  # of source in a round of summaries


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def splits(count: int, total: int, min_bytes: int = MIN_BYTES) -> bool:
    """Does :func:`both_cores` fork for ``count`` items of ``total`` bytes of source?"""
    if not hasattr(os, "fork") or sys.platform == "darwin" or count < 2:
        return False
    return total >= min_bytes and cores() >= 2


def both_cores(
    items: list[str],
    work: Callable[[str], T],
    size: Callable[[str], int],
    min_bytes: int = MIN_BYTES,
) -> dict[str, T]:
    """``{item: work(item)}``, computed half in a forked child when that pays (``size``: an
    item's bytes of source; ``min_bytes``: of them all, below which it does not)."""
    if len(items) < 2 or not splits(len(items), sum(map(size, items)), min_bytes):
        return {item: work(item) for item in items}
    theirs, mine = items[1::2], items[0::2]  # interleaved: neighbours cost alike
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
        code = 1
        try:
            os.close(read_end)
            data = marshal.dumps({item: work(item) for item in theirs})
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    results = {item: work(item) for item in mine}
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        done: dict[str, T] = marshal.loads(data) if status == 0 else {}
    except (EOFError, ValueError, TypeError):
        done = {}
    for item in theirs:
        results[item] = done[item] if item in done else work(item)
    return results
