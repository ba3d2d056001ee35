"""Both cores: the files shared between a forked child and this process (the index's text
pass, and each round's summaries).

The summaries are plain data (``marshal``), so the child sends its share back through a pipe
and ends with ``os._exit`` (nothing of the parent's runs twice: no ``atexit``, no flush).
Where ``fork`` is missing, there is one core, or the work is small, everything runs here.
The text pass splits from 2 MB of source (below that, reading and hashing half the files
costs less than the fork). A round of summaries splits from 64 KB: summarizing is most of
a cold run, and the few files the child parsed that are checked later are parsed again
(measured on four real services: 3 % to 15 % less wall time, up to 4 % more CPU). When the
child fails, this process does its share too. Either way the answer is the same.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable, Iterator, Sequence

if False:  # for type checkers only: typing costs a warm run 1.7 ms to import
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
    """``{item: work(item)}`` (in the order of ``items``), computed on both cores when that
    pays (``size``: an item's bytes of source; ``min_bytes``: of them all, below which it does
    not). The two processes take the items from one queue, biggest first, until it is empty:
    a fixed half each left one process waiting on the other (the one that keeps what it
    parses was a third slower on a real service's first round)."""
    sizes = {item: size(item) for item in items}
    if len(items) < 2 or not splits(len(items), sum(sizes.values()), min_bytes):
        return {item: work(item) for item in items}
    queue, batches = work_queue(sorted(items, key=sizes.__getitem__, reverse=True))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
        code = 1
        try:
            os.close(read_end)
            theirs = {item: work(item) for item in taken(queue, batches)}
            data = marshal.dumps(theirs)
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    mine = {item: work(item) for item in taken(queue, batches)}
    os.close(queue)
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    _, status = os.waitpid(pid, 0)
    try:
        done: dict[str, T] = marshal.loads(data) if status == 0 else {}
    except (EOFError, ValueError, TypeError):
        done = {}
    # What the child took but did not send (it failed) is done here.
    return {
        item: mine[item] if item in mine else done[item] if item in done else work(item)
        for item in items
    }


_MAX_TOKENS = 8192  # two bytes each: 16 KB, well under a pipe's buffer


def work_queue(items: Sequence[T], per: int = 1) -> tuple[int, list[Sequence[T]]]:
    """A queue of ``items`` (taken in this order, ``per`` at a time or more) that forked
    processes share: the pipe to read it from (open it before forking; close it after), and
    the batches its tokens name."""
    per = max(per, -(-len(items) // _MAX_TOKENS))  # the tokens fit in one pipe's buffer
    batches = [items[i : i + per] for i in range(0, len(items), per)]
    queue, feed = os.pipe()
    os.write(feed, b"".join(n.to_bytes(2, "little") for n in range(len(batches))))
    os.close(feed)
    return queue, batches


def taken(queue: int, batches: list[Sequence[T]]) -> Iterator[T]:
    """The items of the batches this process takes from a :func:`work_queue` until it is
    empty (a read of two bytes from a pipe is atomic: each token goes to one process)."""
    while True:
        token = os.read(queue, 2)
        if len(token) < 2:
            return
        yield from batches[int.from_bytes(token, "little")]
