"""Packaging: sdist and wheel build, pass twine check, install into a fresh venv and work."""

from __future__ import annotations

import shutil
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from cel_support import ROOT, run, tool


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
        entry_points = archive.read(meta.replace("METADATA", "entry_points.txt"))
    for required in (
        "flake8_celery_async/analysis.py",
        "flake8_celery_async/py.typed",
        "codemod/celery_async.py",
        "codemod/py.typed",
    ):
        assert required in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", "examples/"))]
    assert "Classifier: Framework :: Flake8" in metadata
    assert b"CEL = flake8_celery_async.plugin:Plugin" in entry_points
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    assert any(m.endswith("codemod/celery_async.py") for m in members)
    assert not [m for m in members if "/tests/" in m or "/benchmarks/" in m]
    check = run(tool("twine"), "check", "--strict", *dist.iterdir())
    assert check.returncode == 0, check.stdout + check.stderr


def test_wheel_installs_and_works_in_a_fresh_virtualenv(dist: Path, tmp_path: Path) -> None:
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    (wheel,) = dist.glob("*.whl")
    install = run(env / "bin" / "pip", "install", "--disable-pip-version-check", wheel)
    assert install.returncode == 0, install.stderr[-2000:]
    version = run(env / "bin" / "flake8", "--version")
    assert "flake8-celery-async: 0.1.0" in version.stdout.replace("\n", " ")
    project = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", project)
    lint = run(env / "bin" / "flake8-celery-async", project)
    assert lint.returncode == 1 and "CEL001" in lint.stdout
    flake8 = run(env / "bin" / "flake8", "--select", "CEL", project)
    assert sorted(flake8.stdout.splitlines()) == sorted(lint.stdout.splitlines())
    fix = run(env / "bin" / "celery-async-codemod", project)
    assert fix.returncode == 1, fix.stderr
    assert "Rewriting" in fix.stderr
    assert (project / "shop" / "celery_async.py").is_file()
    again = run(env / "bin" / "celery-async-codemod", project)
    assert again.returncode == 0, again.stderr
