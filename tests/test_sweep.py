"""Never crash: the analysis over every .py file of the installed stdlib and site-packages."""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from flake8_celery_async.analysis.analyzer import analyze
from flake8_celery_async.project.files import discover


def _installed_files() -> list[str]:
    roots = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"]}
    files: list[str] = []
    for root in sorted(roots):
        files += discover([root], ["test", "tests", "idlelib", "lib2to3"])
    return sorted(set(files))


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
    files = _installed_files()
    assert len(files) > 3000, "the sweep must cover the environment"
    jobs = os.cpu_count() or 1
    chunks = [files[i :: jobs * 4] for i in range(jobs * 4)]
    with ProcessPoolExecutor(jobs) as pool:
        results = list(pool.map(_sweep, chunks))
    parsed = sum(r[0] for r in results)
    crashes = [c for r in results for c in r[2]]
    assert crashes == []
    assert parsed > 0.95 * len(files)
    print(f"swept {parsed} files of {len(files)} with {sys.version.split()[0]}")
