"""Celery's current-task context crosses into the pool: a real worker runs a task that
dispatches children directly and through ``delayx``/``apply_asyncx``/``run_blocking``."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import celery
from servers import CeleryWorker, RedisServer

PROJECT = '''
import asyncio
import os

from celery import current_task, signals
from celery_asyncx import create_celery_app, run_blocking

app = create_celery_app(os.environ["BROKER_URL"], main="ctx")


@signals.before_task_publish.connect
def propagate_tenant(headers, **_):
    """A common pattern: a header of the running task passed on to what it dispatches."""
    if current_task and current_task.request.get("tenant"):
        headers["tenant"] = current_task.request.get("tenant")


@app.task(name="ctx.child", bind=True)
def child(self, how):
    request = self.request
    return {"how": how, "parent_id": request.parent_id, "root_id": request.root_id,
            "tenant": request.get("tenant")}


@app.task(name="ctx.parent", bind=True)
def parent(self):
    async def through_the_pool():
        return [
            (await child.delayx("delayx")).id,
            (await child.apply_asyncx(("apply_asyncx",))).id,
            (await run_blocking(child.apply_async, ("run_blocking",))).id,
        ]

    direct = child.delay("direct").id
    return [direct, *asyncio.run(through_the_pool())]
'''


def test_children_sent_through_the_pool_know_their_parent(
    tmp_path: Path, spawn: Callable[[Any], Any]
) -> None:
    (tmp_path / "ctx_app.py").write_text(textwrap.dedent(PROJECT))
    redis = spawn(RedisServer())
    spawn(CeleryWorker("ctx_app:app", cwd=tmp_path, env={"BROKER_URL": redis.url()}))
    client = celery.Celery("client", broker=redis.url(), backend=redis.url(), set_as_current=False)
    try:
        root = client.send_task("ctx.parent", task_id="root-1", headers={"tenant": "acme"})
        children = [client.AsyncResult(i).get(timeout=30) for i in root.get(timeout=30)]
    finally:
        client.close()
    assert [c["how"] for c in children] == ["direct", "delayx", "apply_asyncx", "run_blocking"]
    direct = children[0]
    assert direct == {"how": "direct", "parent_id": "root-1", "root_id": "root-1", "tenant": "acme"}
    for through_pool in children[1:]:
        assert {**through_pool, "how": "direct"} == direct, through_pool
