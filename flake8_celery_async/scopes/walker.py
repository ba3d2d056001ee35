"""What the rules, the inference of kinds and the resolver may ask of the walk over a module
(``analysis.analyzer.Analysis`` is the one walk; it extends this class through ``bindings``).
Defined here, below them, so that they never import the analysis."""

from __future__ import annotations

import ast

from ..settings import Settings
from .context import ModuleContext, Via
from .frames import Frame, Func
from .kinds import MaybeKind


class Walker:
    """The walk's state the rules read, and the calls they make back into it."""

    settings: Settings
    context: ModuleContext | None
    module: Frame  # the module's frame
    classes: dict[str, Frame]  # module-level class name -> its body's frame
    toplevel: set[str]  # names of module-level defs and classes
    instances: dict[str, str]  # module-level name -> the (dotted) class it was made from
    dispatch: frozenset[str]  # method names that publish (delay, apply_async, the user's)
    other_queue: bool  # the module imports another task queue's names (rq, dramatiq, ...)
    async_pool: bool
    nonblocking_producer: bool
    helper_memo: dict[int, Via | None]  # CEL007: where a sync function of this module blocks
    candidates: list[tuple[ast.Call, ast.expr, Frame]]  # calls from the loop of maybe-helpers

    def report(
        self,
        node: ast.expr | ast.stmt,
        frame: Frame | None,
        code: str,
        what: str,
        fix_text: str,
        *,
        method: str = "",
        new: str = "",
        fix: str | None = None,
        reason: str | None = None,
        via: str = "",
    ) -> None:
        """Record a finding (see ``Analysis.report``)."""
        raise NotImplementedError  # pragma: no cover - the analysis defines it

    def scan(self, func: Func) -> None:
        """Classify a sync function's body as if it ran on the loop (for CEL007)."""
        raise NotImplementedError  # pragma: no cover - the analysis defines it

    def plausible_dispatch(self, node: ast.Call, attr: str, recv: ast.expr, frame: Frame) -> bool:
        raise NotImplementedError  # pragma: no cover - the analysis defines it

    def absolute(self, name: str, frame: Frame) -> str | None:
        raise NotImplementedError  # pragma: no cover - the bindings define it

    def project_function(self, func: ast.expr, frame: Frame) -> bool:
        raise NotImplementedError  # pragma: no cover - the bindings define it

    def imported_kind(self, origin: str) -> MaybeKind:
        raise NotImplementedError  # pragma: no cover - the bindings define it

    def returned_kind(self, func: ast.expr, frame: Frame) -> MaybeKind:
        raise NotImplementedError  # pragma: no cover - the bindings define it
