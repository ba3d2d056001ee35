"""Fix one file: the checker's findings in, libcst edits out, written safely.

:func:`fix_source` is pure (bytes in, bytes out). :func:`write_atomically` replaces a file
only if it is still what was read, keeping its mode. Encoding, BOM and newlines survive because
the text is decoded exactly as Python does (PEP 263 cookie or BOM via ``tokenize``), libcst
keeps every untouched character, and the result is encoded back with the same codec
(``utf-8-sig`` restores the BOM).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
import sys
import tempfile
import threading
import tokenize
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from flake8_celery_async.analysis.analyzer import Finding
from flake8_celery_async.pipeline.check import check_source
from flake8_celery_async.settings import Settings

from .command import (
    DEFAULT_RUNTIME_MODULE,
    HELPER_TAKEN,
    UNLOCATED,
    Rename,
    Rewriter,
    Unfixable,
)
from .imports import add_imports, remove_imports

GENERATED_MARKER = b"@generated"
GENERATED_LINES = 5


@dataclass
class Outcome:
    """What happened to one file."""

    path: str
    data: bytes = b""
    new_data: bytes | None = None
    """The rewritten file, when it differs from ``data``."""
    fixed: list[Finding] = field(default_factory=list)
    unfixable: list[Unfixable] = field(default_factory=list)
    renamed: list[Rename] = field(default_factory=list)
    error: str | None = None
    internal_error: str | None = None

    @property
    def changed(self) -> bool:
        return self.new_data is not None


def is_generated(data: bytes) -> bool:
    """``@generated`` in the first lines: a file a tool owns (Phabricator's convention).

    libcst's own CLI skips a file with the marker anywhere in it, inside its runner (there
    is no reusable function); the header-only rule keeps a file that merely mentions the word
    in a docstring or test from being skipped.
    """
    return GENERATED_MARKER in b"\n".join(data.split(b"\n", GENERATED_LINES)[:GENERATED_LINES])


def detect_encoding(data: bytes) -> str:
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


def fix_source(
    data: bytes,
    settings: Settings,
    *,
    path: str = "<source>",
    runtime_module: str = DEFAULT_RUNTIME_MODULE,
    findings: Sequence[Finding] | None = None,
    renames: Sequence[Rename] = (),
    select: Sequence[str] = ("CEL",),
    ignore: Sequence[str] = (),
) -> Outcome:
    """Rewrite the fixable findings (and apply factory ``renames``) in ``data``.

    ``findings`` defaults to what the checker reports for ``data``. Never raises for bad
    input: an undecodable or unparsable file comes back with ``error`` set and no new data.
    """
    args = (data, settings, path, runtime_module, findings, renames, select, ignore)
    outcome = _fix_source(*args)
    if outcome.error is not None and outcome.error.startswith(TOO_DEEP):
        # libcst recurses per nesting level where ast does not: retry once on a big stack.
        outcome = _on_big_stack(lambda: _fix_source(*args)) or outcome
    return outcome


TOO_DEEP = "too deeply nested"
DEEP_STACK_BYTES = 1 << 30  # reserved, not committed: only what the recursion touches is used
DEEP_RECURSION_LIMIT = 50_000


def _on_big_stack(work: Callable[[], Outcome]) -> Outcome | None:
    """Run ``work`` in a thread with a large stack and recursion limit (None if that fails).

    The recursion limit is per interpreter, so this is only for the single-threaded CLI and
    its worker processes (the pool runs one file at a time per process).
    """
    result: list[Outcome] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as e:  # re-raised in the caller, which reports it with the file
            errors.append(e)

    old_limit = sys.getrecursionlimit()
    try:
        old_size = threading.stack_size(DEEP_STACK_BYTES)
    except (ValueError, RuntimeError):  # a platform that cannot: keep the first answer
        return None
    try:
        sys.setrecursionlimit(max(old_limit, DEEP_RECURSION_LIMIT))
        thread = threading.Thread(target=run, name="deep-fix")
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
        threading.stack_size(old_size)
    if errors:
        raise errors[0]
    return result[0] if result else None


def _fix_source(
    data: bytes,
    settings: Settings,
    path: str,
    runtime_module: str,
    findings: Sequence[Finding] | None,
    renames: Sequence[Rename],
    select: Sequence[str],
    ignore: Sequence[str],
) -> Outcome:
    outcome = Outcome(path, data)
    if findings is None:
        result = check_source(data, settings, select, ignore, path)
        if result.error:
            outcome.error = result.error
            return outcome
        findings = result.findings
    fixable = [f for f in findings if f.fix is not None]
    if not fixable and not renames:
        outcome.unfixable = [Unfixable(f, f.reason or "not fixable") for f in findings]
        return outcome
    try:
        encoding = detect_encoding(data)
        text = data.decode(encoding)
        if text.encode(encoding) != data:
            raise ValueError(f"bytes do not round-trip through {encoding}")
        module = cst.parse_module(text)
    except (SyntaxError, ValueError, LookupError, cst.ParserSyntaxError, RecursionError) as e:
        outcome.error = f"cannot decode or parse with libcst: {type(e).__name__}: {e}"
        return outcome
    try:
        if module.code != text:  # e.g. libcst drops a final lone "\r" (old Mac newlines)
            outcome.error = "libcst does not reproduce this file exactly: left alone"
            return outcome
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        edit = _Edit(module, positions, text, settings, runtime_module, path)
        attempt = edit(findings, renames)
        bad: set[tuple[int, int, str]] = set()
        if isinstance(attempt, str):  # one bad rewrite must not cost the file its other fixes
            if renames and isinstance(edit(findings, renames, only_renames=True), str):
                outcome.internal_error = attempt
                return outcome
            bad = {_at(f) for f in fixable if isinstance(edit([f], ()), str)}
            keep = [f for f in findings if _at(f) not in bad or f.fix is None]
            attempt = edit(keep, renames)
            if isinstance(attempt, str):
                outcome.internal_error = attempt
                return outcome
    except RecursionError:  # libcst recurses per nesting level, ast does not
        outcome.error = f"{TOO_DEEP} for libcst: left alone"
        return outcome
    new_text, rewriter = attempt
    outcome.fixed = rewriter.fixed
    outcome.unfixable = rewriter.unfixable
    outcome.renamed = rewriter.renamed
    if new_text == text:
        return outcome
    outcome.new_data = new_text.encode(encoding)
    # List what is left as the checker sees it in the new text, so that lines match the file
    # as written (an added import shifts them) and nothing fixable can silently remain.
    after = check_source(outcome.new_data, settings, select, ignore, path).findings
    delta = new_text.count("\n") - text.count("\n")  # imports added at the top
    outcome.unfixable = [
        Unfixable(f, INVALID if _at(f, -delta) in bad else _reason(f, rewriter)) for f in after
    ]
    return outcome


def _at(finding: Finding, shift: int = 0) -> tuple[int, int, str]:
    return finding.line + shift, finding.col, finding.code


INVALID = "the rewrite would not be valid Python here (e.g. nested f-strings): left alone"


@dataclass
class _Edit:
    """One try at the file's edits: the new text, or why it failed (libcst refused the tree,
    or the result does not compile where the original did)."""

    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    text: str
    settings: Settings
    runtime_module: str
    path: str

    def __call__(
        self, findings: Sequence[Finding], renames: Sequence[Rename], only_renames: bool = False
    ) -> tuple[str, Rewriter] | str:
        if only_renames:
            findings = [f for f in findings if f.fix is None]
        module, text = self.module, self.text
        rewriter = Rewriter(
            module, self.positions, self.settings, self.runtime_module, findings, renames, text
        )
        try:
            new_module = rewriter.rewrite(module)
            new_module = add_imports(new_module, self.runtime_module, rewriter.imports_needed())
            removable = rewriter.removable_imports(new_module)
            if removable:
                new_module = remove_imports(new_module, removable, self.path)
            new_text = new_module.code
        except cst.CSTValidationError as e:  # a rewrite libcst cannot print: our bug
            return f"libcst refused the rewrite: {e}"
        if new_text != text:
            problem = _verify(text, new_text, self.path)
            if problem is not None:
                return problem
        return new_text, rewriter


def _reason(finding: Finding, rewriter: Rewriter) -> str:
    """Why a finding is still there after the rewrite."""
    if finding.fix is None:
        return finding.reason or "not fixable"
    needs = rewriter.helper_for(finding)
    if needs in rewriter.taken:
        return HELPER_TAKEN.format(helper=needs)
    return rewriter.refused.get((finding.code, finding.message), UNLOCATED)


def _verify(old: str, new: str, path: str) -> str | None:
    """The rewrite must compile wherever the original did (a final guard against our bugs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the user's SyntaxWarnings are not ours to print
        return _compare_compiles(old, new, path)


def _compare_compiles(old: str, new: str, path: str) -> str | None:
    try:
        compile(old, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        full = False  # e.g. `return` at module level: only ask that the output parses
    else:
        full = True
    try:
        if full:
            compile(new, path, "exec", dont_inherit=True)
        else:
            compile(new, path, "exec", flags=0x400, dont_inherit=True)  # ast.PyCF_ONLY_AST
    except (SyntaxError, ValueError) as e:
        return f"the rewrite would not compile ({e}); file left alone"
    return None


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FileChanged(Exception):
    """The file changed on disk after it was read."""


def read_only(path: str) -> bool:
    """No write permission for its owner (checked by mode: root's os.access says yes to all)."""
    mode = os.stat(path).st_mode
    return not mode & stat.S_IWUSR or not os.access(path, os.W_OK)


def write_atomically(path: str, old: bytes, new: bytes) -> None:
    """Replace ``path`` (which must still hold ``old``) with ``new``, keeping its mode.

    A temporary file in the same directory, then ``os.replace``: readers see the old file or
    the new one, never half of one. Raises ``FileChanged`` or ``OSError``.
    """
    target = os.path.realpath(path)  # replace a symlink's target, not the link
    st = os.stat(target)
    directory = os.path.dirname(target) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        if (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(OSError):  # only root may; then keep the owner too
                os.chown(tmp, st.st_uid, st.st_gid)
        with open(target, "rb") as f:
            if f.read() != old:
                raise FileChanged(path)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
