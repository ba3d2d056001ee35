"""Eval files: every expected finding is written inline (flake8-bugbear's pattern)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cel_support import EVAL_FILES, eval_args, expected, run, tool

from flake8_celery_async.analysis import UNFIXABLE_TORNADO, analyze_source
from flake8_celery_async.cli import build_parser
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
    assert codes == {f"CEL00{i}" for i in range(1, 9)}


def _lines(output: str) -> list[str]:
    return sorted(line for line in output.splitlines() if line)


@pytest.mark.parametrize("path", EVAL_FILES, ids=lambda p: p.name)
def test_real_flake8_and_standalone_agree(path: Path) -> None:
    args = eval_args(path)
    flake8 = run(tool("flake8"), "--isolated", "--select", "CEL", *args, path)
    standalone = run(tool("flake8-celery-async"), "--isolated", *args, path)
    assert flake8.stderr == ""
    assert _lines(flake8.stdout) == _lines(standalone.stdout)
    want = {(line, col + 1, code) for line, col, code in expected(path)}
    got = set()
    for line in flake8.stdout.splitlines():
        _, number, col, rest = line.split(":", 3)
        got.add((int(number), int(col), rest.split()[0]))
    assert got == want
    assert flake8.returncode == standalone.returncode == (1 if want else 0)
