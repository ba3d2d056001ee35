"""The codemod on real repository layouts, then the result run for real.

For each layout of :mod:`codemod_layouts`: write it, run ``celery-async-codemod`` as a user
would (from the repository root; the pre-commit layout passes only the changed file, in a git
repository), then start a Celery worker and uvicorn on the rewired app from the folder that
layout runs from, call the rewritten endpoint over HTTP and wait for the task's marker file.
One Redis per test module (a database of its own per layout).
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cel_support import run, tool
from celery_async_codemod.runtime import REQUIREMENT
from codemod_layouts import (
    DJANGO,
    NOTHING_TO_FIX,
    PRE_COMMIT,
    RUNNABLE,
    SUBFOLDER,
    Layout,
    codemod,
)
from servers import PATIENCE, CeleryWorker, RedisServer, UvicornServer, wait_until

from flake8_celery_async.project.layout import Layout as Roots


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def redis(spawn_module: Callable[[RedisServer], RedisServer]) -> Iterator[RedisServer]:
    yield spawn_module(RedisServer())


def lint(root: Path) -> Counter[tuple[str, str]]:
    """(file, code) of what ruff's I and F401 and flake8's defaults (line length aside) say."""
    files = sorted(str(p) for p in root.rglob("*.py"))
    ruff = run(tool("ruff"), "check", "--isolated", "--select", "I,F401", "--output-format",
               "concise", *files)  # fmt: skip
    flake8 = run(tool("flake8"), "--isolated", "--extend-ignore", "E501", *files)
    found: Counter[tuple[str, str]] = Counter()
    for line in (ruff.stdout + flake8.stdout).splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and parts[3].strip():
            found[(parts[0], parts[3].split()[0])] += 1
    return found


def _git_init(root: Path) -> None:
    for command in (["init", "-q"], ["add", "-A"]):
        subprocess.run(["git", *command], cwd=root, check=True, capture_output=True)


@pytest.mark.parametrize("layout", RUNNABLE, ids=lambda layout: layout.name)
def test_layout_is_rewired_and_runs(
    layout: Layout,
    tmp_path: Path,
    redis: RedisServer,
    spawn: Callable[[CeleryWorker | UvicornServer], CeleryWorker | UvicornServer],
) -> None:
    if layout is DJANGO:
        pytest.importorskip("django")
    root = layout.write(tmp_path / "my-repo")  # a folder name that is no identifier
    if layout is PRE_COMMIT or layout.git:
        _git_init(root)
    before = lint(root)
    proc = codemod("--report", tmp_path / "report.json", *layout.codemod_args, cwd=root)
    assert proc.returncode == 1, proc.stderr
    for rel, line in layout.expect.items():
        assert line in (root / rel).read_text(), (rel, (root / rel).read_text(), proc.stderr)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["internal_errors"] == [] and report["errors"] == []
    assert report["unfixable"] == [] and report["requirement"] == REQUIREMENT
    new = lint(root) - before
    assert not new, new  # isort order, no unused import, no blank line lost or added
    written = snapshot(root)
    again = codemod(*layout.codemod_args, cwd=root)
    assert again.returncode == 0, again.stderr
    assert snapshot(root) == written

    run_from = root / layout.run_from
    marks = tmp_path / "marks"
    marks.mkdir()
    db = RUNNABLE.index(layout) + 1
    pythonpath = os.pathsep.join([str(run_from), *(str(root / p) for p in layout.pythonpath)])
    env = {"BROKER_URL": redis.url(db), "MARK_DIR": str(marks), "PYTHONPATH": pythonpath}
    spawn(CeleryWorker(layout.worker, cwd=run_from, env=env))
    web = spawn(UvicornServer(layout.web, cwd=run_from, env=env))
    url = web.base_url + layout.url.format(token="t1")
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        body = json.loads(response.read())
    assert body["id"]
    wait_until(lambda: (marks / "t1").exists(), PATIENCE, "the task to run in the worker")


def test_nothing_to_fix_leaves_the_repository_byte_for_byte(tmp_path: Path) -> None:
    root = NOTHING_TO_FIX.write(tmp_path / "repo")
    before = snapshot(root)
    check = codemod("--check", ".", cwd=root)
    assert check.returncode == 0, check.stderr
    proc = codemod(".", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "0 rewritten" in proc.stderr
    assert snapshot(root) == before


def test_rewritten_files_are_lint_clean_where_they_were(tmp_path: Path) -> None:
    """isort order (ruff's I001 with first-party found from the files), no unused import left
    by the rewiring and no blank line lost (flake8's F401 and E30x), on isort-clean input."""
    root = tmp_path / "repo"
    SUBFOLDER.write(root)
    main = root / "backend" / "app" / "main.py"
    main.write_text(
        "import os\n\nfrom fastapi import FastAPI\n\nfrom app.tasks import ping\n"
        "from app.worker import celery_app\n\napi = FastAPI()\n\n\n"
        '@api.get("/{token}")\nasync def do_ping(token: str):\n'
        "    celery_app.control.revoke(token)\n    ping.delay(token)\n"
        '    return {"pid": os.getpid(), "state": ping.AsyncResult(token).state}\n'
    )
    backend = root / "backend"
    isort = 'lint.isort.known-first-party = ["app"]'
    lint = [tool("ruff"), "check", "--isolated", "--select", "I,F401", "--config", isort]
    style = [tool("flake8"), "--isolated", "--select", "F401,E30"]
    files = [backend / "app" / n for n in ("main.py", "worker.py", "tasks.py")]
    assert run(*lint, *files).returncode == 0
    assert run(*style, *files).returncode == 0
    proc = codemod(".", cwd=root)
    assert proc.returncode == 1, proc.stderr
    text = main.read_text()
    assert "from celery_asyncx import read_result, run_blocking\nfrom fastapi import" in text
    assert "await ping.delayx(token)" in text
    assert "from celery import Celery" not in (backend / "app" / "worker.py").read_text()
    for command in (lint, style):
        result = run(*command, *files)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("project_file", "text"),
    [
        ("pyproject.toml", '[tool.setuptools.packages.find]\nwhere = ["lib"]\n'),
        ("setup.cfg", "[options]\npackage_dir =\n    =lib\npackages = find:\n"),
        ("setup.cfg", "[options.packages.find]\nwhere = lib\n"),
        ("pyproject.toml", '[tool.poetry]\npackages = [{include = "jobs", from = "lib"}]\n'),
    ],
)
def test_a_declared_package_folder_is_an_import_root(
    project_file: str, text: str, tmp_path: Path
) -> None:
    """A namespace package under a declared folder, imported by nobody with an absolute import:
    only the project file says where sys.path starts when it is pip-installed."""
    write = {
        f"packages/jobs/{project_file}": text,
        "packages/jobs/lib/jobs/celery_app.py": "from celery import Celery\n",
        "packages/jobs/lib/jobs/celery_asyncx/__init__.py": "",
    }
    for rel, content in write.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(content)
    files = [str(p) for p in tmp_path.rglob("*.py")]
    layout = Roots.build(str(tmp_path), files, {})
    app = tmp_path / "packages/jobs/lib/jobs/celery_app.py"
    runtime = tmp_path / "packages/jobs/lib/jobs/celery_asyncx/__init__.py"
    assert layout.module_for(str(runtime), str(app)) == "jobs.celery_asyncx"
