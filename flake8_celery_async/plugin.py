"""The flake8 adapter: options in, findings out. flake8 owns ``# noqa`` and the output."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from typing import Any

from . import __version__
from .settings import OPTIONS, Settings


class Plugin:
    name = "flake8-celery-async"
    version = __version__
    settings = Settings()

    def __init__(self, tree: ast.Module, lines: list[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    @staticmethod
    def add_options(option_manager: Any) -> None:
        for option in OPTIONS:
            option_manager.add_option(
                option.flag,
                parse_from_config=True,
                comma_separated_list=option.is_list,
                default=None,
                help=option.help,
            )

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        cls.settings = Settings.from_mapping(
            {o.dest: getattr(options, o.dest, None) for o in OPTIONS}
        )

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        # The fast path: nothing runs on the loop without `async def` or a Tornado handler.
        text = "".join(self.lines)
        if "async" not in text and "Handler" not in text:
            return
        from .check import project_context  # the project index: built once per process

        context = project_context(self.filename, self.settings, save=True)
        if not self.settings.may_have_findings(text) and not (
            context is not None
            and context.index is not None
            and context.index.may_matter(text.encode("utf-8", "surrogateescape"), context.path)
        ):
            return
        from .analysis import analyze  # imported only once a file passes the text check

        for finding in analyze(self.tree, self.settings, context):
            yield finding.line, finding.col, finding.message, type(self)
