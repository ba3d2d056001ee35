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

    def __init__(self, tree: ast.Module, lines: list[str]) -> None:
        self.tree = tree
        self.lines = lines

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
        # The fast path: a file without `async` and a trigger name cannot have a finding.
        if not self.settings.may_have_findings("".join(self.lines)):
            return
        from .analysis import analyze  # imported only once a file passes the text check

        for finding in analyze(self.tree, self.settings):
            yield finding.line, finding.col, finding.message, type(self)
