"""A finding: one report, with how the codemod may fix it."""

from __future__ import annotations

UNFIXABLE_GENEXP = "inside a generator expression: await there would make it an async generator"
UNFIXABLE_TORNADO = "in a sync Tornado handler method: make the method async def first"


class Finding:
    """One report. Positions are ``ast``'s: 1-based lines, 0-based UTF-8 byte columns.

    ``fix`` says how the codemod rewrites it: ``"method"`` (await the async method ``new``
    instead of ``method``), ``"helper"`` (await the runtime's ``run_blocking`` on the bound
    callable), ``"read"`` (await ``read_result``), or ``None`` with ``reason`` saying why it
    is not rewritten.

    A plain class (as are the checker's others): ``dataclasses`` and ``typing`` cost more to
    import than the standalone CLI spends on most files.
    """

    __slots__ = (
        "code", "col", "end_col", "end_line", "fix", "line", "message", "method", "new", "reason",
    )  # fmt: skip

    def __init__(
        self,
        line: int,
        col: int,
        end_line: int,
        end_col: int,
        code: str,
        message: str,
        method: str = "",
        new: str = "",
        fix: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.line, self.col, self.end_line, self.end_col = line, col, end_line, end_col
        self.code, self.message, self.method, self.new = code, message, method, new
        self.fix, self.reason = fix, reason

    def as_tuple(self) -> tuple[int, int, int, int, str, str, str, str, str | None, str | None]:
        return (
            *(self.line, self.col, self.end_line, self.end_col, self.code, self.message),
            *(self.method, self.new, self.fix, self.reason),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Finding) and self.as_tuple() == other.as_tuple()

    def __hash__(self) -> int:
        return hash(self.as_tuple())

    def __repr__(self) -> str:
        return f"Finding{self.as_tuple()!r}"
