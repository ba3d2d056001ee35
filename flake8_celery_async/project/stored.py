"""The project index's summaries as read back from the cache: opened when first asked for."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

if False:  # for type checkers only
    from ..analysis.summary import ModuleSummary


class Frozen(Mapping[str, "ModuleSummary"]):
    """Summaries by module name, read back from the cache, each kept as its ``marshal``
    bytes until asked for: a warm run asks for few, and bytes cost the garbage collector
    nothing to scan (a decoded index of celery and kombu is ~10^5 containers, scanned in
    every collection of the flake8 process that holds it)."""

    __slots__ = ("_blobs", "_open")

    def __init__(self, blobs: dict[str, bytes]) -> None:
        self._blobs, self._open = blobs, {}  # type: dict[str, bytes], dict[str, ModuleSummary]

    def __getitem__(self, name: str) -> ModuleSummary:
        found = self._open.get(name)
        if found is None:
            import marshal

            found = self._open[name] = marshal.loads(self._blobs[name])
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._blobs)

    def __len__(self) -> int:
        return len(self._blobs)

    def __contains__(self, name: object) -> bool:
        return name in self._blobs
