from itertools import chain as iterchain

import celery
from celery import chain, chord, group, shared_task, signature
from celery.canvas import Signature

from proj.tasks import add, execute_workflow, notify, refund_chain, tsum


async def canvas_dispatch(items):
    add.s(1, 2).delay()  # CEL004: 4
    add.si(1, 2).apply_async(countdown=1)  # CEL004: 4
    add.signature((1, 2)).delay()  # CEL004: 4
    signature("proj.add", args=(1, 2)).delay()  # CEL004: 4
    chain(add.s(1, 2), add.s(3)).apply_async()  # CEL004: 4
    group(add.s(i, i) for i in items).delay()  # CEL004: 4
    chord([add.s(i, i) for i in items], tsum.s()).apply_async()  # CEL004: 4
    (add.s(1, 2) | add.s(3)).delay()  # CEL004: 4
    add.chunks(zip(items, items), 10).apply_async()  # CEL004: 4
    celery.group(add.s(1, 1)).delay()  # CEL004: 4


async def calling_canvas(items):
    chain(add.s(1, 2), add.s(3))()  # CEL004: 4
    group(add.s(i, i) for i in items)()  # CEL004: 4
    chord(add.s(i, i) for i in items)(tsum.s())  # CEL004: 4
    (add.s(1, 2) | add.s(3))()  # CEL004: 4
    add.chunks(zip(items, items), 10)()  # CEL004: 4


async def bound_canvas(items):
    workflow = chain(add.s(1, 2), notify.s())
    workflow.apply_async()  # CEL004: 4
    workflow()  # CEL004: 4
    header = group(add.s(i, i) for i in items)
    header.delay()  # CEL004: 4
    sig = add.s(1, 2)
    sig.delay()  # CEL004: 4


async def annotated(sig: Signature, callback):
    sig.delay()  # CEL004: 4
    callback.apply_async()  # CEL004: 4


@shared_task
def stop_workflow(run_id):
    return run_id


async def tasks_named_like_canvases(run_id, stats_workflow):
    # an imported or defined task is a task, whatever its name says: CEL001/CEL002, not CEL004
    execute_workflow.apply_async([run_id], queue="flows")  # CEL002: 4
    refund_chain.delay(run_id)  # CEL001: 4
    stop_workflow.delay(run_id)  # CEL001: 4
    stats_workflow.delay()  # CEL004: 4


async def runs_locally(items):
    add.s(1, 2)()  # calling a signature runs the task here: no broker
    add(1, 2)
    add.apply((1, 2))
    sig = add.s(1, 2)
    sig()
    return list(iterchain(items, items))
