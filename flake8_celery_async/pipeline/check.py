"""Check one file: the text check, the parse, the analysis, then ``# noqa`` and ignores.

Shared by the standalone CLI and the codemod, so both see exactly what flake8 would report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..settings import Settings
from ..syntax.source import decode, may_run_on_loop, split_lines

if False:  # for type checkers only: the analysis is imported once a file passes the text check
    from typing import Any

    from ..findings import Finding
    from ..project.index import Index
    from ..scopes.context import ModuleContext


class FileResult:
    """What checking one file came to."""

    __slots__ = ("cached", "error", "findings", "internal_error", "parsed", "path", "silenced")

    def __init__(
        self,
        path: str,
        findings: list[Finding] | None = None,
        error: str | None = None,
        internal_error: str | None = None,
        parsed: bool = False,
        cached: bool = False,
        silenced: list[tuple[Finding, str]] | None = None,
    ) -> None:
        self.path = path
        self.findings = findings if findings is not None else []
        self.silenced = silenced if silenced is not None else []
        """The findings a ``# noqa`` comment silenced, each with the comment's kind (``# noqa``
        or ``# flake8: noqa``); complete only when asked for (``check_source(silenced=True)``):
        findings from the cache carry none."""
        self.error = error
        """Why the file could not be read, decoded or parsed (it was left alone)."""
        self.internal_error = internal_error
        """An exception inside this tool while checking the file (a bug: please report it)."""
        self.parsed = parsed
        """False when the cheap text check showed the file cannot contain a finding."""
        self.cached = cached
        """True when the findings came from the cache (with the file unread or unparsed)."""

    def is_empty(self) -> bool:
        return not (self.findings or self.error or self.internal_error)

    def as_tuple(self) -> tuple[object, ...]:
        """Plain data (for ``marshal``, from the CLI's forked children)."""
        findings = [f.as_tuple() for f in self.findings]
        silenced = [(f.as_tuple(), why) for f, why in self.silenced]
        return (
            *(self.path, findings, self.error, self.internal_error, self.parsed, self.cached),
            silenced,
        )

    @classmethod
    def from_tuple(cls, data: Any) -> FileResult:
        """The inverse of :meth:`as_tuple`."""
        from ..findings import Finding

        path, findings, error, internal_error, parsed, cached, silenced = data
        found = [Finding(*f) for f in findings]
        quiet = [(Finding(*f), why) for f, why in silenced]
        return cls(path, found, error, internal_error, parsed, cached, quiet)


def selected(code: str, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """flake8's rule: the longer matching prefix of ``select`` and ``ignore`` decides, and a
    tie is ignored (``select = CEL`` with ``extend-ignore = CEL`` reports nothing)."""
    chosen = max((len(s) for s in select if code.startswith(s)), default=-1) if select else 0
    ignored = max((len(i) for i in ignore if code.startswith(i)), default=-1)
    return chosen >= 0 and chosen > ignored


def project_context(path: str, settings: Settings, save: bool = False) -> ModuleContext | None:
    """The file's view of its project's index (``None``: no index for this file)."""
    if path == "<source>" or not settings.project_index:
        return None
    from ..project.indexer import context_for

    try:
        return context_for(path, settings, save)
    except Exception:  # pragma: no cover - a bug in the index must not stop the check:
        return None  # the file is checked on its own


def index_of(context: ModuleContext | None) -> Index | None:
    """The project index a module's view was made from (``None``: the file stands alone)."""
    if context is None or context.index is None:
        return None
    from ..project.index import Index

    return context.index if isinstance(context.index, Index) else None


def may_matter(data: bytes, settings: Settings, context: ModuleContext | None) -> bool:
    """The text check: the catalogue's trigger words, then what the project index knows."""
    from ..rules import may_have_findings  # the catalogue: once a file may run on the loop

    if may_have_findings(data, settings):
        return True
    index = index_of(context)
    if index is None or context is None:
        return False
    from ..project.follow import Reader, reaches_found

    rel = context.path
    return index.may_matter(data, rel) and reaches_found(index, Reader({rel: data}), rel)


def cache_key(settings: Settings, select: Sequence[str], ignore: Sequence[str]) -> str:
    return f"{settings.key()}\0{list(select)}\0{list(ignore)}"


def prepare_index(
    paths: list[str], settings: Settings, given: Sequence[str] | None = None
) -> list[Index]:
    """Build the project index of these files' repositories now (the CLI, before it forks).
    ``paths``: files that exist (a walk found them, or the caller asked); ``given``: the
    paths the user named (default: ``paths``); outside version control the one holding a
    file is its repository root (see ``project.repository``)."""
    if not settings.project_index:
        return []
    from ..project.indexer import prepare
    from ..project.repository import given as tell

    tell(paths if given is None else given)

    try:
        return prepare(paths, settings)
    except Exception:  # pragma: no cover - as in project_context
        return []


def finish_index(
    indexes: list[Index],
    paths: list[str],
    results: list[FileResult],
    settings: Settings,
    select: Sequence[str],
    ignore: Sequence[str],
) -> None:
    """After the CLI's run: cache every file's findings for the next run."""
    if not indexes:
        return
    from ..project.indexer import finish

    found = {r.path: [f.as_tuple() for f in r.findings] for r in results}
    # Not remembered: a bug's failure, and what came from the cache. A file that could not
    # be read or parsed is, under this Python (a file 3.11 cannot parse, 3.12 can).
    skip = {r.path for r in results if r.internal_error or r.cached}
    errors = {r.path: r.error for r in results if r.error and r.path not in skip}
    key = cache_key(settings, select, ignore)
    finish(indexes, paths, found, settings, key, skip, errors, error_key(key))  # type: ignore[arg-type]


Lookup = Callable[[str, str], "list[tuple[object, ...]] | None"]


def error_key(key: str) -> str:
    """The cache key of why a file could not be checked (:func:`cache_key` and the Python)."""
    import sys

    return f"{key}\0{sys.version_info[:2]}"


def unchanged_results(
    paths: Sequence[str], settings: Settings, key: str
) -> tuple[list[FileResult], set[str]]:
    """The CLI's findings for the files of projects where no file's size or modification time
    changed since the last run (the trust ruff's cache places in them), without reading them:
    the results with findings or an error, and every path answered. Read and check the
    others. ``key``: :func:`cache_key` of the run. (A warm run is mostly this loop: the files
    are taken folder by folder, and a clean file costs a lookup, no result.)"""
    answered: set[str] = set()
    if not settings.project_index:
        return [], answered
    import os

    from ..findings import Finding
    from ..project.indexer import indexed

    results: list[FileResult] = []
    folders: dict[str, tuple[Index, str, Lookup] | None] = {}
    lookups: dict[int, Lookup] = {}  # by index: its cached findings for this run's key
    errors = error_key(key)
    sep = os.sep
    for path in paths:
        cut = path.rfind(sep)  # os.path.split, without its work for each file
        folder, name = (path[:cut], path[cut + 1 :]) if cut > 0 else os.path.split(path)
        if folder not in folders:
            try:
                index, rel = indexed(path, settings)
            except Exception:  # pragma: no cover - as in project_context: read and checked
                folders[folder] = None
            else:
                if index.unchanged and id(index) not in lookups:
                    lookups[id(index)] = index.cached_lookup(key)
                prefix = rel[: -len(name)]
                folders[folder] = (index, prefix, lookups[id(index)]) if index.unchanged else None
        known = folders[folder]
        if known is None:
            continue
        index, prefix, lookup = known
        rel = prefix + name
        sha = index.shas.get(rel)
        if not sha:
            continue
        cached = lookup(rel, sha)
        if cached is not None:
            answered.add(path)
            if cached:
                found = [Finding(*f) for f in cached]  # type: ignore[arg-type]
                results.append(FileResult(path, found, parsed=True, cached=True))
            continue
        failed = index.cached_findings(rel, sha, errors, "errors")
        if failed:  # the same file under the same Python: it still does not parse
            answered.add(path)
            results.append(FileResult(path, error=str(failed[0][0]), cached=True))
    return results, answered


def check_source(
    data: bytes,
    settings: Settings,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    path: str = "<source>",
    silenced: bool = False,
) -> FileResult:
    """Check one file's bytes. With a real ``path`` the project index of its root is used
    (built once per process, see ``project``), so the CLI, the codemod and flake8 agree.
    ``silenced``: also say which findings a ``# noqa`` comment silenced (the codemod lists
    them); the cache holds only what is reported, so a file that mentions noqa is analysed."""
    result = FileResult(path)
    if not may_run_on_loop(data):
        return result
    context = project_context(path, settings)
    if not may_matter(data, settings, context):
        return result
    index = index_of(context)
    if context is None or index is None:
        return _check(data, settings, select, ignore, path, context)
    from ..findings import Finding
    from ..syntax.source import content_hash

    sha, key = content_hash(data), cache_key(settings, select, ignore)
    cached = None
    if not (silenced and b"noqa" in data.lower()):  # the cache holds no silenced findings
        cached = index.cached_findings(context.path, sha, key)
    if cached is not None:
        result.parsed = result.cached = True
        result.findings = [Finding(*f) for f in cached]  # type: ignore[arg-type]
        return result
    # What the index's own analysis of this file found, if nothing it asked has changed;
    # else its tree, if the index parsed it; else it is parsed here.
    analyzed = index.analyzed_findings(context, sha)
    tree = index.trees.get(context.path) if index.shas.get(context.path) == sha else None
    result = _check(data, settings, select, ignore, path, context, tree, analyzed)
    if result.error is None:
        findings = [f.as_tuple() for f in result.findings]
        index.remember(context.path, sha, key, findings)  # type: ignore[arg-type]
    return result


def _check(
    data: bytes,
    settings: Settings,
    select: Sequence[str],
    ignore: Sequence[str],
    path: str,
    context: ModuleContext | None,
    tree: object = None,
    analyzed: list[tuple[object, ...]] | None = None,
) -> FileResult:
    """``tree``: the file's, if parsed already; ``analyzed``: what its analysis found, if
    done already (``Index.analyzed_findings``)."""
    result = FileResult(path)
    result.parsed = True
    if analyzed is not None:
        from ..findings import Finding

        found = [Finding(*f) for f in analyzed]  # type: ignore[arg-type]
        return _report(result, found, data, select, ignore)
    import ast  # only for files that pass the text check
    import warnings

    from ..analysis.analyzer import analyze

    if not isinstance(tree, ast.Module):
        try:
            with warnings.catch_warnings():  # invalid escapes etc. are not ours to report
                warnings.simplefilter("ignore")
                tree = ast.parse(data, filename=path)
        except SyntaxError as e:
            from ..syntax.parse_errors import explain

            result.error = explain(e, data)
            return result
        except (ValueError, UnicodeDecodeError, LookupError) as e:
            result.error = f"cannot decode or parse: {e}"
            return result
        except (RecursionError, MemoryError) as e:
            result.error = f"too deeply nested or too large to parse: {type(e).__name__}"
            return result
    assert isinstance(tree, ast.Module)
    return _report(result, analyze(tree, settings, context), data, select, ignore)


def _report(
    result: FileResult,
    found: list[Finding],
    data: bytes,
    select: Sequence[str],
    ignore: Sequence[str],
) -> FileResult:
    """The selected findings, less those a ``# noqa`` comment silences."""
    findings = [f for f in found if selected(f.code, select, ignore)]
    if findings and b"noqa" in data.lower():  # no "noqa" anywhere: nothing to look up
        findings, result.silenced = apply_noqa(findings, data)
    result.findings = findings
    return result


def apply_noqa(
    findings: list[Finding], data: bytes
) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """(the findings reported, the findings a comment silenced with its kind): ``# noqa`` as
    flake8 reads it, on the finding's logical line, or ``# flake8: noqa`` for the file."""
    from ..syntax import noqa

    text = decode(data)
    lines = split_lines(text)
    if noqa.file_is_ignored(lines):
        return [], [(f, "# flake8: noqa") for f in findings]
    if not noqa.may_silence(text, {f.code for f in findings}):
        return findings, []
    logical = noqa.logical_line_map(text, lines)
    kept: list[Finding] = []
    quiet: list[tuple[Finding, str]] = []
    for f in findings:
        line = logical.get(f.line) or (lines[f.line - 1] if f.line <= len(lines) else "")
        if noqa.is_ignored(f.code, line):
            quiet.append((f, "# noqa"))
        else:
            kept.append(f)
    return kept, quiet
