"""The project index: async-capable worker pools, project roots, the cache folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cel_support import tool

from flake8_celery_async.project.indexer import build_index
from flake8_celery_async.project.repository import find_root
from flake8_celery_async.settings import Settings

TASKS = (
    "from celery import Celery\n\napp = Celery('proj')\n\n\n"
    "@app.task\nasync def crawl(url):\n    return url\n"
)
POOL_PLACES = {
    "Dockerfile": 'CMD ["celery", "-A", "proj", "worker", "-P", "celery_pool_asyncio:TaskPool"]\n',
    "docker-compose.yml": (
        "services:\n  worker:\n"
        "    command: celery -A proj worker --pool=celery_pool_asyncio:TaskPool\n"
    ),
    "Procfile": "worker: celery -A proj worker -P celery_aio_pool.pool:AsyncIOPool\n",
    "Makefile": "worker:\n\tcelery -A proj worker --pool celery_pool_asyncio:TaskPool\n",
    "scripts/start-worker.sh": (
        "#!/bin/sh\nexec celery -A proj worker -P celery_aio_pool.pool:AsyncIOPool\n"
    ),
    "celeryconfig.py": 'worker_pool = "celery_aio_pool.pool:AsyncIOPool"\n',
    "worker.py": (
        "from celery_aio_pool.tracer import build_async_tracer\n\ntracer = build_async_tracer\n"
    ),
    ".env": "CELERY_CUSTOM_WORKER_POOL=celery_aio_pool.pool:AsyncIOPool\n",
}
NO_POOL = {
    "requirements.txt": "celery==5.4\ncelery_aio_pool==0.1\n",  # installed is not used
    "README.md": "We could run -P celery_pool_asyncio:TaskPool one day.\n",  # not a config file
}


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'proj'\nversion = '0'\n")
    (root / "tasks.py").write_text(TASKS)
    for name, text in files.items():
        (root / name).write_text(text)
    return root


def _codes(root: Path, *args: str) -> tuple[list[str], list[str]]:
    env = {**os.environ, "CELERY_ASYNC_CACHE_DIR": "off"}
    out = []
    for cmd in (
        [tool("flake8"), "--isolated", "--select", "CEL"],
        [tool("flake8-celery-async"), "--isolated"],
    ):
        result = subprocess.run(
            [*cmd, *args, "."], cwd=root, capture_output=True, text=True, env=env, timeout=300
        )
        out.append(sorted(line.split(": ")[1].split()[0] for line in result.stdout.splitlines()))
    return out[0], out[1]


@pytest.mark.parametrize("place", sorted(POOL_PLACES))
def test_async_pool_found_silences_cel008(tmp_path: Path, place: str) -> None:
    root = _project(tmp_path, {place: POOL_PLACES[place]})
    assert _codes(root) == ([], [])
    assert _codes(root, "--celery-async-task-pool=false") == (["CEL008"], ["CEL008"])


@pytest.mark.parametrize("place", sorted(NO_POOL))
def test_a_pool_that_is_not_used_is_no_pool(tmp_path: Path, place: str) -> None:
    root = _project(tmp_path, {place: NO_POOL[place]})
    assert _codes(root) == (["CEL008"], ["CEL008"])
    assert _codes(root, "--celery-async-task-pool=true") == ([], [])


def test_project_root_is_the_version_control_root(tmp_path: Path) -> None:
    """A nested pyproject.toml or a module named setup.py never splits a repository."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "backend" / "app").mkdir(parents=True)
    (tmp_path / "backend" / "pyproject.toml").write_text("")
    (tmp_path / "backend" / "app" / "api.py").write_text("")
    (tmp_path / "backend" / "app" / "setup.py").write_text("")
    (tmp_path / "docs").mkdir()
    assert find_root(str(tmp_path / "backend" / "app" / "api.py")) == str(tmp_path)
    assert find_root(str(tmp_path / "backend" / "app" / "setup.py")) == str(tmp_path)
    assert find_root(str(tmp_path / "docs")) == str(tmp_path)


def test_a_git_worktree_file_marks_the_root(tmp_path: Path) -> None:
    (tmp_path / ".git").write_text("gitdir: /elsewhere/.git/worktrees/x\n")
    (tmp_path / "pkg").mkdir()
    assert find_root(str(tmp_path / "pkg")) == str(tmp_path)


def test_names_are_never_joined_by_name(tmp_path: Path) -> None:
    """A project function named like asyncio's is not asyncio's, and a callee the index
    cannot resolve is not a helper."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "helpers.py").write_text(
        "from proj.tasks import t\n\ndef create_task(x):\n    t.delay(x)\n"
    )
    (tmp_path / "api.py").write_text(
        "import asyncio\nfrom asyncio import create_task as spawn\n"
        "from unknown import create_task\n\n"
        "async def view(coro):\n    asyncio.create_task(coro)\n    spawn(coro)\n"
        "    create_task(1)\n"
    )
    index = build_index(str(tmp_path), Settings(cache_dir="off"))
    assert index.blocking("helpers.create_task") is not None
    assert index.blocking("asyncio.create_task") is None
    assert index.blocking("unknown.create_task") is None
    assert _codes(tmp_path) == ([], [])


def test_cache_dir_can_move_or_be_disabled(tmp_path: Path) -> None:
    root = _project(tmp_path, {})
    elsewhere = tmp_path / "cache-here"
    env = {**os.environ, "CELERY_ASYNC_CACHE_DIR": str(elsewhere)}
    subprocess.run([tool("flake8-celery-async"), "--isolated", "."], cwd=root, env=env, check=False)
    assert not (root / ".celery_async_cache").exists()
    assert (elsewhere / ".gitignore").is_file() and list(elsewhere.glob("index-*.marshal"))
    env.pop("CELERY_ASYNC_CACHE_DIR")
    opt = "--celery-cache-dir=off"
    subprocess.run([tool("flake8-celery-async"), "--isolated", opt, "."], cwd=root, env=env)
    assert not (root / ".celery_async_cache").exists()
    subprocess.run([tool("flake8-celery-async"), "--isolated", "."], cwd=root, env=env)
    assert (root / ".celery_async_cache" / "CACHEDIR.TAG").is_file()


def test_generated_service_is_checked_alike_by_both_frontends(tmp_path: Path) -> None:
    """The benchmark's generated Celery service (two domains): cross-module helpers found."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import gen_celery_app

    files, _ = gen_celery_app.generate(tmp_path, 2, seed=13)
    assert files > 40
    flake8, ours = _codes(tmp_path)
    assert flake8 == ours
    assert {"CEL001", "CEL005", "CEL007"} <= set(ours)


def test_tornado_celery_nonblocking_producer_is_no_blocking_dispatch(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "main.py").write_text("import tcelery\n\ntcelery.setup_nonblocking_producer()\n")
    (tmp_path / "handlers.py").write_text(
        "from tornado import web\nfrom tasks import echo\n\n\nclass Echo(web.RequestHandler):\n"
        "    def get(self):\n        echo.apply_async(args=['hi'], callback=self.on_result)\n"
    )
    assert _codes(tmp_path) == ([], [])
    (tmp_path / "main.py").write_text("import tornado\n")
    assert _codes(tmp_path) == (["CEL002"], ["CEL002"])


def test_a_package_module_is_not_importable_by_its_last_name(tmp_path: Path) -> None:
    """Django's proj/celery.py is proj.celery, never the celery library; a src/ layout's
    modules are importable without the src prefix."""
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "__init__.py").write_text("")
    (tmp_path / "proj" / "celery.py").write_text(
        "from celery import Celery\napp = Celery('proj')\n\ndef ping():\n    app.send_task('x')\n"
    )
    (tmp_path / "src" / "svc").mkdir(parents=True)
    (tmp_path / "src" / "svc" / "__init__.py").write_text("")
    (tmp_path / "src" / "svc" / "jobs.py").write_text(
        "from proj.celery import app\n\ndef enqueue():\n    app.send_task('y')\n"
    )
    index = build_index(str(tmp_path), Settings(cache_dir="off"))
    assert index.module_for("celery") is None
    assert index.blocking("celery.ping") is None
    assert index.blocking("proj.celery.ping") is not None
    assert index.blocking("svc.jobs.enqueue") is not None


def test_a_repository_in_the_home_folder_is_not_every_project_below_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dotfiles repository at ~ would make one project of everything under home."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".git").mkdir()
    (tmp_path / "work" / "svc").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    assert find_root(str(tmp_path / "work" / "svc")) == str(tmp_path / "work")
