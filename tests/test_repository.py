"""The repository check: one project model, whatever folder the user runs from.

A real git repository with a nested ``backend/pyproject.toml``, a route module named
``setup.py``, and an API run from its own folder (``cd api && uvicorn main:app``: it imports
``utils`` top-level, while ``utils`` imports the Celery app from a package at the repository
root). Three helpers do Celery I/O from sync functions and are called from async handlers in
another module (one of them in the other half of the monorepo).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cel_support import tool

FILES = {
    "celery_app/__init__.py": "from celery import Celery\n\napp = Celery('repo')\n",
    "celery_app/tasks.py": (
        "from celery_app import app\n\n\n@app.task\ndef send_mail(to):\n    return to\n\n\n"
        "@app.task\ndef build_report(n):\n    return n\n\n\n@app.task\ndef refresh():\n"
        "    return 1\n"
    ),
    "backend/pyproject.toml": "[project]\nname = 'backend'\nversion = '0'\n",
    "backend/app/__init__.py": "",
    "backend/app/services.py": (
        "from celery_app.tasks import build_report\n\n\n"
        "def enqueue_report(n):\n    build_report.delay(n)\n"
    ),
    "api/__init__.py": "",  # a package too: only the imports say it is also run from inside
    "api/utils.py": (
        "from celery_app.tasks import send_mail\n\n\ndef notify(to):\n    send_mail.delay(to)\n"
    ),
    "api/main.py": (
        "from fastapi import FastAPI\n\nfrom v1.endpoints.setup import warm_cache\n\n"
        "app = FastAPI()\n\n\n@app.on_event('startup')\nasync def startup():\n"
        "    warm_cache()\n"
    ),
    "api/v1/__init__.py": "",
    "api/v1/endpoints/__init__.py": "",
    "api/v1/endpoints/setup.py": (
        "from celery_app.tasks import refresh\nfrom utils import notify\n\n\n"
        "def warm_cache():\n    refresh.apply_async(countdown=1)\n\n\n"
        "async def setup_account(to):\n    notify(to)\n"
    ),
    "api/v1/endpoints/reports.py": (
        "from app.services import enqueue_report\n\n\n"
        "async def create_report(n):\n    enqueue_report(n)\n"
    ),
}
HELPERS = {  # (file from the root, line, code, the helper called there)
    ("api/main.py", 10, "CEL007", "warm_cache"),
    ("api/v1/endpoints/setup.py", 10, "CEL007", "notify"),
    ("api/v1/endpoints/reports.py", 5, "CEL007", "enqueue_report"),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _run(cmd: list[str], cwd: Path, root: Path) -> set[tuple[str, int, int, str]]:
    """Findings as (path from the repository root, line, column, message)."""
    env = {k: v for k, v in os.environ.items() if k != "CELERY_ASYNC_CACHE_DIR"}
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    assert result.stderr == "", result.stderr
    found = set()
    for line in result.stdout.splitlines():
        path, number, col, message = line.split(":", 3)
        assert not os.path.isabs(path) or cwd != root  # relative to where it ran
        rel = os.path.relpath(os.path.join(cwd, path), root).replace(os.sep, "/")
        found.add((rel, int(number), int(col), message.strip()))
    return found


def _helpers(found: set[tuple[str, int, int, str]]) -> set[tuple[str, int, str, str]]:
    return {
        (path, line, msg.split()[0], msg.split()[1].removesuffix("()"))
        for path, line, _, msg in found
    }


def test_one_model_from_any_folder_and_either_front_end(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ours = [tool("flake8-celery-async"), "--isolated"]
    flake8 = [tool("flake8"), "--isolated", "--select", "CEL"]
    from_root = _run([*ours, "."], repo, repo)
    assert _helpers(from_root) == HELPERS
    assert _run([*ours, str(repo)], elsewhere, repo) == from_root
    assert _run([*ours, "."], repo / "api", repo) == from_root  # every finding is in api/
    assert _run([*ours, "v1"], repo / "api", repo) == {f for f in from_root if "/v1/" in f[0]}
    assert _run([*flake8, "."], repo, repo) == from_root
    assert _run([*flake8, str(repo)], elsewhere, repo) == from_root
    assert _run([*flake8, "."], repo / "api", repo) == from_root
    caches = sorted(p.parent for p in tmp_path.rglob("CACHEDIR.TAG"))
    assert caches == [repo / ".celery_async_cache"]


def test_the_source_roots_option_replaces_what_the_imports_say(repo: Path) -> None:
    """Without ``api`` among the roots, ``from utils import notify`` and ``from
    v1.endpoints.setup import warm_cache`` name nothing of the repository (``api`` is a
    package: ``api.utils`` is the only other name of its module)."""
    ours = [tool("flake8-celery-async"), "--isolated"]
    without_api = _helpers(_run([*ours, "--celery-source-roots=.,backend", "."], repo, repo))
    assert without_api == {h for h in HELPERS if h[3] == "enqueue_report"}
    (repo / "setup.cfg").write_text("[flake8]\ncelery-source-roots =\n    backend,\n    api\n")
    flake8 = _run([tool("flake8"), "--select", "CEL", "."], repo, repo)
    assert _helpers(flake8) == HELPERS
    assert _helpers(_run([tool("flake8-celery-async"), "."], repo, repo)) == HELPERS


@pytest.mark.parametrize("command", ["flake8", "flake8-celery-async"])
def test_nothing_is_written_for_a_path_that_does_not_exist(tmp_path: Path, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CELERY_ASYNC_CACHE_DIR"}
    args = ["--select", "CEL"] if command == "flake8" else []
    result = subprocess.run(
        [tool(command), *args, "nosuchdir"], cwd=tmp_path, capture_output=True, text=True,
        env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == (0 if command == "flake8" else 3)  # flake8's E902 is not CEL
    assert list(tmp_path.iterdir()) == []


def test_a_project_file_that_is_not_utf8_does_not_lose_the_index(repo: Path) -> None:
    """Source roots read pyproject.toml/setup.cfg/setup.py: a stray byte there is no error."""
    (repo / "backend" / "pyproject.toml").write_bytes(b"# caf\xe9\n[project]\nname = 'b'\n")
    (repo / "setup.cfg").write_bytes(b"[options]\n# \xff\npackage_dir =\n    =api\n")
    ours = [tool("flake8-celery-async"), "--isolated", "."]
    assert _helpers(_run(ours, repo, repo)) == HELPERS
