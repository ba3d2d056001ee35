"""Read the ``[flake8]`` section the way flake8 finds it, for the standalone CLI and codemod.

flake8 looks for ``setup.cfg``, ``tox.ini`` and ``.flake8`` (in that order) in the current
directory and its parents and takes the first that has a ``[flake8]`` section. It stops below
the home directory: ``~/.flake8`` and ``~/setup.cfg`` are never read (flake8 7's
``_find_config_file``), and neither are the folders above home.
"""

from __future__ import annotations

import argparse
import os
import re
from fnmatch import fnmatch

from ..settings import OPTIONS, Settings

CANDIDATES = ("setup.cfg", "tox.ini", ".flake8")

if False:  # for type checkers only
    import configparser


class ConfigError(Exception):
    """A config file that cannot be read or holds an invalid value."""


def find_config(start: str) -> str | None:
    home = _stat_key(os.path.expanduser("~"))
    directory = os.path.abspath(start)
    here = _stat_key(directory)
    while True:
        for name in CANDIDATES:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and _has_flake8_section(candidate):
                return candidate
        parent = os.path.dirname(directory)
        above = _stat_key(parent)
        if above in (here, home):  # the root, or the next one up is home
            return None
        directory, here = parent, above


def _stat_key(path: str) -> tuple[int, int] | None:
    """Identity of a directory, as flake8 compares them (symlinks and case resolved)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_dev


def _read(path: str) -> configparser.RawConfigParser:
    import configparser  # only when there is a config file

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (UnicodeDecodeError, configparser.Error) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    return parser


def _has_flake8_section(path: str) -> bool:
    try:
        return "flake8" in _read(path)
    except ConfigError:
        return False


def split_list(value: str) -> list[str]:
    return [v for v in re.split(r"[,\s]+", value) if v]


class Config:
    """What we use of a ``[flake8]`` section."""

    def __init__(self, path: str | None = None, values: dict[str, str] | None = None) -> None:
        self.path = path
        self.values = values if values is not None else {}

    @classmethod
    def load(cls, explicit: str | None = None, start: str | None = None) -> Config:
        path = explicit or find_config(start or os.getcwd())
        if path is None:
            return cls()
        if explicit and not os.path.isfile(path):
            raise ConfigError(f"{path}: config file not found")
        parser = _read(path)
        if "flake8" not in parser:
            return cls(path)
        values = {k.replace("_", "-"): v for k, v in parser["flake8"].items()}
        return cls(path, values)

    def get_list(self, key: str) -> list[str]:
        return split_list(self.values.get(key, ""))

    def settings(self, overrides: dict[str, object] | None = None) -> Settings:
        """Our options from the section; ``overrides`` (command-line values) win."""
        values: dict[str, object] = {}
        for option in OPTIONS:
            raw = self.values.get(option.flag.lstrip("-"))
            if raw is not None:
                values[option.dest] = split_list(raw) if option.is_list else raw.strip()
        for key, value in (overrides or {}).items():
            if value is not None:
                values[key] = value
        try:
            return Settings.from_mapping(values)
        except ValueError as e:
            raise ConfigError(f"{self.path or 'options'}: {e}") from e

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> tuple[Config, Settings]:
        """The config the CLI flags point at (``--config``, ``--isolated``), and the settings
        from it with the flags' values winning. Raises ConfigError."""
        config = cls() if args.isolated else cls.load(args.config)
        return config, config.settings({o.dest: getattr(args, o.dest) for o in OPTIONS})

    def select_and_ignore(self, args: argparse.Namespace) -> tuple[list[str], list[str]]:
        """``--select`` (default: CEL) and ``--ignore`` plus the config's ignore lists."""
        select = split_list(args.select) if args.select else ["CEL"]
        ignore = split_list(args.ignore) if args.ignore else []
        return select, ignore + self.get_list("ignore") + self.get_list("extend-ignore")

    @property
    def base(self) -> str:
        """The directory that relative paths in the config are relative to."""
        return os.path.dirname(os.path.abspath(self.path)) if self.path else os.getcwd()

    def per_file_ignores(self) -> list[tuple[str, list[str]]]:
        raw = self.values.get("per-file-ignores", "").strip()
        if not raw:
            return []
        from flake8.utils import (  # type: ignore[import-untyped]  # only when used
            parse_files_to_codes_mapping,
        )

        base = self.base
        return [
            (os.path.join(base, pattern) if "/" in pattern else pattern, codes)
            for pattern, codes in parse_files_to_codes_mapping(raw)
        ]


def ignores_for(
    path: str, ignore: tuple[str, ...], per_file: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[str, ...]:
    """The ignore list plus the per-file-ignores that match ``path`` (as flake8 matches them:
    the base name or the absolute path)."""
    name, absolute = os.path.basename(path), os.path.abspath(path)
    return ignore + tuple(
        code
        for pattern, codes in per_file
        if fnmatch(name, pattern) or fnmatch(absolute, pattern)
        for code in codes
    )
