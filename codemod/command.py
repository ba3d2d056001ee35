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
from collections.abc import Mapping, Sequence
from typing import cast

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import CodeRange, PositionProvider

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.settings import OPTIONS, Settings

from .edits import DEFAULT_RUNTIME_MODULE, Rename
from .imports import add_imports, remove_imports
from .rewriter import Rewriter


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
            help="dotted module that run_blocking is imported from (default: celery_asyncx)",
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
        new = add_imports(new, self.runtime_module, rewriter.imports_needed())
        removable = rewriter.removable_imports(new)
        return remove_imports(new, removable, self.context.filename or "") if removable else new
