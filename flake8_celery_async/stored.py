"""The project index's summaries as read back from the cache: opened when first asked for."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

if False:  # for type checkers only
    from .summary import Summary


class Frozen(Mapping[str, "Summary"]):
    """Summaries read back from the cache, each kept as its ``marshal`` bytes until asked
    for: a warm run asks for few, and bytes cost the garbage collector nothing to scan (a
    decoded index of celery and kombu is ~10^5 containers, scanned in every collection of
    the flake8 process that holds it)."""

    __slots__ = ("_blobs", "_open")

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self._blobs, self._open = blobs, {}  # type: dict[str, bytes], dict[str, Summary]

    def __getitem__(self, rel: str) -> Summary:
        found = self._open.get(rel)
        if found is None:
            import marshal

            found = self._open[rel] = marshal.loads(self._blobs[rel])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, rel: object) -> bool:
        return rel in self._blobs


class ByName(Mapping[str, "Summary"]):
    """The summaries by module name, without opening them to learn their names."""

    __slots__ = ("_names", "_summaries")

    def __init__(self, summaries: Mapping[str, Summary], names: dict[str, str]) -> None:
        self._summaries, self._names = summaries, names  # module name -> path

    def __getitem__(self, name: str) -> Summary:
        return self._summaries[self._names[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names
