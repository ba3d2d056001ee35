"""Both hooks through real pre-commit: `pre-commit try-repo <this repo> <hook> --files ...`.

The fix hook is given only the changed file, as pre-commit does on a commit; the app and its
tasks live in other modules of the repository, which the codemod must still find and wire.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cel_support import ROOT, tool

VIEW = "from proj.tasks import send_email\n\n\nasync def view():\n    send_email.delay(1)\n"
APP = "from celery import Celery\n\napp = Celery('proj', broker='memory://')\n"
TASKS = "from proj.celery_app import app\n\n\n@app.task\ndef send_email(n):\n    return n\n"


@pytest.fixture(scope="session")
def cache(run_folder: Path) -> Path:
    """One pre-commit home for both hooks, whichever xdist worker runs them: the hook
    environment is built once (pre-commit locks its home while it builds one)."""
    return run_folder / "pre-commit-home"


def _repo(path: Path) -> Path:
    (path / "proj").mkdir(parents=True)
    (path / "proj" / "__init__.py").write_text("")
    (path / "proj" / "celery_app.py").write_text(APP)
    (path / "proj" / "tasks.py").write_text(TASKS)
    (path / "views.py").write_text(VIEW)
    for args in (["init", "-q"], ["add", "."]):
        subprocess.run(["git", *args], cwd=path, check=True)
    return path


def _try_repo(repo: Path, hook: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache), "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [tool("pre-commit"), "try-repo", str(ROOT), hook, "--files", "views.py", "--color=never"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


def test_lint_hook_fails_with_the_finding(tmp_path: Path, cache: Path) -> None:
    repo = _repo(tmp_path / "lint")
    result = _try_repo(repo, "flake8-celery-async", cache)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "views.py:5:5: CEL001 send_email.delay() blocks the event loop" in result.stdout
    assert (repo / "views.py").read_text() == VIEW


def test_fix_hook_rewrites_the_file(tmp_path: Path, cache: Path) -> None:
    repo = _repo(tmp_path / "fix")
    result = _try_repo(repo, "celery-async-codemod", cache)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Rewriting views.py" in result.stdout
    assert "await send_email.delayx(1)" in (repo / "views.py").read_text()
    # Only views.py was given, yet the app in proj/celery_app.py is wired.
    assert "CeleryAsync" in (repo / "proj" / "celery_app.py").read_text()
    assert "from celery_asyncx import" in (repo / "proj" / "celery_app.py").read_text()
    again = _try_repo(repo, "celery-async-codemod", cache)
    assert again.returncode == 0, again.stdout + again.stderr
