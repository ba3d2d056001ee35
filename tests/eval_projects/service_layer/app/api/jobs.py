"""Results that arrive through a call: a parameter every caller fills with a result, and
awaited project functions that return one."""

import asyncio

from celery.result import AsyncResult

from app.services.results import fetch_group, fetch_label, fetch_result
from app.worker.tasks import index_task


async def await_task(task, interval=0.5):
    while not task.ready():  # CEL005: 14
        await asyncio.sleep(interval)
    if task.status == "FAILURE":  # CEL005: 7
        task.revoke()  # CEL005: 8
    return task.get()  # CEL005: 11


async def start(doc_id):
    res = index_task.delay(doc_id)  # CEL001: 10
    return await await_task(res)


async def follow(task_id):
    return await await_task(AsyncResult(task_id), interval=1)


async def maybe(thing):
    return thing.get("key")


async def caller_one(task_id):
    return await maybe(AsyncResult(task_id))


async def caller_two(cache):
    return await maybe(cache)


async def group_status(group_id):
    group = await fetch_group(group_id)
    if group.ready():  # CEL005: 7
        group.forget()  # CEL005: 8
    done = group.completed_count()  # CEL005: 11
    return done, [r.result for r in group.results]  # CEL005: 18


async def single(task_id):
    res = await fetch_result(task_id)
    label = await fetch_label(task_id)
    return res.state, label.get("id")  # CEL005: 11
