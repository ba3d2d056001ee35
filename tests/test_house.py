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


# The product's packages: the checker, the codemod and the runtime.
PACKAGES = ("flake8_celery_async", "codemod", "celery-asyncx/src/celery_asyncx")


def test_no_module_over_about_400_lines() -> None:
    """Small modules named for what they do (tests/test_layers.py and
    tests/test_codemod_layers.py check that their imports only go down)."""
    long = {
        str(path.relative_to(ROOT)): n
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}
