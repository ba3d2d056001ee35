"""One module's view of the project index: what the analysis of that module asks it."""

from __future__ import annotations

from collections.abc import Mapping

from .kind import Kind, MaybeKind

if False:  # for type checkers only
    from typing import Any

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
