"""The work on one file, run in a process pool: the scan (findings) and the fix (new bytes).

Neither writes anything: the writer does, once the whole plan stands.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.frontends.config import ignores_for
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.rules import may_have_findings
from flake8_celery_async.settings import Settings

from . import factory, project
from .command import Rename
from .fixer import Outcome, digest, fix_source, is_generated
from .roots import PROJECT_FILES

ROOT_MARKERS = (".git", *PROJECT_FILES, "manage.py", "tox.ini", ".flake8")


@dataclass
class Scan:
    path: str
    digest: str = ""
    findings: list[Finding] = field(default_factory=list)
    facts: list[project.CallFacts] = field(default_factory=list)
    parsed: bool = False
    generated: bool = False
    error: str | None = None
    internal_error: str | None = None


@dataclass(frozen=True)
class ScanJob:
    settings: Settings
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    per_file: tuple[tuple[str, tuple[str, ...]], ...]

    def __call__(self, path: str) -> Scan:
        scan = Scan(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            scan.error = f"cannot read: {e.strerror or e}"
            return scan
        if factory.is_ours(data) or not may_have_findings(data, self.settings):
            return scan
        if is_generated(data):
            scan.generated = True
            return scan
        scan.digest = digest(data)
        try:
            ignore = ignores_for(path, self.ignore, self.per_file)
            result = check_source(data, self.settings, self.select, ignore, path)
            scan.parsed, scan.error, scan.findings = result.parsed, result.error, result.findings
            spans = [(f.line, f.col, f.end_line, f.end_col) for f in scan.findings]
            if any(f.fix for f in scan.findings):
                scan.facts = project.call_facts(data, spans)
        except Exception as e:  # a bug in this tool: report it with the file, keep going
            scan.internal_error = f"{type(e).__name__}: {e}"
        return scan


@dataclass(frozen=True)
class FixJob:
    settings: Settings
    select: tuple[str, ...] = ("CEL",)
    ignore: tuple[str, ...] = ()
    per_file: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __call__(self, item: tuple[str, str, list[Finding], list[Rename], str]) -> Outcome:
        path, expected, findings, renames, runtime_module = item
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            return Outcome(path, error=f"cannot read: {e.strerror or e}")
        if digest(data) != expected:
            return Outcome(path, data, error="changed while the codemod ran; left alone")
        try:
            return fix_source(
                data,
                self.settings,
                path=path,
                runtime_module=runtime_module,
                findings=findings,
                renames=renames,
                select=self.select,
                ignore=ignores_for(path, self.ignore, self.per_file),
            )
        except Exception as e:  # a bug in this tool: report it with the file
            return Outcome(path, data, internal_error=f"{type(e).__name__}: {e}")


def find_root(paths: Sequence[str]) -> str:
    """The repository: git's top level, else the nearest folder with a project file."""
    given = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    start = given[0] if os.path.isdir(given[0]) else os.path.dirname(given[0])
    try:
        top = subprocess.run(
            ["git", "-C", start, "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        top = ""
    here = start
    while not top:
        if any(os.path.exists(os.path.join(here, m)) for m in ROOT_MARKERS):
            top = here
        elif os.path.dirname(here) == here:  # nothing marks a project: above its packages
            top = start
            while os.path.isfile(os.path.join(top, "__init__.py")):
                top = os.path.dirname(top)
        here = os.path.dirname(here)
    top = os.path.realpath(top)
    if not all(_inside(os.path.realpath(p), top) for p in given):
        top = os.path.commonpath([os.path.realpath(p) for p in given])
    # The same folder as the paths were given (git answers with symlinks resolved): the
    # files found from it must compare equal to the given ones.
    here = start
    while os.path.realpath(here) != top and os.path.dirname(here) != here:
        here = os.path.dirname(here)
    return here if os.path.realpath(here) == top else top


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top + os.sep)
