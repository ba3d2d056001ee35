"""Eval files: every expected finding is written inline (flake8-bugbear's pattern)."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cel_support import EVAL_FILES, eval_args, expected, run, tool

from flake8_celery_async.analysis.analyzer import UNFIXABLE_TORNADO, analyze_source
from flake8_celery_async.frontends.command_line import build_parser
from flake8_celery_async.rules import RULES
from flake8_celery_async.settings import OPTIONS, Settings


def settings_for(path: Path) -> Settings:
    args = build_parser().parse_args([*eval_args(path), str(path)])
    return Settings.from_mapping({o.dest: getattr(args, o.dest) for o in OPTIONS})


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_eval_file(path: Path) -> None:
    findings = analyze_source(path.read_bytes(), settings_for(path))
    got = {(f.line, f.col, f.code) for f in findings}
    assert got == expected(path)


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_stripping_async_removes_every_finding(path: Path) -> None:
    """The same code without async/await runs off the loop: nothing to report (but a
    Tornado handler's sync methods still run on the IOLoop)."""
    source = path.read_text()
    stripped = re.sub(r"\basync\s+(?=def|with|for)", "", source)
    stripped = re.sub(r"\bawait\s+", "", stripped)
    findings = analyze_source(stripped, settings_for(path))
    assert [f for f in findings if f.reason != UNFIXABLE_TORNADO] == []


def test_eval_files_have_expectations() -> None:
    total = sum(len(expected(p)) for p in EVAL_FILES)
    codes = {code for p in EVAL_FILES for _, _, code in expected(p)}
    assert total >= 90
    assert codes == {rule.code for rule in RULES}  # every rule of the catalogue


def _lines(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if line)


@functools.cache
def _both_on(args: tuple[str, ...]) -> tuple[subprocess.CompletedProcess[str], ...]:
    """Real flake8 and the standalone command, each run once over every eval file with these
    options (a process per file made this the costliest part of the suite on each Python)."""
    paths = [p for p in EVAL_FILES if tuple(eval_args(p)) == args]
    flake8 = run(tool("flake8"), "--isolated", "--select", "CEL", *args, *paths)
    standalone = run(tool("flake8-celery-async"), "--isolated", *args, *paths)
    return flake8, standalone


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_real_flake8_and_standalone_agree(path: Path) -> None:
    args = tuple(eval_args(path))
    flake8, standalone = _both_on(args)
    assert flake8.stderr == ""
    mine = [line for line in _lines(flake8.stdout) if line.startswith(f"{path}:")]
    assert mine == [line for line in _lines(standalone.stdout) if line.startswith(f"{path}:")]
    want = {(line, col + 1, code) for line, col, code in expected(path)}
    got = set()
    for line in mine:
        _, number, col, rest = line.split(":", 3)
        got.add((int(number), int(col), rest.split()[0]))
    assert got == want
    found = any(expected(p) for p in EVAL_FILES if tuple(eval_args(p)) == args)
    assert flake8.returncode == standalone.returncode == (1 if found else 0)


# -- eval projects: several modules, one project root (its pyproject.toml) ----------------------

PROJECTS = sorted(p for p in (Path(__file__).parent / "eval_projects").iterdir() if p.is_dir())


def project_expected(root: Path) -> set[tuple[str, int, int, str]]:
    """Every module's inline expectations: (path from the root, line, 1-based column, code)."""
    return {
        (f"./{path.relative_to(root)}", line, col + 1, code)
        for path in sorted(root.rglob("*.py"))
        for line, col, code in expected(path)
    }


def _rows(output: str) -> set[tuple[str, int, int, str]]:
    rows = set()
    for line in output.splitlines():
        path, number, col, rest = line.split(":", 3)
        rows.add((path, int(number), int(col), rest.split()[0]))
    return rows


def _run_in(root: Path, *cmd: str, cache: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CELERY_ASYNC_CACHE_DIR", None)
    if cache is not None:
        env["CELERY_ASYNC_CACHE_DIR"] = cache
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_eval_project(project: Path, tmp_path: Path) -> None:
    """flake8 and the standalone CLI report the same lines on a whole project, cold and
    warm (from the cache) and with the cache off, and exactly the inline expectations."""
    root = tmp_path / project.name
    shutil.copytree(project, root)
    want = project_expected(root)
    flake8 = _run_in(root, tool("flake8"), "--isolated", "--select", "CEL", ".")
    cold = _run_in(root, tool("flake8-celery-async"), "--isolated", ".")
    warm = _run_in(root, tool("flake8-celery-async"), "--isolated", ".")
    off = _run_in(root, tool("flake8-celery-async"), "--isolated", ".", cache="off")
    assert flake8.stderr == "" and cold.stderr == ""
    assert _lines(flake8.stdout) == _lines(cold.stdout) == _lines(warm.stdout) == _lines(off.stdout)
    assert _rows(cold.stdout) == want
    assert (root / ".celery_async_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_cross_module_message_names_the_path(tmp_path: Path) -> None:
    """The path is the helper's from the repository root (here, in place, it would be this
    repository's: its version-control root)."""
    root = tmp_path / "service_layer"
    shutil.copytree(PROJECTS[[p.name for p in PROJECTS].index("service_layer")], root)
    out = _run_in(root, tool("flake8-celery-async"), "--isolated", "app/api/routes.py", cache="off")
    assert (
        "CEL007 enqueue() does synchronous Celery I/O "
        "(via app/services/dispatcher.py:8 index_task.delay) and blocks" in out.stdout
    )
