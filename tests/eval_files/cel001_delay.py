# Eval file: each expected finding is written on its line as `# CODE: column` (0-based, as ast).
import asyncio
import functools

import proj.tasks
from celery import current_app as dispatch
from proj import tasks
from proj.tasks import send_email, send_sms

from starlette.concurrency import run_in_threadpool
from asgiref.sync import sync_to_async


async def direct():
    send_email.delay("a@b.c")  # CEL001: 4


async def module_attribute():
    proj.tasks.send_email.delay("a@b.c")  # CEL001: 4
    tasks.send_sms.delay("123")  # CEL001: 4


async def registry_and_dicts(name, kind):
    dispatch.tasks[name].delay(1)  # CEL001: 4
    task_map = {"email": send_email, "sms": send_sms}
    task_map[kind].delay(2)  # CEL001: 4


async def in_control_flow(items):
    try:
        send_email.delay(1)  # CEL001: 8
    except Exception:
        send_sms.delay(2)  # CEL001: 8
    for item in items:
        send_email.delay(item)  # CEL001: 8
    while items:
        items.pop()
        send_sms.delay(3)  # CEL001: 8
    async with asyncio.timeout(1):
        send_email.delay(4)  # CEL001: 8
    if items:
        return send_email.delay(5).id  # CEL001: 15


async def half_fixed():
    await send_email.delayx(1)
    await asyncio.to_thread(send_email.delay, 2)
    send_sms.delay(3)  # CEL001: 4


async def facade(*args):
    """An async facade around a sync dispatch still blocks."""
    return send_email.delay(*args)  # CEL001: 11


async def offloaded_references(loop):
    await asyncio.to_thread(send_email.delay, 1)
    await run_in_threadpool(send_email.delay, 1)
    await loop.run_in_executor(None, send_email.delay, 1)
    await loop.run_in_executor(None, functools.partial(send_email.delay, 1))
    await sync_to_async(send_email.delay)(1)
    await loop.run_in_executor(None, lambda: send_email.delay(1))


async def awaited_directly():
    # Some pools (celery-pool-asyncio) make delay awaitable: awaited means not reported.
    await send_email.delay(1)
    await asyncio.gather(send_email.delay(1), send_sms.delay(2))


async def await_in_arguments(make_queue):
    send_email.delay(await make_queue())  # CEL001: 4


async def comprehensions(users):
    [send_email.delay(u) for u in users]  # CEL001: 5
    {u: send_email.delay(u) for u in users}  # CEL001: 8
    list(send_email.delay(u) for u in users)  # CEL001: 9


async def look_alikes(row, animation):
    pause = row.delay  # an attribute, not a call
    await asyncio.sleep(animation.delay)
    return pause


def sync_view():
    send_email.delay(1)


class Handler:
    async def post(self):
        send_email.delay(1)  # CEL001: 8

    def sync_method(self):
        send_email.delay(1)

    async def uses_own_delay(self):
        self.delay(3)  # a method of this class, not Celery

    def delay(self, seconds):
        return seconds


async def outer():
    def inner():
        send_email.delay(1)  # a nested sync def: not on the loop

    class Inner:
        send_email.delay(1)  # a class body: not on the loop

    async def inner_async():
        send_email.delay(1)  # CEL001: 8

    return inner, Inner, inner_async


async def annotations_are_not_evaluated(x):
    local: send_email.delay() = x  # a local variable's annotation never runs
    value: int = send_email.delay(x)  # CEL001: 17
    return local, value
