"""The flake8 adapter: options in, findings out. flake8 owns ``# noqa`` and the output."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from typing import Any

from .. import __version__
from ..settings import OPTIONS, Settings


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
        if cls.settings.project_index:
            from ..pipeline.plugin_run import prepare

            prepare(getattr(options, "filenames", None) or ["."], cls.settings)

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        # The fast path: nothing runs on the loop without `async def` or a Tornado handler.
        text = "".join(self.lines)
        if "async" not in text and "Handler" not in text:
            return
        from ..pipeline.plugin_run import findings

        for line, col, message in findings(self.tree, text, self.filename, self.settings):
            yield line, col, message, type(self)
