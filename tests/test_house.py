"""House habits: the shipped packages are typed (mypy --strict) and lint-clean (ruff)."""

from __future__ import annotations

import pytest
from cel_support import ROOT, run, tool


def test_mypy_strict() -> None:
    result = run(tool("mypy"), "--strict", "flake8_celery_async", "codemod", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runtime_mypy_strict() -> None:
    """celery-asyncx on its own, with its own configuration (as its users' CI would)."""
    runtime = ROOT / "celery-asyncx"
    result = run(tool("mypy"), "--strict", "src/celery_asyncx", cwd=runtime)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_ruff(command: list[str]) -> None:
    result = run(tool("ruff"), *command, ".", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_is_typed() -> None:
    assert (ROOT / "flake8_celery_async" / "py.typed").is_file()
    assert (ROOT / "codemod" / "py.typed").is_file()
    assert (ROOT / "celery-asyncx" / "src" / "celery_asyncx" / "py.typed").is_file()
