"""The libcst transform: rewrite exactly the calls the checker reported as fixable.

The checker (``flake8_celery_async.check.check_source``) decides what is wrong and how it is
fixed; this module only edits. Each fixable finding is matched to the libcst node with the
same source range (ast columns are UTF-8 bytes, libcst's are characters: see
:class:`LineIndex`): a ``Call`` for fixes ``"method"`` (``await t.delayx(...)``) and
``"helper"`` (``await run_blocking(bound, ...)``), an ``Attribute`` for ``"read"``
(``await read_result(res, "state")``). A finding that matches no node is not guessed at: it
is listed as unfixable ("could not locate"). The factory's :class:`Rename` edits are matched
the same way.

Also usable as libcst's own codemod command::

    python -m libcst.tool codemod -x celery_async_codemod.command.CeleryAsyncCommand src/

(call rewrites only; the app factory wiring is done by ``celery-async-codemod``).
"""

from __future__ import annotations

import argparse
import bisect
import io
import re
import tokenize
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import CodeRange, PositionProvider

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.settings import OPTIONS, Settings
from flake8_celery_async.syntax.source import split_lines

DEFAULT_RUNTIME_MODULE = "celery_async"
READ_HELPER = "read_result"
"""The runtime's ``await read_result(res, "state")`` for result property reads (fix ``"read"``)."""

UNLOCATED = "could not locate the call in the source: left alone"
NESTED_QUOTES = "inside f-strings of both quote kinds: no quote left for the name; left alone"
HELPER_TAKEN = "the name {helper!r} is already bound in this module to something else"

Span = tuple[int, int, int, int]
"""(line, column, end line, end column): 1-based lines, 0-based character columns."""


@dataclass(frozen=True)
class Rename:
    """Factory wiring: replace the name or dotted name at ``span`` (ast positions) with
    ``new``, imported from the runtime module (``Celery`` -> ``CeleryAsync``, a task base
    ``Task`` -> ``AsyncTask``). ``old_module``/``old_name`` is the import that may become unused.
    """

    line: int
    col: int
    end_line: int
    end_col: int
    new: str
    old_module: str
    old_name: str | None = None
    old_asname: str | None = None


@dataclass(frozen=True)
class Unfixable:
    finding: Finding
    reason: str


class LineIndex:
    """Converts ast positions (UTF-8 byte columns) to libcst's (character columns)."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)

    def char_col(self, line: int, byte_col: int) -> int:
        if not 1 <= line <= len(self.lines):
            return -1
        text = self.lines[line - 1]
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))

    def span(self, line: int, col: int, end_line: int, end_col: int) -> Span:
        return (line, self.char_col(line, col), end_line, self.char_col(end_line, end_col))


def _span(pos: CodeRange) -> Span:
    # PositionProvider's range of a node excludes its own parentheses, like ast's.
    return (pos.start.line, pos.start.column, pos.end.line, pos.end.column)


def _parenthesize(node: cst.Await) -> cst.Await:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class Rewriter(cst.CSTTransformer):
    """The edits themselves, on one parsed module with its positions.

    A plain transformer rather than the command itself: it visits only the subtrees that hold
    an edit (libcst's matcher-aware codemod transformer rebuilds every node of a module, which
    took seconds on a 3,000-line file), and the file fixer runs it without copying the tree.
    """

    def __init__(
        self,
        tree: cst.Module,
        positions: Mapping[cst.CSTNode, CodeRange],
        settings: Settings,
        runtime_module: str,
        findings: Sequence[Finding],
        renames: Sequence[Rename] = (),
        code: str | None = None,
    ) -> None:
        """``code`` is ``tree.code`` when the caller has it (saves a codegen of the module)."""
        super().__init__()
        self.settings = settings
        self.runtime_module = runtime_module
        self.fixed: list[Finding] = []
        self.unfixable: list[Unfixable] = []
        self.renamed: list[Rename] = []
        self.taken = _bound_elsewhere(tree, {settings.helper, READ_HELPER}, runtime_module)
        """Runtime helper names this module binds to something else (those fixes are skipped)."""
        self._positions = positions
        self._index = index = LineIndex(tree.code if code is None else code)
        self._targets: dict[Span, Finding] = {}
        self._rename_at: dict[Span, Rename] = {}
        self.refused: dict[tuple[str, str], str] = {}
        """(code, message) -> why a fixable finding was left alone."""
        self._fstring_quotes: list[str] = []  # the quote of each f-string we are inside
        self._ours: set[int] = set()  # ids of the Await nodes this transform created
        self._parenthesized: set[int] = set()  # ... and of those it then parenthesised
        for finding in findings:
            needs = self.helper_for(finding)
            if finding.fix is None:
                self.unfixable.append(Unfixable(finding, finding.reason or "not fixable"))
            elif needs in self.taken:
                self.unfixable.append(Unfixable(finding, HELPER_TAKEN.format(helper=needs)))
            else:
                span = index.span(finding.line, finding.col, finding.end_line, finding.end_col)
                self._targets.setdefault(span, finding)
        for rename in renames:
            span = index.span(rename.line, rename.col, rename.end_line, rename.end_col)
            self._rename_at[span] = rename
        self._lines = sorted({span[0] for span in (*self._targets, *self._rename_at)})

    def rewrite(self, tree: cst.Module) -> cst.Module:
        if not self._lines:
            return tree
        new = tree.visit(self)
        fixed = {id(f) for f in self.fixed}
        self.unfixable += [
            Unfixable(f, self.refused.get((f.code, f.message), UNLOCATED))
            for f in self._targets.values()
            if id(f) not in fixed
        ]
        self.unfixable.sort(key=lambda u: (u.finding.line, u.finding.col, u.finding.code))
        return new

    def helper_for(self, finding: Finding) -> str | None:
        """The runtime name a fix needs imported."""
        if finding.fix == "helper":
            return self.settings.helper
        return READ_HELPER if finding.fix == "read" else None

    def imports_needed(self) -> list[str]:
        needed = {self.helper_for(f) for f in self.fixed} | {r.new for r in self.renamed}
        return sorted(n for n in needed if n is not None)

    def removable_imports(self, new: cst.Module) -> list[Rename]:
        """Renames whose old import may now be unused.

        RemoveImportsVisitor runs a full scope analysis (~0.2 s a file): only ask it when the
        old name is no longer used as a name outside import statements (words in docstrings
        and comments do not count), i.e. when it will remove something.
        """
        if not self.renamed:
            return []
        used = _names_outside_imports(new.code)
        result = []
        for rename in self.renamed:
            local = rename.old_asname or rename.old_name or rename.old_module.partition(".")[0]
            if local not in used:
                result.append(rename)
        return result

    # -- where to look -------------------------------------------------------------------------

    def on_visit(self, node: cst.CSTNode) -> bool:
        """Descend only into nodes whose lines hold the start of an edit."""
        descend = self._descend(node)
        if isinstance(node, cst.FormattedString):
            self._fstring_quotes.append(node.end[:1] if descend else "")
        return descend

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.FormattedString:
        self._fstring_quotes.pop()
        return updated_node

    def _descend(self, node: cst.CSTNode) -> bool:
        position = self._positions.get(node)
        if position is None or isinstance(node, cst.IndentedBlock):
            return True  # a block's range starts after a decorator of its first statement
        start = position.start.line
        if isinstance(node, cst.FunctionDef | cst.ClassDef) and node.decorators:
            start = self._positions[node.decorators[0]].start.line  # the range starts at `def`
        i = bisect.bisect_left(self._lines, start)
        return i < len(self._lines) and self._lines[i] <= position.end.line

    # -- the rewrites --------------------------------------------------------------------------

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        updated_node = updated_node.with_changes(func=self._receiver(updated_node.func))
        if not self._targets:
            return updated_node
        span = _span(self._positions[original_node])
        finding = self._targets.get(span)
        if finding is None:
            return updated_node
        func = updated_node.func
        if finding.fix == "method":
            if not (isinstance(func, cst.Attribute) and func.attr.value == finding.method):
                return updated_node  # not the node the checker saw: left, listed as unlocated
            call = updated_node.with_changes(
                func=func.with_changes(attr=cst.Name(finding.new)), lpar=[], rpar=[]
            )
        elif finding.fix == "helper":
            if finding.method != "__call__" and not (
                isinstance(func, cst.Attribute) and func.attr.value == finding.method
            ):
                return updated_node
            call = self._helper_call(updated_node)
        else:  # "read" findings are Attributes: leave_Attribute
            return updated_node
        return self._await(finding, span, call, updated_node.lpar, updated_node.rpar)

    def _await(
        self,
        finding: Finding,
        span: Span,
        call: cst.Call,
        lpar: Sequence[cst.LeftParen],
        rpar: Sequence[cst.RightParen],
    ) -> cst.Await:
        self.fixed.append(finding)
        awaited = cst.Await(expression=call, lpar=lpar, rpar=rpar)
        if not awaited.lpar and self._word_follows(span):
            # `t.delay()if c else d`: `)if` is fine, `await t.delayx()if` is not to libcst.
            awaited = _parenthesize(awaited)
        self._ours.add(id(awaited))
        return awaited

    def _word_follows(self, span: Span) -> bool:
        """Is the call directly followed by a keyword (``if``, ``else``, ``for``, ``and``...)?"""
        _, _, end_line, end_col = span
        lines = self._index.lines
        if not 1 <= end_line <= len(lines):
            return False
        rest = lines[end_line - 1][end_col : end_col + 1]
        return rest.isidentifier() or rest.isdigit()

    def _helper_call(self, node: cst.Call) -> cst.Call:
        """``recv.m(a, k=v)`` -> ``run_blocking(recv.m, a, k=v)``;
        ``canvas()`` -> ``run_blocking(canvas)``."""
        space = node.whitespace_before_args
        after_comma: cst.BaseParenthesizableWhitespace = (
            space if isinstance(space, cst.ParenthesizedWhitespace) else cst.SimpleWhitespace(" ")
        )
        # What stood between the callee and "(" (a comment, a line break) stays after it.
        between = node.whitespace_after_func
        if node.args:
            comma = cst.Comma(whitespace_before=between, whitespace_after=after_comma)
            first = cst.Arg(value=node.func, comma=comma)
        else:
            first = cst.Arg(value=node.func, whitespace_after_arg=between)
        return cst.Call(
            func=cst.Name(self.settings.helper),
            args=[first, *node.args],
            whitespace_before_args=space,
        )

    def _receiver(self, node: cst.BaseExpression) -> cst.BaseExpression:
        """``await`` binds looser than ``.``, ``[]`` and ``()``: parenthesise ours there."""
        if isinstance(node, cst.Await) and id(node) in self._ours and not node.lpar:
            node = _parenthesize(node)
            self._parenthesized.add(id(node))
        return node

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        updated_node = updated_node.with_changes(value=self._receiver(updated_node.value))
        if self._targets:
            span = _span(self._positions[original_node])
            finding = self._targets.get(span)
            if (
                finding is not None
                and finding.fix == "read"
                and updated_node.attr.value == finding.method
            ):
                return self._read(finding, span, updated_node)
        return self._rename(original_node, updated_node)

    def _read(self, finding: Finding, span: Span, node: cst.Attribute) -> cst.BaseExpression:
        """``res.state`` -> ``await read_result(res, "state")``."""
        value = node.value
        if id(value) in self._parenthesized:  # an argument now: our receiver parens can go
            value = value.with_changes(lpar=[], rpar=[])
        # The dot's surroundings (a comment, a line break) move to the comma.
        dot = node.dot
        after: cst.BaseParenthesizableWhitespace = cst.SimpleWhitespace(" ")
        if isinstance(dot, cst.Dot) and isinstance(
            dot.whitespace_after, cst.ParenthesizedWhitespace
        ):
            after = dot.whitespace_after
        before = dot.whitespace_before if isinstance(dot, cst.Dot) else cst.SimpleWhitespace("")
        # Inside an f-string the name takes the other quote: the same one ends the string
        # before Python 3.12. Inside f-strings of both quotes it is left alone.
        quotes = [q for q in ('"', "'") if q not in self._fstring_quotes]
        if not quotes:
            self.refused[(finding.code, finding.message)] = NESTED_QUOTES
            return node
        call = cst.Call(
            func=cst.Name(READ_HELPER),
            args=[
                cst.Arg(value, comma=cst.Comma(whitespace_before=before, whitespace_after=after)),
                cst.Arg(cst.SimpleString(f"{quotes[0]}{finding.method}{quotes[0]}")),
            ],
        )
        return self._await(finding, span, call, node.lpar, node.rpar)

    def leave_Await(self, original_node: cst.Await, updated_node: cst.Await) -> cst.Await:
        # `await res.state` (nonsense, but valid) -> `await (await read_result(...))`
        return updated_node.with_changes(expression=self._receiver(updated_node.expression))

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        return updated_node.with_changes(value=self._receiver(updated_node.value))

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._rename(original_node, updated_node)

    def _rename(
        self, original_node: cst.Name | cst.Attribute, updated_node: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not self._rename_at:
            return updated_node
        rename = self._rename_at.get(_span(self._positions[original_node]))
        if rename is None:
            return updated_node
        self.renamed.append(rename)
        lpar = getattr(updated_node, "lpar", ())
        rpar = getattr(updated_node, "rpar", ())
        return cst.Name(rename.new, lpar=lpar, rpar=rpar)


class CeleryAsyncCommand(VisitorBasedCodemodCommand):
    """Await the async twin of every fixable blocking Celery call (for ``libcst.tool``)."""

    DESCRIPTION = (
        "Rewrite blocking Celery calls in async def (the flake8-celery-async findings) to "
        "awaited async dispatch: t.delay() -> await t.delayx(), canvas/result/control calls "
        "-> await run_blocking(...)."
    )
    METADATA_DEPENDENCIES = (PositionProvider,)

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--runtime-module",
            dest="runtime_module",
            default=DEFAULT_RUNTIME_MODULE,
            help="dotted module that run_blocking is imported from (default: celery_async)",
        )
        for option in OPTIONS:
            arg_parser.add_argument(option.flag, dest=option.dest, default=None, help=option.help)

    def __init__(
        self,
        context: CodemodContext,
        runtime_module: str = DEFAULT_RUNTIME_MODULE,
        settings: Settings | None = None,
        findings: Sequence[Finding] | None = None,
        renames: Sequence[Rename] = (),
        **options: object,
    ) -> None:
        super().__init__(context)
        self.runtime_module = runtime_module
        self.settings = settings or Settings.from_mapping(dict(options))
        self.findings = findings
        self.renames = renames

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        findings = self.findings
        if findings is None:  # run by libcst.tool: the checker decides here
            findings = check_source(tree.bytes, self.settings, select=("CEL",)).findings
        positions = cast(Mapping[cst.CSTNode, CodeRange], self.metadata[PositionProvider])
        rewriter = Rewriter(
            tree, positions, self.settings, self.runtime_module, findings, self.renames
        )
        new = rewriter.rewrite(tree)
        # The same import placement and removal as the CLI's (isort order, blank lines kept).
        from .imports import add_imports, remove_imports  # imports.py needs Rename from here

        new = add_imports(new, self.runtime_module, rewriter.imports_needed())
        removable = rewriter.removable_imports(new)
        return remove_imports(new, removable, self.context.filename or "") if removable else new


def _names_outside_imports(code: str) -> set[str]:
    """Every NAME token of the code but those of ``import``/``from`` statements."""
    names: set[str] = set()
    line: list[str] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.NAME:
                line.append(token.string)
            elif token.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or token.string == ";":
                if line and line[0] not in ("import", "from"):
                    names.update(line)
                line = []
    except (tokenize.TokenError, SyntaxError):  # cannot tell: keep every import
        return {"*"} | names | set(re.findall(r"\w+", code))
    return names


def _bound_elsewhere(tree: cst.Module, names: set[str], runtime_module: str) -> set[str]:
    """Which of ``names`` the module binds itself (not imported from a runtime module).

    A module-level scan, not libcst's ScopeProvider: that would cost a full scope analysis
    of every file with a finding, and a top-level binding is what an import would clash with.
    """
    taken: set[str] = set()
    runtime_last = runtime_module.rpartition(".")[2]
    for statement in tree.body:
        if isinstance(statement, cst.FunctionDef | cst.ClassDef):
            taken |= names & {statement.name.value}
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                module = cst.helpers.get_full_name_for_node(small.module) if small.module else ""
                for alias in small.names:
                    bound = alias.evaluated_alias or alias.evaluated_name
                    if bound in names and (module or "").rpartition(".")[2] != runtime_last:
                        taken.add(bound)
            elif isinstance(small, cst.Assign):
                taken |= names & _assigned_names(t.target for t in small.targets)
    return taken


def _assigned_names(targets: Iterable[cst.BaseExpression]) -> set[str]:
    names: set[str] = set()
    for target in targets:
        if isinstance(target, cst.Name):
            names.add(target.value)
        elif isinstance(target, cst.Tuple | cst.List):
            names |= _assigned_names(e.value for e in target.elements)
    return names
