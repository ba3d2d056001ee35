"""Which of a set of words a source's bytes say, found in one pass over the text.

The text checks ask a file for a dozen words or more (round one's, the rules' triggers, the
names the project index found). A search per word passes over the whole file once for each
word that is missing, which is most of them; an Aho-Corasick automaton (``ahocorasick-rs``)
passes over it once for all of them. Where that library has no wheel (musl, PyPy) and is
not installed, each word is searched for in turn: the same answers, more slowly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Search = Callable[..., "list[tuple[int, int, int]]"]  # (data, overlapping) -> the matches


def automaton(words: tuple[bytes, ...]) -> Search | None:
    """The search for ``words`` in one pass, where ``ahocorasick-rs`` is installed."""
    try:
        from ahocorasick_rs import BytesAhoCorasick
    except ImportError:  # the tests take this path too (see test_words)
        return None
    search: Search = BytesAhoCorasick(list(words)).find_matches_as_indexes
    return search


class Words:
    """A fixed set of words (bytes, none empty) to look for in sources."""

    __slots__ = ("search", "words")

    def __init__(self, words: Iterable[bytes]) -> None:
        self.words = tuple(dict.fromkeys(words))
        self.search = automaton(self.words) if self.words else None

    def __bool__(self) -> bool:
        return bool(self.words)

    def found(self, data: bytes) -> set[bytes]:
        """The words that occur in ``data`` (anywhere: in strings and comments too)."""
        if self.search is None:
            return {word for word in self.words if word in data}
        words = self.words
        return {words[match[0]] for match in self.search(data, overlapping=True)}

    def any_in(self, data: bytes) -> bool:
        """Does one of the words occur in ``data``?"""
        if self.search is None:
            return any(word in data for word in self.words)
        return bool(self.search(data))
