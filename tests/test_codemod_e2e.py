"""The codemod end to end on the example shop: rewrite, re-check, then run it against Redis.

Copies ``examples/shop`` (an app module with ``Celery(...)``, tasks with ``@app.task``,
``@shared_task`` and a ``base=`` custom Task, async FastAPI endpoints using every rule) to a
temporary directory and runs the real ``celery-async-codemod`` on it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cel_support import BIN
from codemod_layouts import codemod
from servers import CeleryWorker, RedisServer

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rewritten(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(REPO / "examples" / "shop", root / "shop")
    before = {p.name: p.read_bytes() for p in (root / "shop").glob("*.py")}
    proc = codemod("--report", "report.json", "shop", cwd=root)
    assert proc.returncode == 1, proc.stderr
    report = json.loads((root / "report.json").read_text())
    report["before"] = before
    return root, report


def test_changed_files_parse_and_a_second_run_changes_nothing(
    rewritten: tuple[Path, dict[str, object]],
) -> None:
    root, report = rewritten
    before = report["before"]
    assert isinstance(before, dict)
    changed = [p for p in (root / "shop").glob("*.py") if before.get(p.name) != p.read_bytes()]
    assert {p.name for p in changed} == {"api.py", "celery_app.py", "tasks.py"}
    assert not list(root.rglob("celery_async*"))  # the runtime is the installed library
    for path in changed:
        compile(path.read_bytes(), str(path), "exec")
    written = {p: p.read_bytes() for p in root.rglob("*.py")}
    again = codemod("shop", cwd=root)
    assert again.returncode == 1, again.stderr  # CEL007 and CEL008 are left to do
    assert ", 0 rewritten" in again.stderr and "shop/api.py:29 CEL007" in again.stderr
    assert {p: p.read_bytes() for p in root.rglob("*.py")} == written


def test_checker_reports_only_what_the_codemod_listed_as_unfixable(
    rewritten: tuple[Path, dict[str, object]],
) -> None:
    root, report = rewritten
    proc = subprocess.run(
        [str(BIN / "flake8-celery-async"), "--isolated", "--format", "json", "shop"],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    found = {(os.path.normpath(f["path"]), f["line"], f["code"]) for f in json.loads(proc.stdout)}
    unfixable = report["unfixable"]
    assert isinstance(unfixable, list)
    listed = {(os.path.normpath(u["path"]), u["line"], u["code"]) for u in unfixable}
    assert found == listed
    assert {code for _, _, code in listed} == {"CEL007", "CEL008"}
    fixed = report["fixed"]
    assert isinstance(fixed, dict)
    assert set(fixed) == {"CEL001", "CEL002", "CEL003", "CEL004", "CEL005", "CEL006"}


CLIENT = textwrap.dedent(
    """
    import asyncio, json

    from shop import api, tasks
    from shop.celery_app import app
    from celery_asyncx import AsyncTask, CeleryAsync, run_blocking

    assert isinstance(app, CeleryAsync), type(app)
    for task in (tasks.send_receipt, tasks.reserve_stock, tasks.charge_card, tasks.total):
        assert isinstance(task, AsyncTask), task
    assert isinstance(tasks.charge_card, tasks.AuditedTask)


    async def main():
        order = await api.place_order(7, "a@b.c", quantity=3)       # delayx/apply_asyncx/send_taskx
        reserved = app.AsyncResult(order["reservation"])
        charged = app.AsyncResult(order["payment"])
        out = {
            "reserved": await run_blocking(reserved.get, timeout=30),
            "charged": await run_blocking(charged.get, timeout=30),
            "status": await api.task_status(order["reservation"]),  # run_blocking(ready/get)
        }
        restock = await api.restock([1, 2])                         # run_blocking(canvas)
        out["total"] = await run_blocking(app.AsyncResult(restock["workflow"]).get, timeout=30)
        out["cancel"] = await api.cancel(order["audit"])            # run_blocking(control)
        print(json.dumps(out))


    asyncio.run(main())
    """
)


def test_rewritten_app_dispatches_through_the_new_methods_against_redis(
    rewritten: tuple[Path, dict[str, object]],
    redis_server: RedisServer,
    spawn: Callable[[CeleryWorker], CeleryWorker],
) -> None:
    root, _ = rewritten
    env = {"CELERY_BROKER_URL": redis_server.url(0), "CELERY_RESULT_BACKEND": redis_server.url(1)}
    spawn(CeleryWorker("shop.celery_app:app", queues=("shop",), cwd=root, env=env))
    proc = subprocess.run(
        [sys.executable, "-c", CLIENT],
        capture_output=True,
        text=True,
        cwd=root,
        env={**os.environ, **env, "PYTHONPATH": str(root)},
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["reserved"] == 3
    assert out["charged"] == {"order_id": 7, "charged": 4200}
    assert out["status"]["value"] == 3 and out["status"]["state"] == "SUCCESS"
    assert out["total"] == 20
    assert out["cancel"] == {"revoked": True}
