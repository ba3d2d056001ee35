"""Never crash: the analysis over the installed stdlib and site-packages.

Parsing is 95 % of a sweep's cost (the analysis of a whole tree is cheap), so it takes the
files where the analysis has the most to do and where syntax varies most, in full: the
standard library, and every installed file that says ``async``, ``celery`` or ``tornado``;
and a fixed fifth of the rest (sync-only code, where only statements are visited).
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flake8_celery_async.analysis.analyzer import analyze
from flake8_celery_async.project.files import discover

WORDS = (b"async", b"celery", b"Celery", b"tornado")
REST = 5  # one in this many of the other installed files


def _installed_files() -> tuple[list[str], int]:
    """The files to sweep, and how many were installed."""
    skip = ["test", "tests", "idlelib", "lib2to3"]
    stdlib = set(discover([sysconfig.get_paths()["stdlib"]], skip))
    installed = sorted(set(discover([sysconfig.get_paths()["purelib"]], skip)) - stdlib)
    said = [path for path in installed if any(w in Path(path).read_bytes() for w in WORDS)]
    rest = sorted(set(installed) - set(said))
    return sorted([*stdlib, *said, *rest[::REST]]), len(stdlib) + len(installed)


def _sweep(paths: list[str]) -> tuple[int, int, list[str]]:
    """Parse and analyze every file (no text check): (parsed, findings, crashes)."""
    parsed = findings = 0
    crashes = []
    for path in paths:
        try:
            tree = ast.parse(Path(path).read_bytes(), filename=path)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # not ours to parse: flake8 reports E999
        parsed += 1
        try:
            findings += len(analyze(tree))
        except Exception as e:  # the point is to catch everything
            crashes.append(f"{path}: {type(e).__name__}: {e}")
    return parsed, findings, crashes


def test_analysis_never_crashes_on_installed_code() -> None:
    files, installed = _installed_files()
    assert installed > 3000, "the sweep must see the environment"
    assert len(files) > 1500
    jobs = os.cpu_count() or 1
    chunks = [files[i :: jobs * 4] for i in range(jobs * 4)]
    with ProcessPoolExecutor(jobs) as pool:
        results = list(pool.map(_sweep, chunks))
    parsed = sum(r[0] for r in results)
    crashes = [c for r in results for c in r[2]]
    assert crashes == []
    assert parsed > 0.95 * len(files)
    print(f"swept {parsed} of {installed} files with {sys.version.split()[0]}")
