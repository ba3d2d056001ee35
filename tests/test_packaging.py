"""Packaging: sdist and wheel build, pass twine check, install with pip into a fresh venv and
work there: the same findings and codemod diff on ``examples/`` as the checkout's own tools,
beside PyPI's ``codemod`` distribution (which owns the top-level name ``codemod``).

The wheel on the other Pythons we claim is checked the same way by ``tests/test_pythons.py``,
in the virtualenvs its nox sessions make anyway.
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from cel_support import BIN, findings_and_diff, run, tool


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
        "celery_async_codemod/_runtime/celery_asyncx/__init__.py",  # for --vendor
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
    assert any(m.endswith("celery-asyncx/src/celery_asyncx/__init__.py") for m in members)
    assert any(m.endswith("/hatch_build.py") for m in members)  # the sdist builds the wheel
    assert not [m for m in members if "/tests/" in m or "/benchmarks/" in m]
    check = run(tool("twine"), "check", "--strict", *dist.iterdir())
    assert check.returncode == 0, check.stdout + check.stderr


def test_wheel_installed_with_pip_works_beside_pypis_codemod(dist: Path, tmp_path: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    assert run(tool("python"), "-m", "venv", venv).returncode == 0
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    install = run(*pip, wheel, "codemod==1.0.0")
    assert install.returncode == 0, install.stderr[-3000:]
    bin_dir = venv / "bin"
    version = run(bin_dir / "flake8", "--version")
    assert "flake8-celery-async: 0.1.0" in version.stdout.replace("\n", " ")
    ours = findings_and_diff(bin_dir, tmp_path / "wheel")
    assert ours == findings_and_diff(BIN, tmp_path / "checkout")
    both = run(
        bin_dir / "python",
        "-c",
        "import codemod, celery_async_codemod.cli;"
        "print(codemod.__file__); print(celery_async_codemod.cli.__file__)",
    )
    assert both.returncode == 0, both.stderr
    theirs, mine = both.stdout.split()
    assert theirs.endswith("codemod/__init__.py") and "celery_async_codemod" not in theirs
    assert mine.endswith("celery_async_codemod/cli.py")
    assert run(bin_dir / "codemod", "--help").returncode == 0
    assert run(bin_dir / "celery-async-codemod", "--version").returncode == 0
