"""A cold index build's text pass: every Python file of the project read once, and what the
index asks of each one's text before it parses anything, in one go.

That is its content hash (the cache's key), whether it says Celery's words (round one) or
only a library's name, whether it wires an asyncio worker pool or tornado-celery's producer,
its import lines and the roots they vote for (``layout``), and what those lines say they
import (``statements.said_imports``, the later rounds' first test). On a big tree, half the
files are read in a forked child (``fork.both_cores``): its answers are small (a hash,
flags, offsets, names), and the few files the index reads on (a summary, a later round's
names) are read again here, when asked. On a small tree the fork costs more than it saves:
everything is done here, and what the import lines say is read only when asked.
"""

from __future__ import annotations

import os
from collections import namedtuple

from ..syntax.source import content_hash, read_bytes
from ..syntax.words import Words
from .fork import MIN_BYTES, both_cores, splits  # the pass splits where a round does
from .layout import Layout, import_votes
from .modules import is_test_file
from .pools import POOLS, PRODUCER, uses_async_pool, uses_nonblocking_producer
from .statements import Said, import_lines, said_imports


class Text(namedtuple("Text", "sha first libraries starts votes said pool producer")):
    """What the text pass learns of one file (a plain tuple on the way back from the fork):
    ``sha`` its content hash; ``first`` says one of round one's words; ``libraries`` the
    libraries it names (when it says no such word); ``starts`` its import lines; ``votes``
    their votes (``Layout.resolved``; None: not asked); ``said`` what they say they import
    (``statements.Said``; None: read when asked); ``pool`` wires an asyncio worker pool;
    ``producer`` sets up tornado-celery's non-blocking producer. (``collections``' tuple,
    not ``typing.NamedTuple``: a cold run then imports no ``typing``, 2 ms.)"""

    __slots__ = ()

    sha: str
    first: bool
    libraries: list[str]
    starts: list[int]
    votes: list[tuple[str, str]] | None
    said: Said | None
    pool: bool
    producer: bool


class Datas(dict[str, bytes]):
    """The project's sources by path: those the text pass read here, the others read when
    first asked for (a file that cannot be read: empty)."""

    def __init__(self, root: str) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, rel: str) -> bytes:
        try:
            data = read_bytes(os.path.join(self.root, rel))
        except OSError:
            data = b""
        self[rel] = data
        return data


class Scan:
    """The text pass: ``words``, round one's (bytes); ``libraries``, the names of libraries
    that count once imported; ``layout``, the one whose votes to read (``Layout.start``), if
    any."""

    def __init__(
        self,
        root: str,
        words: tuple[bytes, ...],
        libraries: tuple[str, ...],
        layout: Layout | None,
    ) -> None:
        self.datas = Datas(root)
        self.words = frozenset(words)
        self.libraries = tuple((name, name.encode()) for name in libraries)
        # Round one's words, the libraries' names and those the pool checks start from.
        self.search = Words((*words, *(word for _, word in self.libraries), *POOLS, PRODUCER))
        self.layout = layout
        self.said = False  # what import lines say: read now (when the pass is split)

    def run(self, python: list[str], sizes: dict[str, int]) -> dict[str, Text]:
        """Every file's :class:`Text`, by path (``sizes``: their bytes, from the walk)."""
        self.said = splits(len(python), sum(sizes.values()), MIN_BYTES)
        made = both_cores(python, self.text, sizes.__getitem__, MIN_BYTES)
        return {rel: Text._make(made[rel]) for rel in python}  # in the walk's order

    def text(self, rel: str) -> tuple[object, ...]:
        """:class:`Text`'s fields for ``rel``, as a plain tuple (``marshal`` carries it)."""
        data = self.datas[rel]
        said_words = self.search.found(data)
        first = not self.words.isdisjoint(said_words)
        named = [] if first else [name for name, word in self.libraries if word in said_words]
        starts = import_lines(data)
        layout = self.layout
        votes = None if layout is None else layout.resolved(rel, import_votes(data, starts))
        said = said_imports(data, rel, starts) if self.said and not first else None
        code = not is_test_file(rel)
        pool = code and not said_words.isdisjoint(POOLS) and uses_async_pool(data, python=True)
        producer = code and PRODUCER in said_words and uses_nonblocking_producer(data)
        return tuple(Text(content_hash(data), first, named, starts, votes, said, pool, producer))
