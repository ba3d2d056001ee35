"""Packaging: sdist and wheel build, pass twine check, install into fresh venvs and work.

The wheel is installed on every Python we claim that this machine kind has (3.10, 3.11,
3.13 here): each gives the same findings and the same codemod diff on ``examples/``. It also
sits beside PyPI's ``codemod`` distribution, which owns the top-level name ``codemod``.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from cel_support import ROOT, interpreter, run, tool

PYTHONS = ["3.10", "3.11", "3.13"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = run(tool("python"), "-m", "build", "--outdir", out, ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


def test_sdist_and_wheel_contents(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = next(n for n in names if n.endswith("METADATA"))
        metadata = archive.read(meta).decode()
        entry_points = archive.read(meta.replace("METADATA", "entry_points.txt")).decode()
    for required in (
        "flake8_celery_async/analysis/analyzer.py",
        "flake8_celery_async/py.typed",
        "celery_async_codemod/celery_async.py",
        "celery_async_codemod/py.typed",
    ):
        assert required in names
    assert not [n for n in names if n.startswith(("codemod/", "tests/", "benchmarks/"))]
    assert not [n for n in names if n.startswith(("examples/", "hatch_build"))]
    assert "Classifier: Framework :: Flake8" in metadata
    assert "CEL = flake8_celery_async.plugin:Plugin" in entry_points
    assert "celery-async-codemod = celery_async_codemod.cli:main" in entry_points
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(m.endswith("codemod/celery_async.py") for m in members)
    assert any(m.endswith("/hatch_build.py") for m in members)  # the sdist builds the wheel
    assert not [m for m in members if "/tests/" in m or "/benchmarks/" in m]
    check = run(tool("twine"), "check", "--strict", *dist.iterdir())
    assert check.returncode == 0, check.stdout + check.stderr


def _venv(python: Path, where: Path, *packages: str | Path) -> Path:
    made = run(python, "-m", "venv", where)
    assert made.returncode == 0, made.stderr
    pip = [where / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    install = run(*pip, *packages)
    assert install.returncode == 0, install.stderr[-3000:]
    return where / "bin"


def _findings_and_diff(bin_dir: Path, work: Path) -> tuple[list[str], str]:
    project = work / "examples"
    shutil.copytree(ROOT / "examples", project)
    lint = run(bin_dir / "flake8-celery-async", "examples", cwd=work)
    assert lint.returncode == 1 and "CEL001" in lint.stdout, lint.stdout + lint.stderr
    flake8 = run(bin_dir / "flake8", "--select", "CEL", "examples", cwd=work)
    assert sorted(flake8.stdout.splitlines()) == sorted(lint.stdout.splitlines())
    diff = run(bin_dir / "celery-async-codemod", "--diff", "examples", cwd=work)
    assert diff.returncode == 1 and "+++ " in diff.stdout, diff.stderr
    fix = run(bin_dir / "celery-async-codemod", "examples", cwd=work)
    assert fix.returncode == 1 and "Rewriting" in fix.stderr, fix.stderr
    again = run(bin_dir / "celery-async-codemod", "examples", cwd=work)
    assert again.returncode == 0, again.stderr
    return sorted(lint.stdout.splitlines()), diff.stdout


@pytest.fixture(scope="module")
def reference(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], str]:
    """Findings and codemod diff from the wheel on the interpreter running the tests."""
    work = tmp_path_factory.mktemp("reference")
    (wheel,) = dist.glob("*.whl")
    bin_dir = _venv(Path(tool("python")), work / "venv", wheel)
    version = run(bin_dir / "flake8", "--version")
    assert "flake8-celery-async: 0.1.0" in version.stdout.replace("\n", " ")
    return _findings_and_diff(bin_dir, work)


@pytest.mark.parametrize("version", PYTHONS)
def test_wheel_gives_the_same_findings_and_diff_on_every_python(
    version: str, dist: Path, reference: tuple[list[str], str], tmp_path: Path
) -> None:
    python = interpreter(version)
    if python is None:
        message = f"Python {version} is not installed (pyenv install {version})"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI claims every Python: a missing one is a failure
        pytest.skip(message)
    (wheel,) = dist.glob("*.whl")
    bin_dir = _venv(python, tmp_path / "venv", wheel)
    assert _findings_and_diff(bin_dir, tmp_path) == reference


def test_wheel_installs_beside_pypis_codemod(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    bin_dir = _venv(Path(tool("python")), tmp_path / "venv", wheel, "codemod==1.0.0")
    both = run(
        bin_dir / "python",
        "-c",
        "import codemod, celery_async_codemod.cli;"
        "print(codemod.__file__); print(celery_async_codemod.cli.__file__)",
    )
    assert both.returncode == 0, both.stderr
    theirs, ours = both.stdout.split()
    assert theirs.endswith("codemod/__init__.py") and "celery_async_codemod" not in theirs
    assert ours.endswith("celery_async_codemod/cli.py")
    assert run(bin_dir / "codemod", "--help").returncode == 0
    assert run(bin_dir / "celery-async-codemod", "--version").returncode == 0
