"""The command-line front half shared by ``flake8-celery-async`` and ``celery-async-codemod``.

Both tools take the same paths, config, selection and exclusion flags with flake8's meaning:
``--exclude`` *replaces* the configured ``exclude`` list and ``--extend-exclude`` adds to it;
``--select``/``--ignore`` are code prefixes; the config is the first ``[flake8]`` section found
from the current directory up (never the home directory), or ``--config``, or none with
``--isolated``. A tool whose output is findings also takes ``--format``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

from ..settings import OPTIONS, Settings
from .config import Config, split_list

FORMATS = ("default", "json", "github", "sarif")
FORMAT_HELP = (
    "default: path:line:col: CODE message; json: a list of objects; github: GitHub Actions "
    "workflow annotations; sarif: SARIF 2.1.0 for code scanning"
)


def add_arguments(parser: argparse.ArgumentParser, formats: Sequence[str] = ()) -> None:
    """The shared flags. ``formats``: the ``--format`` choices, if the tool prints findings."""
    parser.add_argument(
        "paths", nargs="*", default=["."], help="files and directories (default: .)"
    )
    parser.add_argument("--config", help="read this config file instead of searching for one")
    parser.add_argument("--isolated", action="store_true", help="ignore all config files")
    parser.add_argument("--select", help="comma-separated code prefixes to act on (default: CEL)")
    parser.add_argument("--ignore", help="comma-separated code prefixes to leave alone")
    parser.add_argument(
        "--exclude",
        help="comma-separated glob patterns to skip when walking; replaces the config's exclude",
    )
    parser.add_argument(
        "--extend-exclude", help="more patterns to skip, added to exclude (config's and flag's)"
    )
    if formats:
        parser.add_argument("--format", choices=formats, default=formats[0], help=FORMAT_HELP)
    parser.add_argument(
        "--jobs", "-j", type=int, default=None, help="processes to use (default: CPUs)"
    )
    for option in OPTIONS:
        parser.add_argument(option.flag, default=None, help=option.help)


class Front:
    """What the shared flags and the config file resolve to."""

    __slots__ = ("config", "exclude", "ignore", "jobs", "per_file", "select", "settings")

    def __init__(self, args: argparse.Namespace) -> None:
        """Raises ``ConfigError`` for a config file that cannot be read or a bad value."""
        self.config, self.settings = Config.from_args(args)
        self.select, self.ignore = self.config.select_and_ignore(args)
        config = self.config
        self.exclude = split_list(args.exclude) if args.exclude else config.get_list("exclude")
        self.exclude += split_list(args.extend_exclude or "") + config.get_list("extend-exclude")
        self.per_file = tuple((p, tuple(codes)) for p, codes in config.per_file_ignores())
        self.jobs: int = args.jobs if args.jobs is not None else (os.cpu_count() or 1)

    @property
    def base(self) -> str:
        """The directory relative config paths (exclude, per-file-ignores) are relative to."""
        return self.config.base


__all__ = ["FORMATS", "Front", "Settings", "add_arguments"]
