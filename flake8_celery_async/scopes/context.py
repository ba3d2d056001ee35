"""One module's view of the project index: what the analysis of that module asks it."""

from __future__ import annotations

from collections.abc import Mapping

from .kind import Kind, MaybeKind

if False:  # for type checkers only
    from typing import Any, TypeVar

    T = TypeVar("T")

# Where a helper blocks: (path relative to the project root, or "" for this module; line; what)
Via = tuple[str, int, str]


class Index:
    """What a module's view asks of the project index (``project.index.Index`` extends this;
    defined here so that the analysis never imports the project layer above it)."""

    async_pool: bool
    nonblocking_producer: bool
    params: dict[str, dict[str, Kind]]

    def blocking(self, target: str, importer: str = "") -> Via | None:
        raise NotImplementedError  # pragma: no cover - project.index.Index defines it

    def kind(self, target: str, importer: str = "") -> MaybeKind:
        raise NotImplementedError  # pragma: no cover

    def returns(self, target: str, importer: str = "") -> MaybeKind:
        raise NotImplementedError  # pragma: no cover

    def made_by(self, target: str, importer: str = "") -> str | None:
        raise NotImplementedError  # pragma: no cover

    def is_tornado(self, target: str, importer: str = "", depth: int = 0) -> bool:
        raise NotImplementedError  # pragma: no cover

    def resolve(
        self, target: str, importer: str = "", depth: int = 0
    ) -> tuple[Mapping[str, Any], str] | None:
        raise NotImplementedError  # pragma: no cover


class ModuleContext:
    """One module's view of the index, for the analysis."""

    __slots__ = ("index", "is_package", "module", "modules", "path")

    def __init__(
        self,
        index: Index | None,
        module: str,
        path: str,
        is_package: bool,
        modules: frozenset[str] = frozenset(),
    ) -> None:
        self.index, self.module, self.path, self.is_package = index, module, path, is_package
        self.modules = modules  # before the index exists: every project module's name

    @property
    def async_pool(self) -> bool:
        return self.index is not None and self.index.async_pool

    @property
    def nonblocking_producer(self) -> bool:
        return self.index is not None and self.index.nonblocking_producer

    def relative(self, level: int, module: str) -> str:
        """The absolute name of ``from ..module import``."""
        parts = self.module.split(".") if self.module else []
        if not self.is_package:
            parts = parts[:-1]
        if level > 1:
            parts = parts[: max(0, len(parts) - (level - 1))]
        return ".".join([*parts, module] if module else parts)

    def blocking(self, target: str) -> Via | None:
        return self.index.blocking(target, self.module) if self.index is not None else None

    def made_by(self, target: str) -> str | None:
        return self.index.made_by(target, self.module) if self.index is not None else None

    def kind(self, target: str) -> MaybeKind:
        return self.index.kind(target, self.module) if self.index is not None else None

    def returns(self, target: str) -> MaybeKind:
        return self.index.returns(target, self.module) if self.index is not None else None

    def is_tornado(self, target: str) -> bool:
        return self.index is not None and self.index.is_tornado(target, self.module)

    def is_function(self, target: str) -> bool:
        """Is ``target`` a function of a project module? (Before the index exists: is it an
        attribute of a project module?)"""
        if self.index is None:
            return target.rpartition(".")[0] in self.modules
        found = self.index.resolve(target, self.module)
        return found is not None and found[1] in found[0]["s"]

    def param_kinds(self, qualname: str) -> dict[str, Kind]:
        if self.index is None:
            return {}
        return self.index.params.get(f"{self.module}.{qualname}", {})


Asked = dict[tuple[str, str], object]
"""The questions an analysis asked its module's view: (question, its argument) -> the answer
(plain data: ``Kind`` as ``int``; the pool and producer flags asked with argument ``""``)."""


class Recorder(ModuleContext):
    """A module's view that remembers every question the analysis asks and the answer it
    gave. The analysis is a function of the tree, the settings and those answers: when the
    project's final index answers each question alike (:func:`same_answers`), what an
    analysis with this view found is what an analysis with the final view would find (the
    index's summaries are analyses: a module that is both summarized and checked need not
    be analyzed twice)."""

    __slots__ = ("asked",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # ModuleContext's
        super().__init__(*args, **kwargs)
        self.asked: Asked = {}

    def _ask(self, question: str, argument: str, answer: T) -> T:
        self.asked[(question, argument)] = plain(answer)
        return answer

    @property
    def async_pool(self) -> bool:
        return self._ask("async_pool", "", super().async_pool)

    @property
    def nonblocking_producer(self) -> bool:
        return self._ask("nonblocking_producer", "", super().nonblocking_producer)

    def blocking(self, target: str) -> Via | None:
        return self._ask("blocking", target, super().blocking(target))

    def made_by(self, target: str) -> str | None:
        return self._ask("made_by", target, super().made_by(target))

    def kind(self, target: str) -> MaybeKind:
        return self._ask("kind", target, super().kind(target))

    def returns(self, target: str) -> MaybeKind:
        return self._ask("returns", target, super().returns(target))

    def is_tornado(self, target: str) -> bool:
        return self._ask("is_tornado", target, super().is_tornado(target))

    def is_function(self, target: str) -> bool:
        return self._ask("is_function", target, super().is_function(target))

    def param_kinds(self, qualname: str) -> dict[str, Kind]:
        return self._ask("param_kinds", qualname, super().param_kinds(qualname))


def plain(answer: object) -> object:
    """An answer as plain data (``marshal`` carries it): a ``Kind`` as its ``int``, and so in
    a dict of them."""
    if isinstance(answer, dict):
        return {name: int(kind) for name, kind in answer.items()}
    return int(answer) if isinstance(answer, Kind) else answer


def same_answers(asked: Asked, context: ModuleContext) -> bool:
    """Does ``context`` answer every question in ``asked`` as it was answered then?"""
    for (question, argument), answer in asked.items():
        if question in ("async_pool", "nonblocking_producer"):
            now = getattr(context, question)
        else:
            now = getattr(context, question)(argument)
        if plain(now) != answer:
            return False
    return True
