"""The work on one file, run in a process pool: the scan (findings) and the fix (new bytes).

Neither writes anything: the writer does, once the whole plan stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.frontends.config import ignores_for
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.settings import Settings

from . import factory, project
from .edits import Rename
from .fixer import Outcome, digest, fix_source, is_generated
from .runtime import is_vendored


@dataclass
class Scan:
    path: str
    digest: str = ""
    findings: list[Finding] = field(default_factory=list)
    silenced: list[tuple[Finding, str]] = field(default_factory=list)
    """What the checker would report but for a ``# noqa`` comment (and the comment's kind)."""
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
        if factory.is_ours(data) or is_vendored(data):
            return scan
        scan.digest = digest(data)
        try:
            # The checker's own check, project index included: what it reports, we account for.
            ignore = ignores_for(path, self.ignore, self.per_file)
            result = check_source(data, self.settings, self.select, ignore, path, silenced=True)
            if result.parsed and is_generated(data):
                scan.generated = True
                return scan
            scan.parsed, scan.error, scan.findings = result.parsed, result.error, result.findings
            scan.silenced = result.silenced
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
