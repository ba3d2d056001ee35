"""celery-asyncx, the runtime's own distribution: what it ships, what it depends on, and that
it installs from its folder and from a git URL with ``#subdirectory=``."""

from __future__ import annotations

import os
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest
from cel_support import ROOT, run, tool

FOLDER = ROOT / "celery-asyncx"
MODULES = [
    "__init__", "_internals", "app", "blocking", "confirms", "connections", "context",
    "dispatcher", "errors", "results", "routing",
]  # fmt: skip


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    result = run(tool("python"), "-m", "build", "--installer=uv", "--outdir", out, FOLDER)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return out


def test_wheel_and_sdist(dist: Path) -> None:
    (wheel,) = dist.glob("celery_asyncx-*.whl")
    (sdist,) = dist.glob("celery_asyncx-*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert {f"celery_asyncx/{m}.py" for m in MODULES} | {"celery_asyncx/py.typed"} <= names
    assert not [n for n in names if not n.startswith(("celery_asyncx/", "celery_asyncx-"))]
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert requires == ["Requires-Dist: celery[redis]<5.8,>=5.3"], requires
    assert "Requires-Python: >=3.10" in metadata
    assert "# celery-asyncx" in metadata  # the README is the long description
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {"README.md", "CHANGELOG.md", "LICENSE", "pyproject.toml"} <= members
    check = run(tool("twine"), "check", "--strict", *dist.iterdir())
    assert check.returncode == 0, check.stdout + check.stderr


def _installed(spec: str, target: Path) -> str:
    """``pip install spec`` (its dependencies are this environment's), then where
    ``celery_asyncx`` imports from with ``target`` first on the path."""
    result = run(tool("pip"), "install", "--no-deps", "--target", target, spec)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = "import celery_asyncx as m; print(m.__file__, m.__version__, m.CeleryAsync.__name__)"
    imported = subprocess.run(
        [tool("python"), "-c", code], cwd=target, env=env, capture_output=True, text=True
    )
    assert imported.returncode == 0, imported.stderr
    return imported.stdout


def test_pip_install_of_the_folder(tmp_path: Path) -> None:
    out = _installed(str(FOLDER), tmp_path / "site")
    assert out.startswith(str(tmp_path / "site" / "celery_asyncx")) and "CeleryAsync" in out


def test_pip_install_from_a_git_url_with_subdirectory(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    # Not shallow: pip clones it again with --filter=blob:none, which waits forever on a
    # shallow file:// source (git 2.39).
    cloned = run("git", "clone", "--quiet", f"file://{ROOT}", clone)
    assert cloned.returncode == 0, cloned.stderr
    spec = f"git+file://{clone}#subdirectory=celery-asyncx"
    out = _installed(spec, tmp_path / "site")
    assert out.startswith(str(tmp_path / "site" / "celery_asyncx")) and "CeleryAsync" in out
